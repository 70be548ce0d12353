//! One mini-batch: the batch's rows split into one chunk per core, forward and backward per
//! chunk in parallel, chunk gradients summed in chunk order (so the sum, and everything after
//! it, depends only on the seed and the thread count), then the optimizer step over the
//! stage's trainable groups — unless the batch's loss or gradient is not finite, when nothing
//! is stepped and the caller hears why ([`NonFinite`]). With `trim` set (`--bucket-by-length`, or a model that masks
//! padding), the gathered batch is first cut to the columns that hold a real token
//! (`strata_model::step_window`).

use std::ops::Range;

use rayon::prelude::*;
use strata_nn::optim::{max_norm, ParamRange};
use strata_nn::Rng;

use crate::data_parallel::{self, ChunkGradient};
use crate::embedding_grad::{ChunkGrad, EmbeddingGrad};
use crate::optimizer::OptimizerState;
use crate::ranks::{self, World};
use crate::schedule::Stage;
use strata_model::adversarial::{self, Adversarial};
use strata_model::infer::{chunk_ranges, Dataset};
use strata_model::model::Model;
use strata_model::network::{self, ChunkStats, Plan, Workspace};
use strata_model::plan::Group;
use strata_model::shared_sentences::balanced_chunks;
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

/// A batch whose loss or gradient was NaN or infinite: the optimizer did not step, so the
/// weights are those from before it. `loss` is the batch's summed loss (finite when only the
/// gradient was not).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NonFinite {
    pub loss: f64,
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
    /// How many chunks (of `spaces`) the last step cut its batch into on this process: the
    /// workspaces whose outputs a pipelined level group hands up (`level_pipeline`).
    pub chunks_cut: usize,
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
    /// `--adversarial`: each chunk's loss is the clean one plus the weighted loss of its texts
    /// with their embedding output perturbed against the gradient (`strata_model::adversarial`).
    pub adversarial: Option<Adversarial>,
}

impl BatchStepper {
    pub fn new(model: &Model) -> Self {
        let threads = rayon::current_num_threads();
        BatchStepper {
            // a HAN's identical sentence rows (empty slots) computed once: the embedding's gradient
            // is summed per id below (issue 14 point 3)
            spaces: (0..threads)
                .map(|_| {
                    let mut ws = Workspace::default();
                    ws.share_identical_sentences = true;
                    // the layer over the embedding sums its gradient per id (issue 14)
                    ws.sum_embedding_gradient_per_id = true;
                    ws
                })
                .collect(),
            grads: vec![0.0; model.params.len() - model.layout.embedding.end],
            batch_ids: Vec::new(),
            cut_ids: Vec::new(),
            batch_labels: Vec::new(),
            dropout_seed: 0,
            step_index: 0,
            chunks_cut: 0,
            max_norm: None,
            embedding: EmbeddingGrad::for_model(model),
            sparse_embedding: false,
            trim: false,
            steps: PaddingShare::default(),
            class_weights: None,
            multi_hot: None,
            batch_targets: Vec::new(),
            adversarial: None,
        }
    }

    /// One mini-batch: parallel forward/backward per chunk, gradient sum, optimizer step. A
    /// non-finite loss or gradient skips the step and is returned as [`NonFinite`].
    pub fn step(
        &mut self,
        model: &mut Model,
        data: &Dataset,
        batch: &[usize],
        plan: &Plan,
        opt: &mut OptimizerState,
        groups: &[ParamRange],
    ) -> Result<ChunkStats, NonFinite> {
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
        let emb_trains = plan.trainable[Group::Embedding];
        let stats = match ranks::batch_world() {
            Some(world) => self.distributed_gradients(world, model, t, plan, emb_trains),
            None => {
                let chunks = self.cut(model, t, plan, self.spaces.len());
                self.chunks_cut = chunks.len();
                let stats = self.chunk_gradients(model, t, plan, &chunks, 0);
                self.sum_chunks(chunks.len());
                if emb_trains {
                    self.embedding_gradient(model, &chunks);
                }
                stats
            }
        };
        let lazy = emb_trains && self.sparse_embedding && opt.updates_rows_lazily();
        let stats = stats.iter().fold(ChunkStats::default(), |a, s| ChunkStats {
            loss_sum: a.loss_sum + s.loss_sum,
            correct: a.correct + s.correct,
        });
        let table = model.layout.embedding.clone();
        // nothing steps with NaN: the weights stay those from before a bad batch
        if !stats.loss_sum.is_finite() || !self.step_stays_finite(model, &table, emb_trains, opt, groups) {
            return Err(NonFinite { loss: stats.loss_sum });
        }
        let rows = emb_trains.then(|| self.embedding.table_rows(&table, lazy));
        opt.step(&mut model.params.data, &self.grads, groups, rows);
        let head_trains = plan.trainable[Group::Head];
        if let Some(s) = self.max_norm.filter(|_| head_trains) {
            let (w, k) = (model.top_width(), model.config.outputs());
            max_norm(&mut model.params.data[model.layout.head_kernel.clone()], w, k, s);
        }
        Ok(stats)
    }

    /// Whether the step may be taken: every gradient value is finite, and no weight it moves
    /// can leave f32's range. A step moves a weight by at most `d` = lr × the largest group
    /// multiplier × max(the largest |g|, 10) (plain descent by exactly lr·mult·g; Adam and
    /// Adadelta by a few lr at most). A finite weight plus less than 1e31 — under half an ulp
    /// of `f32::MAX` — rounds to a finite weight, so only a larger `d` (a rate far past any
    /// useful one) reads the weights the step moves: those after the tables and the table rows
    /// the batch used, whose largest |w| plus `d` must stay below half of `f32::MAX`.
    fn step_stays_finite(
        &self,
        model: &Model,
        table: &Range<usize>,
        emb_trains: bool,
        opt: &OptimizerState,
        groups: &[ParamRange],
    ) -> bool {
        let e = model.config.embedding_dim;
        let rows = if emb_trains { self.embedding.rows() } else { &[] };
        let g = Extent::of(&self.grads).and(Extent::of(rows));
        let lr_mult = groups.iter().map(|r| r.lr_mult).fold(0.0f32, f32::max);
        let d = f64::from(opt.lr()) * f64::from(lr_mult) * f64::from(g.max_abs.max(10.0));
        if !g.finite || d < 1e31 {
            return g.finite;
        }
        let mut w = Extent::of(&model.params.data[table.end..]);
        for &id in self.embedding.ids().iter().filter(|_| emb_trains) {
            let start = table.start + id as usize * e;
            w = w.and(Extent::of(&model.params.data[start..start + e]));
        }
        w.finite && f64::from(w.max_abs) + d < f64::from(f32::MAX) / 2.0
    }

    /// Forward and backward of the gathered batch, one chunk (`ranges` of its rows) per
    /// workspace in parallel, each chunk's gradient left in its workspace. `first` is the
    /// batch-wide index of the first chunk (dropout's stream is the chunk's).
    fn chunk_gradients(
        &mut self,
        model: &Model,
        t: usize,
        plan: &Plan,
        ranges: &[Range<usize>],
        first: usize,
    ) -> Vec<ChunkStats> {
        let scale = 1.0 / self.batch_labels.len() as f32;
        let dense_len = self.grads.len();
        let (ids, labels) = (&self.batch_ids, &self.batch_labels);
        let class_weights = self.class_weights.as_deref();
        let (multi, k) = (self.multi_hot.is_some().then_some(&self.batch_targets[..]), model.config.outputs());
        let adversarial = self.adversarial;
        self.spaces
            .par_iter_mut()
            .zip(ranges.par_iter())
            .enumerate()
            .map(|(ci, (ws, r))| {
                ws.grads.clear();
                ws.grads.resize(dense_len, 0.0);
                let rows = &ids[r.start * t..r.end * t];
                // dropout's stream: fixed by seed, step and chunk, so runs and resumes repeat
                let ci = first + ci;
                ws.dropout = Some(Rng::derive(self.dropout_seed, (self.step_index << 8) | ci as u64));
                let loss = |ws: &mut Workspace, factor: f32| match multi {
                    Some(y) => network::backward_multi(model, &y[r.start * k..r.end * k], scale * factor, plan, ws),
                    None => {
                        network::backward_weighted(model, &labels[r.clone()], class_weights, scale * factor, plan, ws)
                    }
                };
                match adversarial {
                    Some(adv) => adversarial::train_pass(model, rows, t, plan, adv, ws, loss),
                    None => {
                        network::forward(model, rows, t, plan, ws);
                        loss(ws, 1.0)
                    }
                }
            })
            .collect()
    }

    /// The first `chunks` workspaces' gradients after the embedding, summed into `self.grads`
    /// in chunk order (deterministic).
    fn sum_chunks(&mut self, chunks: usize) {
        let g_rest = &mut self.grads[..];
        g_rest.copy_from_slice(&self.spaces[0].grads);
        for ws in &self.spaces[1..chunks] {
            g_rest.iter_mut().zip(&ws.grads).for_each(|(a, g)| *a += g);
        }
    }

    /// The batch cut into `parts` chunks: for a model whose training shares identical sentence
    /// rows, chunks of equal distinct sentence rows, not equal documents (issue 14); else (and
    /// under adversarial training, whose passes share no rows) equal documents. A process and
    /// an MPI job of ranks × threads cut the same chunks.
    fn cut(&self, model: &Model, t: usize, plan: &Plan, parts: usize) -> Vec<Range<usize>> {
        let shares = self.adversarial.is_none() && network::may_share_sentences(model, plan);
        match model.config.sentences().filter(|_| shares) {
            Some(s) => balanced_chunks(&self.batch_ids, t, s, parts),
            None => chunk_ranges(self.batch_labels.len(), parts),
        }
    }

    /// Data-parallel training ([`crate::data_parallel`]): this rank's chunks of the batch
    /// computed, every rank's chunks gathered, and the gradient (dense, and the embedding rows)
    /// summed from all of them in chunk order, the same on every rank.
    fn distributed_gradients(
        &mut self,
        world: &dyn World,
        model: &Model,
        t: usize,
        plan: &Plan,
        emb_trains: bool,
    ) -> Vec<ChunkStats> {
        let threads = self.spaces.len();
        // the chunks one process with ranks × threads threads cuts
        let all = self.cut(model, t, plan, world.size() * threads);
        let first = (world.rank() * threads).min(all.len());
        let mine = &all[first..(first + threads).min(all.len())];
        self.chunks_cut = mine.len();
        let stats = self.chunk_gradients(model, t, plan, mine, first);
        let mut message = Vec::new();
        for (k, s) in stats.iter().enumerate() {
            let ws = &self.spaces[k];
            if emb_trains {
                let rows = ws.embedding_gradient_rows(model);
                self.embedding.sum(rows.steps, &[ChunkGrad { ids: rows.ids, b: rows.n, demb: rows.demb }]);
            }
            let (ids, rows) =
                if emb_trains { (self.embedding.ids(), self.embedding.rows()) } else { (&[][..], &[][..]) };
            data_parallel::pack(&mut message, s, &ws.grads, ids, rows);
        }
        let chunks: Vec<ChunkGradient> = data_parallel::all_gather(world, &message, self.batch_labels.len())
            .iter()
            .flat_map(|m| data_parallel::unpack(m))
            .collect();
        data_parallel::sum_dense(&chunks, &mut self.grads);
        if emb_trains {
            self.embedding.combine(chunks.iter().map(|c| (&c.ids[..], &c.rows[..])));
        }
        chunks.iter().map(|c| c.stats).collect()
    }

    /// Sums the chunks' gradients at the embedding output per row of the embedding table the
    /// batch used (the trained table's: a multichannel model's static copy takes none), which
    /// the optimizer reads as the table's gradient.
    fn embedding_gradient(&mut self, model: &Model, ranges: &[Range<usize>]) {
        let rows: Vec<_> = self.spaces.iter().take(ranges.len()).map(|ws| ws.embedding_gradient_rows(model)).collect();
        // every chunk of a batch runs the same layers, so hands on rows of the same steps
        let steps = rows.first().map_or(1, |r| r.steps);
        assert!(rows.iter().all(|r| r.steps == steps), "chunks' embedding gradients differ in steps");
        let chunks: Vec<ChunkGrad> = rows.iter().map(|r| ChunkGrad { ids: r.ids, b: r.n, demb: r.demb }).collect();
        self.embedding.sum(steps, &chunks);
    }
}

/// Whether values are all finite, and the largest magnitude among them.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Extent {
    finite: bool,
    max_abs: f32,
}

impl Extent {
    /// One pass in 16 lanes that vectorises: `x * 0` is 0 for a finite `x` and NaN otherwise,
    /// so a lane's sum of them stays 0 exactly when its values are all finite.
    fn of(values: &[f32]) -> Extent {
        let (mut zeros, mut maxes) = ([0.0f32; 16], [0.0f32; 16]);
        let mut blocks = values.chunks_exact(16);
        for block in &mut blocks {
            for ((z, m), &v) in zeros.iter_mut().zip(&mut maxes).zip(block) {
                *z += v * 0.0;
                // a comparison, not `f32::max` (whose NaN rule keeps it from vectorising); a
                // NaN is caught by `zeros`
                *m = if v.abs() > *m { v.abs() } else { *m };
            }
        }
        for &v in blocks.remainder() {
            zeros[0] += v * 0.0;
            maxes[0] = if v.abs() > maxes[0] { v.abs() } else { maxes[0] };
        }
        Extent { finite: zeros.iter().sum::<f32>() == 0.0, max_abs: maxes.into_iter().fold(0.0, f32::max) }
    }

    fn and(self, other: Extent) -> Extent {
        Extent { finite: self.finite && other.finite, max_abs: self.max_abs.max(other.max_abs) }
    }
}

#[cfg(test)]
mod tests {
    use super::Extent;

    #[test]
    fn an_extent_finds_one_nan_or_infinity_anywhere_and_the_largest_magnitude() {
        let mut v: Vec<f32> = (0..37).map(|i| i as f32 - 20.0).collect();
        assert_eq!(Extent::of(&v), Extent { finite: true, max_abs: 20.0 });
        assert_eq!(Extent::of(&[]), Extent { finite: true, max_abs: 0.0 });
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for at in [0, 15, 16, 36] {
                let keep = v[at];
                v[at] = bad;
                assert!(!Extent::of(&v).finite, "{bad} at {at}");
                v[at] = keep;
            }
        }
        // large finite values do not overflow the check
        assert_eq!(Extent::of(&[-f32::MAX; 40]), Extent { finite: true, max_abs: f32::MAX });
        assert!(!Extent::of(&[1.0]).and(Extent::of(&[f32::NAN])).finite);
    }
}
