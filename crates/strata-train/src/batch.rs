//! One mini-batch: the batch's rows split into one chunk per core, forward and backward per
//! chunk in parallel, chunk gradients summed in chunk order (so the sum, and everything after
//! it, depends only on the seed and the thread count), then the optimizer step over the
//! stage's trainable groups. With `trim` set (`--bucket-by-length`, or a model that masks
//! padding), the gathered batch is first cut to the columns that hold a real token
//! (`strata_model::step_window`).

use std::ops::Range;

use rayon::prelude::*;
use strata_nn::optim::{max_norm, ParamRange};
use strata_nn::Rng;

use crate::embedding_grad::{ChunkGrad, EmbeddingGrad};
use crate::optimizer::OptimizerState;
use crate::schedule::Stage;
use strata_model::infer::{chunk_ranges, Dataset};
use strata_model::model::Model;
use strata_model::network::{self, ChunkStats, Plan, Workspace};
use strata_model::plan::Group;
use strata_model::step_window;

/// Token steps of the training batches: real tokens, the steps computed, and the steps a batch
/// of full length (`maxlen`, uncut) would have computed. Summed over a run (from its resume,
/// if resumed); `add` sums runs (cv's folds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PaddingShare {
    pub real: u64,
    pub computed: u64,
    pub uncut: u64,
}

impl PaddingShare {
    pub fn add(&mut self, other: &PaddingShare) {
        self.real += other.real;
        self.computed += other.computed;
        self.uncut += other.uncut;
    }
}

/// Parameter ranges of a stage's trainable groups, each with its learning-rate multiplier.
pub fn stage_groups(model: &Model, stage: &Stage) -> Vec<ParamRange> {
    stage
        .plan
        .trainable
        .selected()
        .filter_map(|g| model.layout.range(g).map(|range| ParamRange { range, lr_mult: stage.lr_mults[g] }))
        .collect()
}

/// Takes one optimizer step per mini-batch ([`BatchStepper::step`]), with the buffers it reuses
/// from batch to batch: per-core workspaces and the gradient.
pub struct BatchStepper {
    pub spaces: Vec<Workspace>,
    /// The gradient of the parameters after the embedding tables; the trained table's comes
    /// as the rows the batch used (`embedding`), so no `[V, E]` gradient is held.
    grads: Vec<f32>,
    batch_ids: Vec<u32>,
    /// scratch: the batch cut to its real tokens
    cut_ids: Vec<u32>,
    batch_labels: Vec<usize>,
    /// Seed of dropout's streams, and the global step (set by the loop before each step).
    pub dropout_seed: u64,
    pub step_index: u64,
    /// Keras's `MaxNorm` on the head's kernel after each step, if set.
    pub max_norm: Option<f32>,
    /// The batch's embedding gradient, per row it used; and whether the optimizer updates
    /// only those rows (`--sparse-embedding-updates`, where the optimizer has a lazy form).
    embedding: EmbeddingGrad,
    pub sparse_embedding: bool,
    /// Cut each batch to the columns that hold a real token.
    pub trim: bool,
    /// The token steps of every batch stepped so far.
    pub steps: PaddingShare,
    /// `--class-weight`: the weight of each class in the loss (`FitOptions::class_weights`).
    pub class_weights: Option<Vec<f32>>,
    /// A multi-label model's targets: each training text's multi-hot row `[N, K]` (by the
    /// text's index in the data set), read instead of its class (`network::backward_multi`).
    pub multi_hot: Option<Vec<f32>>,
    /// scratch: the batch's multi-hot rows
    batch_targets: Vec<f32>,
}

impl BatchStepper {
    pub fn new(model: &Model) -> Self {
        let threads = rayon::current_num_threads();
        BatchStepper {
            spaces: (0..threads).map(|_| Workspace::default()).collect(),
            grads: vec![0.0; model.params.len() - model.layout.embedding.end],
            batch_ids: Vec::new(),
            cut_ids: Vec::new(),
            batch_labels: Vec::new(),
            dropout_seed: 0,
            step_index: 0,
            max_norm: None,
            embedding: EmbeddingGrad::for_model(model),
            sparse_embedding: false,
            trim: false,
            steps: PaddingShare::default(),
            class_weights: None,
            multi_hot: None,
            batch_targets: Vec::new(),
        }
    }

    /// One mini-batch: parallel forward/backward per chunk, gradient sum, optimizer step.
    pub fn step(
        &mut self,
        model: &mut Model,
        data: &Dataset,
        batch: &[usize],
        plan: &Plan,
        opt: &mut OptimizerState,
        groups: &[ParamRange],
    ) -> ChunkStats {
        self.batch_ids.clear();
        self.batch_labels.clear();
        let mut t = data.t;
        for &i in batch {
            self.batch_ids.extend_from_slice(&data.ids[i * t..(i + 1) * t]);
            self.batch_labels.push(data.labels[i]);
        }
        if let Some(targets) = &self.multi_hot {
            let k = model.config.outputs();
            self.batch_targets.clear();
            batch.iter().for_each(|&i| self.batch_targets.extend_from_slice(&targets[i * k..(i + 1) * k]));
        }
        if self.trim {
            // only cut batches are counted: the share is reported only when batches are cut
            let uncut = self.batch_ids.len() as u64;
            t = step_window::cut(&model.config, &self.batch_ids, t, &mut self.cut_ids);
            std::mem::swap(&mut self.batch_ids, &mut self.cut_ids);
            let real = self.batch_ids.iter().filter(|&&id| id != 0).count() as u64;
            self.steps.add(&PaddingShare { real, computed: self.batch_ids.len() as u64, uncut });
        }
        let chunks = chunk_ranges(batch.len(), self.spaces.len());
        let stats = self.chunk_gradients(model, t, plan, &chunks);
        let emb_trains = plan.trainable[Group::Embedding];
        let lazy = emb_trains && self.sparse_embedding && opt.updates_rows_lazily();
        if emb_trains {
            self.embedding_gradient(model, t, &chunks);
        }
        let table = model.layout.embedding.clone();
        let rows = emb_trains.then(|| self.embedding.table_rows(&table, lazy));
        opt.step(&mut model.params.data, &self.grads, groups, rows);
        let head_trains = plan.trainable[Group::Head];
        if let Some(s) = self.max_norm.filter(|_| head_trains) {
            let (w, k) = (model.top_width(), model.config.outputs());
            max_norm(&mut model.params.data[model.layout.head_kernel.clone()], w, k, s);
        }
        stats.iter().fold(ChunkStats::default(), |a, s| ChunkStats {
            loss_sum: a.loss_sum + s.loss_sum,
            correct: a.correct + s.correct,
        })
    }

    /// Forward and backward of the gathered batch, one chunk (`ranges` of its rows) per
    /// workspace in parallel; the gradients after the embedding summed into `self.grads` in
    /// chunk order (deterministic).
    fn chunk_gradients(&mut self, model: &Model, t: usize, plan: &Plan, ranges: &[Range<usize>]) -> Vec<ChunkStats> {
        let scale = 1.0 / self.batch_labels.len() as f32;
        let dense_len = self.grads.len();
        let (ids, labels) = (&self.batch_ids, &self.batch_labels);
        let class_weights = self.class_weights.as_deref();
        let (multi, k) = (self.multi_hot.is_some().then_some(&self.batch_targets[..]), model.config.outputs());
        let stats: Vec<ChunkStats> = self
            .spaces
            .par_iter_mut()
            .zip(ranges.par_iter())
            .enumerate()
            .map(|(ci, (ws, r))| {
                ws.grads.clear();
                ws.grads.resize(dense_len, 0.0);
                let rows = &ids[r.start * t..r.end * t];
                // dropout's stream: fixed by seed, step and chunk, so runs and resumes repeat
                ws.dropout = Some(Rng::derive(self.dropout_seed, (self.step_index << 8) | ci as u64));
                network::forward(model, rows, t, plan, ws);
                match multi {
                    Some(y) => network::backward_multi(model, &y[r.start * k..r.end * k], scale, plan, ws),
                    None => network::backward_weighted(model, &labels[r.clone()], class_weights, scale, plan, ws),
                }
            })
            .collect();
        let g_rest = &mut self.grads[..];
        g_rest.copy_from_slice(&self.spaces[0].grads);
        for ws in &self.spaces[1..ranges.len()] {
            g_rest.iter_mut().zip(&ws.grads).for_each(|(a, g)| *a += g);
        }
        stats
    }

    /// Sums the chunks' gradients at the embedding output per row of the embedding table the
    /// batch used (the trained table's: a multichannel model's static copy takes none), which
    /// the optimizer reads as the table's gradient.
    fn embedding_gradient(&mut self, model: &Model, t: usize, ranges: &[Range<usize>]) {
        let ids = &self.batch_ids;
        let chunks: Vec<ChunkGrad> = self
            .spaces
            .iter()
            .zip(ranges)
            .map(|(ws, r)| ChunkGrad {
                ids: &ids[r.start * t..r.end * t],
                b: network::word_rows(model, r.len(), t).0,
                demb: &ws.demb,
            })
            .collect();
        self.embedding.sum(network::word_rows(model, 1, t).1, &chunks);
    }
}
