//! Multi-label data end to end (issue 15, point 2): every format's way of writing several
//! labels trains a model; its thresholds are in config.json; `test` prints the multi-label
//! figures; `predict` prints every label above its threshold; bad input is one line with a hint.

mod common;

use common::{assert_user_error, stderr, Case};
use serde_json::Value;

const LINEAR: &[&str] =
    &["--model", "linear", "--buckets", "10000", "--dim", "16", "--epochs", "10", "--threads", "2", "--seed", "1"];

/// `n` texts over three topics: each text holds one cue word of every topic it is labelled
/// with (one to three of them) among filler words.
fn topics(n: usize) -> Vec<(Vec<&'static str>, String)> {
    let cues = [
        ("sport", ["goal", "match", "team"]),
        ("money", ["bank", "price", "stock"]),
        ("food", ["bread", "soup", "cheese"]),
    ];
    let filler = ["the", "a", "today", "was", "and", "then", "it", "very"];
    (0..n)
        .map(|i| {
            // 1..=7: every non-empty subset of the three topics
            let set = 1 + i % 7;
            let mut labels = Vec::new();
            let mut words: Vec<&str> = (0..4).map(|k| filler[(i * 5 + k * 3) % filler.len()]).collect();
            for (t, (name, words_of)) in cues.iter().enumerate() {
                if set & (1 << t) != 0 {
                    labels.push(*name);
                    words.insert((i + t) % words.len(), words_of[(i / 7 + t) % 3]);
                }
            }
            (labels, words.join(" "))
        })
        .collect()
}

fn fasttext(n: usize) -> String {
    topics(n)
        .into_iter()
        .map(|(l, t)| format!("{} {t}\n", l.iter().map(|l| format!("__label__{l}")).collect::<Vec<_>>().join(" ")))
        .collect()
}

fn train(c: &Case, data: &str, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["train", "--data", data, "--out", out, "--multi-label"];
    args.extend(LINEAR);
    args.extend(extra);
    c.run(&args)
}

fn ok(o: std::process::Output) -> String {
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn config(c: &Case, run: &str) -> Value {
    serde_json::from_str(&c.read(&format!("{run}/model/config.json"))).unwrap()
}

#[test]
fn every_format_trains_and_learns_the_label_sets() {
    let c = Case::new();
    let data = topics(700);
    c.write("a.txt", fasttext(700).as_bytes());
    let jsonl: String = data.iter().map(|(l, t)| format!("{}\n", serde_json::json!({"text": t, "label": l}))).collect();
    c.write("a.jsonl", jsonl.as_bytes());
    let tsv: String = data.iter().map(|(l, t)| format!("{}\t{t}\n", l.join("|"))).collect();
    c.write("a.tsv", tsv.as_bytes());
    let csv: String = "label,text\n".to_string()
        + &data.iter().map(|(l, t)| format!("\"{}\",{t}\n", l.join(","))).collect::<String>();
    c.write("a.csv", csv.as_bytes());
    let mut tensors = Vec::new();
    for (file, sep) in [("a.txt", None), ("a.jsonl", None), ("a.tsv", Some("|")), ("a.csv", Some(","))] {
        let run = format!("run-{}", &file[2..]);
        let extra: Vec<&str> = sep.map(|s| vec!["--label-sep", s]).unwrap_or_default();
        let out = ok(train(&c, file, &run, &extra));
        assert!(out.contains("micro_f1") && out.contains("hamming_loss"), "{file}: {out}");
        let cfg = config(&c, &run);
        assert_eq!(cfg["label_structure"]["kind"], "multi", "{file}: {cfg}");
        assert_eq!(cfg["model"]["loss"], "one-vs-all", "{file}: {cfg}");
        let t = cfg["label_structure"]["thresholds"].as_array().unwrap();
        assert_eq!(t.len(), 3, "{file}: one threshold per label: {cfg}");
        assert!(t.iter().all(|v| (0.0..=1.0).contains(&v.as_f64().unwrap())), "{cfg}");
        let metrics: Value = serde_json::from_str(&c.read(&format!("{run}/metrics.json"))).unwrap();
        let v = &metrics["validation"];
        assert!(v["micro_f1"].as_f64().unwrap() > 0.9, "{file}: {metrics}");
        for key in [
            "macro_f1",
            "hamming_loss",
            "subset_accuracy",
            "precision_at_1",
            "recall_at_1",
            "precision_at_3",
            "recall_at_3",
        ] {
            assert!(v[key].is_number(), "{file}: {key} missing: {metrics}");
        }
        tensors.push(std::fs::read(c.path(&format!("{run}/model/model.safetensors"))).unwrap());
    }
    // the same texts and label sets, however written, train the same bits
    assert!(tensors.windows(2).all(|w| w[0] == w[1]), "formats differ");
}

#[test]
fn threshold_fixes_every_label_and_test_and_predict_use_it() {
    let c = Case::new();
    c.write("a.txt", fasttext(700).as_bytes());
    ok(train(&c, "a.txt", "run", &["--threshold", "0.3"]));
    let cfg = config(&c, "run");
    assert_eq!(cfg["label_structure"], serde_json::json!({"kind": "multi", "thresholds": [0.3, 0.3, 0.3]}), "{cfg}");

    let r: Value = serde_json::from_str(&ok(c.run(&["test", "--model", "run", "--data", "a.txt", "--json"]))).unwrap();
    assert!(r["micro_f1"].as_f64().unwrap() > 0.9 && r["subset_accuracy"].as_f64().unwrap() > 0.8, "{r}");
    assert_eq!(r["texts"], 700, "{r}");
    let table = ok(c.run(&["test", "--model", "run", "--data", "a.txt"]));
    assert!(table.contains("hamming loss") && table.contains("P@3"), "{table}");

    c.write("in.txt", b"goal bread today\nthe bank was very\n\nstock soup match then\n");
    let out = ok(c.run(&["predict", "--model", "run", "in.txt"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    let labels_of = |line: &str| -> Vec<String> {
        let mut l: Vec<String> = line.split('\t').step_by(2).filter(|s| !s.is_empty()).map(str::to_string).collect();
        l.sort();
        l
    };
    assert_eq!(labels_of(lines[0]), ["food", "sport"], "{out}");
    assert_eq!(labels_of(lines[1]), ["money"], "{out}");
    assert_eq!(lines[2], "", "a blank line gets a blank answer");
    assert_eq!(labels_of(lines[3]), ["food", "money", "sport"], "{out}");
    for pair in lines[0].split('\t').collect::<Vec<_>>().chunks(2) {
        let p: f32 = pair[1].parse().unwrap();
        assert!(p >= 0.3, "every label shown is above its threshold: {out}");
    }
    let json = ok(c.run(&["predict", "--model", "run", "in.txt", "--json"]));
    let first: Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["labels"].as_array().unwrap().len(), 2, "{first}");
    let ft = ok(c.run(&["predict", "--model", "run", "in.txt", "--output-format", "fasttext"]));
    assert_eq!(ft.lines().next().unwrap().matches("__label__").count(), 2, "{ft}");
}

#[test]
fn tuned_thresholds_come_from_the_validation_part() {
    let c = Case::new();
    c.write("a.txt", fasttext(700).as_bytes());
    ok(train(&c, "a.txt", "run", &["--validation-split", "0.2"]));
    let metrics: Value = serde_json::from_str(&c.read("run/metrics.json")).unwrap();
    assert_eq!(metrics["n_val"], 140, "{metrics}");
    assert!(metrics["thresholds"].as_str().unwrap().contains("tuned"), "{metrics}");
    assert_eq!(metrics["threshold_per_label"].as_object().unwrap().len(), 3, "{metrics}");
    // issue 15 point 8: the folder describes itself, multi-label runs included
    let card = c.read("run/model/README.md");
    assert!(card.contains("several labels per text") && card.contains("140 validation texts"), "{card}");
}

#[test]
fn bad_multi_label_input_is_one_line_with_a_hint() {
    let c = Case::new();
    c.write("a.tsv", b"sport|money\tgoal bank\nfood\tbread\nsport||food\tgoal soup\n");
    assert_user_error(&train(&c, "a.tsv", "run", &["--label-sep", "|"]), &["a.tsv:3:", "empty label"]);
    c.write(
        "b.jsonl",
        b"{\"text\": \"goal\", \"label\": [\"sport\"]}\n{\"text\": \"x\", \"label\": [\"food\", \"\"]}\n",
    );
    assert_user_error(&train(&c, "b.jsonl", "run", &[]), &["b.jsonl:2:", "empty label"]);
    // several labels without --multi-label: one line that names the flag
    c.write("c.txt", fasttext(20).as_bytes());
    let o = c.run(&["train", "--data", "c.txt", "--out", "run", "--model", "linear"]);
    assert_user_error(&o, &["c.txt:", "multi-label", "--multi-label"]);
    c.write(
        "d.jsonl",
        b"{\"text\": \"goal\", \"label\": \"sport\"}\n{\"text\": \"x\", \"label\": [\"food\", \"money\"]}\n",
    );
    assert_user_error(
        &c.run(&["train", "--data", "d.jsonl", "--out", "run", "--model", "linear"]),
        &["d.jsonl:2:", "--multi-label"],
    );
    // flags that mean nothing without --multi-label are refused, not ignored
    let o = c.run(&["train", "--data", "c.txt", "--out", "run", "--model", "linear", "--threshold", "0.4"]);
    assert_user_error(&o, &["--threshold", "--multi-label"]);
    assert_user_error(&train(&c, "c.txt", "run", &["--threshold", "1.5"]), &["--threshold 1.5"]);
    assert!(!c.path("run").exists(), "nothing is written for a run that cannot start");
}

#[test]
fn cv_reports_every_figure_per_fold_and_their_mean() {
    let c = Case::new();
    c.write("a.txt", fasttext(600).as_bytes());
    let mut args =
        vec!["cv", "--data", "a.txt", "--folds", "3", "--multi-label", "--validation-split", "0.1", "--json"];
    args.extend(LINEAR);
    let r: Value = serde_json::from_str(&ok(c.run(&args))).unwrap();
    assert_eq!(r["folds"].as_array().unwrap().len(), 3, "{r}");
    assert_eq!(r["folds"].as_array().unwrap().iter().map(|f| f["texts"].as_u64().unwrap()).sum::<u64>(), 600);
    assert!(r["mean_micro_f1"].as_f64().unwrap() > 0.9, "{r}");
    for key in ["macro_f1", "hamming_loss", "subset_accuracy", "precision_at_1", "recall_at_3"] {
        assert!(r[format!("mean_{key}")].is_number() && r[format!("std_{key}")].is_number(), "{key}: {r}");
    }
    let mut args = vec!["cv", "--data", "a.txt", "--folds", "3", "--multi-label"];
    args.extend(LINEAR);
    let text = ok(c.run(&args));
    assert!(text.contains("fold  2/3  micro_f1") && text.contains("mean over 3 folds: micro_f1"), "{text}");
}

/// `train --multi-label --model linear FLAGS` on a two-line multi-label file: one error line
/// holding `says`, exit 2, and no run folder.
fn refused_with(flags: &[&str], says: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.txt");
    std::fs::write(&data, "__label__a/x __label__b/y good film\n__label__a/x bad film\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["train", "--multi-label", "--model", "linear"])
        .args(flags)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(says), "{err}");
    assert!(!dir.path().join("run").exists());
}

#[test]
fn class_weights_and_label_trees_are_refused_with_several_labels_a_text() {
    refused_with(&["--class-weight", "balanced"], "--class-weight weighs one label a text");
    refused_with(&["--label-path-sep", "/"], "label trees are for one label a text");
}
