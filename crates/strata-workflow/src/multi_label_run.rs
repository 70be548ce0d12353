//! What a multi-label run is given and gives back, shared by the linear model's training
//! (`crate::multi_label`) and a network's (`crate::multi_label_network`): the texts with their
//! label sets and parts, the trained model with its validation figures, and the rule that picks
//! each label's threshold.

use strata_data::{LabelMap, MultiExample};
use strata_model::multi_label::metrics::MultiLabelMetrics;
use strata_model::multi_label::thresholds::{tune, DEFAULT_THRESHOLD};
use strata_model::Classifier;
use strata_train::EpochRecord;

/// Texts with their labels, and which train and which validate.
#[derive(Clone, Copy)]
pub struct MultiData<'a> {
    pub examples: &'a [MultiExample],
    pub labels: &'a LabelMap,
    /// Each example's class indices in `labels`.
    pub y: &'a [Vec<usize>],
    pub train_idx: &'a [usize],
    pub val_idx: &'a [usize],
}

/// A trained multi-label model, its epochs, and its validation figures at its thresholds.
pub struct MultiTrained {
    pub model: Classifier,
    pub history: Vec<EpochRecord>,
    pub validation: Option<MultiLabelMetrics>,
    /// Whether the thresholds were tuned (else fixed by `--threshold`, or 0.5 with no
    /// validation part).
    pub tuned: bool,
    pub diverged: Option<String>,
}

/// One threshold per label: `threshold` for all when given, else each tuned for F1 on the
/// validation part's probabilities (`true`: tuned), else 0.5 when there is no validation part.
pub fn thresholds_for(
    threshold: Option<f32>,
    val_probs: &[Vec<f32>],
    val_y: &[Vec<usize>],
    classes: usize,
) -> (Vec<f32>, bool) {
    match threshold {
        Some(t) => (vec![t; classes], false),
        None if !val_y.is_empty() => (tune(val_probs, val_y, classes), true),
        None => (vec![DEFAULT_THRESHOLD; classes], false),
    }
}
