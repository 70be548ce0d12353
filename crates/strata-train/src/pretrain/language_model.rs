//! INTERFACE STUB (issue 12): the language-model helper replaces this file (and may split it
//! into several). The public items here are the contract the CLI, workflow and ulmfit code call;
//! the helper may add fields and functions but keeps these names and meanings.

use super::corpus::Corpus;
use strata_nn::{Cell, ParamStore};

/// One recurrent level of the language model, named as in the classifier (`lstm_0`, `gru_1`).
#[derive(Clone, Debug, PartialEq)]
pub struct LmLevel {
    pub name: String,
    pub cell: Cell,
    pub units: usize,
}

/// The network: `embedding.weight [V, E]`, every level's `NAME.kernel`, `NAME.recurrent_kernel`,
/// `NAME.bias` (the classifier's names and shapes), and the output layer `lm_decoder.weight
/// [V, H_top]`, `lm_decoder.bias [V]`, which no classifier has, so `--init-from` skips it.
#[derive(Clone, Debug)]
pub struct LanguageModel {
    pub vocab_size: usize,
    pub embedding_dim: usize,
    pub levels: Vec<LmLevel>,
    pub params: ParamStore,
}

impl LanguageModel {
    /// Keras's initialisation for the shared tensors (uniform ±0.05 embedding, glorot kernels,
    /// orthogonal recurrent kernels, unit forget bias), and the decoder's.
    pub fn new(vocab_size: usize, embedding_dim: usize, levels: Vec<LmLevel>, seed: u64) -> LanguageModel {
        let _ = (vocab_size, embedding_dim, levels, seed);
        unimplemented!("the language model arrives with its helper's branch")
    }
}

/// How the language model trains (AWD-LSTM / ULMFiT-style knobs, sized for a CPU).
#[derive(Clone, Debug, PartialEq)]
pub struct LmConfig {
    /// Truncated-BPTT length: state carries across segments, gradients do not.
    pub bptt: usize,
    /// Parallel token streams (rows of a batch).
    pub batch_size: usize,
    pub epochs: usize,
    /// Adam's learning rate.
    pub lr: f32,
    /// Negative words sampled per batch for the sampled softmax (shared by the batch).
    pub samples: usize,
    /// Dropout on the embedding's output.
    pub dropout_embedding: f32,
    /// Dropout between levels and on the top level's output.
    pub dropout: f32,
    /// Gradient-norm clip (0 = off).
    pub clip_norm: f32,
    pub seed: u64,
    pub threads: usize,
}

/// One finished epoch, for a Keras-style line:
/// `Epoch 2/5 - 41s - loss: 4.1234 - val_perplexity: 123.45 - 61,234 tokens/s`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LmEpoch {
    pub epoch: usize,
    pub epochs: usize,
    /// Mean sampled-softmax loss per token.
    pub loss: f64,
    /// exp(mean full-softmax cross-entropy) on the held-out text.
    pub val_perplexity: f64,
    pub tokens_per_sec: f64,
    pub seconds: f64,
}

/// Where training stands between epochs: what a checkpoint holds and `--resume` continues.
#[derive(Clone, Debug)]
pub struct LmState {
    pub model: LanguageModel,
    pub epochs_done: usize,
    pub history: Vec<LmEpoch>,
    // the helper adds the optimizer's state and whatever else an exact resume needs
}

/// What the caller hears: batches (for a progress bar) and epochs (lines, checkpoints).
pub trait LmProgress {
    fn on_batch(&mut self, _done: usize, _total: usize) {}
    /// Called after every epoch with the state to checkpoint.
    fn on_epoch(&mut self, _record: &LmEpoch, _state: &LmState) {}
}

/// Trains from `state` (a fresh `LmState` with `epochs_done: 0`, or one read from a
/// checkpoint) for `cfg.epochs` epochs in total; returns the final state. Deterministic for a
/// seed and thread count.
pub fn train(state: LmState, train: &Corpus, heldout: &Corpus, cfg: &LmConfig, progress: &mut dyn LmProgress) -> LmState {
    let _ = (state, train, heldout, cfg, progress);
    unimplemented!("the language model arrives with its helper's branch")
}

/// exp(mean cross-entropy) of the full softmax over `corpus`.
pub fn perplexity(model: &LanguageModel, corpus: &Corpus, threads: usize) -> f64 {
    let _ = (model, corpus, threads);
    unimplemented!("the language model arrives with its helper's branch")
}
