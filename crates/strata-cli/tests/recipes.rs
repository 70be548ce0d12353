//! A named model's defaults are its recipe (issue 11, point 12): `--model kim-cnn` with no other
//! flag trains Kim's recipe as bench/README.md records it, a flag the user gives wins, and `cv`
//! holds out the 10% that the recipe's early stopping watches.

use std::path::Path;
use std::process::Command;

fn strata(dir: &Path, args: &[&str]) -> std::process::Output {
    let o = Command::new(env!("CARGO_BIN_EXE_strata")).current_dir(dir).args(args).output().unwrap();
    assert!(o.status.success(), "{:?}: {}", args, String::from_utf8_lossy(&o.stderr));
    o
}

fn corpus(n: usize) -> String {
    let cue = [["dull", "awful"], ["fine", "lovely"]];
    (0..n)
        .map(|i| format!("{}\tthe film was {} and {}\n", i % 2, cue[i % 2][i / 2 % 2], ["a", "so", "it"][i % 3]))
        .collect()
}

/// The resolved settings `train` records in run.toml, as `key = value` lines.
fn run_toml(dir: &Path, model: &str, extra: &[&str]) -> String {
    let mut args = vec!["--threads", "1", "train", "--data", "d.tsv", "--out", model, "--model", model, "--no-probes"];
    args.extend(extra);
    strata(dir, &args);
    std::fs::read_to_string(dir.join(model).join("run.toml")).unwrap()
}

#[test]
fn kim_cnn_alone_trains_kims_recipe_and_a_flag_wins() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("d.tsv"), corpus(60)).unwrap();
    let kim = run_toml(tmp.path(), "kim-cnn", &["--epochs", "1"]);
    for line in [
        "embedding_dim = 300",
        "batch_size = 50",
        "num_words = 20000",
        "maxlen = 60",
        "lr = 0.0003",
        "early_stopping = 2",
        "embedding_init = 0.25",
        "epochs = 1",
    ] {
        assert!(kim.lines().any(|l| l.trim() == line), "kim-cnn's run.toml lacks `{line}`:\n{kim}");
    }
    let seed = run_toml(tmp.path(), "seed", &["--epochs", "1"]);
    for line in ["embedding_dim = 128", "batch_size = 32", "num_words = 10000", "maxlen = 100", "lr = 0.001"] {
        assert!(seed.lines().any(|l| l.trim() == line), "seed's run.toml lacks `{line}`:\n{seed}");
    }
    assert!(!seed.contains("early_stopping"), "{seed}");
}

#[test]
fn cv_holds_out_what_the_recipe_stops_on() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("d.tsv"), corpus(100)).unwrap();
    let n_train = |extra: &[&str]| {
        let mut args = vec!["--threads", "1", "cv", "--data", "d.tsv", "--folds", "2", "--epochs", "1", "--json"];
        args.extend(extra);
        let out = String::from_utf8(strata(tmp.path(), &args).stdout).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["folds"][0]["n_train"].as_u64().unwrap()
    };
    assert_eq!(n_train(&["--model", "seed"]), 50);
    let held = n_train(&["--model", "kim-cnn"]);
    assert!((44..50).contains(&held), "a tenth of the fold's 50 is held out for early stopping: {held}");
    assert_eq!(n_train(&["--model", "kim-cnn", "--early-stopping", "0"]), 50);
}
