//! NBSVM model folders: the same three files as every model — `config.json` (`format:
//! "strata-nbsvm"`, the [`NbsvmConfig`], the labels, the tokenizer settings),
//! `model.safetensors` (`weight` `[H, F]` and `bias` `[H]`) and `vocab.json` (the features'
//! n-gram keys, sorted) — written atomically, read back with a clear error for every missing or
//! damaged piece.

use std::path::Path;

use safetensors::tensor::SafeTensors;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use strata_data::{DataError, LabelMap};
use strata_text::TokenizerConfig;

use crate::folder::{err, format_of, read_tensor, tensors_file, write_dir_atomic, RETRAIN};
use crate::label_structure::LabelStructure;
use crate::nbsvm::{heads_for, NbsvmConfig, NbsvmModel, NBSVM_FORMAT, NBSVM_FORMAT_VERSION};
use crate::owned::Owned;

/// `config.json` of an NBSVM model.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NbsvmFile {
    format: String,
    format_version: u32,
    strata_version: String,
    model: NbsvmConfig,
    /// Hugging Face's shape: `{"0": "neg", "1": "pos"}`, and its inverse.
    id2label: Map<String, Value>,
    label2id: Map<String, Value>,
    tokenizer: TokenizerConfig,
}

/// `vocab.json` of an NBSVM model: the n-gram key of every feature, in feature order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    keys: Vec<u32>,
}

/// Saves `model` at `dir` atomically, with `extra` files (the model card) in the same step.
pub fn save_with(dir: &Path, model: &NbsvmModel, extra: &[(&str, Vec<u8>)]) -> Result<(), DataError> {
    let object = |v: Value| match v {
        Value::Object(m) => m,
        _ => unreachable!("the label maps are objects"),
    };
    let file = NbsvmFile {
        format: NBSVM_FORMAT.into(),
        format_version: NBSVM_FORMAT_VERSION,
        strata_version: env!("CARGO_PKG_VERSION").into(),
        model: model.config.clone(),
        id2label: object(model.labels.id2label()),
        label2id: object(model.labels.label2id()),
        tokenizer: model.tokenizer.clone(),
    };
    let tensors = tensors_file([
        ("weight".to_string(), vec![model.heads(), model.keys.len()], model.weight.as_slice()),
        ("bias".to_string(), vec![model.heads()], model.bias.as_slice()),
    ]);
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("config.json", serde_json::to_vec_pretty(&file).expect("config serialises")),
        ("model.safetensors", tensors),
        ("vocab.json", serde_json::to_vec(&KeysFile { keys: model.keys.clone() }).expect("keys serialise")),
    ];
    files.extend(extra.iter().cloned());
    write_dir_atomic(dir, Owned::Model, &files)
}

/// What in a config no model can be read with.
fn config_problem(c: &NbsvmConfig) -> Option<&'static str> {
    if c.word_ngrams == 0 {
        return Some("word_ngrams is 0");
    }
    if !(c.alpha > 0.0 && c.alpha.is_finite()) {
        return Some("alpha is not a positive number");
    }
    if !(0.0..=1.0).contains(&c.beta) {
        return Some("beta is outside [0, 1]");
    }
    None
}

/// An NBSVM model folder from the bytes of its three files (`dir` names them in errors).
pub fn parse_folder(dir: &Path, config: &[u8], tensors: &[u8], vocab: &[u8]) -> Result<NbsvmModel, DataError> {
    let cfg_path = dir.join("config.json");
    if let Some(format) = format_of(config).filter(|f| f != NBSVM_FORMAT) {
        return Err(err(&cfg_path, format!("format is '{format}', not '{NBSVM_FORMAT}'"), RETRAIN));
    }
    let file: NbsvmFile =
        serde_json::from_slice(config).map_err(|e| err(&cfg_path, format!("corrupt: {e}"), RETRAIN))?;
    if file.format_version > NBSVM_FORMAT_VERSION {
        return Err(err(
            &cfg_path,
            format!("format_version {} is newer than this strata reads ({NBSVM_FORMAT_VERSION})", file.format_version),
            "upgrade strata",
        ));
    }
    if let Some(problem) = config_problem(&file.model) {
        return Err(err(&cfg_path, problem, RETRAIN));
    }
    let labels = crate::folder::labels_of(&file.id2label, &cfg_path)?;
    if labels.len() < 2 {
        return Err(err(&cfg_path, "id2label has fewer than two labels", RETRAIN));
    }
    crate::folder::check_label2id(&file.label2id, &labels, &cfg_path)?;

    let vocab_path = dir.join("vocab.json");
    let k: KeysFile = serde_json::from_slice(vocab).map_err(|e| err(&vocab_path, format!("corrupt: {e}"), RETRAIN))?;
    if k.keys.windows(2).any(|w| w[0] >= w[1]) {
        return Err(err(&vocab_path, "the keys are not sorted and unique", RETRAIN));
    }
    let st_path = dir.join("model.safetensors");
    let heads = heads_for(labels.len());
    // check the sizes before allocating: a damaged vocabulary must not ask for terabytes
    let needed = k.keys.len().checked_add(1).and_then(|n| n.checked_mul(heads * 4));
    if needed.is_none_or(|n| n > tensors.len()) {
        return Err(err(&st_path, "corrupt: smaller than config.json and vocab.json describe", RETRAIN));
    }
    let st = SafeTensors::deserialize(tensors).map_err(|e| err(&st_path, format!("corrupt: {e}"), RETRAIN))?;
    let mut weight = vec![0.0; heads * k.keys.len()];
    read_tensor(&st, "weight", &[heads, k.keys.len()], &st_path, &mut weight)?;
    let mut bias = vec![0.0; heads];
    read_tensor(&st, "bias", &[heads], &st_path, &mut bias)?;
    Ok(NbsvmModel {
        config: file.model,
        tokenizer: file.tokenizer,
        labels: LabelMap::from_vec(labels),
        keys: k.keys,
        weight,
        bias,
        structure: LabelStructure::Single,
    })
}
