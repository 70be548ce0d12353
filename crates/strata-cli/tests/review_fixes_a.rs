//! Issue 11 review, part A: `probe`, `experiment`, `cv` and `report` as a user runs them, one
//! test per point the reviewer reproduced (1, 2, 3, 6, 10, 11, 14), each in a fresh temporary
//! folder on a small generated corpus.

use std::process::Output;

mod common;

use common::{assert_user_error, corpus, stderr, Case, SMALL};

/// `strata VERB` on d.tsv with the small model's flags and `more`.
fn run_small(c: &Case, verb: &str, more: &[&str]) -> Output {
    let mut args = vec![verb, "--data", "d.tsv"];
    args.extend(more);
    args.extend(SMALL);
    c.run(&args)
}

#[test]
fn probe_never_writes_over_its_data_nor_over_trains_probes_json() {
    let c = Case::new();
    c.write("d.tsv", corpus(60).as_bytes());
    let o = run_small(&c, "train", &["--out", "r1", "--epochs", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let trains_probes = c.read("r1/probes.json");
    assert!(trains_probes.contains("\"stage\""), "train's form: {trains_probes}");

    let o = c.run(&["probe", "--model", "r1", "--data", "d.tsv", "-o", "d.tsv"]);
    assert_user_error(&o, &["d.tsv: this is the input file"]);
    assert_eq!(c.read("d.tsv"), corpus(60), "the data is untouched");

    let o = c.run(&["probe", "--model", "r1", "--data", "d.tsv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(c.read("r1/probes.json"), trains_probes, "train's probes.json is left alone");
    let probes: serde_json::Value = serde_json::from_str(&c.read("r1/probes-d.json")).unwrap();
    assert!(probes[0]["layer"].is_string(), "{probes}");
}

#[test]
fn experiment_checks_validation_split_and_every_flag_before_claiming_out() {
    let c = Case::new();
    c.write("d.tsv", corpus(40).as_bytes());
    for v in ["1.5", "-0.5", "NaN"] {
        let o = run_small(
            &c,
            "experiment",
            &["--folds", "2", "--epochs", "1", &format!("--validation-split={v}"), "-o", "out"],
        );
        assert_user_error(&o, &["--validation-split must be in [0, 1)"]);
        assert!(!c.path("out").exists(), "--validation-split {v} left a folder behind");
    }
    let o = run_small(&c, "experiment", &["--folds", "2", "--epochs", "1", "--lr=-1", "-o", "out"]);
    assert_user_error(&o, &["--lr must be a positive number"]);
    assert!(!c.path("out").exists(), "a refused --lr left a folder behind");
}

#[test]
fn experiment_makes_cvs_checks_of_early_stopping_and_class_sizes() {
    let c = Case::new();
    c.write("d.tsv", corpus(40).as_bytes());
    let no_val = ["--folds", "2", "--epochs", "1", "--early-stopping", "1", "--validation-split", "0", "-o", "out"];
    assert_user_error(&run_small(&c, "experiment", &no_val), &["there is no validation data"]);
    assert_user_error(&run_small(&c, "cv", &no_val[..8]), &["there is no validation data"]);
    assert!(!c.path("out").exists());

    let mut data = corpus(40);
    data.push_str("2\tan odd one out\n");
    c.write("d.tsv", data.as_bytes());
    let needle = "d.tsv: class '2' has only 1 examples, fewer than --folds 5";
    assert_user_error(&run_small(&c, "experiment", &["--folds", "5", "--epochs", "1", "-o", "out"]), &[needle]);
    assert_user_error(&run_small(&c, "cv", &["--folds", "5", "--epochs", "1"]), &[needle]);
    assert!(!c.path("out").exists());
}

#[test]
fn cv_and_experiment_fail_on_a_diverged_run_naming_it() {
    let c = Case::new();
    c.write("d.tsv", corpus(40).as_bytes());
    let diverge = ["--folds", "2", "--optimizer", "sgd", "--lr", "1e30", "--epochs", "3"];
    let o = run_small(&c, "cv", &diverge);
    // epoch 2: the step that would take the weights past f32's range is refused, not taken
    assert_user_error(&o, &["error: fold 1: the loss became", "at stage 1 epoch 2", "lower --lr"]);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("mean accuracy"));

    let mut args = diverge.to_vec();
    args.extend(["--schedules", "end-to-end", "-o", "out"]);
    let o = run_small(&c, "experiment", &args);
    assert_user_error(&o, &["error: end-to-end, fold 1: the loss became", "lower --lr"]);
    assert!(!c.path("out/results.json").exists(), "no results from a diverged run");
}

#[test]
fn report_replaces_pages_only_in_strata_experiment_folders() {
    let c = Case::new();
    let old = include_str!("../../strata-report/tests/fixtures/results-before-issue-11.json");
    c.write("mine/results.json", old.as_bytes());
    c.write("mine/report.md", b"my own notes\n");
    assert_user_error(&c.run(&["report", "mine"]), &["mine: not a folder `strata experiment` wrote", ".strata"]);
    assert_eq!(c.read("mine/report.md"), "my own notes\n");
    assert!(!c.path("mine/report").exists());

    // results.json alone: rendered, and marked strata's so that the pages may be rendered again
    c.write("run/results.json", old.as_bytes());
    for _ in 0..2 {
        let o = c.run(&["report", "run"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert!(c.read("run/report.md").contains("| end-to-end |"));
    assert!(c.path("run/.strata").is_file());
}

#[test]
fn experiment_refuses_repeats_past_the_limit_at_once() {
    let c = Case::new();
    c.write("d.tsv", corpus(40).as_bytes());
    let o = run_small(&c, "experiment", &["--folds", "2", "--repeats", "100000000", "-o", "out"]);
    assert_user_error(&o, &["--repeats 100000000 is more than strata's limit of 1000"]);
    assert!(!c.path("out").exists());
}

#[test]
fn readme_names_every_field_experiment_json_prints() {
    let c = Case::new();
    c.write("d.tsv", corpus(40).as_bytes());
    let args = ["--folds", "2", "--epochs", "1", "--schedules", "end-to-end", "--json", "-o", "out"];
    let o = run_small(&c, "experiment", &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let readme = include_str!("../../../README.md");
    let row = readme.lines().find(|l| l.starts_with("| `experiment --json` |")).expect("the row");
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let mut fields = keys(&r);
    fields.extend(keys(&r["schedules"][0]));
    fields.extend(keys(&r["config"]));
    for f in fields {
        assert!(
            row.contains(&format!("`{f}`"))
                || row.contains(&format!("{f},"))
                || row.contains(&format!("{f} ("))
                || row.contains(&format!("{f}:"))
                || row.contains(&format!("{f}}}")),
            "README's row lacks {f}"
        );
    }
    let protocol = r["protocol"].as_str().unwrap();
    assert_eq!(protocol, "2-fold cross-validation");
    assert!(row.contains("-fold cross-validation\""), "README's protocol is not what experiment writes: {row}");
}
