//! Pretrained folders: what `strata pretrain` writes and `--init-from` reads — the lower levels
//! of a model learned from unlabelled text, without a head. Same three files as a model folder
//! (`config.json`, `model.safetensors`, `vocab.json`) so the same tools open it, but
//! `config.json` says `format: "strata-pretrained"`, and the tensors are only the pretrained
//! ones under the classifier's dotted names, plus `lm_decoder.*` when a language model was
//! trained (no classifier has those, so `--init-from` never copies them).
//!
//! The model crate knows nothing of the objectives: their settings and results are recorded
//! here as plain numbers.

use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};
use strata_data::DataError;
use strata_nn::ParamStore;
use strata_text::{Tokenizer, TokenizerConfig, VocabError};

use crate::atomic::write_dir_atomic;
use crate::folder::tensors_file;
use crate::model::ModelConfig;
use crate::owned::Owned;

pub use crate::folder::{format_of, PRETRAINED_FORMAT};
/// The newest `format_version` this strata reads. A folder is written at the oldest version
/// that describes it: 1, or 2 when it records `init_from` (`strata pretrain --init-from`) or
/// ULMFiT's language-model rates (`--lr-decay-per-level`, `--slanted-triangular-lr`), so a
/// folder trained without them keeps the bytes it always had.
pub const PRETRAINED_FORMAT_VERSION: u32 = 2;

/// The `format_version` a folder's record is written at (see [`PRETRAINED_FORMAT_VERSION`]).
pub fn format_version_for(init_from: Option<&str>, lm: Option<&LmRecord>) -> u32 {
    let ulmfit_rates = lm.is_some_and(|lm| lm.lr_decay_per_level.is_some() || lm.slanted_triangular_lr);
    if init_from.is_some() || ulmfit_rates {
        2
    } else {
        1
    }
}

/// Word2vec's settings and how the last epoch ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkipGramRecord {
    pub window: usize,
    pub negatives: usize,
    pub min_count: u64,
    pub sample: f64,
    pub epochs: usize,
    pub lr: f32,
    /// Mean negative-sampling loss of the last epoch.
    pub loss: Option<f64>,
    /// fastText's subwords, when they were used (absent otherwise, and in folders from before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subwords: Option<SubwordRecord>,
}

/// The skip-gram's character n-grams (fastText's `-minn`, `-maxn`, `-bucket`): every word's
/// `embedding.weight` row is the mean of its own vector and its n-grams' (its n-grams' alone
/// for a word below `min_count`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubwordRecord {
    pub minn: usize,
    pub maxn: usize,
    pub buckets: usize,
    /// Distinct buckets the vocabulary's n-grams fell into (the bucket rows trained).
    pub bucket_rows: usize,
}

/// The language model's settings and its held-out perplexity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmRecord {
    pub epochs: usize,
    pub bptt: usize,
    pub batch_size: usize,
    pub lr: f32,
    pub samples: usize,
    pub dropout_embedding: f32,
    pub dropout: f32,
    pub clip_norm: f32,
    /// ULMFiT's discriminative rates: each level below the top at the rate of the one above
    /// divided by this. Present only when set, at `format_version` 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr_decay_per_level: Option<f32>,
    /// ULMFiT's slanted triangular rate. Present only when on, at `format_version` 2.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub slanted_triangular_lr: bool,
    /// Mean sampled-softmax loss of the last epoch.
    pub loss: Option<f64>,
    /// exp(mean full-softmax cross-entropy) on the held-out documents (None: none held out).
    pub val_perplexity: Option<f64>,
}

/// `config.json` of a pretrained folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PretrainedFile {
    pub format: String,
    pub format_version: u32,
    pub strata_version: String,
    /// The model whose lower levels these are (`num_classes` is a placeholder: no head is
    /// saved).
    pub model: ModelConfig,
    /// The pretrained levels, bottom up: `embedding`, then the language model's (`lstm_0`, …).
    pub levels: Vec<String>,
    /// `skipgram`, `lm` or `both`.
    pub objective: String,
    pub skipgram: Option<SkipGramRecord>,
    pub lm: Option<LmRecord>,
    /// Documents and tokens trained on, and held out for perplexity.
    pub train_documents: usize,
    pub train_tokens: usize,
    pub heldout_documents: usize,
    pub heldout_tokens: usize,
    /// The tokenizer's settings (vocab.json holds them too, with the vocabulary).
    pub text: TokenizerConfig,
    pub seed: u64,
    /// The pretrained folder this run continued (`strata pretrain --init-from`), as an absolute
    /// path (a resumed run records what the uninterrupted one does); absent for a run from
    /// scratch (and in folders from before). Present only at `format_version` 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<String>,
}

/// A pretrained folder in memory.
#[derive(Clone, Debug)]
pub struct Pretrained {
    pub file: PretrainedFile,
    /// Every tensor of the folder, `lm_decoder.*` included, in file order.
    pub tensors: ParamStore,
    pub tokenizer: Tokenizer,
}

fn err(path: &Path, message: impl Into<String>, hint: &str) -> DataError {
    DataError::new(&path.display().to_string(), None, message, hint)
}

const REDO: &str = "the pretrained folder is incomplete or damaged; run `strata pretrain` again or restore it";

/// Checks that every tensor of the folder that the model names has the model's shape, and that
/// every pretrained level's tensors are there: what `load` refuses, and what `save` asserts.
fn check_tensors(p: &Pretrained, st_path: &Path) -> Result<(), DataError> {
    let shapes = p.file.model.tensor_shapes().ok_or_else(|| err(st_path, "the model does not fit", REDO))?;
    for (name, shape) in &shapes {
        let level = name.split('.').next().unwrap_or(name);
        match p.tensors.find(name) {
            Some(t) if &t.shape != shape => {
                return Err(err(st_path, format!("tensor '{name}' is {:?}, the model's is {shape:?}", t.shape), REDO))
            }
            None if p.file.levels.iter().any(|l| l == level) => {
                return Err(err(st_path, format!("tensor '{name}' of level {level} is missing"), REDO))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Writes the folder atomically at `dir` (with the model folder's marker: it holds the same
/// three files), replacing only a folder strata wrote.
pub fn save(dir: &Path, p: &Pretrained) -> Result<(), DataError> {
    check_tensors(p, &dir.join("model.safetensors"))?;
    let store = &p.tensors;
    let tensors =
        tensors_file(store.specs.iter().map(|s| (s.name.clone(), s.shape.clone(), &store.data[s.range.clone()])));
    let files: [(&str, Vec<u8>); 3] = [
        ("config.json", serde_json::to_vec_pretty(&p.file).expect("config serialises")),
        ("model.safetensors", tensors),
        ("vocab.json", p.tokenizer.to_json().into_bytes()),
    ];
    write_dir_atomic(dir, Owned::Model, &files)
}

/// A pretrained folder from the bytes of its three files (`dir` names them in errors).
pub fn parse(dir: &Path, config: &[u8], tensors: &[u8], vocab: &[u8]) -> Result<Pretrained, DataError> {
    let cfg_path = dir.join("config.json");
    // the version first, leniently: a newer folder's fields are unknown to this strata's strict
    // record, and "upgrade strata" is the advice for it, not "corrupt"
    let version = serde_json::from_slice::<serde_json::Value>(config)
        .ok()
        .and_then(|v| v.get("format_version").and_then(serde_json::Value::as_u64));
    if let Some(v) = version.filter(|&v| v > u64::from(PRETRAINED_FORMAT_VERSION)) {
        let problem = format!("format_version {v} is newer than this strata reads ({PRETRAINED_FORMAT_VERSION})");
        return Err(err(&cfg_path, problem, "upgrade strata"));
    }
    let file: PretrainedFile =
        serde_json::from_slice(config).map_err(|e| err(&cfg_path, format!("corrupt: {e}"), REDO))?;
    if file.format != PRETRAINED_FORMAT {
        return Err(err(&cfg_path, format!("format is '{}', not '{PRETRAINED_FORMAT}'", file.format), REDO));
    }
    if file.model.layers.len() > crate::limits::MAX_LAYERS {
        return Err(err(&cfg_path, "more layers than strata's limit", REDO));
    }
    file.model.validate().map_err(|m| {
        let m = m.to_string();
        err(&cfg_path, m.split(" (hint: ").next().unwrap_or(&m), REDO)
    })?;
    let st_path = dir.join("model.safetensors");
    let st = SafeTensors::deserialize(tensors).map_err(|e| err(&st_path, format!("corrupt: {e}"), REDO))?;
    // in file order, so that the store (and a re-save) is the same on every load
    let mut views = st.tensors();
    views.sort_by_key(|(_, t)| t.data().as_ptr() as usize);
    let mut store = ParamStore::default();
    for (name, t) in views {
        if t.dtype() != Dtype::F32 {
            return Err(err(&st_path, format!("tensor '{name}' is {:?}, expected F32", t.dtype()), REDO));
        }
        let range = store.add(&name, t.shape());
        let dst = &mut store.data[range];
        for (d, c) in dst.iter_mut().zip(t.data().chunks_exact(4)) {
            *d = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        if let Some(at) = dst.iter().position(|v| !v.is_finite()) {
            return Err(err(&st_path, format!("tensor '{name}' holds {} at index {at}", dst[at]), REDO));
        }
    }
    let vocab_path = dir.join("vocab.json");
    let text = std::str::from_utf8(vocab).map_err(|_| err(&vocab_path, "corrupt: not UTF-8", REDO))?;
    let tokenizer = Tokenizer::from_json(text, &vocab_path.display().to_string()).map_err(|e| match e {
        VocabError::Version { found, .. } => err(
            &vocab_path,
            format!("vocabulary format_version {found} is newer than this strata reads"),
            "upgrade strata",
        ),
        VocabError::Parse { detail, .. } => err(&vocab_path, format!("corrupt: {detail}"), REDO),
    })?;
    if tokenizer.vocab_size() != file.model.vocab_size {
        let problem = format!("vocabulary has {} ids, the model {}", tokenizer.vocab_size(), file.model.vocab_size);
        return Err(err(&vocab_path, problem, REDO));
    }
    let p = Pretrained { file, tensors: store, tokenizer };
    check_tensors(&p, &st_path)?;
    Ok(p)
}

/// Loads the pretrained folder `dir` (already resolved from a run folder).
pub fn load(dir: &Path) -> Result<Pretrained, DataError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| err(&path, format!("cannot read: {e}"), REDO))
    };
    parse(dir, &read("config.json")?, &read("model.safetensors")?, &read("vocab.json")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_written_at_version_2_only_when_it_records_what_version_1_cannot() {
        let lm = |lr_decay_per_level, slanted_triangular_lr| LmRecord {
            epochs: 1,
            bptt: 70,
            batch_size: 32,
            lr: 1e-3,
            samples: 1024,
            dropout_embedding: 0.1,
            dropout: 0.25,
            clip_norm: 0.25,
            lr_decay_per_level,
            slanted_triangular_lr,
            loss: None,
            val_perplexity: None,
        };
        assert_eq!(format_version_for(None, None), 1);
        assert_eq!(format_version_for(None, Some(&lm(None, false))), 1);
        assert_eq!(format_version_for(None, Some(&lm(Some(2.6), false))), 2);
        assert_eq!(format_version_for(None, Some(&lm(None, true))), 2);
        assert_eq!(format_version_for(Some("/pre"), None), 2);
        // a version-1 record has neither field, and reads back with them off
        let json = serde_json::to_string(&lm(None, false)).unwrap();
        assert!(!json.contains("lr_decay_per_level") && !json.contains("slanted"), "{json}");
        assert_eq!(serde_json::from_str::<LmRecord>(&json).unwrap(), lm(None, false));
    }

    /// A skip-gram folder for the seed model over a 6-word vocabulary, `[6, 128]`.
    fn folder() -> Pretrained {
        let mut tokenizer = Tokenizer::new(TokenizerConfig { num_words: Some(6), ..TokenizerConfig::default() });
        tokenizer.fit_on_texts(&["a b c d e"]);
        let model = ModelConfig::seed(6);
        let mut tensors = ParamStore::default();
        let r = tensors.add("embedding.weight", &[6, 128]);
        tensors.data[r].iter_mut().enumerate().for_each(|(i, v)| *v = i as f32 / 7.0);
        let file = PretrainedFile {
            format: PRETRAINED_FORMAT.into(),
            format_version: format_version_for(None, None),
            strata_version: "test".into(),
            model,
            levels: vec!["embedding".into()],
            objective: "skipgram".into(),
            skipgram: None,
            lm: None,
            train_documents: 1,
            train_tokens: 5,
            heldout_documents: 0,
            heldout_tokens: 0,
            text: tokenizer.config.clone(),
            seed: 0,
            init_from: None,
        };
        Pretrained { file, tensors, tokenizer }
    }

    #[test]
    fn a_folder_reads_back_as_written_and_carries_the_model_marker() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("model");
        let p = folder();
        save(&dir, &p).unwrap();
        assert!(crate::owned::is_owned(&dir, Owned::Model));
        let back = load(&dir).unwrap();
        assert_eq!(back.file, p.file);
        assert_eq!(back.tensors.specs, p.tensors.specs);
        assert_eq!(back.tensors.data, p.tensors.data);
        assert_eq!(back.tokenizer.word_index(), p.tokenizer.word_index());
        let config = std::fs::read(dir.join("config.json")).unwrap();
        assert_eq!(format_of(&config).as_deref(), Some(PRETRAINED_FORMAT));
    }

    #[test]
    fn tensors_that_do_not_fit_the_model_or_a_missing_level_are_refused_by_name() {
        let root = tempfile::tempdir().unwrap();
        let mut p = folder();
        p.file.levels.push("lstm_0".into());
        let e = save(&root.path().join("a"), &p).unwrap_err().to_string();
        assert!(e.contains("lstm_0.kernel") && e.contains("missing"), "{e}");
        let mut p = folder();
        p.file.model.embedding_dim = 64;
        let e = save(&root.path().join("b"), &p).unwrap_err().to_string();
        assert!(e.contains("embedding.weight") && e.contains("[6, 128]"), "{e}");
        // a newer format is refused with its own hint, even with a field this strata does not know
        let dir = root.path().join("c");
        save(&dir, &folder()).unwrap();
        let config = std::fs::read_to_string(dir.join("config.json")).unwrap();
        let newer = config.replace("\"format_version\": 1,", "\"format_version\": 9,\n  \"from_the_future\": true,");
        assert_ne!(newer, config);
        std::fs::write(dir.join("config.json"), newer).unwrap();
        let e = load(&dir).unwrap_err().to_string();
        assert!(e.contains("newer") && e.contains("upgrade strata") && !e.contains("corrupt"), "{e}");
    }
}
