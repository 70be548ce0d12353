//! `strata experiment`, `strata cv` and `strata report` as a user runs them (issue 11 points 9,
//! 11 and 14; issue 13's baseline first row), each case in a fresh temporary folder on a small
//! generated corpus.

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
        // the baseline runs its own epochs, under no budget
        let budget = if s["baseline"] == true { serde_json::Value::Null } else { 2.into() };
        assert_eq!(s["budget"], budget, "{}", s["name"]);
    }
    assert_eq!(schedule("linear (baseline)")["baseline"], true);
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
        let known = ["linear (baseline)", "end-to-end", "layerwise", "deep-supervision", "gradual-unfreeze"];
        assert!(known.iter().any(|k| l.starts_with(&format!("{k} · fold "))), "{l}");
        assert!(l.contains(", seed 5 (") || l.contains(", seed 6 ("), "{l}");
    }
    assert!(err.contains("gradual-unfreeze · fold 2, seed 6 (4/4) · Stage 2/2 "), "{err}");
}

fn rows(r: &serde_json::Value) -> &Vec<serde_json::Value> {
    r["schedules"].as_array().unwrap()
}

fn accuracies(row: &serde_json::Value) -> Vec<f64> {
    row["split_accuracy"].as_array().unwrap().iter().map(|a| a.as_f64().unwrap()).collect()
}

/// Issue 13 point 3: every experiment has the linear baseline, on the same folds, as its first
/// row everywhere; `--baseline none` leaves it out.
#[test]
fn experiment_puts_the_linear_baseline_first_on_the_same_folds() {
    let c = Case::new();
    c.write("d.tsv", corpus(120).as_bytes());
    let args = |out: &'static str, baseline: &'static str| {
        let mut a = vec!["experiment", "--data", "d.tsv", "--folds", "2", "--schedules", "end-to-end,layerwise"];
        a.extend(["--epochs", "2", "--seed", "3", "--no-probes", "--json", "--out", out, "--baseline", baseline]);
        a.extend(SMALL);
        a
    };
    let o = c.run(&args("exp", "linear"));
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = rows(&r).iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["linear (baseline)", "end-to-end", "layerwise"]);
    assert!(rows(&r).iter().all(|s| s["probes"].as_array().unwrap().is_empty()), "--no-probes: none");
    let base = &rows(&r)[0];
    assert_eq!(base["baseline"], true);
    assert!(rows(&r)[1..].iter().all(|s| s.get("baseline").is_none()), "only the baseline is marked");
    // a learnable corpus of two balanced classes: chance is 0.5
    assert_eq!(accuracies(base).len(), 2, "one score per fold");
    assert!(base["mean_accuracy"].as_f64().unwrap() > 0.6, "{base}");
    assert!(base["seconds"].as_f64().unwrap() > 0.0, "{base}");
    assert!(base["stages"][0].as_str().unwrap().starts_with("linear: dim 100"), "{base}");
    assert_eq!(base["epochs"], 25, "its own epochs, not the experiment's budget");
    assert_eq!(r["model"], "seed", "the model the report names is the schedules'");
    assert_eq!(r["config"]["epochs"], 2, "the configuration is the schedules'");
    let err = stderr(&o);
    assert!(err.contains("linear (baseline): fold 2 (2/2) test accuracy "), "{err}");

    // report.md: its first row, its time; every other row paired with it
    let md = c.read("exp/report.md");
    let mut table = md.lines().skip_while(|l| !l.starts_with("| schedule |"));
    assert!(table.next().unwrap().contains("| vs linear (baseline) (mean Δ ± std, W/T/L) |"));
    let first = table.nth(1).unwrap();
    assert!(first.starts_with("| linear (baseline) | linear: dim 100"), "{md}");
    assert!(first.ends_with(" s |") && !first.ends_with("| 0 s |"), "its time: {first}");
    // end-to-end − baseline on each fold, by hand
    let (e2e, b) = (accuracies(&rows(&r)[1]), accuracies(base));
    let mean = (e2e[0] - b[0] + e2e[1] - b[1]) / 2.0;
    let wins = (0..2).filter(|&i| e2e[i] - b[i] > 1e-12).count();
    let line = md.lines().find(|l| l.starts_with("| end-to-end |")).unwrap();
    assert!(line.contains(&format!(" | {mean:+.4} ± ")), "mean Δ {mean:+.4} against the baseline: {line}");
    let sentence = md.lines().find(|l| l.starts_with("- end-to-end ")).expect("a sentence for end-to-end");
    let verdict =
        if mean >= 0.02 - 1e-9 { "- end-to-end beats it by " } else { "- end-to-end does not beat it by 2 points" };
    assert!(sentence.starts_with(verdict), "mean Δ {mean}: {sentence}");
    assert!(sentence.contains(&format!("wins/ties/losses {wins}/")), "{sentence}");

    // index.html: the first row of the summary
    let html = c.read("exp/report/index.html");
    let summary = html.split("id=\"summary\"").nth(1).unwrap();
    let (b_at, e_at) = (summary.find("linear (baseline)</td>").unwrap(), summary.find("end-to-end</td>").unwrap());
    assert!(b_at < e_at, "the baseline before end-to-end");
    assert!(html.contains("id=\"against-baseline\""));

    // --baseline none: no such row, and the schedules' scores are the same (the same folds)
    let o = c.run(&args("none", "none"));
    assert!(o.status.success(), "{}", stderr(&o));
    let plain: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = rows(&plain).iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["end-to-end", "layerwise"]);
    assert_eq!(rows(&plain)[0]["split_accuracy"], rows(&r)[1]["split_accuracy"], "the same folds and seed");
    assert!(rows(&plain).iter().all(|s| s.get("baseline").is_none()), "no row marked");
    let md = c.read("none/report.md");
    // only the command line in the configuration says "baseline"
    assert_eq!(md.matches("baseline").count(), 1, "{md}");
    assert!(md.contains("--baseline none"), "{md}");
    assert!(!stderr(&o).contains("linear"), "no baseline trained");
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

/// Issue 13 review: the linear flags configure the baseline (so `--buckets` shrinks it), are
/// refused with `--baseline none`, and `--model linear` is refused as what it is.
#[test]
fn the_linear_flags_configure_the_baseline() {
    let c = Case::new();
    c.write("d.tsv", corpus(80).as_bytes());
    let args = |extra: &[&'static str]| {
        let mut a = vec!["experiment", "--data", "d.tsv", "--folds", "2", "--schedules", "end-to-end"];
        a.extend(["--epochs", "1", "--no-probes", "--json", "--out", "exp"]);
        a.extend(SMALL);
        a.extend_from_slice(extra);
        a
    };
    let o = c.run(&args(&["--model", "kim-cnn", "--buckets", "20000", "--dim", "10", "--word-ngrams", "1"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let base = &rows(&r)[0];
    assert_eq!(base["name"], "linear (baseline)");
    assert!(base["stages"][0].as_str().unwrap().starts_with("linear: dim 10, word n-grams ≤ 1"), "{base}");
    assert_eq!(r["model"], "kim-cnn");

    assert_user_error(
        &c.run(&args(&["--baseline", "none", "--buckets", "20000"])),
        &["--buckets configures the linear baseline; --baseline none has none"],
    );
    assert_user_error(&c.run(&args(&["--word-ngrams", "0"])), &["--word-ngrams must be at least 1"]);
    let o = c.run(&args(&["--model", "linear"]));
    assert_user_error(&o, &["experiment compares a network's schedules", "--model seed, kim-cnn"]);
    assert!(!stderr(&o).contains("--schedule is for"), "{}", stderr(&o));
}
