//! `strata cv --folds-out FILE` (issue 12's benchmarks): the baselines are scored on strata's
//! own folds, so the file must name every example once, with folds that are balanced and
//! stratified, and must be the folds cv really tested on; it never replaces the input.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{assert_user_error, stderr, Case, SMALL};

/// 53 examples (35 of class 0, 18 of class 1) with blank lines among them, so a line number is
/// not an example's index and the folds differ in size.
fn uneven_corpus() -> String {
    let mut s = String::new();
    for i in 0..53 {
        if i % 10 == 4 {
            s.push('\n');
        }
        let (label, word) = if i % 10 < 3 { (1, "great") } else { (0, "awful") };
        s.push_str(&format!("{label}\tthe movie was {word} and the plot {i}\n"));
    }
    s
}

fn cv(c: &Case, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["cv", "--data", "d.tsv", "--folds", "5", "--epochs", "1", "--json"];
    args.extend_from_slice(SMALL);
    args.extend_from_slice(extra);
    c.run(&args)
}

/// The file's rows as (line, fold).
fn rows(text: &str) -> Vec<(usize, usize)> {
    text.lines()
        .map(|l| {
            let (line, fold) = l.split_once('\t').unwrap();
            (line.parse().unwrap(), fold.parse().unwrap())
        })
        .collect()
}

#[test]
fn every_example_once_in_balanced_stratified_folds_that_cv_tested_on() {
    let c = Case::new();
    let data = uneven_corpus();
    c.write("d.tsv", data.as_bytes());
    let o = cv(&c, &["--folds-out", "folds.tsv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = rows(&c.read("folds.tsv"));

    let label_of: BTreeMap<usize, &str> = data
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| (i + 1, l.split('\t').next().unwrap()))
        .collect();
    let lines: Vec<usize> = rows.iter().map(|r| r.0).collect();
    assert_eq!(lines, label_of.keys().copied().collect::<Vec<_>>(), "every example's line once, in file order");

    // Stratified and balanced: within each class, fold sizes differ by at most one.
    for class in ["0", "1"] {
        let mut per_fold = [0usize; 5];
        for &(line, fold) in &rows {
            if label_of[&line] == class {
                per_fold[fold] += 1;
            }
        }
        let (lo, hi) = (per_fold.iter().min().unwrap(), per_fold.iter().max().unwrap());
        assert!(hi - lo <= 1, "class {class}: {per_fold:?}");
    }

    // The folds cv used: fold f of the file (0-based) holds as many examples as the report's
    // fold f + 1 tested, and the rest trained.
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let folds = report["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 5);
    let sizes: Vec<u64> = (0..5).map(|f| rows.iter().filter(|r| r.1 == f).count() as u64).collect();
    let n_test: Vec<u64> = folds.iter().map(|f| f["n_test"].as_u64().unwrap()).collect();
    let n_train: Vec<u64> = folds.iter().map(|f| f["n_train"].as_u64().unwrap()).collect();
    assert_eq!(sizes, n_test);
    assert!(n_train.iter().zip(&n_test).all(|(tr, te)| tr + te == 53), "{n_train:?} {n_test:?}");
    assert!(sizes.iter().collect::<BTreeSet<_>>().len() > 1, "uneven folds make the check bite: {sizes:?}");
}

#[test]
fn folds_follow_the_seed_and_ignore_the_validation_split() {
    let c = Case::new();
    c.write("d.tsv", uneven_corpus().as_bytes());
    for (out, extra) in [
        ("a.tsv", ["--seed", "4", "--validation-split", "0"]),
        ("b.tsv", ["--seed", "4", "--validation-split", "0.2"]),
        ("c.tsv", ["--seed", "5", "--validation-split", "0"]),
    ] {
        let mut args = vec!["--folds-out", out];
        args.extend_from_slice(&extra);
        let o = cv(&c, &args);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(c.read("a.tsv"), c.read("b.tsv"), "held-out validation comes from the training part only");
    assert_ne!(c.read("a.tsv"), c.read("c.tsv"), "the seed deals the folds");
}

#[test]
fn refuses_to_write_over_the_data() {
    let c = Case::new();
    let data = uneven_corpus();
    c.write("d.tsv", data.as_bytes());
    let o = cv(&c, &["--folds-out", "./d.tsv"]);
    assert_user_error(&o, &["d.tsv", "input file"]);
    assert_eq!(c.read("d.tsv"), data);
}
