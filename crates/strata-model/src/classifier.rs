//! A trained classifier of any family strata trains — a layered network ([`SavedModel`]),
//! fastText's linear model ([`LinearModel`]) or NBSVM ([`NbsvmModel`]) — behind the one interface that `predict`, `test`,
//! `explain`, `serve`, `cv` and `experiment` use. Loading a folder dispatches on its
//! `config.json` `format`; a command that only a network can answer (probe) asks for
//! [`Classifier::network`] and says why when it is linear. An ensemble of either (`ensemble/`)
//! is a classifier too: its members are `Classifier`s.

use std::path::Path;

use strata_data::{DataError, LabelMap};

use crate::ensemble::folder::ENSEMBLE_FORMAT;
use crate::ensemble::{self, Ensemble, Voter};
use crate::explain::{occlusion, Explanation};
use crate::folder::{self, format_of, SavedModel};
use crate::infer::{evaluate, evaluate_with_classes, predict, Dataset, Evaluation, Prediction};
use crate::label_structure::LabelStructure;
use crate::linear::{self, LinearModel, LINEAR_FORMAT};
use crate::nbsvm::{self, NbsvmModel, NBSVM_FORMAT};

// one per model loaded or trained, moved a handful of times: boxing would buy nothing
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Classifier {
    Network(SavedModel),
    Linear(LinearModel),
    /// Soft voting over members of either family (`strata ensemble`).
    Ensemble(Ensemble<Classifier>),
    /// NBSVM (Wang & Manning 2012): NB-weighted n-grams under a logistic regression.
    Nbsvm(NbsvmModel),
}

impl Classifier {
    pub fn labels(&self) -> &LabelMap {
        match self {
            Classifier::Network(s) => &s.labels,
            Classifier::Linear(m) => &m.labels,
            Classifier::Ensemble(e) => &e.labels,
            Classifier::Nbsvm(m) => &m.labels,
        }
    }

    pub fn set_labels(&mut self, labels: LabelMap) {
        match self {
            Classifier::Network(s) => s.labels = labels,
            Classifier::Linear(m) => m.labels = labels,
            Classifier::Ensemble(e) => e.labels = labels,
            Classifier::Nbsvm(m) => m.labels = labels,
        }
    }

    /// How the model's labels are read: one per text, several, or a tree.
    pub fn structure(&self) -> &LabelStructure {
        match self {
            Classifier::Network(s) => &s.structure,
            Classifier::Linear(m) => &m.structure,
            Classifier::Ensemble(e) => &e.structure,
            Classifier::Nbsvm(m) => &m.structure,
        }
    }

    /// A multi-label model's thresholds, one per label (`None` for any other).
    pub fn thresholds(&self) -> Option<&[f32]> {
        match self.structure() {
            LabelStructure::Multi { thresholds } => Some(thresholds),
            _ => None,
        }
    }

    /// Sets how the labels are read (a label tree found at training time).
    pub fn set_structure(&mut self, structure: LabelStructure) {
        match self {
            Classifier::Network(s) => s.structure = structure,
            Classifier::Linear(m) => m.structure = structure,
            Classifier::Ensemble(e) => e.structure = structure,
            Classifier::Nbsvm(m) => m.structure = structure,
        }
    }

    /// The model's name as `--model` spells it (`seed`, `kim-cnn`, `custom`, `linear`).
    pub fn architecture(&self) -> &str {
        match self {
            Classifier::Network(s) => &s.model.config.architecture,
            Classifier::Linear(_) => "linear",
            Classifier::Ensemble(_) => ENSEMBLE_FORMAT,
            Classifier::Nbsvm(_) => "nbsvm",
        }
    }

    /// The network, for what only a network has (levels to probe).
    pub fn network(&self) -> Option<&SavedModel> {
        match self {
            Classifier::Network(s) => Some(s),
            Classifier::Linear(_) | Classifier::Ensemble(_) | Classifier::Nbsvm(_) => None,
        }
    }

    /// The network, by value (`None` for a linear model).
    pub fn into_network(self) -> Option<SavedModel> {
        match self {
            Classifier::Network(s) => Some(s),
            Classifier::Linear(_) | Classifier::Ensemble(_) | Classifier::Nbsvm(_) => None,
        }
    }

    pub fn predict(&self, texts: &[&str]) -> Vec<Prediction> {
        match self {
            Classifier::Network(s) => predict(s, texts),
            Classifier::Linear(m) => m.predict(texts),
            Classifier::Ensemble(e) => e.predict(texts),
            Classifier::Nbsvm(m) => m.predict(texts),
        }
    }

    /// Mean cross-entropy and accuracy on `texts` labelled `y` (class indices): a network's
    /// from its logits (`infer::evaluate`), a linear model's from its probabilities.
    pub fn evaluate(&self, texts: &[&str], y: &[usize]) -> Evaluation {
        match self {
            Classifier::Network(s) => {
                let ids = s.encode(texts);
                evaluate(&s.model, &Dataset { ids: &ids, labels: y, t: s.encoding().ids_per_text() })
            }
            Classifier::Linear(m) => m.evaluate(&m.encode_rows(texts), y),
            Classifier::Ensemble(e) => e.evaluate_with_classes(texts, y).0,
            Classifier::Nbsvm(m) => m.evaluate(&m.encode(texts), y),
        }
    }

    /// [`Self::evaluate`] and the class [`Self::predict`] picks for each text, from one pass.
    pub fn evaluate_with_classes(&self, texts: &[&str], y: &[usize]) -> (Evaluation, Vec<usize>) {
        match self {
            Classifier::Network(s) => {
                let ids = s.encode(texts);
                evaluate_with_classes(&s.model, &Dataset { ids: &ids, labels: y, t: s.encoding().ids_per_text() })
            }
            Classifier::Linear(m) => m.evaluate_with_classes(&m.encode_rows(texts), y),
            Classifier::Ensemble(e) => e.evaluate_with_classes(texts, y),
            Classifier::Nbsvm(m) => m.evaluate_with_classes(&m.encode(texts), y),
        }
    }

    /// Why the model chose what it chose, per token; `None` when no token of `text` is known.
    pub fn explain(&self, text: &str) -> Option<Explanation> {
        match self {
            Classifier::Network(s) => occlusion(s, text),
            Classifier::Linear(m) => linear::explain::explain(m, text),
            Classifier::Ensemble(e) => e.explain(text),
            Classifier::Nbsvm(m) => nbsvm::explain::explain(m, text),
        }
    }

    /// How many tokens of `text` the model reads, as an explanation lists them (the server
    /// bounds requests by it).
    pub fn token_count(&self, text: &str) -> usize {
        match self {
            Classifier::Network(s) => s.tokenizer.token_ids(text).len(),
            // the words, less the `</s>` fastText appends (no word of the text)
            Classifier::Linear(m) => m.features(text).words.len().saturating_sub(1),
            Classifier::Ensemble(e) => e.token_count(text),
            Classifier::Nbsvm(m) => nbsvm::features::NgramSplitter::new(m).words(text).len(),
        }
    }

    /// Saves the model folder at `dir` (atomically; only over a folder strata wrote).
    pub fn save(&self, dir: &Path) -> Result<(), DataError> {
        match self {
            Classifier::Network(s) => folder::save(dir, s),
            Classifier::Linear(m) => linear::folder::save(dir, m),
            Classifier::Ensemble(e) => ensemble::folder::save_with(dir, e, &[], Classifier::save),
            Classifier::Nbsvm(m) => nbsvm::folder::save_with(dir, m, &[]),
        }
    }

    /// [`Classifier::save`] with the model card `card` as the folder's `README.md`, written
    /// in the same atomic step.
    pub fn save_with_card(&self, dir: &Path, card: &str) -> Result<(), DataError> {
        let extra = [("README.md", card.as_bytes().to_vec())];
        match self {
            Classifier::Network(s) => folder::save_with(dir, s, &extra),
            Classifier::Linear(m) => linear::folder::save_with(dir, m, &extra),
            Classifier::Ensemble(e) => ensemble::folder::save_with(dir, e, &extra, Classifier::save),
            Classifier::Nbsvm(m) => nbsvm::folder::save_with(dir, m, &extra),
        }
    }
}

/// Loads a model folder of either family (or a run folder holding `model/`).
pub fn load(dir: &Path) -> Result<Classifier, DataError> {
    let dir = folder::resolve(dir);
    let config = std::fs::read(dir.join("config.json")).unwrap_or_default();
    if format_of(&config).as_deref() == Some(ENSEMBLE_FORMAT) {
        return ensemble::folder::load(&dir, &config, load).map(Classifier::Ensemble);
    }
    if format_of(&config).as_deref() == Some(LINEAR_FORMAT) {
        let [config, tensors, vocab] = folder::read_files(&dir)?;
        return Ok(Classifier::Linear(linear::folder::parse_folder(&dir, &config, &tensors, &vocab)?));
    }
    if format_of(&config).as_deref() == Some(NBSVM_FORMAT) {
        let [config, tensors, vocab] = folder::read_files(&dir)?;
        return Ok(Classifier::Nbsvm(nbsvm::folder::parse_folder(&dir, &config, &tensors, &vocab)?));
    }
    folder::load(&dir).map(Classifier::Network)
}

/// What an ensemble asks of its members, answered by the methods above.
impl Voter for Classifier {
    fn labels(&self) -> &LabelMap {
        Classifier::labels(self)
    }
    fn structure(&self) -> &LabelStructure {
        Classifier::structure(self)
    }
    fn architecture(&self) -> &str {
        Classifier::architecture(self)
    }
    fn predict(&self, texts: &[&str]) -> Vec<Prediction> {
        Classifier::predict(self, texts)
    }
    fn token_count(&self, text: &str) -> usize {
        Classifier::token_count(self, text)
    }
}
