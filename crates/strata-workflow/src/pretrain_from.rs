//! `strata pretrain --init-from DIR`: pretraining that continues from an earlier pretrained
//! folder on new text — ULMFiT's second stage (the general-domain language model fine-tuned on
//! the target task's texts) as a step of its own, what `run_mlm.py --model_name_or_path` is to
//! a Hugging Face user. The folder's vocabulary is kept as it is (never refitted, so every id
//! still means the word the levels learned), its model is the run's model, and every tensor the
//! objectives train starts from the folder's tensor of the same name: the embedding, the
//! language model's levels and, when the folder keeps it, the language model's output layer
//! (`lm_decoder.*`). A folder without the levels the objective continues is refused before any
//! work.

use std::path::{Path, PathBuf};

use strata_data::DataError;
use strata_model::pretrained::{self, Pretrained, PRETRAINED_FORMAT};
use strata_nn::ParamStore;

/// The folder a run continues from, read once.
#[derive(Clone, Debug)]
pub struct StartFrom {
    /// As the user gave it, for messages and the new folder's record.
    pub dir: PathBuf,
    pub folder: Pretrained,
}

pub(crate) fn refuse(path: &Path, problem: impl Into<String>, hint: impl Into<String>) -> DataError {
    DataError::new(&path.display().to_string(), None, problem, hint)
}

impl StartFrom {
    /// Reads a pretrained folder, or the run folder holding it as `model/`; a trained
    /// classifier's folder is refused (its tensors are a classifier's, its head has no next-word
    /// output).
    pub fn load(dir: &Path) -> Result<StartFrom, DataError> {
        let resolved = strata_model::folder::resolve(dir);
        let cfg = resolved.join("config.json");
        let bytes = std::fs::read(&cfg).map_err(|e| {
            refuse(&cfg, format!("cannot read: {e}"), "--init-from takes a `strata pretrain` folder or its run folder")
        })?;
        match pretrained::format_of(&bytes) {
            Some(f) if f == PRETRAINED_FORMAT => {}
            f => {
                let what = f.map_or("no pretrained folder".to_string(), |f| format!("a '{f}' folder"));
                return Err(refuse(
                    &cfg,
                    format!("is {what}, not a `strata pretrain` folder: it has no pretrained levels to continue"),
                    "give the folder `strata pretrain --out` wrote; a trained classifier continues with `strata train --init-from`",
                ));
            }
        }
        Ok(StartFrom { dir: dir.to_path_buf(), folder: pretrained::load(&resolved)? })
    }

    /// Whether the folder holds level `name` (its config's `levels`).
    pub fn has_level(&self, name: &str) -> bool {
        self.folder.file.levels.iter().any(|l| l == name)
    }

    /// Which parts of a language model over `plan` start from the folder (by name and shape),
    /// and which start fresh: `(loaded, fresh)`, each a list of part names.
    pub fn lm_parts(&self, into: &ParamStore) -> (Vec<String>, Vec<String>) {
        let (mut loaded, mut fresh) = (Vec::new(), Vec::new());
        for spec in &into.specs {
            let part = spec.name.split('.').next().unwrap_or(&spec.name).to_string();
            let there = self.folder.tensors.find(&spec.name).is_some_and(|t| t.shape == spec.shape);
            let list = if there { &mut loaded } else { &mut fresh };
            if !list.contains(&part) {
                list.push(part);
            }
        }
        loaded.retain(|p| !fresh.contains(p));
        (loaded, fresh)
    }

    /// Copies every tensor of `into` that the folder holds under the same name and shape.
    pub fn copy_into(&self, into: &mut ParamStore) {
        for spec in into.specs.clone() {
            if let Some(t) = self.folder.tensors.find(&spec.name).filter(|t| t.shape == spec.shape) {
                into.data[spec.range].copy_from_slice(&self.folder.tensors.data[t.range.clone()]);
            }
        }
    }

    /// The folder's `embedding.weight` (the skip-gram's starting vectors).
    pub fn embedding(&self) -> Option<&[f32]> {
        self.folder.tensors.find("embedding.weight").map(|t| &self.folder.tensors.data[t.range.clone()])
    }
}
