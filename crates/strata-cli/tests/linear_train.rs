//! `strata train` and `strata cv` with `--model linear` (fastText's supervised model): they
//! learn a small corpus far above chance, save a `strata-linear` folder, repeat their bytes for
//! a seed and thread count, and refuse bad linear flags, linear flags with a network and
//! network flags with the linear model in one line with exit code 2.

mod common;

use common::{corpus, stderr, Case};

const LINEAR: &[&str] = &["--model", "linear"];
/// Small enough to train in a blink: 10-long vectors, 10,000 buckets.
const SMALL: &[&str] = &["--dim", "10", "--buckets", "10000"];

fn case() -> Case {
    let case = Case::new();
    case.write("data.tsv", corpus(300).as_bytes());
    case
}

fn args<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    head.iter().chain(LINEAR).chain(tail).copied().collect()
}

/// `args` with the small model's sizes and two threads (unless `tail` gives threads).
fn small<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    let threads: &[&str] = if tail.contains(&"--threads") { &[] } else { &["--threads", "2"] };
    args(head, &[SMALL, threads, tail].concat())
}

/// Exit code 2 and exactly one stderr line, `error: … (hint: …)`, holding every needle.
fn assert_one_line_error(o: &std::process::Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: ") && err.contains("(hint: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "'{n}' not in: {err}");
    }
}

#[test]
fn train_learns_and_saves_a_linear_model() {
    let case = case();
    let o = case.run(&small(&["train", "--data", "data.tsv", "--validation-split", "0.2", "-o", "run"], &[]));
    assert!(o.status.success(), "{}", stderr(&o));
    let metrics: serde_json::Value = serde_json::from_str(&case.read("run/metrics.json")).unwrap();
    let acc = metrics["val_accuracy"].as_f64().unwrap();
    assert!(acc >= 0.9, "validation accuracy {acc} (chance is 0.5)");
    assert_eq!(metrics["epochs"], 25, "--model linear trains 25 epochs unless told");
    let config: serde_json::Value = serde_json::from_str(&case.read("run/model/config.json")).unwrap();
    assert_eq!(config["format"], "strata-linear");
    let history = case.read("run/history.csv");
    assert_eq!(history.lines().count(), 26, "a header and 25 epochs:\n{history}");
}

#[test]
fn cv_scores_every_fold_far_above_chance() {
    let case = case();
    let o = case.run(&small(&["cv", "--data", "data.tsv", "--folds", "3", "--epochs", "10", "--json"], &[]));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let json: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(json["folds"].as_array().unwrap().len(), 3);
    let mean = json["mean_accuracy"].as_f64().unwrap();
    assert!(mean >= 0.9, "mean accuracy {mean} (chance is 0.5)");
}

#[test]
fn a_seed_and_thread_count_give_the_same_model_bytes() {
    let case = case();
    let train = |out: &str, threads: &str, seed: &str| {
        let tail = ["--threads", threads, "--seed", seed, "--epochs", "5"];
        let o = case.run(&small(&["train", "--data", "data.tsv", "-o", out], &tail));
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(case.path(out).join("model/model.safetensors")).unwrap()
    };
    assert!(train("a", "2", "7") == train("b", "2", "7"), "2 threads, seed 7, twice");
    assert!(train("c", "1", "7") == train("d", "1", "7"), "1 thread, seed 7, twice");
    assert!(train("e", "1", "8") != train("f", "1", "7"), "another seed, other weights");
}

#[test]
fn bad_linear_flags_are_one_line_errors() {
    let case = case();
    let cases: &[(&[&str], &[&str])] = &[
        (&["--word-ngrams", "0"], &["--word-ngrams"]),
        (&["--dim", "0"], &["--dim"]),
        (&["--buckets", "0"], &["--buckets"]),
        (&["--minn", "5", "--maxn", "3"], &["--minn 5", "--maxn 3"]),
        (&["--minn", "3"], &["--minn 3", "--maxn 0"]),
        (&["--minn", "2", "--maxn", "50"], &["--maxn 50"]),
        (&["--buckets", "4000000000", "--dim", "100"], &["--buckets", "limit"]),
        (&["--epochs", "0"], &["--epochs"]),
        (&["--lr=-1"], &["--lr"]),
        (&["--lr", "0"], &["--lr"]),
    ];
    for (flags, needles) in cases {
        let o = case.run(&args(&["train", "--data", "data.tsv", "-o", "out"], flags));
        assert_one_line_error(&o, needles);
        assert!(!stderr(&o).contains("cannot be used"), "{flags:?}: {}", stderr(&o));
        assert!(!case.path("out").exists(), "{flags:?}: nothing written");
    }
}

#[test]
fn network_flags_with_linear_are_refused() {
    let case = case();
    case.write("vectors.txt", b"2 3\ngreat 1 2 3\nawful 3 2 1\n");
    let cases: &[&[&str]] = &[
        &["--schedule", "layerwise"],
        &["--init-from", "somewhere"],
        &["--embeddings", "vectors.txt"],
        &["--freeze", "embedding"],
        &["--num-words", "100"],
        &["--embedding-dim", "8"],
        &["--units", "8"],
        &["--optimizer", "sgd"],
        &["--batch-size", "16"],
        &["--checkpoint-every", "1"],
        &["--monitor", "val_accuracy"],
        &["--padding", "post"],
        &["--truncating", "post"],
        &["--aux-weight", "0.5"],
        &["--oov-token", "UNK"],
    ];
    for flags in cases {
        let o = case.run(&args(&["train", "--data", "data.tsv", "-o", "out"], flags));
        assert_one_line_error(&o, &[flags[0], "is for the networks, not --model linear"]);
    }
    let o = case.run(&args(&["cv", "--data", "data.tsv"], &["--schedule", "gradual-unfreeze"]));
    assert_one_line_error(&o, &["--schedule"]);
}

#[test]
fn linear_flags_with_a_network_are_refused() {
    let case = case();
    for flag in ["--word-ngrams", "--dim", "--buckets", "--min-count", "--minn", "--maxn"] {
        let o = case.run(&["train", "--data", "data.tsv", "-o", "out", flag, "2"]);
        assert_one_line_error(&o, &[flag, "is for --model linear"]);
    }
    let o = case.run(&["cv", "--data", "data.tsv", "--model", "kim-cnn", "--loss", "ova"]);
    assert_one_line_error(&o, &["--loss", "is for --model linear"]);
}

#[test]
fn a_diverged_linear_model_is_not_saved() {
    let case = case();
    let o = case.run(&small(&["train", "-q", "--data", "data.tsv", "-o", "run"], &["--lr", "1e20", "--epochs", "5"]));
    assert_one_line_error(
        &o,
        &["error: the linear model's loss became ", " in epoch ", "nothing was saved", "lower --lr, e.g. --lr 0.5"],
    );
    assert!(!case.path("run/model").exists(), "a NaN model is not written");
    // cv turns it into an error too
    let o = case.run(&small(&["cv", "-q", "--data", "data.tsv", "--folds", "2"], &["--lr", "1e20", "--epochs", "5"]));
    assert_one_line_error(&o, &["fold 1: the linear model's loss became "]);
}

#[test]
fn one_word_order_and_no_char_ngrams_keep_no_buckets() {
    let case = case();
    let o = case.run(&args(
        &["train", "--data", "data.tsv", "-o", "run"],
        &["--word-ngrams", "1", "--epochs", "1", "--dim", "10"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    let config: serde_json::Value = serde_json::from_str(&case.read("run/model/config.json")).unwrap();
    assert_eq!(config["model"]["buckets"], 0, "{config}");
    let size = std::fs::metadata(case.path("run/model/model.safetensors")).unwrap().len();
    assert!(size < 1_000_000, "no 2,000,000 unused rows: {size} bytes");
    // the --buckets 0 hint suggests only what was not given
    let o = case.run(&args(
        &["train", "--data", "data.tsv", "-o", "out"],
        &["--word-ngrams", "1", "--minn", "3", "--maxn", "6", "--buckets", "0"],
    ));
    assert_one_line_error(&o, &["character n-grams", "leave out --minn and --maxn"]);
    assert!(!stderr(&o).contains("--word-ngrams 1"), "{}", stderr(&o));
}

#[test]
fn verbose_linear_training_shows_no_schedule() {
    let case = case();
    let o = case.run(&small(&["train", "-v", "--data", "data.tsv", "-o", "run"], &["--epochs", "1"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("Schedule"), "{}", stderr(&o));
}

#[test]
fn an_empty_dictionary_or_training_part_is_refused() {
    let case = case();
    let o = case.run(&small(&["train", "-q", "--data", "data.tsv", "-o", "a"], &["--min-count", "1000"]));
    assert_one_line_error(&o, &["occurs --min-count 1000 times", "lower --min-count"]);
    assert!(!case.path("a/model").exists());
    let o = case.run(&small(&["train", "-q", "--data", "data.tsv", "-o", "b"], &["--validation-split", "0.999"]));
    assert_one_line_error(&o, &["no text is left to train the linear model on", "lower --validation-split"]);
    assert!(!case.path("b/model").exists());
}

#[test]
fn help_gives_the_linear_recipe_and_pretrain_refuses_linear() {
    let case = case();
    let o = case.run(&["train", "--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(help.contains("linear: --epochs 25 --lr 1.0"), "{help}");
    assert!(help.contains("--buckets 2000000"), "{help}");
    assert!(help.contains("linear 25") && help.contains("--model linear: 1.0"), "{help}");
    let o = case.run(&["pretrain", "--data", "data.tsv", "-o", "p", "--model", "linear"]);
    assert_one_line_error(&o, &["the linear model has no levels to pretrain"]);
}
