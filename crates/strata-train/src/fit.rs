//! The training loop: shuffled mini-batches, one chunk per core, summed gradients, an
//! optimizer step over the trainable ranges, and one history row per epoch.
//!
//! Determinism: the shuffle comes from the seed, chunks are fixed by the thread count, and
//! chunk gradients are summed in chunk order — so the same seed and thread count give the same
//! numbers, bit for bit.

use std::time::Instant;

use rayon::prelude::*;
use strata_nn::optim::{sgd_step, Adam, Group};
use strata_nn::Rng;

use crate::embedding_grad::{self, ChunkGrad};
use crate::model::Model;
use crate::network::{self, ChunkStats, Trainable, Workspace};

/// Padded ids and class labels: `ids` is `[N, T]`.
#[derive(Clone, Copy)]
pub struct Dataset<'a> {
    pub ids: &'a [u32],
    pub labels: &'a [usize],
    pub t: usize,
}

impl Dataset<'_> {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerKind {
    /// Keras defaults apart from the learning rate.
    Adam { lr: f32 },
    /// Plain gradient descent: θ ← θ − α∇L.
    Sgd { lr: f32 },
}

impl OptimizerKind {
    pub fn lr(&self) -> f32 {
        match *self {
            OptimizerKind::Adam { lr } | OptimizerKind::Sgd { lr } => lr,
        }
    }
}

#[derive(Clone, Debug)]
pub struct FitOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub optimizer: OptimizerKind,
    pub seed: u64,
    pub shuffle: bool,
}

impl Default for FitOptions {
    /// The seed's `fit(epochs=10, batch_size=32)` with Adam.
    fn default() -> Self {
        FitOptions {
            epochs: 10,
            batch_size: 32,
            optimizer: OptimizerKind::Adam { lr: 1e-3 },
            seed: 0,
            shuffle: true,
        }
    }
}

/// One epoch's numbers, as Keras's `History` has them.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRecord {
    pub stage: usize,
    pub epoch: usize,
    pub loss: f64,
    pub accuracy: f64,
    pub val_loss: Option<f64>,
    pub val_accuracy: Option<f64>,
    pub lr: f32,
    pub seconds: f64,
}

/// Hooks for the caller's display: batch progress and finished epochs.
pub trait Progress {
    fn on_batch(&mut self, _done: usize, _total: usize) {}
    fn on_epoch(&mut self, _record: &EpochRecord, _epochs: usize) {}
}

/// A `Progress` that shows nothing.
pub struct Silent;
impl Progress for Silent {}

/// Loss and accuracy over a dataset, in parallel chunks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    pub loss: f64,
    pub accuracy: f64,
}

/// Splits `n` items into at most `parts` contiguous near-equal ranges.
fn chunk_ranges(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let parts = parts.clamp(1, n.max(1));
    let base = n / parts;
    let extra = n % parts;
    let mut start = 0;
    (0..parts)
        .map(|i| {
            let len = base + usize::from(i < extra);
            let r = start..start + len;
            start += len;
            r
        })
        .filter(|r| !r.is_empty())
        .collect()
}

/// Batch size used for inference (each batch is split across cores).
pub const INFER_BATCH: usize = 256;

/// Logits `[N, K]` for every row of `ids: [N, T]`.
pub fn predict_logits(model: &Model, ids: &[u32], t: usize) -> Vec<f32> {
    let n = ids.len().checked_div(t).unwrap_or(0);
    let k = model.config.outputs();
    let mut out = vec![0.0f32; n * k];
    let threads = rayon::current_num_threads();
    let mut spaces: Vec<Workspace> = (0..threads).map(|_| Workspace::default()).collect();
    for start in (0..n).step_by(INFER_BATCH) {
        let end = (start + INFER_BATCH).min(n);
        let ranges = chunk_ranges(end - start, threads);
        let outs: Vec<&mut [f32]> = split_rows(&mut out[start * k..end * k], &ranges, k);
        spaces
            .par_iter_mut()
            .zip(ranges.par_iter())
            .zip(outs)
            .for_each(|((ws, r), o)| {
                let rows = &ids[(start + r.start) * t..(start + r.end) * t];
                network::forward(model, rows, r.len(), t, ws);
                o.copy_from_slice(&ws.logits[..r.len() * k]);
            });
    }
    out
}

fn split_rows<'a>(
    mut buf: &'a mut [f32],
    ranges: &[std::ops::Range<usize>],
    k: usize,
) -> Vec<&'a mut [f32]> {
    let mut v = Vec::with_capacity(ranges.len());
    for r in ranges {
        let (a, b) = std::mem::take(&mut buf).split_at_mut(r.len() * k);
        v.push(a);
        buf = b;
    }
    v
}

/// Mean loss and accuracy of `model` on `data`.
pub fn evaluate(model: &Model, data: &Dataset) -> Evaluation {
    let logits = predict_logits(model, data.ids, data.t);
    let k = model.config.outputs();
    let mut scratch = vec![0.0; logits.len()];
    let loss_sum = if k == 1 {
        let y: Vec<f32> = data.labels.iter().map(|&l| l as f32).collect();
        strata_nn::loss::bce_with_logits(&logits, &y, 1.0, &mut scratch)
    } else {
        strata_nn::loss::softmax_cross_entropy(&logits, k, data.labels, 1.0, &mut scratch)
    };
    let n = data.len().max(1) as f64;
    Evaluation {
        loss: loss_sum / n,
        accuracy: network::count_correct(&logits, k, data.labels) as f64 / n,
    }
}

/// Optimizer state that lives across epochs (and, later, stages).
pub enum OptimizerState {
    Adam(Adam),
    Sgd { lr: f32 },
}

impl OptimizerState {
    pub fn new(kind: OptimizerKind, n_params: usize) -> Self {
        match kind {
            OptimizerKind::Adam { lr } => OptimizerState::Adam(Adam::new(n_params, lr)),
            OptimizerKind::Sgd { lr } => OptimizerState::Sgd { lr },
        }
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32], groups: &[Group]) {
        match self {
            OptimizerState::Adam(a) => a.step(params, grads, groups),
            OptimizerState::Sgd { lr } => sgd_step(params, grads, groups, *lr),
        }
    }
}

/// Parameter ranges of the trainable layers, each with learning-rate multiplier 1.
pub fn trainable_groups(model: &Model, train: &Trainable) -> Vec<Group> {
    model
        .config
        .layer_names()
        .iter()
        .zip(&train.0)
        .filter(|(_, &t)| t)
        .map(|(name, _)| Group {
            range: model.layout.layer_range(name).expect("known layer"),
            lr_mult: 1.0,
        })
        .collect()
}

/// Trains `model` on `train` for `opts.epochs`, evaluating on `val` after each epoch.
pub fn fit(
    model: &mut Model,
    train: &Dataset,
    val: Option<&Dataset>,
    opts: &FitOptions,
    progress: &mut dyn Progress,
) -> Vec<EpochRecord> {
    let trainable = Trainable::all(model);
    let mut opt = OptimizerState::new(opts.optimizer, model.params.len());
    let mut trainer = Trainer::new(model);
    let mut rng = Rng::derive(opts.seed, 0x73687566); // "shuf"
    (1..=opts.epochs)
        .map(|epoch| {
            let rec = trainer.epoch(
                model, train, val, opts, &trainable, &mut opt, &mut rng, epoch, progress,
            );
            progress.on_epoch(&rec, opts.epochs);
            rec
        })
        .collect()
}

/// Buffers reused across batches: per-core workspaces and the full gradient.
pub struct Trainer {
    spaces: Vec<Workspace>,
    grads: Vec<f32>,
    batch_ids: Vec<u32>,
    batch_labels: Vec<usize>,
}

impl Trainer {
    pub fn new(model: &Model) -> Self {
        let threads = rayon::current_num_threads();
        Trainer {
            spaces: (0..threads).map(|_| Workspace::default()).collect(),
            grads: vec![0.0; model.params.len()],
            batch_ids: Vec::new(),
            batch_labels: Vec::new(),
        }
    }

    /// One pass over `train` in shuffled mini-batches.
    #[allow(clippy::too_many_arguments)]
    pub fn epoch(
        &mut self,
        model: &mut Model,
        train: &Dataset,
        val: Option<&Dataset>,
        opts: &FitOptions,
        trainable: &Trainable,
        opt: &mut OptimizerState,
        rng: &mut Rng,
        epoch: usize,
        progress: &mut dyn Progress,
    ) -> EpochRecord {
        let started = Instant::now();
        let groups = trainable_groups(model, trainable);
        let mut order: Vec<usize> = (0..train.len()).collect();
        if opts.shuffle {
            rng.shuffle(&mut order);
        }
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        let n_batches = train.len().div_ceil(opts.batch_size);
        for (bi, batch) in order.chunks(opts.batch_size).enumerate() {
            let s = self.step(model, train, batch, trainable, opt, &groups);
            loss_sum += s.loss_sum;
            correct += s.correct;
            progress.on_batch(bi + 1, n_batches);
        }
        let n = train.len().max(1) as f64;
        let v = val.filter(|v| !v.is_empty()).map(|v| evaluate(model, v));
        EpochRecord {
            stage: 1,
            epoch,
            loss: loss_sum / n,
            accuracy: correct as f64 / n,
            val_loss: v.map(|v| v.loss),
            val_accuracy: v.map(|v| v.accuracy),
            lr: opts.optimizer.lr(),
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    /// One mini-batch: parallel forward/backward per chunk, gradient sum, optimizer step.
    pub fn step(
        &mut self,
        model: &mut Model,
        data: &Dataset,
        batch: &[usize],
        trainable: &Trainable,
        opt: &mut OptimizerState,
        groups: &[Group],
    ) -> ChunkStats {
        let t = data.t;
        let b = batch.len();
        self.batch_ids.clear();
        self.batch_labels.clear();
        for &i in batch {
            self.batch_ids
                .extend_from_slice(&data.ids[i * t..(i + 1) * t]);
            self.batch_labels.push(data.labels[i]);
        }
        let ranges = chunk_ranges(b, self.spaces.len());
        let scale = 1.0 / b as f32;
        let emb_end = model.layout.embedding.end;
        let dense_len = model.params.len() - emb_end;
        let (ids, labels, m) = (&self.batch_ids, &self.batch_labels, &*model);
        let stats: Vec<ChunkStats> = self
            .spaces
            .par_iter_mut()
            .zip(ranges.par_iter())
            .map(|(ws, r)| {
                ws.grads.clear();
                ws.grads.resize(dense_len, 0.0);
                let rows = &ids[r.start * t..r.end * t];
                network::forward(m, rows, r.len(), t, ws);
                network::backward(m, &labels[r.clone()], r.len(), t, scale, trainable, ws)
            })
            .collect();
        // Sum chunk gradients in chunk order (deterministic).
        let (g_emb, g_rest) = self.grads.split_at_mut(emb_end);
        g_rest.copy_from_slice(&self.spaces[0].grads);
        for ws in &self.spaces[1..ranges.len()] {
            g_rest.iter_mut().zip(&ws.grads).for_each(|(a, g)| *a += g);
        }
        let emb_trains = trainable.0[0];
        let e = model.config.embedding_dim;
        if emb_trains {
            let chunks: Vec<ChunkGrad> = self
                .spaces
                .iter()
                .zip(&ranges)
                .map(|(ws, r)| ChunkGrad {
                    ids: &ids[r.start * t..r.end * t],
                    b: r.len(),
                    demb: &ws.demb,
                })
                .collect();
            embedding_grad::scatter(g_emb, e, t, &chunks);
        }
        opt.step(&mut model.params.data, &self.grads, groups);
        if emb_trains {
            // Only the rows this batch touched are non-zero.
            embedding_grad::clear(&mut self.grads[..emb_end], e, &self.batch_ids);
        }
        stats.iter().fold(ChunkStats::default(), |a, s| ChunkStats {
            loss_sum: a.loss_sum + s.loss_sum,
            correct: a.correct + s.correct,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_everything_in_order() {
        assert_eq!(chunk_ranges(32, 2), vec![0..16, 16..32]);
        assert_eq!(chunk_ranges(5, 2), vec![0..3, 3..5]);
        assert_eq!(chunk_ranges(1, 4), vec![0..1]);
    }
}
