//! Labels written as paths in a tree (issue 15 point 3): `train --label-path-sep` stores the
//! tree and its decoding in config.json (network and linear folders alike), `train` and `test`
//! score flat and top-down decoding side by side per level and hierarchically, and a label path
//! that disagrees with `--taxonomy` (deeper, unknown) or with the other labels is one `error:`
//! line naming the data file's line, exit code 2.

mod common;

use common::{assert_ok, assert_user_error, stderr, Case, SMALL};
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
            format!("{label}\t{} {words}\n", extra.join(" "))
        })
        .collect()
}

const TAXONOMY: &str = "animal\tanimal/cat\nanimal\tanimal/dog\nplant\tplant/oak\nplant\tplant/rose\n";

const LINEAR: &[&str] =
    &["--model", "linear", "--buckets", "1000", "--dim", "8", "--epochs", "10", "--threads", "2", "--seed", "1"];

fn json_of(o: &std::process::Output) -> Value {
    assert_ok(o);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

fn check_scores(h: &Value) {
    for decoding in ["flat", "top_down"] {
        let s = &h[decoding];
        assert_eq!(s["level_accuracy"].as_array().map(Vec::len), Some(2), "{h}");
        let top = s["level_accuracy"][0].as_f64().unwrap();
        let leaf = s["level_accuracy"][1].as_f64().unwrap();
        assert!(top >= leaf, "a right leaf has a right parent: {h}");
        assert!(leaf > 0.9, "a learnable tree is learned: {h}");
        let hf1 = s["h_f1"].as_f64().unwrap();
        assert!((hf1 - (top + leaf) / 2.0).abs() < 1e-9, "leaves of one depth: hF1 is the mean level accuracy: {h}");
    }
    assert!(h["top_down_vs_flat"]["p_value"].as_f64().is_some(), "{h}");
}

#[test]
fn a_linear_tree_model_stores_its_tree_and_scores_both_decodings() {
    let c = Case::new();
    c.write("train.tsv", tree_corpus(400).as_bytes());
    c.write("taxonomy.tsv", TAXONOMY.as_bytes());
    let mut args =
        vec!["train", "--data", "train.tsv", "--out", "run", "--label-path-sep", "/", "--taxonomy", "taxonomy.tsv"];
    args.extend(["--hierarchy", "top-down", "--validation-split", "0.2"]);
    args.extend(LINEAR);
    assert_ok(&c.run(&args));
    let config: Value = serde_json::from_str(&c.read("run/model/config.json")).unwrap();
    assert_eq!(
        config["label_structure"],
        serde_json::json!({"kind": "tree", "separator": "/", "decoding": "top-down"})
    );
    let metrics: Value = serde_json::from_str(&c.read("run/metrics.json")).unwrap();
    check_scores(&metrics["hierarchy"]);

    let r = json_of(&c.run(&["test", "--model", "run", "--data", "train.tsv", "--json"]));
    check_scores(&r["hierarchy"]);
    // the model's accuracy is its stored (top-down) decoding's
    assert_eq!(r["accuracy"], r["hierarchy"]["top_down"]["level_accuracy"][1], "{r}");
    let text = String::from_utf8_lossy(&c.run(&["test", "--model", "run", "--data", "train.tsv"]).stdout).into_owned();
    assert!(text.contains("top-down vs flat"), "{text}");
}

#[test]
fn a_network_tree_model_stores_its_tree_and_a_single_label_one_does_not() {
    let c = Case::new();
    c.write("train.tsv", tree_corpus(300).as_bytes());
    let mut args =
        vec!["train", "--data", "train.tsv", "--out", "run", "--label-path-sep", "--epochs", "8", "--seed", "2"];
    args.extend(SMALL);
    assert_ok(&c.run(&args));
    let config: Value = serde_json::from_str(&c.read("run/model/config.json")).unwrap();
    // `/` when the flag has no value; flat unless --hierarchy says otherwise
    assert_eq!(config["label_structure"], serde_json::json!({"kind": "tree", "separator": "/", "decoding": "flat"}));
    let r = json_of(&c.run(&["test", "--model", "run", "--data", "train.tsv", "--json"]));
    assert_eq!(r["hierarchy"]["flat"]["level_accuracy"].as_array().map(Vec::len), Some(2), "{r}");

    // without the flag the same labels are flat leaves, and test reports no tree
    let mut args = vec!["train", "--data", "train.tsv", "--out", "flat", "--epochs", "1"];
    args.extend(SMALL);
    assert_ok(&c.run(&args));
    let r = json_of(&c.run(&["test", "--model", "flat", "--data", "train.tsv", "--json"]));
    assert!(r.get("hierarchy").is_none(), "{r}");
}

#[test]
fn label_paths_that_disagree_with_the_taxonomy_name_the_data_line() {
    let c = Case::new();
    c.write("taxonomy.tsv", TAXONOMY.as_bytes());
    let train = |data: &str, more: &[&str]| {
        let mut args = vec!["train", "--data", data, "--out", "run", "--label-path-sep", "/"];
        args.extend(more);
        args.extend(LINEAR);
        c.run(&args)
    };
    let mut deep = tree_corpus(8);
    deep.push_str("plant/rose/red\tplant thorn red\n");
    c.write("deep.tsv", deep.as_bytes());
    let o = train("deep.tsv", &["--taxonomy", "taxonomy.tsv"]);
    assert_user_error(&o, &["deep.tsv:9:", "deeper than the taxonomy", "taxonomy.tsv"]);

    let mut unknown = tree_corpus(8);
    unknown.push_str("plant/tulip\tplant petal\n");
    c.write("unknown.tsv", unknown.as_bytes());
    assert_user_error(
        &train("unknown.tsv", &["--taxonomy", "taxonomy.tsv"]),
        &["unknown.tsv:9:", "not in the taxonomy"],
    );

    // without a taxonomy, every label must have the first one's depth
    assert_user_error(&train("deep.tsv", &[]), &["deep.tsv:9:", "3 levels"]);

    c.write("bad_taxonomy.tsv", b"animal\tanimal/cat\nanimal plant/oak\n");
    c.write("train.tsv", tree_corpus(8).as_bytes());
    assert_user_error(&train("train.tsv", &["--taxonomy", "bad_taxonomy.tsv"]), &["bad_taxonomy.tsv:2:", "tab"]);

    // --taxonomy alone is refused by the parser, before any reading
    let o = c.run(&["train", "--data", "train.tsv", "--out", "run2", "--taxonomy", "taxonomy.tsv"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!c.path("run").exists() && !c.path("run2").exists(), "nothing is written on bad input");
}

#[test]
fn per_level_heads_train_beside_the_leaf_head_and_are_not_saved() {
    let c = Case::new();
    c.write("train.tsv", tree_corpus(300).as_bytes());
    let train = |out: &str, h: &str| {
        let mut args = vec!["train", "--data", "train.tsv", "--out", out, "--label-path-sep", "/", "--hierarchy", h];
        args.extend(["--epochs", "4", "--seed", "2", "--validation-split", "0.2"]);
        args.extend(SMALL);
        assert_ok(&c.run(&args));
    };
    train("flat", "flat");
    train("levels", "per-level");
    let config: Value = serde_json::from_str(&c.read("levels/model/config.json")).unwrap();
    // the leaf head predicts, so the stored decoding is flat
    assert_eq!(config["label_structure"]["decoding"], "flat", "{config}");
    let size = |run: &str| std::fs::metadata(c.path(run).join("model/model.safetensors")).unwrap().len();
    assert_eq!(size("levels"), size("flat"), "the level heads are dropped before saving");
    let weights = |run: &str| std::fs::read(c.path(run).join("model/model.safetensors")).unwrap();
    assert_ne!(weights("levels"), weights("flat"), "the level heads' loss changed what the body learned");
    let metrics: Value = serde_json::from_str(&c.read("levels/metrics.json")).unwrap();
    assert!(metrics["hierarchy"]["flat"]["level_accuracy"][0].as_f64().is_some(), "{metrics}");
}

/// `--model linear --hierarchy per-level`: one softmax head per upper level on the averaged
/// word and n-gram vector, trained with the leaf head; the folder keeps the heads and
/// config.json says so; loaded again, the model tests, predicts and explains with its leaf
/// head, beating chance at the leaf and at the top level, and its weights differ from flat's.
#[test]
fn a_linear_model_trains_per_level_heads_saves_loads_and_predicts() {
    let c = Case::new();
    c.write("train.tsv", tree_corpus(400).as_bytes());
    // texts of the tree's words in new company: each names its top, and its leaf only by a word
    c.write(
        "test.tsv",
        b"animal/cat\tmeow animal near me\nanimal/dog\twoof animal over there\nplant/oak\tacorn plant here\n\
plant/rose\tthorn plant in the garden\nanimal/cat\tanimal meow again\nplant/rose\tplant thorn\n",
    );
    let train = |out: &str, h: &str| {
        let mut args = vec!["train", "--data", "train.tsv", "--out", out, "--label-path-sep", "/", "--hierarchy", h];
        args.extend(["--validation-split", "0.2"]);
        args.extend(LINEAR);
        assert_ok(&c.run(&args));
    };
    train("flat", "flat");
    train("levels", "per-level");
    let config: Value = serde_json::from_str(&c.read("levels/model/config.json")).unwrap();
    assert_eq!(config["level_heads"], serde_json::json!([[0, 0, 1, 1]]), "animal's leaves, then plant's: {config}");
    assert_eq!(config["label_structure"]["decoding"], "flat", "the leaf head predicts: {config}");
    let flat_config: Value = serde_json::from_str(&c.read("flat/model/config.json")).unwrap();
    assert!(flat_config.get("level_heads").is_none(), "{flat_config}");
    let card = c.read("levels/model/README.md");
    assert!(card.contains("- per-level heads: 1 upper level of"), "the model card counts the level heads: {card}");
    assert!(!c.read("flat/model/README.md").contains("per-level heads"));
    let weights = |run: &str| std::fs::read(c.path(run).join("model/model.safetensors")).unwrap();
    assert_ne!(weights("levels"), weights("flat"), "the level head's gradient reached the shared rows");
    let metrics: Value = serde_json::from_str(&c.read("levels/metrics.json")).unwrap();
    let levels = &metrics["hierarchy"]["flat"]["level_accuracy"];
    assert!(levels[0].as_f64().unwrap() > 0.5 && levels[1].as_f64().unwrap() > 0.25, "{metrics}");

    let r = json_of(&c.run(&["test", "--model", "levels", "--data", "test.tsv", "--json"]));
    let levels = &r["hierarchy"]["flat"]["level_accuracy"];
    let (top, leaf) = (levels[0].as_f64().unwrap(), levels[1].as_f64().unwrap());
    assert!(top > 0.5 && leaf > 0.25, "better than chance (0.5 top, 0.25 leaf): {r}");
    c.write("new.txt", b"woof woof animal\nthorn plant\n");
    let o = c.run(&["predict", "--model", "levels", "new.txt"]);
    assert_ok(&o);
    let labels: Vec<String> =
        String::from_utf8_lossy(&o.stdout).lines().map(|l| l.split('\t').next().unwrap().to_string()).collect();
    assert_eq!(labels, ["animal/dog", "plant/rose"]);
    let e: Value = serde_json::from_str(&String::from_utf8_lossy(
        &c.run(&["explain", "--model", "levels", "woof woof animal", "--json"]).stdout,
    ))
    .unwrap();
    assert_eq!(e["label"], "animal/dog", "{e}");
    for t in e["tokens"].as_array().unwrap() {
        assert_eq!(t["occlusion"], t["gradient_x_input"], "one exact number per word: {e}");
    }
}
