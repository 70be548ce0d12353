//! Linear model folders: the same three files as every model — `config.json` (`format:
//! "strata-linear"`, the [`LinearConfig`], the labels, the tokenizer settings),
//! `model.safetensors` (`input` and `output` under those names) and `vocab.json` (the
//! dictionary: words and counts) — written atomically, read back with a clear error for every
//! missing or damaged piece.

use std::path::Path;

use strata_data::DataError;

use crate::linear::LinearModel;

pub fn save(dir: &Path, model: &LinearModel) -> Result<(), DataError> {
    let _ = (dir, model);
    todo!("linear: save")
}

/// A linear model folder from the bytes of its three files (`dir` names them in errors).
pub fn parse_folder(dir: &Path, config: &[u8], tensors: &[u8], vocab: &[u8]) -> Result<LinearModel, DataError> {
    let _ = (dir, config, tensors, vocab);
    todo!("linear: load")
}
