//! `strata experiment`, `strata cv` and `strata report` as a user runs them (issue 11 points 9,
//! 11 and 14), each case in a fresh temporary folder on a small generated corpus.

mod common;

use common::{assert_user_error, corpus, stderr, Case, SMALL};

#[test]
fn experiment_repeats_every_schedule_under_seeds_and_pairs_every_split_and_seed() {
    let c = Case::new();
    c.write("d.tsv", corpus(80).as_bytes());
    let mut args =
        vec!["experiment", "--data", "d.tsv", "--folds", "2", "--repeats", "2", "--seed", "5", "--out", "exp"];
    args.extend(["--model", "seed-stacked", "--epochs", "2", "--finetune-epochs", "1", "--json"]);
    args.extend(SMALL);
    let o = c.run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["seeds"], serde_json::json!([5, 6]));
    assert_eq!(
        r["split_names"],
        serde_json::json!(["fold 1, seed 5", "fold 2, seed 5", "fold 1, seed 6", "fold 2, seed 6"])
    );
    let schedule = |name: &str| r["schedules"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap().clone();
    for s in r["schedules"].as_array().unwrap() {
        assert_eq!(s["split_accuracy"].as_array().unwrap().len(), 4, "every split under every seed");
        assert_eq!(s["budget"], 2);
    }
    // point 9: gradual-unfreeze (4 groups) ran 4 epochs against a budget of 2
    assert_eq!(schedule("gradual-unfreeze")["epochs"], 2);
    assert!(schedule("gradual-unfreeze")["budget_note"].is_null());
    // layerwise's 3 stages cannot fit 2 epochs: the report says so in its row
    assert_eq!(schedule("layerwise")["epochs"], 3);
    assert_eq!(schedule("layerwise")["budget_note"], "its 3 stages need at least one epoch each");
    let html = std::fs::read_to_string(c.path("exp/report/index.html")).unwrap();
    assert!(html.contains("ran 3 epochs against a budget of 2"));
    assert!(html.contains("<th>fold 2, seed 6</th>"));

    // the configuration that reproduces it, with the learning rate as the f32 it is
    let config = &r["config"];
    assert_eq!(config["lr"].to_string(), "0.001");
    assert_eq!((config["maxlen"].as_u64(), config["batch_size"].as_u64()), (Some(12), Some(32)));
    assert_eq!(config["examples_per_class"][0], serde_json::json!({"label": "0", "count": 40}));
    assert!(config["command"].as_str().unwrap().starts_with("strata experiment --data d.tsv --folds 2 --repeats 2"));
    assert!(html.contains("<th>learning rate</th><td>0.001</td>"));

    // point 11: every epoch line says which schedule, split and seed it belongs to
    let err = stderr(&o);
    let epoch_lines: Vec<&str> = err.lines().filter(|l| l.contains("Epoch ")).collect();
    assert!(!epoch_lines.is_empty());
    for l in &epoch_lines {
        let known = ["end-to-end", "layerwise", "deep-supervision", "gradual-unfreeze"];
        assert!(known.iter().any(|k| l.starts_with(&format!("{k} · fold "))), "{l}");
        assert!(l.contains(", seed 5 (") || l.contains(", seed 6 ("), "{l}");
    }
    assert!(err.contains("gradual-unfreeze · fold 2, seed 6 (4/4) · Stage 2/2 "), "{err}");
}

#[test]
fn experiment_refuses_zero_repeats() {
    let c = Case::new();
    c.write("d.tsv", corpus(40).as_bytes());
    let o = c.run(&["experiment", "--data", "d.tsv", "--folds", "2", "--repeats", "0", "--out", "exp"]);
    assert_user_error(&o, &["--repeats must be at least 1"]);
}

#[test]
fn cv_epoch_lines_say_their_fold() {
    let c = Case::new();
    c.write("d.tsv", corpus(60).as_bytes());
    let mut args = vec!["cv", "--data", "d.tsv", "--folds", "2", "--epochs", "2"];
    args.extend(SMALL);
    let o = c.run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let epoch_lines: Vec<&str> = err.lines().filter(|l| l.contains("Epoch ")).collect();
    assert_eq!(epoch_lines.len(), 4, "{err}");
    assert!(epoch_lines[..2].iter().all(|l| l.starts_with("Fold 1/2 Epoch ")), "{err}");
    assert!(epoch_lines[2..].iter().all(|l| l.starts_with("Fold 2/2 Epoch ")), "{err}");
}

#[test]
fn report_re_renders_an_experiment_written_before_issue_11() {
    let c = Case::new();
    let old = include_str!("../../strata-report/tests/fixtures/results-before-issue-11.json");
    c.write("run/results.json", old.as_bytes());
    let o = c.run(&["report", "run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(c.path("run/report/index.html")).unwrap();
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 3);
    assert!(html.contains("<th>fold 1</th>"));
    assert!(std::fs::read_to_string(c.path("run/report.md")).unwrap().contains("| end-to-end |"));
    assert_eq!(std::fs::read_to_string(c.path("run/results.json")).unwrap(), old, "results.json is only read");

    assert_user_error(&c.run(&["report", "nowhere"]), &["nowhere/results.json: cannot read"]);
    c.write("bad/results.json", b"{\n  \"data\": 3\n}\n");
    assert_user_error(&c.run(&["report", "bad"]), &["bad/results.json:2: not an experiment's results"]);
}

#[test]
fn experiment_out_is_checked_before_training_and_replaced_only_with_overwrite() {
    // issue 11 points 5 and 21, for `experiment --out` as for `train --out`
    let c = Case::new();
    c.write("d.tsv", corpus(40).as_bytes());
    c.write("mine/notes.txt", b"my own notes\n");
    let args = |out: &'static str| {
        let mut a = vec!["experiment", "--data", "d.tsv", "--folds", "2", "--schedules", "end-to-end", "--out", out];
        a.extend(["--epochs", "1", "--no-probes"]);
        a.extend(SMALL);
        a
    };
    let o = c.run(&args("mine"));
    assert_user_error(&o, &["mine", "not a folder strata wrote"]);
    assert!(!stderr(&o).contains("Epoch "), "refused before training: {}", stderr(&o));
    assert_eq!(std::fs::read(c.path("mine/notes.txt")).unwrap(), b"my own notes\n");

    let o = c.run(&args("exp"));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = c.run(&args("exp"));
    assert_user_error(&o, &["exp", "--overwrite"]);
    let mut again = args("exp");
    again.push("--overwrite");
    let o = c.run(&again);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(c.path("exp/results.json").is_file());
}
