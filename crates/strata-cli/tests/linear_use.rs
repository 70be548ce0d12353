//! A linear model folder (`--model linear`, fastText's supervised model) is used exactly like a
//! network's: `test` scores it (and times its predictions), `predict` answers in every output
//! format, `explain` gives each word's exact contribution (text, JSON and page), `probe` refuses
//! it in one line — and fastText's own `__label__` files train and test it.

mod common;

use common::{assert_user_error, corpus, stderr, Case};
use serde_json::Value;

/// Small enough to train in a blink, big enough to learn `corpus`.
const LINEAR: &[&str] =
    &["--model", "linear", "--buckets", "10000", "--dim", "16", "--epochs", "5", "--threads", "2", "--seed", "1"];

fn train_linear(c: &Case, data: &str, out: &str) {
    let mut args = vec!["train", "--data", data, "--out", out];
    args.extend(LINEAR);
    let o = c.run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
}

fn stdout(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", stderr(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `corpus` as fastText writes it: `__label__neg text` / `__label__pos text`.
fn fasttext_corpus(n: usize) -> String {
    corpus(n)
        .lines()
        .map(|l| {
            let (label, text) = l.split_once('\t').unwrap();
            format!("__label__{} {text}\n", if label == "1" { "pos" } else { "neg" })
        })
        .collect()
}

#[test]
fn a_linear_model_is_tested_and_timed() {
    let c = Case::new();
    c.write("train.tsv", corpus(400).as_bytes());
    train_linear(&c, "train.tsv", "run");
    let config: Value = serde_json::from_str(&c.read("run/model/config.json")).unwrap();
    assert_eq!(config["format"], "strata-linear", "{config}");

    let r: Value =
        serde_json::from_str(&stdout(&c.run(&["test", "--model", "run", "--data", "train.tsv", "--json"]))).unwrap();
    assert!(r["accuracy"].as_f64().unwrap() > 0.9, "a learnable corpus is learned: {r}");
    assert_eq!(r["n"], 400, "{r}");
    let (seconds, rate) = (r["predict_seconds"].as_f64().unwrap(), r["texts_per_second"].as_f64().unwrap());
    assert!(seconds > 0.0 && seconds < 60.0, "{r}");
    // the rate is the texts over the time the predictions took
    assert!((rate * seconds - 400.0).abs() < 1.0, "{r}");

    // a network's test is timed the same way
    let mut args = vec!["train", "--data", "train.tsv", "--out", "net", "--epochs", "1"];
    args.extend(common::SMALL);
    stdout(&c.run(&args));
    for model in ["run", "net"] {
        let human = stdout(&c.run(&["test", "--model", model, "--data", "train.tsv"]));
        assert!(human.contains("accuracy") && human.contains("confusion matrix"), "{human}");
        let timing = human.lines().find(|l| l.starts_with("predicted in ")).unwrap_or_else(|| panic!("{human}"));
        assert!(timing.ends_with(" texts/s)") && timing.contains(" ms ("), "{timing}");
        let r: Value =
            serde_json::from_str(&stdout(&c.run(&["test", "--model", model, "--data", "train.tsv", "--json"])))
                .unwrap();
        assert!(r["texts_per_second"].as_f64().unwrap() > 0.0, "{model}: {r}");
    }
}

#[test]
fn a_linear_model_predicts_in_every_output_format() {
    let c = Case::new();
    c.write("train.tsv", corpus(400).as_bytes());
    train_linear(&c, "train.tsv", "run");
    c.write("new.txt", b"the movie was superb\n\nthe plot was awful\n");
    let tsv = stdout(&c.run(&["predict", "--model", "run", "new.txt"]));
    let lines: Vec<&str> = tsv.lines().collect();
    assert_eq!(lines.len(), 3, "one answer per line, the blank one blank: {tsv}");
    assert!(lines[0].starts_with("1\t") && lines[1].is_empty() && lines[2].starts_with("0\t"), "{tsv}");

    let two = stdout(&c.run(&["predict", "--model", "run", "new.txt", "--top-k", "2", "--output-format", "fasttext"]));
    let first: Vec<&str> = two.lines().next().unwrap().split(' ').collect();
    assert_eq!(first.len(), 4, "two `__label__X p` pairs: {two}");
    assert_eq!(first[0], "__label__1", "{two}");
    let p: Vec<f64> = [first[1], first[3]].iter().map(|s| s.parse().unwrap()).collect();
    assert!(p[0] >= p[1] && (p[0] + p[1] - 1.0).abs() < 1e-3, "a softmax over the two classes: {two}");

    let jsonl = stdout(&c.run(&["predict", "--model", "run", "new.txt", "--json"]));
    let v: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!((v["label"].as_str(), v["text"].as_str()), (Some("1"), Some("the movie was superb")), "{v}");
}

#[test]
fn a_linear_model_explains_each_words_exact_contribution() {
    let c = Case::new();
    c.write("train.tsv", corpus(400).as_bytes());
    train_linear(&c, "train.tsv", "run");
    let text = "the movie was superb";
    let out = stdout(&c.run(&["explain", "--model", "run", text, "--label-names", "1=good"]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("good\t"), "the label by its given name: {out}");
    assert!(lines[1].starts_with("contribution to the logit of good"), "{out}");
    assert!(!out.contains("occlusion"), "a linear model is not explained by occlusion: {out}");
    let rows: Vec<(f64, &str)> = lines[2..]
        .iter()
        .map(|l| {
            let (v, token) = l.split_once('\t').unwrap();
            (v.parse().unwrap(), token.trim())
        })
        .collect();
    assert_eq!(rows.iter().map(|r| r.1).collect::<Vec<_>>(), ["the", "movie", "was", "superb", "</s>"], "{out}");
    let best = rows.iter().max_by(|a, b| a.0.total_cmp(&b.0)).unwrap();
    assert_eq!(best.1, "superb", "the good word decides: {out}");

    let v: Value = serde_json::from_str(&stdout(&c.run(&["explain", "--model", "run", text, "--json"]))).unwrap();
    let tokens = v["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 5, "every word, then </s>: {v}");
    for (t, row) in tokens.iter().zip(&rows) {
        assert_eq!(t["occlusion"], t["gradient_x_input"], "one exact number: {v}");
        assert!((t["occlusion"].as_f64().unwrap() - row.0).abs() < 1e-4, "text and JSON agree: {v}");
    }

    let o = c.run(&["explain", "--model", "run", text, "--html", "page.html"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = c.read("page.html");
    assert!(page.contains("exact part of the logit of") && !page.contains("(occlusion)"), "{page}");
    assert!(page.contains("softmax over the 2 classes"), "a linear model's two classes share a softmax: {page}");
    assert!(page.contains(">superb</span>"), "{page}");

    // trained one-vs-all, each class has its own sigmoid, and the page says so
    let mut args = vec!["train", "--data", "train.tsv", "--out", "ova", "--loss", "ova"];
    args.extend(LINEAR);
    stdout(&c.run(&args));
    stdout(&c.run(&["explain", "--model", "ova", text, "--html", "ova.html"]));
    let page = c.read("ova.html");
    assert!(page.contains("its own sigmoid") && !page.contains("softmax"), "{page}");
}

#[test]
fn probe_refuses_a_linear_model_in_one_line() {
    let c = Case::new();
    c.write("train.tsv", corpus(200).as_bytes());
    train_linear(&c, "train.tsv", "run");
    let o = c.run(&["probe", "--model", "run", "--data", "train.tsv"]);
    assert_user_error(&o, &["linear model has no levels to probe", "run"]);
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(!c.path("probes-train.json").exists() && !c.path("run/probes-train.json").exists());
}

#[test]
fn fasttext_label_files_train_test_and_predict_a_linear_model() {
    let c = Case::new();
    c.write("train.txt", fasttext_corpus(400).as_bytes());
    c.write("test.txt", fasttext_corpus(60).as_bytes());
    train_linear(&c, "train.txt", "run");
    let config = c.read("run/model/config.json");
    assert!(config.contains("\"pos\"") && !config.contains("__label__"), "labels without the prefix: {config}");

    let r: Value =
        serde_json::from_str(&stdout(&c.run(&["test", "--model", "run", "--data", "test.txt", "--json"]))).unwrap();
    assert!(r["accuracy"].as_f64().unwrap() > 0.9, "{r}");
    assert_eq!(r["labels"], serde_json::json!(["neg", "pos"]), "{r}");

    // fastText's `predict-prob` shape: `__label__X p`, one line per input
    c.write("in.txt", b"the movie was superb\nthe plot was awful\n");
    let out = stdout(&c.run(&["predict", "--model", "run", "in.txt", "--output-format", "fasttext"]));
    let lines: Vec<(&str, f64)> = out
        .lines()
        .map(|l| {
            let (label, p) = l.split_once(' ').unwrap();
            (label, p.parse().unwrap())
        })
        .collect();
    assert_eq!(lines.iter().map(|l| l.0).collect::<Vec<_>>(), ["__label__pos", "__label__neg"], "{out}");
    assert!(lines.iter().all(|l| l.1 > 0.5 && l.1 <= 1.0), "{out}");
}
