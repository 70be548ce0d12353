//! Issue 12: schedules that start from pretrained levels. `experiment --init-from DIR` runs
//! every schedule twice on the same folds — from scratch and pretrained — and pairs them, with
//! each level probed before fine-tuning beside after; `--schedule ulmfit` without a folder that
//! holds a language model is one error line, exit 2, before any folder is claimed. The linear
//! baseline (issue 13) stays the first row, from scratch.

mod common;

use common::{assert_user_error, corpus, stderr, Case, SMALL};
use serde_json::Value;

fn args<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    head.iter().chain(SMALL).chain(tail).copied().collect()
}

fn json(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn rows(r: &Value) -> &Vec<Value> {
    r["schedules"].as_array().unwrap()
}

fn row<'a>(r: &'a Value, name: &str) -> &'a Value {
    rows(r).iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("no row {name}"))
}

/// Every level's probe accuracy on every fold.
fn probe_values(v: &Value) -> Vec<f64> {
    let levels = v.as_array().unwrap().iter();
    levels.flat_map(|p| p["per_split"].as_array().unwrap().iter().map(|a| a.as_f64().unwrap())).collect()
}

#[test]
fn init_from_pairs_every_schedule_from_scratch_and_pretrained_on_the_same_folds() {
    let c = Case::new();
    c.write("pre.tsv", corpus(80).as_bytes());
    c.write("d.tsv", corpus(200).as_bytes());
    let o = c.run(&args(&["train", "--data", "pre.tsv", "--out", "PRE", "--epochs", "1"], &["--seed", "1"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let common = [
        "--folds",
        "2",
        "--schedules",
        "end-to-end,layerwise",
        "--epochs",
        "4",
        "--validation-split",
        "0.3",
        "--seed",
        "5",
    ];
    let common = [&common[..], &["--json"]].concat();
    let plain = json(&c.run(&args(&["experiment", "--data", "d.tsv", "--out", "plain"], &common)));
    let paired = json(&c.run(&args(&["experiment", "--data", "d.tsv", "--out", "exp", "--init-from", "PRE"], &common)));

    let names: Vec<&str> = rows(&paired).iter().map(|s| s["name"].as_str().unwrap()).collect();
    // issue 13: the linear baseline still comes first, on the same folds as the plain run's
    let want = ["linear (baseline)", "end-to-end", "end-to-end (pretrained)", "layerwise", "layerwise (pretrained)"];
    assert_eq!(names, want);
    let base = row(&paired, "linear (baseline)");
    assert_eq!((base["baseline"].as_bool(), base["pretrained"].as_bool()), (Some(true), Some(false)));
    assert_eq!(base["split_accuracy"], row(&plain, "linear (baseline)")["split_accuracy"], "not pretrained");
    assert_eq!(paired["init_from"], "PRE");
    assert_eq!(paired["split_names"], plain["split_names"]);
    for name in ["end-to-end", "layerwise"] {
        let (scratch, pre) = (row(&paired, name), row(&paired, &format!("{name} (pretrained)")));
        // the same folds and seed: the row from scratch is the plain experiment's, bit for bit
        assert_eq!(scratch["split_accuracy"], row(&plain, name)["split_accuracy"], "{name}");
        assert_eq!((scratch["pretrained"].as_bool(), &scratch["scratch"]), (Some(false), &Value::Null));
        assert_eq!((pre["pretrained"].as_bool(), pre["scratch"].as_str()), (Some(true), Some(name)));
        assert_eq!(pre["split_accuracy"].as_array().unwrap().len(), 2);
        // probes: every level as loaded, before fine-tuning, beside after
        assert!(scratch["probes_before"].as_array().unwrap().is_empty());
        let (before, after) = (&pre["probes_before"], &pre["probes"]);
        let layers = |v: &Value| v.as_array().unwrap().iter().map(|p| p["layer"].clone()).collect::<Vec<_>>();
        assert_eq!(layers(before), ["embedding", "lstm_0"]);
        assert_eq!(layers(before), layers(after));
        assert_eq!(before[0]["per_split"].as_array().unwrap().len(), 2, "one probe per fold");
        assert_ne!(probe_values(before), probe_values(after), "{name}: fine-tuning changed no probe");
    }
    let err = stderr(&c.run(&args(&["experiment", "--data", "d.tsv", "--out", "e2", "--init-from", "PRE"], &common)));
    assert!(err.contains("Init from PRE: loaded embedding, lstm_0; fresh: head"), "{err}");

    let md = c.read("exp/report.md");
    assert!(md.contains("## Pretrained against from scratch\n\nLevels from `PRE`"), "{md}");
    for name in ["end-to-end", "layerwise"] {
        let line = md.lines().find(|l| l.starts_with(&format!("| {name} (pretrained) | {name}: "))).unwrap();
        assert!(line.ends_with(" |") && line.matches('/').count() >= 2, "W/T/L: {line}");
    }
    assert!(md.contains("## Probes before and after fine-tuning"), "{md}");
    let html = c.read("exp/report/index.html");
    assert!(html.contains("id=\"pretrained-table\"") && html.contains("id=\"probes-before-after-table\""));
    // re-rendered from results.json alone
    let o = c.run(&["report", "exp"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(c.read("exp/report.md"), md);
}

#[test]
fn ulmfit_without_a_folder_holding_a_language_model_is_one_error_line() {
    let c = Case::new();
    c.write("d.tsv", corpus(60).as_bytes());
    // no --init-from at all
    let o =
        c.run(&args(&["experiment", "--data", "d.tsv", "--folds", "2", "--schedules", "ulmfit", "--out", "e"], &[]));
    assert_user_error(&o, &["schedule ulmfit fine-tunes a pretrained language model", "--init-from"]);
    assert!(!c.path("e").exists(), "a refused run claims no folder");
    let o = c.run(&args(&["cv", "--data", "d.tsv", "--folds", "2", "--schedule", "ulmfit"], &[]));
    assert_user_error(&o, &["schedule ulmfit"]);
    // a classifier's folder: it has the levels but no language model's decoder
    let o = c.run(&args(&["train", "--data", "d.tsv", "--out", "M", "--epochs", "1"], &[]));
    assert!(o.status.success(), "{}", stderr(&o));
    for cmd in [
        vec!["train", "--data", "d.tsv", "--out", "r", "--schedule", "ulmfit", "--init-from", "M"],
        vec![
            "experiment",
            "--data",
            "d.tsv",
            "--folds",
            "2",
            "--schedules",
            "layerwise,ulmfit",
            "--out",
            "e",
            "--init-from",
            "M",
        ],
    ] {
        let o = c.run(&args(&cmd, &[]));
        assert_user_error(&o, &["M", "holds no language model", "a folder without the level ulmfit needs"]);
        assert!(!c.path("r").exists() && !c.path("e").exists(), "a refused run claims no folder");
    }
}

#[test]
fn a_folder_that_does_not_fit_is_refused_before_any_schedule_trains() {
    let c = Case::new();
    c.write("d.tsv", corpus(120).as_bytes());
    let o = c.run(&args(&["train", "--data", "d.tsv", "--out", "PRE", "--epochs", "1"], &[]));
    assert!(o.status.success(), "{}", stderr(&o));
    // PRE is 8 wide (SMALL's --units and --embedding-dim); this experiment asks for 16
    let mut wider: Vec<&str> =
        vec!["experiment", "--data", "d.tsv", "--out", "exp", "--folds", "2", "--init-from", "PRE"];
    wider.extend(SMALL.iter().map(|&f| if f == "8" { "16" } else { f }));
    let o = c.run(&wider);
    assert_user_error(&o, &["PRE", "embedding.weight", "--units"]);
    assert!(!stderr(&o).contains("Epoch"), "a fold trained before the refusal: {}", stderr(&o));
}
