//! Training fastText's linear model: SGD on one example at a time, the learning rate falling
//! linearly from `lr` to 0 over all epochs' tokens, the hidden vector the mean of the input
//! rows, the gradient to `input` shared out over those rows (fastText's `Model::update`).
//!
//! Deterministic for a seed and thread count, where fastText's Hogwild threads are not: the
//! examples of an epoch are dealt in rounds; in a round each thread trains on its own slice
//! against the weights as they were when the round began plus its own changes (kept in a
//! sparse per-thread overlay of the rows it touched), and the rounds' changes are added in
//! thread order. One thread is exactly fastText's sequential SGD.

use strata_model::linear::LinearModel;

/// How the linear model is trained (fastText's `-epoch -lr`, plus the seed of the order).
#[derive(Clone, Debug, PartialEq)]
pub struct LinearFit {
    pub epochs: usize,
    pub lr: f32,
    /// Examples are visited in a seeded shuffled order each epoch.
    pub seed: u64,
    /// Worker threads (rayon's current pool gives the usual one).
    pub threads: usize,
}

/// One epoch's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearEpoch {
    pub epoch: usize,
    /// Mean training loss over the epoch's examples.
    pub loss: f64,
    /// Learning rate at the end of the epoch.
    pub lr: f32,
    /// Tokens (words and `</s>`, as fastText counts them) trained on per second per thread.
    pub words_per_second_per_thread: f64,
    pub seconds: f64,
}

/// Trains `model` on examples given as their input rows (`rows[i]`, from
/// `LinearModel::features`) and classes (`y[i]`); `tokens[i]` is the example's token count
/// for the learning-rate schedule. `on_epoch` sees each epoch as it ends (the caller may
/// evaluate `model` there).
pub fn fit_linear(
    model: &mut LinearModel,
    rows: &[Vec<u32>],
    tokens: &[usize],
    y: &[usize],
    fit: &LinearFit,
    on_epoch: &mut dyn FnMut(&LinearModel, &LinearEpoch),
) -> Vec<LinearEpoch> {
    let _ = (model, rows, tokens, y, fit, on_epoch);
    todo!("linear: fit")
}
