//! A tree model served and an out-of-scope threshold kept in the model (issue 15 points 3 and
//! 4, second round): `serve` decodes a top-down model top-down, as `predict` does, and its JSON
//! gives the label's path; `train --reject-below P` stores P in config.json, and predict, test
//! and serve reject below it unless their own `--reject-below` overrides it.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use common::{assert_ok, assert_user_error, corpus, Case};
use serde_json::Value;
use strata_data::LabelMap;
use strata_model::label_structure::LabelStructure;
use strata_model::linear::{Dictionary, LinearConfig, LinearLoss, LinearModel};
use strata_model::tree_decode::TreeDecoding;
use strata_model::Classifier;
use strata_text::TokenizerConfig;

/// A linear model over the leaves a/x, a/y, b/p, b/q that gives the word `w` the probabilities
/// 0.3, 0.25, 0.4, 0.05: b/p is the best leaf, but a holds 0.55, so top-down answers a/x.
fn hand_tree_model(decoding: TreeDecoding) -> Classifier {
    let probs = [0.3f32, 0.25, 0.4, 0.05];
    Classifier::Linear(LinearModel {
        config: LinearConfig {
            dim: 1,
            word_ngrams: 1,
            buckets: 0,
            min_count: 1,
            minn: 0,
            maxn: 0,
            loss: LinearLoss::Softmax,
        },
        tokenizer: TokenizerConfig::default(),
        dict: Dictionary::from_words(vec!["w".to_string()], vec![1]),
        labels: LabelMap::from_labels(["a/x", "a/y", "b/p", "b/q"]),
        input: vec![1.0],
        output: probs.iter().map(|p| p.ln()).collect(),
        structure: LabelStructure::Tree { separator: "/".into(), decoding },
        levels: Vec::new(),
        level_output: Vec::new(),
    })
}

/// The answer of a `strata serve --model MODEL` (with `more` flags) to one POST /v1/predict.
fn served(c: &Case, model: &str, more: &[&str], texts: &[&str]) -> Value {
    let mut server = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(c.dir.path())
        .args(["serve", "--model", model, "--port", "0"])
        .args(more)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    let addr =
        line.split("http://").nth(1).and_then(|r| r.split_whitespace().next()).unwrap_or_else(|| panic!("{line}"));
    let body = serde_json::json!({ "inputs": texts }).to_string();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /v1/predict HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let json = response.split("\r\n\r\n").nth(1).unwrap_or_else(|| panic!("{response}"));
    serde_json::from_str(json).unwrap_or_else(|_| panic!("{response}"))
}

/// The first label `strata predict` prints for each line of `texts`.
fn predicted(c: &Case, model: &str, more: &[&str]) -> Vec<String> {
    let mut args = vec!["predict", "--model", model, "texts.txt"];
    args.extend(more);
    let o = c.run(&args);
    assert_ok(&o);
    String::from_utf8_lossy(&o.stdout).lines().map(|l| l.split('\t').next().unwrap().to_string()).collect()
}

#[test]
fn serve_decodes_a_top_down_model_top_down_as_predict_does_and_gives_the_path() {
    let c = Case::new();
    hand_tree_model(TreeDecoding::TopDown).save(&c.path("td")).unwrap();
    hand_tree_model(TreeDecoding::Flat).save(&c.path("flat")).unwrap();
    c.write("texts.txt", b"w\nw w\n");
    // predict: the top-down model's answer is the best leaf under the best top node
    assert_eq!(predicted(&c, "td", &[]), ["a/x", "a/x"]);
    assert_eq!(predicted(&c, "flat", &[]), ["b/p", "b/p"], "the same probabilities, decoded flat");
    let jsonl = c.run(&["predict", "--model", "td", "texts.txt", "--json"]);
    assert!(String::from_utf8_lossy(&jsonl.stdout).contains(r#""label":"a/x""#));

    let v = served(&c, "td", &[], &["w", "w w"]);
    for answer in v.as_array().unwrap() {
        let first = &answer[0];
        assert_eq!(first["label"], "a/x", "{v}");
        assert_eq!(first["path"], serde_json::json!(["a", "x"]), "{v}");
        assert!((first["score"].as_f64().unwrap() - 0.3).abs() < 1e-5, "the leaf's own probability: {v}");
    }
    let v = served(&c, "flat", &[], &["w"]);
    assert_eq!(v[0][0]["label"], "b/p", "{v}");
    assert_eq!(v[0][0]["path"], serde_json::json!(["b", "p"]), "{v}");
}

const LINEAR: &[&str] =
    &["--model", "linear", "--buckets", "1000", "--dim", "8", "--epochs", "10", "--threads", "2", "--seed", "1"];

fn train(c: &Case, out: &str, more: &[&str]) -> std::process::Output {
    let mut args = vec!["train", "--data", "train.tsv", "--out", out, "--validation-split", "0"];
    args.extend(LINEAR);
    args.extend(more);
    c.run(&args)
}

#[test]
fn a_threshold_given_at_training_is_stored_and_used_unless_overridden() {
    let c = Case::new();
    c.write("train.tsv", corpus(200).as_bytes());
    c.write("texts.txt", b"great movie\nawful plot\n");
    // P = 1 rejects every text: no probability is above it
    assert_ok(&train(&c, "strict", &["--reject-below", "1"]));
    assert_ok(&train(&c, "plain", &[]));
    let config: Value = serde_json::from_str(&c.read("strict/model/config.json")).unwrap();
    assert_eq!(config["reject_below"], 1.0, "{config}");
    let plain: Value = serde_json::from_str(&c.read("plain/model/config.json")).unwrap();
    assert!(plain.get("reject_below").is_none(), "no flag, no key: {plain}");
    let strip = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("reject_below");
        v
    };
    assert_eq!(strip(&config), plain, "the rest of config.json is what train writes without it");

    // predict: rejected by default, answered when predict's own flag overrides
    assert_eq!(predicted(&c, "strict", &[]), ["__none__", "__none__"]);
    assert_eq!(predicted(&c, "strict", &["--reject-below", "0"]), predicted(&c, "plain", &[]));
    assert!(predicted(&c, "plain", &[]).iter().all(|l| l == "0" || l == "1"));

    // test: the stored threshold scores in-scope accuracy (every text rejected: 0)
    let o = c.run(&["test", "--model", "strict", "--data", "train.tsv", "--json"]);
    assert_ok(&o);
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["out_of_scope"]["reject_below"], 1.0, "{r}");
    assert_eq!(r["out_of_scope"]["in_scope_accuracy"], 0.0, "{r}");
    let o = c.run(&["test", "--model", "plain", "--data", "train.tsv", "--json"]);
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r.get("out_of_scope").is_none(), "no threshold, no rejection: {r}");

    // serve: the same
    assert_eq!(served(&c, "strict", &[], &["great movie"])[0][0]["label"], "__none__");
    let v = served(&c, "strict", &["--reject-below", "0"], &["great movie"]);
    assert_ne!(v[0][0]["label"], "__none__", "{v}");

    // a threshold that is not a probability is refused before --out is claimed
    assert_user_error(&train(&c, "bad", &["--reject-below", "1.5"]), &["--reject-below 1.5 is not a probability"]);
    assert!(!c.path("bad").exists());
}
