//! What loading a model folder checks before anything is predicted (issue 11, points 8 and 23):
//! every weight finite, named if not; `maxlen` and a hierarchical model's sentence count held to
//! what fits (`maxlen × sentences` must neither wrap nor ask for terabytes); the OOV id inside
//! the embedding; labels free of NUL; `maxlen` long enough for the widest convolution. Each of
//! these once loaded and then scored 0.5, panicked or aborted at the first prediction; the last
//! test damages every number of real `config.json` and `vocab.json` files and predicts with
//! whatever loads.

use std::path::Path;

use serde_json::{json, Value};
use strata_data::{DataError, LabelMap};
use strata_model::folder::{parse_folder, save, tensors_file, SavedModel};
use strata_model::infer::predict;
use strata_model::limits::{MAX_IDS_PER_TEXT, MAX_LAYERS};
use strata_model::model::{LayerSpec, Model, ModelConfig};
use strata_model::zoo::{named_layers, Knobs};
use strata_text::{PadSequences, Tokenizer, TokenizerConfig};

const TEXTS: [&str; 3] = ["good fine film. bad dull plot!", "", "unseen words only"];

/// A model folder's three files, as values a test can damage.
struct Folder {
    config: Value,
    tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
    vocab: Value,
}

impl Folder {
    /// A freshly initialised model of `layers` (vocabulary 20, embedding 4), saved and read
    /// back: the files strata writes.
    fn of(layers: Vec<LayerSpec>, maxlen: usize) -> Folder {
        let config = ModelConfig { architecture: "custom".into(), embedding_dim: 4, layers, ..ModelConfig::seed(20) };
        let mut tokenizer = Tokenizer::new(TokenizerConfig {
            num_words: Some(20),
            oov_token: Some("<OOV>".into()),
            ..Default::default()
        });
        tokenizer.fit_on_texts(&TEXTS[..1]);
        let saved = SavedModel {
            model: Model::new(config, 7),
            tokenizer,
            labels: LabelMap::from_labels(["neg", "pos"]),
            pad: PadSequences::keras(maxlen),
            structure: Default::default(),
        };
        let dir = tempfile::tempdir().unwrap();
        save(&dir.path().join("m"), &saved).unwrap();
        let read =
            |name: &str| serde_json::from_slice(&std::fs::read(dir.path().join("m").join(name)).unwrap()).unwrap();
        let p = &saved.model.params;
        Folder {
            config: read("config.json"),
            tensors: p
                .specs
                .iter()
                .map(|s| (s.name.clone(), s.shape.clone(), p.data[s.range.clone()].to_vec()))
                .collect(),
            vocab: read("vocab.json"),
        }
    }

    fn seed() -> Folder {
        Folder::of(named_layers("seed", Knobs { units: Some(3), ..Knobs::default() }).unwrap(), 6)
    }

    fn han(sentences: usize) -> Folder {
        let knobs = Knobs { units: Some(2), sentences: Some(sentences), ..Knobs::default() };
        Folder::of(named_layers("han", knobs).unwrap(), 4)
    }

    fn load_with(&self, config: &str, vocab: &str) -> Result<SavedModel, DataError> {
        let tensors = tensors_file(self.tensors.iter().map(|(n, s, d)| (n.clone(), s.clone(), d.as_slice())));
        parse_folder(Path::new("m"), config.as_bytes(), &tensors, vocab.as_bytes())
    }

    fn load(&self) -> Result<SavedModel, DataError> {
        self.load_with(&self.config.to_string(), &self.vocab.to_string())
    }

    /// The load error's one line; panics if the folder loads.
    fn refused(&self) -> String {
        match self.load() {
            Ok(_) => panic!("a damaged folder loaded: {}", self.config),
            Err(e) => e.to_string(),
        }
    }

    fn set_weight(&mut self, name: &str, at: usize, value: f32) {
        self.tensors.iter_mut().find(|t| t.0 == name).unwrap().2[at] = value;
    }
}

#[test]
fn an_undamaged_folder_loads_and_predicts() {
    for folder in [Folder::seed(), Folder::han(3)] {
        let saved = folder.load().unwrap();
        let p = predict(&saved, &TEXTS);
        assert_eq!(p.len(), TEXTS.len());
        assert!(p.iter().all(|p| p.probs.iter().all(|x| x.is_finite())));
    }
}

#[test]
fn non_finite_weights_are_refused_by_tensor_name() {
    for (name, value) in
        [("lstm_0.kernel", f32::NAN), ("head.bias", f32::INFINITY), ("embedding.weight", f32::NEG_INFINITY)]
    {
        let mut folder = Folder::seed();
        folder.set_weight(name, 0, value);
        let e = folder.refused();
        assert!(e.starts_with("m/model.safetensors: tensor '"), "{e}");
        assert!(e.contains(&format!("'{name}' holds {value} at index 0")), "{e}");
        assert_eq!(e.matches("(hint:").count(), 1, "{e}");
    }
}

#[test]
fn a_maxlen_past_the_limit_is_refused() {
    let mut folder = Folder::seed();
    for maxlen in [MAX_IDS_PER_TEXT + 1, 1_000_000_000_000, usize::MAX] {
        folder.config["maxlen"] = json!(maxlen);
        let e = folder.refused();
        assert!(e.starts_with(&format!("m/config.json: maxlen {maxlen} is more than strata's limit")), "{e}");
    }
    folder.config["maxlen"] = json!(MAX_IDS_PER_TEXT);
    folder.load().unwrap();
}

#[test]
fn a_sentence_count_that_overflows_maxlen_is_refused() {
    let mut folder = Folder::han(3);
    assert_eq!(folder.config["model"]["layers"][2]["count"], json!(3), "the han list changed: {}", folder.config);
    // 2^32 × 2^32 wraps to 0 ids per text; 40 × 10^12 asks for terabytes per batch
    for (maxlen, sentences) in [(1u64 << 32, 1u64 << 32), (40, 1_000_000_000_000)] {
        folder.config["maxlen"] = json!(maxlen);
        folder.config["model"]["layers"][2]["count"] = json!(sentences);
        let e = folder.refused();
        assert!(e.contains(&format!("maxlen {maxlen} × {sentences} sentences is more than strata's limit")), "{e}");
    }
}

#[test]
fn an_oov_id_outside_the_embedding_is_refused() {
    let mut folder = Folder::seed();
    assert_eq!(folder.vocab["word_index"]["<OOV>"], json!(1));
    folder.vocab["word_index"]["<OOV>"] = json!(20);
    let e = folder.refused();
    assert!(e.starts_with("m/vocab.json: the OOV token's id 20 is outside the model's 20 ids"), "{e}");
    folder.vocab["word_index"]["<OOV>"] = json!(19);
    folder.load().unwrap();
}

#[test]
fn a_nul_in_a_saved_label_is_refused() {
    let mut folder = Folder::seed();
    folder.config["id2label"]["1"] = json!("pos\u{0}itive");
    let e = folder.refused();
    assert!(e.starts_with("m/config.json: the label of id 1 contains a NUL character"), "{e}");
}

#[test]
fn a_maxlen_shorter_than_the_widest_convolution_is_refused() {
    let mut folder = Folder::of(named_layers("kim-cnn", Knobs { units: Some(2), ..Knobs::default() }).unwrap(), 8);
    folder.load().unwrap();
    folder.config["maxlen"] = json!(4);
    let e = folder.refused();
    assert!(e.starts_with("m/config.json: maxlen 4 is shorter than the widest convolution (5)"), "{e}");
    assert_eq!(e.matches("(hint:").count(), 1, "{e}");
}

#[test]
fn a_list_past_the_layer_limit_is_refused_before_it_is_placed() {
    let mut folder = Folder::seed();
    let layer = folder.config["model"]["layers"][0].clone();
    folder.config["model"]["layers"] = Value::Array(vec![layer; MAX_LAYERS + 1]);
    let e = folder.refused();
    assert!(e.starts_with("m/config.json: 1025 layers, more than strata's limit of 1024"), "{e}");
}

/// Every number in `config.json` and `vocab.json`, in turn, replaced by values a damaged or
/// hostile file might hold: each folder is refused with one line, or loads and predicts
/// without a panic.
#[test]
fn damaged_numbers_never_panic_at_load_or_predict() {
    let folders = [
        Folder::seed(),
        Folder::han(3),
        Folder::of(named_layers("kim-cnn", Knobs { units: Some(2), ..Knobs::default() }).unwrap(), 8),
        Folder::of(named_layers("bilstm", Knobs { units: Some(2), ..Knobs::default() }).unwrap(), 5),
    ];
    // kim-cnn's widths [3, 4, 5] damaged to [5, 4, 5] once panicked on a tensor declared twice;
    // from 2^63 up, `units × directions` and `filters × widths` once overflowed.
    let values = ["0", "1", "2", "5", "4294967296", "1000000000000", "9223372036854775808", "18446744073709551615"];
    let (mut loaded, mut refused) = (0, 0);
    for folder in &folders {
        let (config, vocab) = (folder.config.to_string(), folder.vocab.to_string());
        for damage_config in [true, false] {
            let text = if damage_config { &config } else { &vocab };
            let numbers = digit_runs(text);
            assert!(numbers.len() >= 5, "{text}");
            for &(start, end) in &numbers {
                for v in values {
                    let damaged = format!("{}{v}{}", &text[..start], &text[end..]);
                    let (c, w) = if damage_config { (&damaged, &vocab) } else { (&config, &damaged) };
                    match folder.load_with(c, w) {
                        Ok(saved) => {
                            loaded += 1;
                            let p = predict(&saved, &TEXTS);
                            assert_eq!(p.len(), TEXTS.len(), "{damaged}");
                        }
                        Err(e) => {
                            refused += 1;
                            let e = e.to_string();
                            assert!(!e.contains('\n') && e.matches("(hint: ").count() == 1, "one line, one hint: {e}");
                        }
                    }
                }
            }
        }
    }
    assert!(loaded > 0 && refused > 0, "{loaded} loaded, {refused} refused");
}

/// Byte ranges of the maximal runs of ASCII digits in `text`.
fn digit_runs(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    runs
}

/// A multi-label network says so twice, `model.multi_label` (its head's width) and
/// `label_structure` (one threshold per label): a folder where the two disagree, or whose
/// thresholds are not one probability per label, is refused before its tensors are read.
#[test]
fn a_multi_label_folder_whose_head_and_thresholds_disagree_is_refused() {
    let cases = [
        (json!(true), json!({"kind": "single"}), "the model is multi_label but label_structure is not multi"),
        (
            json!(false),
            json!({"kind": "multi", "thresholds": [0.5, 0.5]}),
            "label_structure is multi but the model is not multi_label",
        ),
        (json!(true), json!({"kind": "multi", "thresholds": [0.5, 0.5, 0.5]}), "3 thresholds for 2 labels"),
        (json!(true), json!({"kind": "multi", "thresholds": [0.5, 1.5]}), "threshold 1.5 is not a probability"),
    ];
    for (multi, structure, says) in cases {
        let mut folder = Folder::seed();
        folder.config["model"]["multi_label"] = multi;
        folder.config["label_structure"] = structure;
        let e = folder.refused();
        assert!(e.starts_with("m/config.json: ") && e.contains(says), "{e}");
    }
}
