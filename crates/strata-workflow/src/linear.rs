//! `--model linear` in the workflows: fastText's supervised model trained on a split's
//! training part with strata's tokenizer, scored on its validation part after every epoch.
//! `pipeline::train` wraps the result as a `Trained` like any network's, so that `train`, `cv`,
//! `experiment` (where it is the baseline) and `tune` treat both families alike.

use strata_data::{Example, LabelMap};
use strata_model::infer::Evaluation;
use strata_model::linear::{LinearConfig, LinearModel};
use strata_text::TokenizerConfig;
use strata_train::{EpochRecord, Progress};

use crate::error::WorkflowError;

/// The linear model's own settings; its epochs and seed are `TrainSettings::fit`'s.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearSettings {
    pub config: LinearConfig,
    /// Starting learning rate of the linearly decaying SGD (fastText's `-lr`).
    pub lr: f32,
}

/// The name experiments give the linear baseline's row.
pub const BASELINE_NAME: &str = "linear (baseline)";

/// The linear model's epochs and starting rate when the user gives none: the settings measured
/// as the baseline in issue 13 (fastText `-epoch 25 -lr 1.0`; fastText's own defaults, 5 and
/// 0.1, are far worse on this data).
pub const DEFAULT_EPOCHS: usize = 25;
pub const DEFAULT_LR: f32 = 1.0;

/// What one linear training run needs: the examples, which train and which validate, how text
/// splits into words, and the epochs and seed.
pub struct LinearRun<'a> {
    pub examples: &'a [Example],
    pub labels: &'a LabelMap,
    pub y: &'a [usize],
    pub train_idx: &'a [usize],
    pub val_idx: &'a [usize],
    pub tokenizer: &'a TokenizerConfig,
    pub epochs: usize,
    pub seed: u64,
}

/// A trained linear model, its epochs (one stage, "linear") and its last validation score.
pub struct LinearTrained {
    pub model: LinearModel,
    pub history: Vec<EpochRecord>,
    pub validation: Option<Evaluation>,
}

/// Trains a linear model on `run.train_idx`, evaluating on `run.val_idx` after each epoch;
/// each epoch reaches `progress` as an `EpochRecord`.
pub fn train(
    run: LinearRun,
    linear: &LinearSettings,
    progress: &mut dyn Progress,
) -> Result<LinearTrained, WorkflowError> {
    let _ = (run, linear, progress);
    todo!("linear: workflow")
}
