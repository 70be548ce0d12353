//! strata's linear model against real fastText: the fixture holds two tiny fastText supervised
//! models (word bigrams; word bigrams and character 2..3-grams) and the probabilities fastText's
//! own `predict` gave for a few texts, unseen words included (tests/reference/
//! fasttext_linear_golden.py writes it). Loaded into a `LinearModel` in fastText's dictionary
//! order, strata must give the same probabilities: the proof that its hashing, word n-grams,
//! character n-grams, `</s>` and averaging are fastText's.

use serde_json::Value;
use strata_data::LabelMap;
use strata_model::linear::{Dictionary, LinearConfig, LinearLoss, LinearModel};
use strata_text::TokenizerConfig;

/// fastText's `predict` returns `exp(log(p + 1e-5))`.
const STD_LOG_OFFSET: f32 = 1e-5;

fn floats(v: &Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect()
}

fn model_of(m: &Value) -> LinearModel {
    let n = |k: &str| m[k].as_u64().unwrap() as usize;
    let words = strings(&m["words"]);
    let counts = vec![1; words.len()];
    LinearModel {
        config: LinearConfig {
            dim: n("dim"),
            word_ngrams: n("word_ngrams"),
            buckets: n("buckets"),
            min_count: 1,
            minn: n("minn"),
            maxn: n("maxn"),
            loss: LinearLoss::Softmax,
        },
        tokenizer: TokenizerConfig::default(),
        dict: Dictionary::from_words(words, counts),
        labels: LabelMap::from_vec(strings(&m["labels"])),
        input: floats(&m["input"]),
        output: floats(&m["output"]),
        structure: Default::default(),
        levels: Vec::new(),
        level_output: Vec::new(),
    }
}

#[test]
fn probabilities_match_fasttext_predict() {
    let fixture: Value = serde_json::from_str(include_str!("fixtures/fasttext_linear.json")).unwrap();
    for m in fixture["models"].as_array().unwrap() {
        let model = model_of(m);
        assert_eq!(model.input.len(), model.rows() * model.config.dim);
        let texts = strings(&m["texts"]);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let predictions = model.predict(&refs);
        for ((text, want), got) in texts.iter().zip(m["fasttext_probs"].as_array().unwrap()).zip(&predictions) {
            let want = floats(want);
            for (c, (&w, &g)) in want.iter().zip(&got.probs).enumerate() {
                assert!(
                    (w - (g + STD_LOG_OFFSET)).abs() < 1e-5,
                    "{} {text:?} class {c}: fastText {w}, strata {g}",
                    m["variant"]
                );
            }
            let features = model.features(text);
            assert_eq!(model.probabilities(&features.rows), got.probs);
        }
    }
}
