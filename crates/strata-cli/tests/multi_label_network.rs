//! Multi-label networks end to end (issue 15, point 2): `train --multi-label` with the seed
//! model on texts that carry two labels each learns the pairs far better than chance; the
//! folder says `multi_label` and holds one threshold per label; `test` scores it and `predict`
//! prints every label above its threshold; what a network's multi-label training does not
//! build is refused in one line.

mod common;

use common::{assert_user_error, stderr, Case};
use serde_json::Value;

const TOPICS: [(&str, [&str; 3]); 4] = [
    ("sport", ["goal", "match", "team"]),
    ("money", ["bank", "price", "stock"]),
    ("food", ["bread", "soup", "cheese"]),
    ("travel", ["train", "hotel", "beach"]),
];

/// `n` fastText lines, each text labelled with two of the four topics (the six pairs in turn)
/// and holding one cue word of each among filler words; `offset` varies the words.
fn pairs(n: usize, offset: usize) -> String {
    let pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)];
    let filler = ["the", "a", "today", "was", "and", "then", "it", "very", "so", "we"];
    (0..n)
        .map(|j| {
            let i = j + offset;
            let (a, b) = pairs[i % 6];
            let mut words: Vec<&str> = (0..5).map(|k| filler[(i * 7 + k * 3) % filler.len()]).collect();
            words.insert(i % 5, TOPICS[a].1[(i / 6) % 3]);
            words.insert((i / 3) % 6, TOPICS[b].1[(i / 18) % 3]);
            format!("__label__{} __label__{} {}\n", TOPICS[a].0, TOPICS[b].0, words.join(" "))
        })
        .collect()
}

fn ok(o: std::process::Output) -> String {
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const SEED: &[&str] = &[
    "--multi-label",
    "--model",
    "seed",
    "--maxlen",
    "20",
    "--epochs",
    "2",
    "--batch-size",
    "8",
    "--lr",
    "0.01",
    "--threads",
    "2",
    "--seed",
    "1",
];

/// Chance for a text's label set: the best constant answer (any one pair) is right on one
/// text in six; predicting every label gives micro F1 2/3.
#[test]
fn the_seed_model_learns_label_pairs_and_predict_prints_both() {
    let c = Case::new();
    c.write("train.txt", pairs(480, 0).as_bytes());
    c.write("test.txt", pairs(120, 1000).as_bytes());
    let mut args = vec!["train", "--data", "train.txt", "--out", "run", "--validation-split", "0.2"];
    args.extend(SEED);
    let out = ok(c.run(&args));
    assert!(out.contains("micro_f1"), "{out}");
    let cfg: Value = serde_json::from_str(&c.read("run/model/config.json")).unwrap();
    assert_eq!(cfg["model"]["multi_label"], true, "{cfg}");
    assert_eq!(cfg["model"]["architecture"], "seed", "{cfg}");
    assert_eq!(cfg["label_structure"]["kind"], "multi", "{cfg}");
    assert_eq!(cfg["label_structure"]["thresholds"].as_array().unwrap().len(), 4, "{cfg}");
    let metrics: Value = serde_json::from_str(&c.read("run/metrics.json")).unwrap();
    assert!(metrics["thresholds"].as_str().unwrap().contains("tuned"), "{metrics}");

    let r: Value =
        serde_json::from_str(&ok(c.run(&["test", "--model", "run", "--data", "test.txt", "--json"]))).unwrap();
    let (subset, micro) = (r["subset_accuracy"].as_f64().unwrap(), r["micro_f1"].as_f64().unwrap());
    assert!(subset > 0.5, "subset accuracy {subset} is not far above chance (1/6): {r}");
    assert!(micro > 0.8, "micro F1 {micro} is not far above predicting every label (2/3): {r}");

    c.write("in.txt", b"we scored a goal then ate bread\nthe hotel bank was very so\n");
    let out = ok(c.run(&["predict", "--model", "run", "in.txt"]));
    let sets: Vec<Vec<&str>> = out
        .lines()
        .map(|line| {
            let mut l: Vec<&str> = line.split('\t').step_by(2).filter(|s| !s.is_empty()).collect();
            l.sort();
            l
        })
        .collect();
    assert_eq!(sets, [vec!["food", "sport"], vec!["money", "travel"]], "{out}");

    // continuing a network multi-label from a folder is not built: refused, nothing written
    let mut args = vec!["train", "--data", "train.txt", "--out", "again", "--init-from", "run"];
    args.extend(SEED);
    assert_user_error(&c.run(&args), &["--multi-label", "--init-from"]);
    assert!(!c.path("again").exists(), "nothing is written for a run that cannot start");
}

/// kim-cnn trains multi-label too, and `cv --multi-label` runs a network fold by fold.
#[test]
fn kim_cnn_trains_multi_label_and_cv_runs_a_network() {
    let c = Case::new();
    c.write("a.txt", pairs(240, 0).as_bytes());
    let mut args = vec!["train", "--data", "a.txt", "--out", "run", "--model", "kim-cnn", "--units", "8"];
    args.extend(["--multi-label", "--maxlen", "20", "--epochs", "1", "--threads", "2", "--seed", "1"]);
    ok(c.run(&args));
    let cfg: Value = serde_json::from_str(&c.read("run/model/config.json")).unwrap();
    assert_eq!(
        (cfg["model"]["multi_label"].clone(), cfg["label_structure"]["kind"].clone()),
        (true.into(), "multi".into())
    );
    let mut args = vec!["cv", "--data", "a.txt", "--folds", "2", "--validation-split", "0.2", "--json"];
    args.extend(SEED);
    let r: Value = serde_json::from_str(&ok(c.run(&args))).unwrap();
    assert_eq!(r["folds"].as_array().unwrap().len(), 2, "{r}");
    assert!(r["mean_micro_f1"].is_number(), "{r}");
}

/// What a network's multi-label training does not build is one line with a hint, and no run
/// folder.
#[test]
fn what_multi_label_networks_do_not_build_is_refused() {
    let c = Case::new();
    c.write("a.txt", pairs(30, 0).as_bytes());
    let refused = |extra: &[&str], says: &[&str]| {
        let mut args = vec!["train", "--data", "a.txt", "--out", "run", "--multi-label", "--model", "seed"];
        args.extend(extra);
        assert_user_error(&c.run(&args), says);
        assert!(!c.path("run").exists(), "nothing is written for a run that cannot start");
    };
    refused(&["--class-weight", "balanced"], &["--class-weight"]);
    refused(&["--hierarchy", "per-level", "--label-path-sep", "/"], &["label trees"]);
}
