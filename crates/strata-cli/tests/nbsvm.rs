//! `--model nbsvm` (Wang & Manning's NB-LR): `train` learns a few hundred lines far above
//! chance and saves a `strata-nbsvm` folder that `test`, `predict` and `explain` read (the
//! explanation exact: its parts sum to the score less the bias), `cv` scores every fold, a seed
//! and thread count repeat the model's bytes, and bad NBSVM flags, NBSVM flags with another
//! model and network flags with NBSVM are refused in one line with exit code 2.

mod common;

use common::{corpus, stderr, Case};
use serde_json::Value;

const NBSVM: &[&str] = &["--model", "nbsvm", "--threads", "2", "--seed", "1"];

fn case() -> Case {
    let case = Case::new();
    case.write("data.tsv", corpus(300).as_bytes());
    case
}

fn run(case: &Case, head: &[&str], tail: &[&str]) -> std::process::Output {
    let args: Vec<&str> = head.iter().chain(NBSVM).chain(tail).copied().collect();
    case.run(&args)
}

fn stdout(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", stderr(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
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
fn train_learns_a_few_hundred_lines_and_the_folder_is_used_like_any_model() {
    let case = case();
    stdout(&run(&case, &["train", "--data", "data.tsv", "--validation-split", "0.2", "-o", "run"], &[]));
    let metrics: Value = serde_json::from_str(&case.read("run/metrics.json")).unwrap();
    let acc = metrics["val_accuracy"].as_f64().unwrap();
    assert!(acc >= 0.9, "validation accuracy {acc} (chance is 0.5)");
    let config: Value = serde_json::from_str(&case.read("run/model/config.json")).unwrap();
    assert_eq!(config["format"], "strata-nbsvm");
    assert_eq!(config["model"]["word_ngrams"], 2, "NBSVM's default n-grams");

    let r: Value =
        serde_json::from_str(&stdout(&case.run(&["test", "--model", "run", "--data", "data.tsv", "--json"]))).unwrap();
    assert!(r["accuracy"].as_f64().unwrap() > 0.9, "{r}");

    case.write("texts.txt", b"a superb fine movie\nan awful dull plot\n");
    let out = stdout(&case.run(&["predict", "--model", "run", "texts.txt", "--json"]));
    let labels: Vec<String> =
        out.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["label"].as_str().unwrap().to_string()).collect();
    assert_eq!(labels, ["1", "0"], "{out}");

    let ex: Value =
        serde_json::from_str(&stdout(&case.run(&["explain", "--model", "run", "--json", "the movie was superb"])))
            .unwrap();
    let words: Vec<&str> = ex["tokens"].as_array().unwrap().iter().map(|t| t["token"].as_str().unwrap()).collect();
    assert_eq!(words, ["the", "movie", "was", "superb"]);
    let superb = ex["tokens"][3]["occlusion"].as_f64().unwrap();
    let most =
        ex["tokens"].as_array().unwrap().iter().map(|t| t["occlusion"].as_f64().unwrap()).fold(f64::MIN, f64::max);
    assert_eq!(superb, most, "the sentiment word carries the decision: {ex}");
}

#[test]
fn cv_scores_every_fold_far_above_chance() {
    let case = case();
    let o = run(&case, &["cv", "--data", "data.tsv", "--folds", "3", "--json"], &[]);
    let out = stdout(&o);
    let json: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(json["folds"].as_array().unwrap().len(), 3);
    let mean = json["mean_accuracy"].as_f64().unwrap();
    assert!(mean >= 0.9, "mean accuracy {mean} (chance is 0.5)");
}

#[test]
fn a_seed_and_thread_count_give_the_same_model_bytes() {
    let case = case();
    let train = |out: &str, threads: &str, seed: &str| {
        let o = case.run(&[
            "train",
            "--model",
            "nbsvm",
            "--data",
            "data.tsv",
            "-o",
            out,
            "--threads",
            threads,
            "--seed",
            seed,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(case.path(out).join("model/model.safetensors")).unwrap()
    };
    assert!(train("a", "2", "7") == train("b", "2", "7"), "2 threads, seed 7, twice");
    assert!(train("c", "1", "7") == train("d", "2", "7"), "1 thread and 2: the solver is sequential per head");
}

#[test]
fn bad_nbsvm_flags_are_one_line_errors() {
    let case = case();
    let bad: [(&[&str], &[&str]); 7] = [
        (&["--word-ngrams", "0"], &["--word-ngrams must be at least 1"]),
        (&["--nb-alpha", "0"], &["--nb-alpha must be a positive number"]),
        (&["--nb-alpha=-1"], &["--nb-alpha must be a positive number"]),
        (&["--nb-beta", "1.5"], &["--nb-beta must be in [0, 1]"]),
        (&["--nb-beta=-0.1"], &["--nb-beta must be in [0, 1]"]),
        (&["--nb-c", "0"], &["--nb-c must be a positive number"]),
        (&["--epochs", "3"], &["--epochs is not read by --model nbsvm"]),
    ];
    for (flags, needles) in bad {
        let o = run(&case, &["train", "--data", "data.tsv", "-o", "run"], flags);
        assert_one_line_error(&o, needles);
        assert!(!case.path("run").exists(), "a refused run leaves no folder ({flags:?})");
    }
    let o = case.run(&["train", "--data", "data.tsv", "-o", "run", "--nb-alpha", "2"]);
    assert_one_line_error(&o, &["--nb-alpha is for --model nbsvm, not --model seed"]);
    let o = run(&case, &["train", "--data", "data.tsv", "-o", "run"], &["--maxlen", "50"]);
    assert_one_line_error(&o, &["--maxlen is for the networks, not --model nbsvm"]);
    let o = run(&case, &["train", "--data", "data.tsv", "-o", "run"], &["--dim", "50"]);
    assert_one_line_error(&o, &["--dim is not read by --model nbsvm"]);
}

#[test]
fn verbs_nbsvm_has_nothing_for_refuse_it_in_one_line() {
    let case = case();
    let o = run(&case, &["experiment", "--data", "data.tsv", "--out", "e"], &[]);
    assert_one_line_error(&o, &["experiment compares a network's schedules, and --model nbsvm has none"]);
    let o = run(&case, &["tune", "--data", "data.tsv", "--out", "t"], &[]);
    assert_one_line_error(&o, &["--model nbsvm has none of"]);
    case.write("texts.txt", b"some unlabelled text\n");
    let o = run(&case, &["pretrain", "--data", "texts.txt", "--out", "p"], &[]);
    assert_one_line_error(&o, &["NBSVM has no levels to pretrain"]);
    stdout(&run(&case, &["train", "--data", "data.tsv", "-o", "run"], &[]));
    let o = case.run(&["probe", "--model", "run", "--data", "data.tsv"]);
    assert_one_line_error(&o, &["an NBSVM model has no levels to probe"]);
    let o = case.run(&["export", "--model", "run", "--onnx", "--out", "m.onnx"]);
    assert_one_line_error(&o, &["NBSVM model"]);
}
