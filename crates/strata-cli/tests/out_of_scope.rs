//! Out-of-scope rejection (issue 15 point 4): `test --reject-below P --oos FILE` scores in-scope
//! accuracy (a rejected in-scope text counts as wrong) and out-of-scope recall side by side as
//! Larson et al. (2019) do, `--reject-tune` picks P maximising their sum, and `predict
//! --reject-below` answers the reserved `__none__` for a text the model is unsure of.

mod common;

use common::{assert_ok, assert_user_error, corpus, Case};
use serde_json::Value;

const LINEAR: &[&str] =
    &["--model", "linear", "--buckets", "1000", "--dim", "8", "--epochs", "10", "--threads", "2", "--seed", "1"];

/// Texts of words the corpus never has: queries about something else entirely.
fn out_of_scope(n: usize) -> String {
    let other = ["weather", "tomorrow", "flight", "paris", "bank", "balance", "recipe", "pasta"];
    (0..n).map(|i| format!("oos\t{} {} {}\n", other[i % 8], other[(i * 3 + 1) % 8], other[(i * 5 + 2) % 8])).collect()
}

fn trained() -> Case {
    let c = Case::new();
    c.write("train.tsv", corpus(400).as_bytes());
    c.write("oos.tsv", out_of_scope(40).as_bytes());
    let mut args = vec!["train", "--data", "train.tsv", "--out", "run", "--validation-split", "0"];
    args.extend(LINEAR);
    assert_ok(&c.run(&args));
    c
}

fn json_of(o: &std::process::Output) -> Value {
    assert_ok(o);
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn in_scope_accuracy_and_out_of_scope_recall_side_by_side() {
    let c = trained();
    let test = |more: &[&str]| {
        let mut args = vec!["test", "--model", "run", "--data", "train.tsv", "--oos", "oos.tsv", "--json"];
        args.extend(more);
        json_of(&c.run(&args))
    };
    // no threshold: nothing rejected, in-scope accuracy is the accuracy
    let none = test(&[]);
    assert_eq!(none["out_of_scope"]["oos_recall"], 0.0, "{none}");
    assert_eq!(none["out_of_scope"]["in_scope_accuracy"], none["accuracy"], "{none}");
    // the tuned threshold rejects the filler texts and keeps the confident in-scope ones
    let tuned = test(&["--reject-tune"]);
    let o = &tuned["out_of_scope"];
    let p = o["reject_below"].as_f64().unwrap();
    assert!(p > 0.5 && p <= 1.0, "{o}");
    assert!(o["oos_recall"].as_f64().unwrap() > 0.9, "{o}");
    assert!(o["in_scope_accuracy"].as_f64().unwrap() > 0.9, "{o}");
    // the same threshold given by hand scores the same
    let given = test(&["--reject-below", &p.to_string()]);
    assert_eq!(given["out_of_scope"], tuned["out_of_scope"]);
    // a threshold above every probability rejects everything
    let all = test(&["--reject-below", "1"]);
    assert_eq!(all["out_of_scope"]["in_scope_accuracy"], 0.0, "{all}");
    assert_eq!(all["out_of_scope"]["oos_recall"], 1.0, "{all}");
}

#[test]
fn predict_answers_none_of_the_known_labels_below_the_threshold() {
    let c = trained();
    c.write("ask.txt", b"the movie was superb\nweather in paris tomorrow\n");
    let o = c.run(&["predict", "--model", "run", "ask.txt", "--reject-below", "0.9"]);
    assert_ok(&o);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("1\t"), "{out}");
    assert!(lines[1].starts_with("__none__\t"), "{out}");
    let o = c.run(&["predict", "--model", "run", "ask.txt", "--reject-below", "0.9", "--json"]);
    let second: Value = serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().nth(1).unwrap()).unwrap();
    assert_eq!(second["label"], "__none__");
}

#[test]
fn a_threshold_that_is_not_a_probability_is_one_error_line() {
    let c = trained();
    c.write("ask.txt", b"the movie was superb\n");
    let o = c.run(&["predict", "--model", "run", "ask.txt", "--reject-below", "1.5"]);
    assert_user_error(&o, &["--reject-below 1.5"]);
    let o = c.run(&["test", "--model", "run", "--data", "train.tsv", "--reject-below=-0.1"]);
    assert_user_error(&o, &["--reject-below -0.1"]);
}
