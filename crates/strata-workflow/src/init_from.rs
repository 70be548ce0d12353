//! `--init-from DIR`: a new model starts from an earlier model's tensors. Every tensor below
//! the head whose dotted name and shape match one in DIR's `model.safetensors` is copied in;
//! the head (a classifier for DIR's own labels) and any tensor DIR lacks start fresh. A tensor
//! of the same name but another shape, or a folder sharing no tensor, is an error: the user
//! asked for weights that cannot be carried over.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_data::DataError;
use strata_model::folder::SavedModel;
use strata_model::model::Model;

/// The folder `--init-from` names, read once: every fold of a cross-validation starts from the
/// same copy.
#[derive(Clone, Debug)]
pub struct InitFrom {
    /// As the user gave it, for messages.
    pub dir: PathBuf,
    pub saved: Arc<SavedModel>,
}

impl InitFrom {
    pub fn load(dir: &Path) -> Result<Self, DataError> {
        Ok(InitFrom { dir: dir.to_path_buf(), saved: Arc::new(strata_model::folder::load(dir)?) })
    }
}

/// Copies `from`'s matching tensors into `model`; returns the line to print,
/// `Init from DIR: loaded embedding, lstm_0; fresh: head`. `dir` names the folder in messages.
pub fn copy_tensors(model: &mut Model, from: &SavedModel, dir: &Path) -> Result<String, DataError> {
    let shown = dir.display().to_string();
    // layers in store order, each with whether all its tensors were loaded
    let mut layers: Vec<(String, bool)> = Vec::new();
    for spec in model.params.specs.clone() {
        let layer = spec.name.split('.').next().unwrap_or(&spec.name).to_string();
        let source = from.model.params.find(&spec.name).filter(|_| layer != "head");
        let loaded = match source {
            Some(src) if src.shape != spec.shape => {
                let message =
                    format!("tensor {} is {:?} there and {:?} in the new model", spec.name, src.shape, spec.shape);
                let hint = "give the new model the folder's sizes (--model, --units, --embedding-dim, --layers)";
                return Err(DataError::new(&shown, None, message, hint));
            }
            Some(src) => {
                let values = from.model.params.data[src.range.clone()].to_vec();
                model.params.data[spec.range.clone()].copy_from_slice(&values);
                true
            }
            None => false,
        };
        match layers.iter_mut().find(|(name, _)| *name == layer) {
            Some((_, all)) => *all &= loaded,
            None => layers.push((layer, loaded)),
        }
    }
    let names =
        |loaded: bool| -> Vec<&str> { layers.iter().filter(|(_, l)| *l == loaded).map(|(n, _)| n.as_str()).collect() };
    let (loaded, fresh) = (names(true), names(false));
    if loaded.is_empty() {
        return Err(DataError::new(
            &shown,
            None,
            "shares no tensor with the new model",
            "the layer names must match: train the new model with the same --model or --model-file layers",
        ));
    }
    let fresh = if fresh.is_empty() { "none".to_string() } else { fresh.join(", ") };
    Ok(format!("Init from {shown}: loaded {}; fresh: {fresh}", loaded.join(", ")))
}
