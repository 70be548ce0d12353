//! `strata import-keras` (issue 15, point 6) against Keras itself: the fixtures in
//! `tests/fixtures/keras_import/` are small Keras models of the seed family saved as `.h5` and
//! `.keras` by tf-keras 2.x and Keras 3, their tokenizer's `to_json()`, and the ids and
//! predictions Keras gave (`tests/reference/keras_import_fixtures.py`). Each model is imported
//! through the CLI; the folder must give Keras's ids and its probabilities to 1e-5, and serve
//! them. A model of another architecture is one `error:` line and exit 2 (point 9).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::{assert_ok, Case};
use serde_json::Value;
use strata_model::classifier::load;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/keras_import").join(name)
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap()
}

/// Imports `model` with the fixtures' tokenizer into `case/out`.
fn import(case: &Case, model: &str, extra: &[&str]) -> std::process::Output {
    let (tok, m) = (fixture("tokenizer.json"), fixture(model));
    let mut args = vec!["import-keras", "--tokenizer", tok.to_str().unwrap(), "--model", m.to_str().unwrap()];
    args.extend(["--out", "out"]);
    args.extend(extra);
    case.run(&args)
}

/// Keras's probability of each class per text: a sigmoid's one output is P(class 1).
fn keras_probs(e: &Value, model: &str) -> Vec<Vec<f32>> {
    e["predictions"][model]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let p: Vec<f32> = row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
            if p.len() == 1 {
                vec![1.0 - p[0], p[0]]
            } else {
                p
            }
        })
        .collect()
}

fn assert_keras_predictions(model: &str, extra: &[&str]) {
    assert_keras_predictions_padded(model, extra, "padded");
}

/// [`assert_keras_predictions`] with the padded rows of `padded` (`padded_post`: at the end).
fn assert_keras_predictions_padded(model: &str, extra: &[&str], padded: &str) {
    let case = Case::new();
    let out = import(&case, model, extra);
    assert_ok(&out);
    let e = expected();
    let texts: Vec<&str> = e["texts"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    let classifier = load(&case.path("out")).unwrap();
    let saved = classifier.network().unwrap();
    // the same ids as Keras's texts_to_sequences, and the same padded rows
    for (text, ids) in texts.iter().zip(e["ids"].as_array().unwrap()) {
        let keras: Vec<u32> = ids.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
        assert_eq!(saved.tokenizer.text_to_sequence(text), keras, "{model}: ids of {text:?}");
    }
    let rows: Vec<u32> = e[padded]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().clone())
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    assert_eq!(saved.encode(&texts), rows, "{model}: padded rows");
    let keras = keras_probs(&e, model);
    let mut worst = 0f32;
    for (i, (p, k)) in classifier.predict(&texts).iter().zip(&keras).enumerate() {
        assert_eq!(p.probs.len(), k.len(), "{model}: classes");
        for (a, b) in p.probs.iter().zip(k) {
            worst = worst.max((a - b).abs());
            assert!((a - b).abs() <= 1e-5, "{model}: text {i} {:?}: strata {:?}, Keras {k:?}", texts[i], p.probs);
        }
    }
    eprintln!("{model}: largest difference from Keras {worst:e} over {} texts", texts.len());
}

#[test]
fn a_tf_keras_h5_lstm_predicts_as_keras() {
    assert_keras_predictions("lstm.h5", &[]);
}

#[test]
fn a_tf_keras_dot_keras_lstm_predicts_as_keras() {
    assert_keras_predictions("lstm.keras", &[]);
}

#[test]
fn a_keras3_stacked_masked_gru_bilstm_softmax_predicts_as_keras() {
    assert_keras_predictions("stacked.keras", &["--labels", "a,b,c"]);
}

#[test]
fn a_keras3_h5_bigru_two_way_softmax_predicts_as_keras() {
    assert_keras_predictions("bigru.h5", &[]);
}

#[test]
fn a_tf_keras_functional_chain_of_any_length_post_padded_predicts_as_keras() {
    assert_keras_predictions_padded(
        "functional.h5",
        &["--maxlen", "12", "--padding", "post", "--truncating", "post"],
        "padded_post",
    );
    assert_keras_predictions_padded("functional3.keras", &["--padding", "post", "--truncating", "post"], "padded_post");
    // its input has no fixed length, so maxlen must be given
    let case = Case::new();
    assert_one_line_error(&import(&case, "functional.h5", &[]), "the model's input has no fixed length");
}

#[test]
fn the_summary_names_what_was_read_and_labels_are_kept() {
    let case = Case::new();
    let out = import(&case, "stacked.keras", &["--labels", "sports,politics,tech"]);
    assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Embedding(50, 8, mask_zero) → GRU(6) → Bidirectional(LSTM(4)) → Dense(3, softmax)"),
        "{stdout}"
    );
    let config: Value = serde_json::from_str(&case.read("out/config.json")).unwrap();
    assert_eq!(config["id2label"]["2"], "tech");
    assert_eq!(config["maxlen"], 12);
    assert_eq!(config["model"]["mask_padding"], true);
}

/// One `error:` line naming the problem, with a hint, and exit code 2.
fn assert_one_line_error(out: &std::process::Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: ") && err.contains(needle) && err.contains("(hint: "), "{err}");
}

#[test]
fn a_model_of_another_architecture_is_one_line_naming_it() {
    let case = Case::new();
    let out = import(&case, "conv1d.keras", &[]);
    assert_one_line_error(&out, "conv1d.keras: layer 3 (Conv1D 'conv1d'): a Conv1D layer is not of the seed family");
    assert!(!case.path("out").exists(), "nothing is written");
    let out = import(&case, "two_inputs.h5", &[]);
    assert_one_line_error(&out, "two_inputs.h5: the model has 2 inputs");
}

#[test]
fn bad_inputs_are_one_line_each() {
    let case = Case::new();
    // the tokenizer given as the model, and the model as the tokenizer
    let tok = fixture("tokenizer.json");
    let out = import(&case, "tokenizer.json", &[]);
    assert_one_line_error(&out, "is neither a .keras zip nor an HDF5 .h5 file");
    let m = fixture("lstm.h5");
    let out =
        case.run(&["import-keras", "--tokenizer", m.to_str().unwrap(), "--model", m.to_str().unwrap(), "--out", "o"]);
    assert_one_line_error(&out, "lstm.h5: cannot read the tokenizer");
    // a maxlen the model's input shape contradicts
    let out = import(&case, "lstm.h5", &["--maxlen", "20"]);
    assert_one_line_error(&out, "the model reads 12 steps per text, not --maxlen 20");
    // labels that do not match the outputs
    let out = import(&case, "lstm.h5", &["--labels", "a,b,c"]);
    assert_one_line_error(&out, "3 labels for a model with 2 classes");
    // a tokenizer with more ids than the embedding has rows
    let text = std::fs::read_to_string(&tok).unwrap().replace("\"num_words\": 50", "\"num_words\": null");
    case.write("big.json", text.as_bytes());
    let out = case.run(&["import-keras", "--tokenizer", "big.json", "--model", m.to_str().unwrap(), "--out", "o"]);
    assert_one_line_error(&out, "but the model's Embedding has only 50 rows");
    // a truncated file
    let bytes = std::fs::read(fixture("stacked.keras")).unwrap();
    case.write("cut.keras", &bytes[..bytes.len() / 2]);
    let out = case.run(&["import-keras", "--tokenizer", tok.to_str().unwrap(), "--model", "cut.keras", "--out", "o"]);
    assert_one_line_error(&out, "cut.keras");
}

/// `strata serve` on the imported folder answers with Keras's probabilities.
#[test]
fn the_imported_folder_serves_keras_predictions() {
    let case = Case::new();
    assert_ok(&import(&case, "lstm.h5", &["--labels", "neg,pos"]));
    let mut server = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(case.dir.path())
        .args(["serve", "--model", "out", "--port", "0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    let addr = line.split("http://").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().to_string();
    let e = expected();
    let text = e["texts"][0].as_str().unwrap();
    let body = serde_json::json!({"inputs": [text], "top_k": 2}).to_string();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
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
    let json = response.split("\r\n\r\n").nth(1).unwrap();
    let answer: Value = serde_json::from_str(json).unwrap_or_else(|_| panic!("{response}"));
    let keras = keras_probs(&e, "lstm.h5")[0].clone();
    for item in answer[0].as_array().unwrap() {
        let class = if item["label"] == "pos" { 1 } else { 0 };
        let score = item["score"].as_f64().unwrap() as f32;
        assert!((score - keras[class]).abs() <= 1e-5, "{item} vs Keras {keras:?}");
    }
}
