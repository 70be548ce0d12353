//! An NBSVM model outside its training (which strata-train's `nbsvm.rs` checks): its
//! probabilities are sigmoids of bias plus the weights of the text's features (binarized), its
//! explanation's parts sum exactly to the score less the bias, and its folder round-trips bit
//! for bit through `classifier::load` and refuses a damaged piece with one clear error.

use strata_data::LabelMap;
use strata_model::classifier::{self, Classifier};
use strata_model::label_structure::LabelStructure;
use strata_model::nbsvm::features::{tokenizer_for, NgramSplitter};
use strata_model::nbsvm::{heads_for, NbsvmConfig, NbsvmModel};
use strata_text::TokenizerConfig;

const TEXTS: [&str; 5] =
    ["A good film, a great story!", "bad plot and awful actors", "unseen words only", "", "good good good"];

/// A model over the n-grams of a few texts, with deterministic non-zero weights.
fn model(labels: &[&str]) -> NbsvmModel {
    let config = NbsvmConfig { word_ngrams: 2, punctuation: "!".into(), ..NbsvmConfig::default() };
    let tokenizer = tokenizer_for(&TokenizerConfig::default(), &config.punctuation);
    let splitter = NgramSplitter::with(&tokenizer, &config.punctuation, config.word_ngrams);
    let mut keys: Vec<u32> = ["a good film", "a great story !", "bad plot", "awful actors and bad film"]
        .iter()
        .flat_map(|t| splitter.keys(t))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let heads = heads_for(labels.len());
    let weight = (0..heads * keys.len()).map(|i| ((i * 37 % 11) as f32 - 5.0) / 7.0).collect();
    let bias = (0..heads).map(|h| 0.1 * h as f32 - 0.05).collect();
    NbsvmModel {
        config,
        tokenizer,
        labels: LabelMap::from_vec(labels.iter().map(|l| l.to_string()).collect()),
        keys,
        weight,
        bias,
        structure: LabelStructure::Single,
    }
}

#[test]
fn two_classes_read_one_sigmoid_and_repeats_count_once() {
    let m = model(&["neg", "pos"]);
    let f = m.features("good good good");
    assert_eq!(f.len(), 1, "one unigram, its bigram 'good good' unseen: {f:?}");
    let z = m.bias[0] + m.weight[f[0] as usize];
    let p = m.probabilities(&f);
    assert!((p[1] - 1.0 / (1.0 + (-z).exp())).abs() < 1e-6 && (p[0] + p[1] - 1.0).abs() < 1e-6, "{p:?}");
    assert_eq!(m.features("good"), f, "binarized: three 'good' are one");
    assert!(m.features("unseen words only").is_empty());
}

#[test]
fn more_classes_normalise_their_one_vs_rest_sigmoids() {
    let m = model(&["neg", "pos", "meh"]);
    let f = m.features(TEXTS[0]);
    let s: Vec<f32> = (0..3).map(|h| 1.0 / (1.0 + (-m.score(h, &f)).exp())).collect();
    let total: f32 = s.iter().sum();
    let p = m.probabilities(&f);
    assert!(p.iter().zip(&s).all(|(p, s)| (p - s / total).abs() < 1e-6), "{p:?} {s:?}");
}

#[test]
fn explanations_sum_to_the_score_less_the_bias() {
    for labels in [&["neg", "pos"][..], &["neg", "pos", "meh"]] {
        let m = model(labels);
        for text in ["a good film , a great story !", "bad plot bad plot and awful actors"] {
            let ex = strata_model::nbsvm::explain::explain(&m, text).expect("known n-grams");
            let f = m.features(text);
            let c = m.labels.index(&ex.label).unwrap();
            let (head, sign) = if labels.len() == 2 { (0, if c == 1 { 1.0 } else { -1.0 }) } else { (c, 1.0) };
            let sum: f32 = ex.tokens.iter().map(|t| t.occlusion.unwrap()).sum();
            let expected = sign * (m.score(head, &f) - m.bias[head]);
            assert!((sum - expected).abs() < 1e-5, "{text}: parts sum to {sum}, score less bias {expected}");
        }
        assert!(strata_model::nbsvm::explain::explain(&m, "unseen words only").is_none());
    }
}

#[test]
fn a_saved_folder_loads_with_the_same_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    for labels in [&["neg", "pos"][..], &["neg", "pos", "meh"]] {
        let m = model(labels);
        let path = dir.path().join(format!("m{}", labels.len()));
        Classifier::Nbsvm(m.clone()).save(&path).unwrap();
        let loaded = classifier::load(&path).unwrap();
        assert_eq!(loaded.architecture(), "nbsvm");
        let before = Classifier::Nbsvm(m).predict(&TEXTS);
        let after = loaded.predict(&TEXTS);
        for (a, b) in before.iter().zip(&after) {
            assert_eq!(a.class, b.class);
            assert!(a.probs.iter().zip(&b.probs).all(|(x, y)| x.to_bits() == y.to_bits()), "{a:?} {b:?}");
        }
    }
}

#[test]
fn a_damaged_folder_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m");
    Classifier::Nbsvm(model(&["neg", "pos"])).save(&path).unwrap();
    let vocab = std::fs::read_to_string(path.join("vocab.json")).unwrap();
    // keys out of order
    let v: serde_json::Value = serde_json::from_str(&vocab).unwrap();
    let mut keys: Vec<u64> = v["keys"].as_array().unwrap().iter().map(|k| k.as_u64().unwrap()).collect();
    keys.reverse();
    std::fs::write(path.join("vocab.json"), serde_json::json!({ "keys": keys }).to_string()).unwrap();
    let e = classifier::load(&path).unwrap_err().to_string();
    assert!(e.contains("vocab.json") && e.contains("not sorted"), "{e}");
    // one key fewer than the weights hold
    keys.reverse();
    keys.pop();
    std::fs::write(path.join("vocab.json"), serde_json::json!({ "keys": keys }).to_string()).unwrap();
    let e = classifier::load(&path).unwrap_err().to_string();
    assert!(e.contains("model.safetensors"), "{e}");
    // a β outside [0, 1]
    std::fs::write(path.join("vocab.json"), vocab).unwrap();
    let config = std::fs::read_to_string(path.join("config.json")).unwrap();
    std::fs::write(path.join("config.json"), config.replace("\"beta\": 1.0", "\"beta\": 2.0")).unwrap();
    let e = classifier::load(&path).unwrap_err().to_string();
    assert!(e.contains("beta is outside [0, 1]"), "{e}");
}
