//! The second batch of review fixes on issue 11, through the release binary: a folder strata
//! wrote as one kind is never written over as another, `train --overwrite` leaves none of the
//! old run's files, and run.toml and `demo` say how many epochs really ran. Each case in a
//! fresh temp folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn strata(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata")).args(args).current_dir(cwd).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Label 1 iff the sentence holds a "good" word.
fn corpus(dir: &Path) -> PathBuf {
    let (good, bad) = (["great", "fine", "lovely", "superb"], ["awful", "poor", "dull", "weak"]);
    let text: String = (0..80)
        .map(|i| format!("{}\tthe movie was {}\n", i % 2, if i % 2 == 1 { good[i % 4] } else { bad[i % 4] }))
        .collect();
    let path = dir.join("train.tsv");
    std::fs::write(&path, text).unwrap();
    path
}

/// `strata train` on the small corpus into `out`, with `extra` flags.
fn train(dir: &Path, out: &str, extra: &[&str]) -> Output {
    corpus(dir);
    let mut args = vec!["--threads", "1", "train", "--data", "train.tsv", "--out", out, "--maxlen", "12"];
    args.extend(["--num-words", "100", "--units", "4", "--embedding-dim", "4"]);
    args.extend(extra);
    strata(dir, &args)
}

fn run_toml_epochs(run: &Path) -> String {
    let text = std::fs::read_to_string(run.join("run.toml")).unwrap();
    text.lines().find(|l| l.starts_with("epochs = ")).unwrap().to_string()
}

/// Point 4: an experiment folder is not a run folder, nor a model folder an experiment's.
#[test]
fn a_folder_strata_wrote_as_another_kind_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("exp");
    std::fs::create_dir(&exp).unwrap();
    std::fs::write(exp.join(".strata"), "strata experiment\n").unwrap();
    std::fs::write(exp.join("results.json"), "{}").unwrap();
    let o = train(tmp.path(), "exp", &["--epochs", "1", "--overwrite"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let last = err.lines().last().unwrap();
    assert!(last.starts_with("error: ") && last.contains("experiment") && last.contains("run"), "{last}");
    assert!(last.contains("hint: choose another folder"), "{last}");
    assert_eq!(std::fs::read_to_string(exp.join(".strata")).unwrap(), "strata experiment\n", "marker unchanged");
    assert!(!exp.join("run.toml").exists() && !exp.join("model").exists());

    // a run's model folder is no experiment folder either
    assert!(train(tmp.path(), "run", &["--epochs", "1", "--no-probes"]).status.success());
    let o = strata(tmp.path(), &["experiment", "--data", "train.tsv", "-o", "run/model", "--overwrite"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("model") && stderr(&o).contains("experiment"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(tmp.path().join("run/model/.strata")).unwrap(), "strata model\n");
    assert!(!tmp.path().join("run/model/results.json").exists());
}

/// Point 5: `--overwrite` removes every file the earlier run wrote, and only those.
#[test]
fn overwrite_leaves_none_of_the_old_run_s_files_and_keeps_the_user_s() {
    let tmp = tempfile::tempdir().unwrap();
    let o = train(tmp.path(), "r1", &["--epochs", "1", "--checkpoint-every", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let run = tmp.path().join("r1");
    assert!(run.join("probes.json").exists() && run.join("args.json").exists());
    std::fs::write(run.join("notes.txt"), "mine").unwrap();
    let o = train(tmp.path(), "r1", &["--epochs", "1", "--overwrite", "--no-probes"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!run.join("probes.json").exists(), "the earlier run's probes are gone");
    assert!(!run.join("checkpoint").exists() && !run.join("args.json").exists());
    assert!(run.join("model/model.safetensors").exists() && run.join("metrics.json").exists());
    assert_eq!(std::fs::read_to_string(run.join("notes.txt")).unwrap(), "mine", "the user's file stays");
}

/// Point 8: run.toml records the epochs that ran, and a warning says why they differ.
#[test]
fn run_toml_records_the_epochs_the_schedule_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let file = "[[stage]]\ntrain = [\"embedding\", \"lstm_0\", \"head\"]\nepochs = 1\n";
    std::fs::write(tmp.path().join("s1.toml"), file).unwrap();
    let o = train(tmp.path(), "f", &["--schedule-file", "s1.toml", "--epochs", "5", "--no-probes"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(run_toml_epochs(&tmp.path().join("f")), "epochs = 1");
    let warning = stderr(&o).lines().find(|l| l.starts_with("warning: ")).map(str::to_string).unwrap_or_default();
    assert!(warning.contains("--epochs 5") && warning.contains("s1.toml sets its own epochs"), "{}", stderr(&o));

    let o =
        train(tmp.path(), "l", &["--model", "seed-stacked", "--schedule", "layerwise", "--epochs", "1", "--no-probes"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(run_toml_epochs(&tmp.path().join("l")), "epochs = 2");
    assert!(stderr(&o).contains("each of its 2 stages needs at least one epoch"), "{}", stderr(&o));

    // the same count as asked: no warning
    let o = train(tmp.path(), "e", &["--epochs", "2", "--no-probes"]);
    assert!(o.status.success() && !stderr(&o).contains("warning:"), "{}", stderr(&o));
    assert_eq!(run_toml_epochs(&tmp.path().join("e")), "epochs = 2");
}

/// Point 8: the demo says how many epochs each stacked run trains.
#[test]
fn demo_says_the_epochs_each_stacked_run_trains() {
    let tmp = tempfile::tempdir().unwrap();
    let out = |epochs: &str| {
        let o = strata(tmp.path(), &["--threads", "1", "demo", "--size", "100", "--epochs", epochs]);
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let one = out("1");
    assert!(one.contains("1 epoch end-to-end and 2 epochs layerwise"), "{one}");
    assert!(!one.contains("either way"), "{one}");
    let three = out("3");
    assert!(three.contains("3 epochs either way"), "{three}");
}
