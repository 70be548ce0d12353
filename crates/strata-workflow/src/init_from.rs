//! `--init-from DIR`: a new model starts from an earlier model's tensors. DIR is a trained
//! model folder or a `strata pretrain` folder. Every tensor below the head whose dotted name and
//! shape match one in DIR's `model.safetensors` is copied in; the head (a classifier for DIR's
//! own labels), any tensor DIR lacks, and DIR's tensors no classifier has (a language model's
//! `lm_decoder.*`) are left aside. A tensor of the same name but another shape, or a folder
//! sharing no tensor, is an error: the user asked for weights that cannot be carried over.
//!
//! A multichannel model's static copy (`embedding.static_weight`) starts from DIR's own static
//! copy when DIR has one, else from DIR's `embedding.weight`: both channels start from the same
//! vectors, as in Kim's CNN-multichannel.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_data::DataError;
use strata_model::model::{Model, STATIC_EMBEDDING};
use strata_model::pretrained::{self, PRETRAINED_FORMAT};
use strata_nn::ParamStore;
use strata_text::Tokenizer;

/// Which kind of folder `--init-from` named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderKind {
    /// A trained classifier (`strata train`'s model folder).
    Classifier,
    /// Levels learned from unlabelled text (`strata pretrain`'s folder).
    Pretrained,
}

/// The folder `--init-from` names, read once: every fold of a cross-validation starts from the
/// same copy.
#[derive(Clone, Debug)]
pub struct InitFrom {
    /// As the user gave it, for messages.
    pub dir: PathBuf,
    /// Its vocabulary: the new model's.
    pub tokenizer: Tokenizer,
    /// Every tensor the folder holds (a classifier's head, a language model's `lm_decoder.*`
    /// included; `copy_tensors` skips both).
    pub tensors: Arc<ParamStore>,
    pub kind: FolderKind,
}

impl InitFrom {
    /// Reads a model folder or a pretrained folder (or a run folder holding either as model/).
    pub fn load(dir: &Path) -> Result<Self, DataError> {
        let resolved = strata_model::folder::resolve(dir);
        let config = std::fs::read(resolved.join("config.json")).ok();
        let is_pretrained = config.as_deref().and_then(pretrained::format_of).is_some_and(|f| f == PRETRAINED_FORMAT);
        let (tokenizer, tensors, kind) = if is_pretrained {
            let p = pretrained::load(&resolved)?;
            (p.tokenizer, p.tensors, FolderKind::Pretrained)
        } else {
            let saved = strata_model::folder::load(dir)?;
            (saved.tokenizer, saved.model.params, FolderKind::Classifier)
        };
        Ok(InitFrom { dir: dir.to_path_buf(), tokenizer, tensors: Arc::new(tensors), kind })
    }
}

/// Copies `from`'s matching tensors into `model`; returns the line to print,
/// `Init from DIR: loaded embedding, lstm_0; fresh: head`. `dir` names the folder in messages.
pub fn copy_tensors(model: &mut Model, from: &ParamStore, dir: &Path) -> Result<String, DataError> {
    let shown = dir.display().to_string();
    // layers in store order, each with whether all its tensors were loaded
    let mut layers: Vec<(String, bool)> = Vec::new();
    for spec in model.params.specs.clone() {
        let layer = spec.name.split('.').next().unwrap_or(&spec.name).to_string();
        let source = from
            .find(&spec.name)
            .or_else(|| (spec.name == STATIC_EMBEDDING).then(|| from.find("embedding.weight")).flatten())
            .filter(|_| layer != "head");
        let loaded = match source {
            Some(src) if src.shape != spec.shape => {
                // named as the folder has it (a static copy may come from `embedding.weight`)
                let message =
                    format!("tensor {} is {:?} there and {:?} in the new model", src.name, src.shape, spec.shape);
                let channels_differ = model.layout.static_embedding.is_some() && from.find(STATIC_EMBEDDING).is_none();
                let hint = if channels_differ && layer != "embedding" {
                    // the lowest level reads E values per word there and 2E here
                    "a multichannel model's lowest level reads both copies: start it from a pretrained folder (`strata pretrain`) or a multichannel model, or leave out --multichannel"
                } else {
                    "give the new model the folder's sizes (--model, --units, --embedding-dim, --layers)"
                };
                return Err(DataError::new(&shown, None, message, hint));
            }
            Some(src) => {
                let values = from.data[src.range.clone()].to_vec();
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

#[cfg(test)]
mod tests {
    use super::*;
    use strata_model::model::ModelConfig;
    use strata_model::pretrained::{Pretrained, PretrainedFile, PRETRAINED_FORMAT_VERSION};
    use strata_text::TokenizerConfig;

    #[test]
    fn a_pretrained_folder_gives_its_vocabulary_and_named_tensors_and_never_its_decoder() {
        let root = tempfile::tempdir().unwrap();
        let mut tokenizer = Tokenizer::new(TokenizerConfig { num_words: Some(6), ..TokenizerConfig::default() });
        tokenizer.fit_on_texts(&["a b c d e"]);
        let config = ModelConfig { embedding_dim: 4, ..ModelConfig::seed(6) };
        let mut tensors = ParamStore::default();
        let r = tensors.add("embedding.weight", &[6, 4]);
        tensors.data[r].iter_mut().enumerate().for_each(|(i, v)| *v = i as f32);
        tensors.add("lm_decoder.weight", &[6, 4]);
        let file = PretrainedFile {
            format: PRETRAINED_FORMAT.into(),
            format_version: PRETRAINED_FORMAT_VERSION,
            strata_version: "test".into(),
            model: config.clone(),
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
        };
        // a run folder holding model/, as `strata pretrain --out` writes it
        let p = Pretrained { file, tensors: tensors.clone(), tokenizer };
        pretrained::save(&root.path().join("model"), &p).unwrap();
        let init = InitFrom::load(root.path()).unwrap();
        assert_eq!(init.kind, FolderKind::Pretrained);
        assert_eq!(init.tokenizer.word_index(), p.tokenizer.word_index());
        assert!(init.tensors.find("lm_decoder.weight").is_some(), "every tensor is read");
        let mut model = Model::new(config.clone(), 1);
        let line = copy_tensors(&mut model, &init.tensors, root.path()).unwrap();
        assert!(line.ends_with("loaded embedding; fresh: lstm_0, head"), "{line}");
        assert_eq!(model.params.get("embedding.weight"), tensors.get("embedding.weight"));
        assert!(model.params.find("lm_decoder.weight").is_none());
        // another embedding width: one error line naming the tensor
        let mut wide = Model::new(ModelConfig { embedding_dim: 8, ..ModelConfig::seed(6) }, 1);
        let e = copy_tensors(&mut wide, &init.tensors, root.path()).unwrap_err().to_string();
        assert!(e.contains("embedding.weight") && e.contains("hint"), "{e}");
        let mut wide = Model::new(ModelConfig { embedding_dim: 8, multichannel: true, ..ModelConfig::seed(6) }, 1);
        let e = copy_tensors(&mut wide, &init.tensors, root.path()).unwrap_err().to_string();
        assert!(e.contains("tensor embedding.weight is [6, 4] there and [6, 8]"), "{e}");
        // multichannel: the static copy is filled from the folder's embedding.weight
        let mut two = Model::new(ModelConfig { multichannel: true, ..config.clone() }, 1);
        let line = copy_tensors(&mut two, &init.tensors, root.path()).unwrap();
        assert!(line.ends_with("loaded embedding; fresh: lstm_0, head"), "{line}");
        assert_eq!(two.params.get(STATIC_EMBEDDING), tensors.get("embedding.weight"));
        assert_eq!(two.params.get("embedding.weight"), tensors.get("embedding.weight"));
    }

    #[test]
    fn a_multichannel_source_gives_its_own_static_copy() {
        let config = ModelConfig { embedding_dim: 3, multichannel: true, ..ModelConfig::seed(5) };
        let mut source = Model::new(config.clone(), 1);
        // the source's trained copy moved away from its static copy
        let trained = source.layout.embedding.clone();
        source.params.data[trained].iter_mut().for_each(|v| *v += 1.0);
        let mut model = Model::new(config, 2);
        copy_tensors(&mut model, &source.params, Path::new("SRC")).unwrap();
        assert_eq!(model.params.get(STATIC_EMBEDDING), source.params.get(STATIC_EMBEDDING));
        assert_eq!(model.params.get("embedding.weight"), source.params.get("embedding.weight"));
        assert_ne!(model.params.get(STATIC_EMBEDDING), model.params.get("embedding.weight"));
    }
}
