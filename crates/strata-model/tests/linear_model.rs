//! The linear model's life outside fastText's arithmetic (which `linear_golden.rs` checks):
//! initialisation, predictions that do not depend on the thread count, exact explanations,
//! folders that round-trip bit for bit and refuse every damaged piece with one clear error.

use std::path::Path;

use strata_data::LabelMap;
use strata_model::classifier::{self, Classifier};
use strata_model::linear::{folder, Dictionary, LinearConfig, LinearLoss, LinearModel};
use strata_text::TokenizerConfig;

const TEXTS: [&str; 6] = [
    "A good film, a great story!",
    "bad plot and awful actors",
    "unseen words only",
    "",
    "good bad good bad the film",
    "story film story",
];

fn model(config: LinearConfig, seed: u64) -> LinearModel {
    let texts: Vec<Vec<&str>> = ["a good film", "a great story", "bad plot", "awful actors and bad film"]
        .iter()
        .map(|t| t.split(' ').collect())
        .collect();
    let dict = Dictionary::build(&texts, 1);
    let labels = LabelMap::from_vec(vec!["neg".into(), "pos".into(), "meh".into()]);
    let mut m = LinearModel::new(config, TokenizerConfig::default(), dict, labels, seed);
    // a trained-looking output layer: deterministic, not zero
    for (i, w) in m.output.iter_mut().enumerate() {
        *w = ((i * 37 % 11) as f32 - 5.0) / 7.0;
    }
    m
}

fn small(maxn: usize) -> LinearConfig {
    LinearConfig { dim: 8, buckets: 500, minn: if maxn > 0 { 2 } else { 0 }, maxn, ..Default::default() }
}

#[test]
fn new_initialises_input_uniform_in_one_over_dim_from_the_seed_and_output_zero() {
    let dict = Dictionary::build(&[vec!["a", "b"]], 1);
    let labels = LabelMap::from_vec(vec!["x".into(), "y".into()]);
    let config = LinearConfig { dim: 10, buckets: 100, ..Default::default() };
    let a = LinearModel::new(config.clone(), TokenizerConfig::default(), dict.clone(), labels.clone(), 3);
    let b = LinearModel::new(config.clone(), TokenizerConfig::default(), dict.clone(), labels.clone(), 3);
    let c = LinearModel::new(config, TokenizerConfig::default(), dict, labels, 4);
    assert_eq!(a.input.len(), (3 + 100) * 10);
    assert_eq!(a.output, vec![0.0; 20]);
    assert!(a.input.iter().all(|&x| x.abs() <= 0.1));
    assert!(a.input.iter().any(|&x| x.abs() > 0.09), "spans the range");
    assert_eq!(a.input, b.input);
    assert_ne!(a.input, c.input);
}

#[test]
fn probabilities_softmax_one_vs_all_and_the_empty_text() {
    let m = model(small(0), 1);
    let uniform = m.probabilities(&[]);
    assert_eq!(uniform, vec![1.0 / 3.0; 3]);
    let f = m.features("a good film");
    let p = m.probabilities(&f.rows);
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    let mut hidden = vec![0.0; 8];
    m.hidden(&f.rows, &mut hidden);
    let logits: Vec<f32> = (0..3).map(|c| m.logit(c, &hidden)).collect();
    let z: f32 = logits.iter().map(|l| l.exp()).sum();
    for (p, l) in p.iter().zip(&logits) {
        assert!((p - l.exp() / z).abs() < 1e-6);
    }
    let mut ova = m.clone();
    ova.config.loss = LinearLoss::OneVsAll;
    let q = ova.probabilities(&f.rows);
    for (q, l) in q.iter().zip(&logits) {
        assert!((q - 1.0 / (1.0 + (-l).exp())).abs() < 1e-6);
    }
    assert_eq!(ova.probabilities(&[]), vec![0.5; 3]);
}

#[test]
fn predict_is_the_same_for_one_and_two_threads_and_matches_probabilities() {
    for maxn in [0, 3] {
        let m = model(small(maxn), 2);
        let many: Vec<&str> = TEXTS.iter().cycle().take(500).copied().collect();
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| m.predict(&many))
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one.len(), 500);
        for (a, b) in one.iter().zip(&two) {
            assert_eq!(a.class, b.class);
            assert_eq!(a.probs, b.probs);
        }
        for (p, text) in one.iter().zip(&many) {
            assert_eq!(p.probs, m.probabilities(&m.features(text).rows));
            let best = p.probs.iter().cloned().fold(f32::MIN, f32::max);
            assert_eq!(p.class, p.probs.iter().position(|&x| x == best).unwrap());
        }
    }
}

#[test]
fn explain_contributions_sum_to_the_logit() {
    for maxn in [0, 3] {
        let m = model(small(maxn), 5);
        for text in ["A good film, a great story!", "bad plot and awful actors", "good bad good bad the film"] {
            let e = m.explain_of(text);
            let f = m.features(text);
            let mut hidden = vec![0.0; 8];
            m.hidden(&f.rows, &mut hidden);
            let probs = m.probabilities(&f.rows);
            let c = m.labels.index(&e.label).unwrap();
            assert_eq!(e.score, probs[c]);
            // every word, then </s> as its own last token: the listed parts are the whole logit
            assert_eq!(e.tokens.len(), f.words.len(), "every word and </s>");
            let last = e.tokens.last().unwrap();
            assert_eq!((last.token.as_str(), last.in_vocabulary), ("</s>", true));
            let total: f32 = e.tokens.iter().map(|t| t.occlusion.unwrap()).sum();
            assert!((total - m.logit(c, &hidden)).abs() < 1e-5, "{text}: {total} vs {}", m.logit(c, &hidden));
            for t in &e.tokens[..e.tokens.len() - 1] {
                assert_eq!(t.occlusion, t.gradient_x_input);
                assert_eq!(t.in_vocabulary, m.dict.id(&t.token).is_some());
            }
        }
    }
}

#[test]
fn explain_splits_a_bigrams_part_between_its_two_words() {
    // word_ngrams 2, no char n-grams: rows are the known words, then one bigram per adjacent
    // pair (the last pair ends at </s>); each bigram's part goes half to each of its words
    let m = model(small(0), 5);
    let text = "good bad the film";
    let e = m.explain_of(text);
    let f = m.features(text);
    let c = m.labels.index(&e.label).unwrap();
    let w = &m.output[c * 8..][..8];
    let part = |r: u32| -> f32 {
        w.iter().zip(&m.input[r as usize * 8..][..8]).map(|(a, b)| a * b).sum::<f32>() / f.rows.len() as f32
    };
    let n = f.words.len();
    let bigrams = &f.rows[f.rows.len() - (n - 1)..];
    let mut want = vec![0.0f32; n];
    for (&r, &k) in f.rows[..f.rows.len() - (n - 1)].iter().zip(&f.word_of) {
        want[k as usize] += part(r);
    }
    for (i, &r) in bigrams.iter().enumerate() {
        want[i] += part(r) / 2.0;
        want[i + 1] += part(r) / 2.0;
    }
    let got: Vec<f32> = e.tokens.iter().map(|t| t.occlusion.unwrap()).collect();
    assert_eq!(got.len(), n);
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
    }
}

#[test]
fn explain_is_none_for_an_empty_or_entirely_unknown_text_without_char_ngrams() {
    let m = model(small(0), 1);
    assert!(linear_explain(&m, "").is_none());
    assert!(linear_explain(&m, "unseen words only").is_none());
    assert!(linear_explain(&m, "unseen good").is_some());
    let with_chars = model(small(3), 1);
    assert!(linear_explain(&with_chars, "unseen words only").is_some());
}

fn linear_explain(m: &LinearModel, text: &str) -> Option<strata_model::explain::Explanation> {
    strata_model::linear::explain::explain(m, text)
}

trait ExplainOf {
    fn explain_of(&self, text: &str) -> strata_model::explain::Explanation;
}

impl ExplainOf for LinearModel {
    fn explain_of(&self, text: &str) -> strata_model::explain::Explanation {
        linear_explain(self, text).expect("explainable")
    }
}

fn files(dir: &Path) -> [Vec<u8>; 3] {
    ["config.json", "model.safetensors", "vocab.json"].map(|f| std::fs::read(dir.join(f)).unwrap())
}

#[test]
fn save_and_load_round_trip_bit_for_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let m = model(LinearConfig { loss: LinearLoss::OneVsAll, ..small(3) }, 9);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    folder::save(&a, &m).unwrap();
    let loaded = match classifier::load(&a).unwrap() {
        Classifier::Linear(l) => l,
        _ => panic!("a linear folder loads as linear"),
    };
    assert_eq!(loaded.config, m.config);
    assert_eq!(loaded.tokenizer, m.tokenizer);
    assert_eq!(loaded.dict, m.dict);
    assert_eq!(loaded.labels, m.labels);
    assert_eq!(
        loaded.input.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        m.input.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    assert_eq!(loaded.output, m.output);
    assert_eq!(loaded.predict(&TEXTS), m.predict(&TEXTS));
    folder::save(&b, &loaded).unwrap();
    assert_eq!(files(&a), files(&b));
    let config: serde_json::Value = serde_json::from_slice(&files(&a)[0]).unwrap();
    assert_eq!(config["format"], "strata-linear");
}

/// Saves a model, lets `damage` change one of its three files, and returns the load error.
fn damaged(damage: impl Fn(&mut serde_json::Value, &mut Vec<u8>, &mut serde_json::Value)) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    folder::save(&dir, &model(small(0), 1)).unwrap();
    let [c, t, v] = files(&dir);
    let (mut c, mut t, mut v): (serde_json::Value, _, serde_json::Value) =
        (serde_json::from_slice(&c).unwrap(), t, serde_json::from_slice(&v).unwrap());
    damage(&mut c, &mut t, &mut v);
    let (c, v) = (serde_json::to_vec(&c).unwrap(), serde_json::to_vec(&v).unwrap());
    match folder::parse_folder(&dir, &c, &t, &v) {
        Ok(_) => panic!("a damaged folder loaded"),
        Err(e) => e.to_string(),
    }
}

/// The safetensors bytes with `input` replaced by `shape` and `data`.
fn retensor(t: &mut Vec<u8>, input_shape: Vec<usize>, input: Vec<f32>) {
    let st = safetensors::SafeTensors::deserialize(t).unwrap();
    let output: Vec<f32> = st
        .tensor("output")
        .unwrap()
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let out_shape = st.tensor("output").unwrap().shape().to_vec();
    *t = strata_model::folder::tensors_file([
        ("input".to_string(), input_shape, input.as_slice()),
        ("output".to_string(), out_shape, output.as_slice()),
    ]);
}

#[test]
fn damaged_folders_are_refused_one_clear_error_each() {
    let rows = model(small(0), 1).rows();
    let cases: Vec<(&str, String)> = vec![
        ("unknown field", damaged(|c, _, _| c["extra"] = 1.into())),
        ("newer than this strata", damaged(|c, _, _| c["format_version"] = 99.into())),
        ("dim is 0", damaged(|c, _, _| c["model"]["dim"] = 0.into())),
        ("word_ngrams is 0", damaged(|c, _, _| c["model"]["word_ngrams"] = 0.into())),
        ("buckets is 0", damaged(|c, _, _| c["model"]["buckets"] = 0.into())),
        (
            "id2label has no string for id 1",
            damaged(|c, _, _| {
                c["id2label"].as_object_mut().unwrap().remove("1");
            }),
        ),
        ("id2label is empty", damaged(|c, _, _| c["id2label"] = serde_json::json!({}))),
        ("split is empty", damaged(|c, _, _| c["tokenizer"]["split"] = "".into())),
        ("format is 'strata-model'", damaged(|c, _, _| c["format"] = "strata-model".into())),
        ("words but", damaged(|_, _, v| v["counts"].as_array_mut().unwrap().pop().map(drop).unwrap())),
        (
            "listed twice",
            damaged(|_, _, v| {
                v["words"][1] = v["words"][2].clone();
            }),
        ),
        ("vocab.json: corrupt", damaged(|_, _, v| *v = serde_json::json!({"words": []}))),
        ("smaller than config.json", damaged(|c, _, _| c["model"]["buckets"] = 100_000.into())),
        ("smaller than config.json", damaged(|_, t, _| t.truncate(t.len() / 2))),
        ("tensor 'input' is F32 [", damaged(|_, t, _| retensor(t, vec![8, rows], vec![0.0; rows * 8]))),
        (
            "tensor 'input' is missing",
            damaged(|_, t, _| {
                let st = safetensors::SafeTensors::deserialize(t).unwrap();
                let out: Vec<f32> = st
                    .tensor("output")
                    .unwrap()
                    .data()
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                    .collect();
                let pad = vec![0.0f32; rows * 8];
                *t = strata_model::folder::tensors_file([
                    ("inputs".to_string(), vec![rows, 8], pad.as_slice()),
                    ("output".to_string(), vec![3, 8], out.as_slice()),
                ]);
            }),
        ),
        (
            "tensor 'input' holds NaN at index 5",
            damaged(|_, t, _| {
                let mut data = vec![0.0; rows * 8];
                data[5] = f32::NAN;
                retensor(t, vec![rows, 8], data);
            }),
        ),
    ];
    for (want, got) in cases {
        assert!(got.contains(want), "want '{want}' in: {got}");
        assert_eq!(got.lines().count(), 1, "one line: {got}");
    }
}

/// Per-level heads (issue 15 point 3) are saved beside the leaf head — `level_heads` in
/// config.json, `level_output` in the tensors — and read back bit for bit; the leaf head alone
/// predicts and explains, so the heads change neither; a level map that does not fit the
/// labels is one clear error.
#[test]
fn level_heads_are_saved_and_loaded_and_leave_prediction_to_the_leaf_head() {
    let tmp = tempfile::tempdir().unwrap();
    let flat = model(small(0), 4);
    let mut m = flat.clone();
    // neg and meh under node 0, pos under node 1
    m.add_level_heads(&[vec![0, 1, 0]]);
    assert_eq!(m.level_output.len(), 2 * 8);
    m.level_output.iter_mut().enumerate().for_each(|(i, w)| *w = (i as f32 - 7.0) / 9.0);
    let dir = tmp.path().join("levels");
    folder::save(&dir, &m).unwrap();
    let config: serde_json::Value = serde_json::from_slice(&files(&dir)[0]).unwrap();
    assert_eq!(config["level_heads"], serde_json::json!([[0, 1, 0]]), "{config}");
    let loaded = match classifier::load(&dir).unwrap() {
        Classifier::Linear(l) => l,
        _ => panic!("a linear folder loads as linear"),
    };
    assert_eq!((&loaded.levels, &loaded.level_output), (&m.levels, &m.level_output));
    assert_eq!(loaded.predict(&TEXTS), flat.predict(&TEXTS), "the leaf head predicts");
    let text = "good bad the film";
    let (a, b) = (linear_explain(&loaded, text).unwrap(), linear_explain(&flat, text).unwrap());
    assert_eq!(
        a.tokens.iter().map(|t| t.occlusion).collect::<Vec<_>>(),
        b.tokens.iter().map(|t| t.occlusion).collect::<Vec<_>>()
    );
    // a flat model writes no level field: its folder keeps the bytes it had
    folder::save(&tmp.path().join("flat"), &flat).unwrap();
    let flat_config = String::from_utf8(files(&tmp.path().join("flat"))[0].clone()).unwrap();
    assert!(!flat_config.contains("level_heads"), "{flat_config}");

    let [c, t, v] = files(&dir);
    let mut bad: serde_json::Value = serde_json::from_slice(&c).unwrap();
    bad["level_heads"] = serde_json::json!([[0, 1]]);
    let e = folder::parse_folder(&dir, &serde_json::to_vec(&bad).unwrap(), &t, &v).err().unwrap().to_string();
    assert!(e.contains("level_heads[0] has 2 nodes for 3 labels"), "{e}");
    bad["level_heads"] = serde_json::json!([[0, 1, 9]]);
    let e = folder::parse_folder(&dir, &serde_json::to_vec(&bad).unwrap(), &t, &v).err().unwrap().to_string();
    assert!(e.contains("names a node past its 3 labels"), "{e}");
}
