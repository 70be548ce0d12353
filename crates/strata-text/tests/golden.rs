//! Golden test: strata's Tokenizer and pad_sequences against tf-keras 2.x.
//!
//! The fixture comes from `tests/reference/make_fixtures.py` (tf-keras 2.21): 234 texts with
//! punctuation, unicode, empty strings, tied counts and `num_words` cut-offs, under nine
//! Tokenizer configurations and several pad_sequences settings. Every id must be identical.

use serde_json::Value;
use strata_text::{pad_sequences, Side, Tokenizer, TokenizerConfig, KERAS_FILTERS};

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/tokenizer.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

fn config(kwargs: &Value) -> TokenizerConfig {
    let s = |k: &str| kwargs.get(k).and_then(Value::as_str).map(str::to_string);
    TokenizerConfig {
        num_words: kwargs.get("num_words").and_then(Value::as_u64).map(|n| n as usize),
        filters: s("filters").unwrap_or_else(|| KERAS_FILTERS.to_string()),
        lower: kwargs.get("lower").and_then(Value::as_bool).unwrap_or(true),
        split: s("split").unwrap_or_else(|| " ".into()),
        char_level: kwargs.get("char_level").and_then(Value::as_bool).unwrap_or(false),
        oov_token: s("oov_token"),
        ..Default::default()
    }
}

#[test]
fn tokenizer_and_padding_match_tf_keras() {
    let fx = fixture();
    let fit = strings(&fx["fit_texts"]);
    let apply = strings(&fx["apply_texts"]);
    assert!(apply.len() >= 200, "fixture has {} texts", apply.len());
    let mut checked = 0;
    for case in fx["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut tok = Tokenizer::new(config(&case["kwargs"]));
        tok.fit_on_texts(&fit);
        assert_eq!(tok.document_count(), case["document_count"].as_u64().unwrap(), "{name}");
        let want_index = case["word_index"].as_object().unwrap();
        assert_eq!(tok.word_index().len(), want_index.len(), "{name}: word_index size");
        for (w, i) in want_index {
            assert_eq!(tok.word_index().get(w).copied(), Some(i.as_u64().unwrap() as u32), "{name}: '{w}'");
        }
        let seqs = tok.texts_to_sequences(&apply);
        for (k, (got, want)) in seqs.iter().zip(case["sequences"].as_array().unwrap()).enumerate() {
            let want: Vec<u32> = want.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
            assert_eq!(got, &want, "{name}: text {k} {:?}", apply[k]);
            checked += 1;
        }
        for p in case["padded"].as_array().unwrap() {
            let maxlen = p["maxlen"].as_u64().map(|m| m as usize);
            let side = |k: &str| p[k].as_str().unwrap().parse::<Side>().unwrap();
            let value = p["value"].as_u64().unwrap() as u32;
            let (got, t) = pad_sequences(&seqs, maxlen, side("padding"), side("truncating"), value);
            assert_eq!(t as u64, p["shape"][1].as_u64().unwrap(), "{name}: T");
            let want: Vec<u32> = p["values"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
            assert_eq!(got, want, "{name}: pad {p:?}");
        }
        // the saved vocabulary reloads to identical ids
        let back = Tokenizer::from_json(&tok.to_json(), "mem").unwrap();
        assert_eq!(back.texts_to_sequences(&apply), seqs, "{name}: reload");
    }
    println!("{checked} sequences identical to tf-keras");
}
