//! `experiment --label-path-sep [--hierarchies …]` (issue 15 point 3): every model of the
//! experiment, the linear baseline included, is scored flat, per-level and top-down on the same
//! folds and seed, with per-level accuracy, leaf F1, hierarchical P/R/F1 and each row's paired
//! difference against flat, in results.json, report.md and the HTML page.

mod common;

use common::{assert_user_error, stderr, Case, SMALL};
use serde_json::Value;

/// Four leaves under two tops; each leaf has its own word, each top a word of its own too.
fn tree_corpus(n: usize) -> String {
    let leaves = [
        ("animal/cat", "animal meow"),
        ("animal/dog", "animal woof"),
        ("plant/oak", "plant acorn"),
        ("plant/rose", "plant thorn"),
    ];
    let filler = ["the", "a", "one", "saw", "near", "today", "big", "small"];
    (0..n)
        .map(|i| {
            let (label, words) = leaves[i % 4];
            let extra: Vec<&str> = (0..(2 + i % 4)).map(|k| filler[(i * 5 + k * 3) % filler.len()]).collect();
            // every seventh text loses its leaf word: the leaf is then a guess, its top is not
            let words = if i % 7 == 0 { words.split(' ').next().unwrap() } else { words };
            format!("{label}\t{} {words}\n", extra.join(" "))
        })
        .collect()
}

fn experiment(c: &Case, out: &str, more: &[&str]) -> std::process::Output {
    let mut a = vec!["experiment", "--data", "d.tsv", "--folds", "2", "--schedules", "end-to-end"];
    a.extend(["--epochs", "3", "--seed", "3", "--no-probes", "--json", "--out", out]);
    a.extend(more);
    a.extend(SMALL);
    c.run(&a)
}

fn json_of(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn every_model_is_scored_three_ways_on_the_same_folds_and_paired_with_flat() {
    let c = Case::new();
    c.write("d.tsv", tree_corpus(160).as_bytes());
    let r = json_of(&experiment(&c, "exp", &["--label-path-sep", "/"]));
    let schedules: Vec<&str> = r["schedules"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        schedules,
        ["linear (baseline)", "linear (baseline) · per-level", "end-to-end", "end-to-end · per-level"],
        "per-level is a twin schedule, the linear model's too"
    );
    let h = &r["hierarchy"];
    assert_eq!(h["depth"], 2);
    assert_eq!(h["test_texts"], 160, "both folds' test parts");
    let rows = h["rows"].as_array().unwrap();
    let ways: Vec<(&str, &str)> =
        rows.iter().map(|w| (w["model"].as_str().unwrap(), w["hierarchy"].as_str().unwrap())).collect();
    assert_eq!(
        ways,
        [
            ("linear (baseline)", "flat"),
            ("linear (baseline)", "per-level"),
            ("linear (baseline)", "top-down"),
            ("end-to-end", "flat"),
            ("end-to-end", "per-level"),
            ("end-to-end", "top-down")
        ]
    );
    // the linear model has its per-level way: heads on its averaged word and n-gram vector
    assert!(h["refused"].as_array().unwrap().is_empty(), "{h}");
    for (i, w) in rows.iter().enumerate() {
        let levels = w["level_accuracy"].as_array().unwrap();
        assert_eq!(levels.len(), 2, "{w}");
        let (top, leaf) = (f(&levels[0]), f(&levels[1]));
        assert!(top >= leaf, "a right leaf has a right parent: {w}");
        assert!((f(&w["h_f1"]) - (top + leaf) / 2.0).abs() < 1e-9, "one depth: hF1 is the mean level accuracy: {w}");
        assert!((f(&w["leaf_micro_f1"]) - leaf).abs() < 1e-9, "single-label micro F1 is accuracy: {w}");
        // every row is paired with its model's flat row on the same texts
        let flat = rows.iter().find(|x| x["model"] == w["model"] && x["hierarchy"] == "flat").unwrap();
        if w["hierarchy"] == "flat" {
            assert!(w["vs_flat"].is_null(), "{w}");
            // flat is the argmax the experiment's accuracy column scores: two equal folds, so
            // the pooled accuracy is the mean over folds
            let schedule = &r["schedules"].as_array().unwrap().iter().find(|s| s["name"] == w["model"]).unwrap();
            assert!((leaf - f(&schedule["mean_accuracy"])).abs() < 1e-9, "row {i}: {w} vs {schedule}");
        } else {
            let v = &w["vs_flat"];
            let flat_leaf = f(&flat["level_accuracy"][1]);
            assert!((f(&v["difference"]) - (leaf - flat_leaf)).abs() < 1e-9, "{w}");
            let (a, b) = (v["only_flat"].as_u64().unwrap() as f64, v["only_this"].as_u64().unwrap() as f64);
            assert!(((b - a) / 160.0 - f(&v["difference"])).abs() < 1e-9, "{w}");
            assert!((0.0..=1.0).contains(&f(&v["p_value"])), "{w}");
        }
    }
    // each per-level row is its twin schedule's own accuracy
    for (row, twin) in [(1, 1), (4, 3)] {
        let twin = &r["schedules"][twin];
        assert!((f(&rows[row]["level_accuracy"][1]) - f(&twin["mean_accuracy"])).abs() < 1e-9, "{twin}");
    }
    // the learnable tree is learned by the baseline, flat and per-level
    assert!(f(&rows[0]["level_accuracy"][0]) > 0.9, "{}", rows[0]);
    assert!(f(&rows[1]["level_accuracy"][0]) > 0.9, "{}", rows[1]);

    let md = c.read("exp/report.md");
    let section = md.split("## Label hierarchy: flat, per-level, top-down").nth(1).expect("the section in report.md");
    assert!(section.contains("| model | hierarchy | acc_l1 | acc_leaf | leaf micro F1 |"), "{section}");
    assert!(section.contains("| end-to-end | per-level |"), "{section}");
    assert!(section.contains("| linear (baseline) | per-level |"), "{section}");
    assert!(!section.contains("Not run"), "{section}");
    let html = c.read("exp/report/index.html");
    assert!(html.contains("id=\"hierarchy-table\""), "the section in the HTML page");
    assert_eq!(html.matches("<td>top-down</td>").count(), 2, "one top-down row per model");
}

#[test]
fn only_the_ways_named_run_and_without_paths_there_is_no_table() {
    let c = Case::new();
    c.write("d.tsv", tree_corpus(120).as_bytes());
    let r =
        json_of(&experiment(&c, "td", &["--label-path-sep", "/", "--hierarchies", "top-down", "--baseline", "none"]));
    assert_eq!(r["schedules"].as_array().unwrap().len(), 1, "no per-level twin is trained");
    let ways: Vec<&str> =
        r["hierarchy"]["rows"].as_array().unwrap().iter().map(|w| w["hierarchy"].as_str().unwrap()).collect();
    assert_eq!(ways, ["flat", "top-down"], "flat is always there: every row is paired with it");
    assert!(r["hierarchy"]["refused"].as_array().unwrap().is_empty());

    let plain = json_of(&experiment(&c, "plain", &["--baseline", "none"]));
    assert!(plain.get("hierarchy").is_none(), "{plain}");
    assert_eq!(plain["schedules"][0]["split_accuracy"], r["schedules"][0]["split_accuracy"], "the same folds and seed");
    assert!(!c.read("plain/report.md").contains("Label hierarchy"));

    // --hierarchies needs label paths; labels that are not paths of one depth are refused
    let o = experiment(&c, "x", &["--hierarchies", "flat"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let mut bad = tree_corpus(40);
    bad.push_str("plant\tplant acorn\nplant\tplant thorn\n");
    c.write("bad.tsv", bad.as_bytes());
    let mut a = vec!["experiment", "--data", "bad.tsv", "--folds", "2", "--out", "bad", "--label-path-sep", "/"];
    a.extend(SMALL);
    assert_user_error(&c.run(&a), &["bad.tsv:41:"]);
    assert!(!c.path("x").exists() && !c.path("bad").exists(), "nothing is written on bad input");
}
