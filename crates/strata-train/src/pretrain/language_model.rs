//! The next-word language model that pretrains the embedding and the recurrent levels (the
//! first stage of ULMFiT): embedding → dropout → LSTM/GRU levels with dropout between them and
//! on the top output → a decoder scored by sampled softmax while training and by the full
//! softmax for perplexity.
//!
//! Training follows AWD-LSTM's batching ([`super::lm_stream`]): the documents as one stream,
//! `batch_size` contiguous rows, segments of `bptt` steps, each row's state carried across
//! segments with no gradient into it. The rows are split into one chunk per thread
//! ([`super::lm_network`]); chunk gradients are summed in chunk order, dropout masks come from a
//! stream fixed by seed, step and chunk, and negatives from one fixed by seed and step, so a
//! seed and thread count give the same numbers on every run and after a resume. Adam (Keras
//! defaults) with global-norm clipping; optionally ULMFiT's discriminative learning rates and
//! slanted triangular schedule.

use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use strata_nn::optim::{Adam, ParamRange};
use strata_nn::sampled_softmax::{SampledDecoder, Sampler};
use strata_nn::{init, Cell, ParamStore, Rng};

use super::corpus::Corpus;
use super::lm_network::{Chunk, Dropouts, Gradient, Layout};
use super::lm_stream::{Streams, DROPOUT_STREAM, SAMPLE_STREAM};
use strata_model::infer::chunk_ranges;

/// One recurrent level of the language model, named as in the classifier (`lstm_0`, `gru_1`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LmLevel {
    pub name: String,
    pub cell: Cell,
    pub units: usize,
}

impl LmLevel {
    /// Level `index` of `cell` with `units`, named as the classifier names it (`lstm_0`).
    pub fn new(cell: Cell, index: usize, units: usize) -> LmLevel {
        LmLevel { name: format!("{}_{index}", cell.prefix()), cell, units }
    }
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

/// The seed stream of the classifier's initialisation (`strata_model::Model::new`'s "init").
const INIT_STREAM: u64 = 0x696e_6974;

impl LanguageModel {
    /// Keras's initialisation for the shared tensors (uniform ±0.05 embedding, glorot kernels,
    /// orthogonal recurrent kernels, unit forget bias), and the decoder's (glorot, zero bias).
    /// Tensors are drawn in the classifier's order from the classifier's stream of `seed`, so
    /// the embedding and levels start exactly where `Model::new` with the same seed starts
    /// them.
    pub fn new(vocab_size: usize, embedding_dim: usize, levels: Vec<LmLevel>, seed: u64) -> LanguageModel {
        let mut params = ParamStore::default();
        let mut rng = Rng::derive(seed, INIT_STREAM);
        let r = params.add("embedding.weight", &[vocab_size, embedding_dim]);
        init::uniform(&mut params.data[r], strata_model::model::KERAS_EMBEDDING_INIT, &mut rng);
        let mut width = embedding_dim;
        for l in &levels {
            let (h, g) = (l.units, l.cell.gates() * l.units);
            let k = params.add(&format!("{}.kernel", l.name), &[width, g]);
            init::glorot_uniform(&mut params.data[k], width, g, &mut rng);
            let u = params.add(&format!("{}.recurrent_kernel", l.name), &[h, g]);
            init::orthogonal(&mut params.data[u], h, g, &mut rng);
            let b = params.add(&format!("{}.bias", l.name), &l.cell.bias_shape(h));
            if l.cell == Cell::Lstm {
                params.data[b.start + h..b.start + 2 * h].fill(1.0); // unit_forget_bias
            }
            width = h;
        }
        let w = params.add("lm_decoder.weight", &[vocab_size, width]);
        init::glorot_uniform(&mut params.data[w], width, vocab_size, &mut rng);
        params.add("lm_decoder.bias", &[vocab_size]);
        LanguageModel { vocab_size, embedding_dim, levels, params }
    }

    /// Width of the top level's output (the decoder's input).
    pub fn top_width(&self) -> usize {
        self.levels.last().map_or(self.embedding_dim, |l| l.units)
    }
}

/// How the language model trains (AWD-LSTM / ULMFiT-style knobs, sized for a CPU). The rates
/// must lie in `[0, 1)`, `bptt`, `batch_size`, `samples` and `threads` be at least 1: the
/// caller checks what a user sets.
#[derive(Clone, Debug, PartialEq)]
pub struct LmConfig {
    /// Truncated-BPTT length: state carries across segments, gradients do not.
    pub bptt: usize,
    /// Parallel token streams (rows of a batch).
    pub batch_size: usize,
    pub epochs: usize,
    /// Adam's learning rate (the top level's and the decoder's with `lr_decay_per_level`; the
    /// peak with `slanted`).
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
    /// ULMFiT's discriminative learning rates: with `Some(d)` the decoder and the top level
    /// train at `lr`, each level below at the rate of the one above divided by `d` (ULMFiT:
    /// 2.6), the embedding below the lowest level likewise. `None`: everything at `lr`.
    pub lr_decay_per_level: Option<f32>,
    /// ULMFiT's slanted triangular learning rate over all steps of all epochs: a linear rise
    /// from `lr/32` to `lr` over the first 10% of steps, then a linear fall back to `lr/32`.
    pub slanted: bool,
}

impl Default for LmConfig {
    /// A 70-step BPTT over 32 rows, Adam at Keras's 1e-3, 1024 samples, light dropout, clip 1.
    fn default() -> LmConfig {
        LmConfig {
            bptt: 70,
            batch_size: 32,
            epochs: 1,
            lr: 1e-3,
            samples: 1024,
            dropout_embedding: 0.1,
            dropout: 0.2,
            clip_norm: 1.0,
            seed: 0,
            threads: 1,
            lr_decay_per_level: None,
            slanted: false,
        }
    }
}

/// ULMFiT's slanted triangular schedule: the cut at 10% of the steps, peak/low ratio 32.
const SLANTED_CUT_FRAC: f64 = 0.1;
const SLANTED_RATIO: f64 = 32.0;

/// The learning-rate factor of step `step` (0-based) of `total` under the slanted triangular
/// schedule: `(1 + p·(ratio − 1)) / ratio`, `p` rising to 1 at the cut and falling to 0.
pub fn slanted_factor(step: u64, total: u64) -> f32 {
    let (t, total) = (step as f64, total.max(1) as f64);
    let cut = (total * SLANTED_CUT_FRAC).floor().max(1.0);
    let p = if t < cut { t / cut } else { 1.0 - (t - cut) / (total - cut).max(1.0) };
    ((1.0 + p.clamp(0.0, 1.0) * (SLANTED_RATIO - 1.0)) / SLANTED_RATIO) as f32
}

/// One finished epoch, for a Keras-style line:
/// `Epoch 2/5 - 41s - loss: 4.1234 - val_perplexity: 123.4540 - 61,234 tokens/s`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LmEpoch {
    pub epoch: usize,
    pub epochs: usize,
    /// Mean sampled-softmax loss per token.
    pub loss: f64,
    /// exp(mean full-softmax cross-entropy) on the held-out text; NaN when nothing is held out.
    pub val_perplexity: f64,
    pub tokens_per_sec: f64,
    pub seconds: f64,
}

impl LmEpoch {
    /// `Epoch 2/5 - 41s - loss: 4.1234 - val_perplexity: 123.4500 - 61,234 tokens/s`; the
    /// perplexity is left out when nothing was held out (it is NaN then). The one formatter of
    /// this line: `strata pretrain` prints it as is, ulmfit's language-model stage prefixed.
    pub fn line(&self) -> String {
        use crate::history::float;
        let mut s = format!("Epoch {}/{} - {:.0}s - loss: {}", self.epoch, self.epochs, self.seconds, float(self.loss));
        if !self.val_perplexity.is_nan() {
            s += &format!(" - val_perplexity: {}", float(self.val_perplexity));
        }
        s + &format!(" - {} tokens/s", crate::history::thousands(self.tokens_per_sec.max(0.0).round() as u64))
    }
}

/// Where training stands between epochs: what a checkpoint holds and `--resume` continues.
/// Every random stream is a function of the seed, the epoch and Adam's step count, so these
/// fields are all an exact resume needs.
#[derive(Clone, Debug)]
pub struct LmState {
    pub model: LanguageModel,
    pub epochs_done: usize,
    pub history: Vec<LmEpoch>,
    /// Adam's moments and step count; `None` before the first step.
    pub optimizer: Option<Adam>,
}

impl LmState {
    /// A state before any training.
    pub fn fresh(model: LanguageModel) -> LmState {
        LmState { model, epochs_done: 0, history: Vec::new(), optimizer: None }
    }
}

/// What the caller hears: batches (for a progress bar) and epochs (lines, checkpoints).
pub trait LmProgress {
    fn on_batch(&mut self, _done: usize, _total: usize) {}
    /// Called after every epoch with the state to checkpoint.
    fn on_epoch(&mut self, _record: &LmEpoch, _state: &LmState) {}
}

/// Hears nothing.
pub struct LmSilent;

impl LmProgress for LmSilent {}

/// The learning-rate multiplier of a level `below_top` levels under the top one with
/// discriminative rates `decay` (see `lr_decay_per_level`): `decay^-below_top`. The embedding
/// is one level under the lowest recurrent level.
pub fn level_lr_mult(decay: f32, below_top: usize) -> f32 {
    decay.powi(-(below_top as i32))
}

/// Parameter groups with their learning-rate multipliers (see `lr_decay_per_level`).
fn lr_groups(lay: &Layout, decay: Option<f32>) -> Vec<ParamRange> {
    let Some(d) = decay else {
        return vec![ParamRange { range: lay.embedding.start..lay.decoder_bias.end, lr_mult: 1.0 }];
    };
    let n = lay.levels.len();
    let mult = |below_top: usize| level_lr_mult(d, below_top);
    let mut groups = vec![ParamRange { range: lay.embedding.clone(), lr_mult: mult(n.max(1)) }];
    for (l, [k, _, b]) in lay.levels.iter().enumerate() {
        groups.push(ParamRange { range: k.start..b.end, lr_mult: mult(n - 1 - l) });
    }
    groups.push(ParamRange { range: lay.decoder_weight.start..lay.decoder_bias.end, lr_mult: 1.0 });
    groups
}

/// Trains from `state` (a fresh `LmState` with `epochs_done: 0`, or one read from a
/// checkpoint) for `cfg.epochs` epochs in total; returns the final state. Deterministic for a
/// seed and thread count (`cfg.threads` sets the chunks; the work runs on rayon's current pool).
pub fn train(
    mut state: LmState,
    train: &Corpus,
    heldout: &Corpus,
    cfg: &LmConfig,
    progress: &mut dyn LmProgress,
) -> LmState {
    let lay = Layout::of(&state.model);
    let n_params = state.model.params.len();
    let mut adam = state.optimizer.take().unwrap_or_else(|| Adam::new(n_params, cfg.lr));
    let groups = lr_groups(&lay, cfg.lr_decay_per_level);
    let first = Streams::new(train, None, cfg.batch_size);
    let sampler = Sampler::unigram(&first.target_counts(state.model.vocab_size), 0.75);
    let steps_per_epoch = first.segments(cfg.bptt).len() as u64;
    let total_steps = steps_per_epoch * cfg.epochs as u64;
    let ranges = chunk_ranges(first.rows, cfg.threads);
    drop(first);
    let mut chunks: Vec<Chunk> = ranges.iter().map(|r| Chunk::new(&state.model, r.len())).collect();
    let mut grad = Gradient::new(n_params);
    let drops = Dropouts { embedding: cfg.dropout_embedding, levels: cfg.dropout };
    let h_top = state.model.top_width();
    for epoch in state.epochs_done..cfg.epochs {
        let start = Instant::now();
        let streams = Streams::shuffled(train, cfg.seed, epoch, cfg.batch_size);
        chunks.iter_mut().for_each(Chunk::reset_states);
        let segments = streams.segments(cfg.bptt);
        let (mut loss_sum, mut tokens) = (0.0f64, 0usize);
        for (si, seg) in segments.iter().enumerate() {
            let (t, step) = (seg.len(), adam.t);
            let model = &state.model;
            let samples = sampler.sample(cfg.samples, &mut Rng::derive(cfg.seed ^ SAMPLE_STREAM, step));
            let p = &model.params.data;
            let dec = SampledDecoder::gather(
                &samples,
                &sampler,
                &p[lay.decoder_weight.clone()],
                &p[lay.decoder_bias.clone()],
                h_top,
            );
            for (c, r) in chunks.iter_mut().zip(&ranges) {
                streams.segment(r.clone(), seg.clone(), &mut c.inputs, &mut c.targets);
            }
            let scale = 1.0 / (t * streams.rows) as f32;
            let losses: Vec<f64> = chunks
                .par_iter_mut()
                .enumerate()
                .map(|(ci, c)| {
                    let mut rng = Rng::derive(cfg.seed ^ DROPOUT_STREAM, (step << 16) | ci as u64);
                    c.forward(model, &lay, t, drops, &mut rng);
                    c.backward(model, &lay, t, (&dec, &sampler, &samples), scale)
                })
                .collect();
            loss_sum += losses.iter().sum::<f64>();
            tokens += t * streams.rows;
            grad.add_chunks(model, &lay, t, &chunks, &dec.ids);
            grad.clip(&state.model, &lay, cfg.clip_norm);
            adam.lr = if cfg.slanted { cfg.lr * slanted_factor(step, total_steps) } else { cfg.lr };
            adam.step(&mut state.model.params.data, &grad.data, &groups);
            grad.clear(&state.model, &lay);
            progress.on_batch(si + 1, segments.len());
        }
        let train_seconds = start.elapsed().as_secs_f64();
        let val_perplexity = perplexity(&state.model, heldout, cfg.threads);
        let record = LmEpoch {
            epoch: epoch + 1,
            epochs: cfg.epochs,
            loss: if tokens > 0 { loss_sum / tokens as f64 } else { f64::NAN },
            val_perplexity,
            tokens_per_sec: tokens as f64 / train_seconds.max(1e-9),
            seconds: start.elapsed().as_secs_f64(),
        };
        state.epochs_done = epoch + 1;
        state.history.push(record.clone());
        state.optimizer = Some(adam.clone());
        progress.on_epoch(&record, &state);
    }
    state.optimizer = Some(adam);
    state
}

/// Rows and segment length of the evaluation pass (fixed, so perplexity does not depend on the
/// training batch).
const EVAL_ROWS: usize = 32;
const EVAL_BPTT: usize = 70;

/// exp(mean cross-entropy) of the full softmax over `corpus` (read as one stream, no dropout);
/// NaN for a corpus with nothing to predict.
pub fn perplexity(model: &LanguageModel, corpus: &Corpus, threads: usize) -> f64 {
    let lay = Layout::of(model);
    let streams = Streams::new(corpus, None, EVAL_ROWS);
    if streams.tokens() == 0 {
        return f64::NAN;
    }
    let ranges = chunk_ranges(streams.rows, threads);
    let mut chunks: Vec<Chunk> = ranges.iter().map(|r| Chunk::new(model, r.len())).collect();
    let none = Dropouts { embedding: 0.0, levels: 0.0 };
    let mut total = 0.0f64;
    for seg in streams.segments(EVAL_BPTT) {
        for (c, r) in chunks.iter_mut().zip(&ranges) {
            streams.segment(r.clone(), seg.clone(), &mut c.inputs, &mut c.targets);
        }
        let losses: Vec<f64> = chunks
            .par_iter_mut()
            .map(|c| {
                c.forward(model, &lay, seg.len(), none, &mut Rng::new(0));
                c.full_loss(model, &lay)
            })
            .collect();
        total += losses.iter().sum::<f64>();
    }
    (total / streams.tokens() as f64).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slanted_schedule_rises_to_the_peak_at_the_cut_and_falls_back() {
        let total = 100;
        assert_eq!(slanted_factor(0, total), 1.0 / 32.0);
        assert_eq!(slanted_factor(10, total), 1.0, "peak at 10% of the steps");
        assert!((slanted_factor(5, total) - (1.0 + 0.5 * 31.0) / 32.0).abs() < 1e-6, "linear rise");
        assert!((slanted_factor(55, total) - (1.0 + 0.5 * 31.0) / 32.0).abs() < 1e-6, "linear fall");
        assert!((slanted_factor(100, total) - 1.0 / 32.0).abs() < 1e-6);
    }

    #[test]
    fn discriminative_rates_divide_by_the_factor_per_level_down() {
        let model = LanguageModel::new(5, 2, vec![LmLevel::new(Cell::Lstm, 0, 2), LmLevel::new(Cell::Gru, 1, 2)], 1);
        let lay = Layout::of(&model);
        let groups = lr_groups(&lay, Some(2.0));
        let mults: Vec<f32> = groups.iter().map(|g| g.lr_mult).collect();
        assert_eq!(mults, vec![0.25, 0.5, 1.0, 1.0], "embedding, lstm_0, gru_1, decoder");
        let covered: usize = groups.iter().map(|g| g.range.len()).sum();
        assert_eq!(covered, model.params.len(), "every tensor in exactly one group");
        assert_eq!(groups[1].range, model.params.find("lstm_0.kernel").unwrap().range.start..lay.levels[0][2].end);
        assert_eq!(lr_groups(&lay, None).len(), 1);
    }
}
