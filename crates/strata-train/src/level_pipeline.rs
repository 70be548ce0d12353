//! Decoupled levels pipelined over their own threads (`--level-workers N`; issue 16 point 5,
//! Belilovsky et al. 2020's parallel decoupled greedy learning).
//!
//! A `decoupled` stage sends no gradient across a level boundary, so level k+1 needs from the
//! levels below only their forward output. Here the levels are cut into `N` contiguous groups
//! of about equal cost ([`split_levels`]); each group has its own copy of the weights and its
//! own optimizer state, is driven by a thread of its own, and trains only its levels and their
//! classifiers. At step `s` group `g` trains on batch `s − g`, reading as its input the output
//! of group `g − 1`'s top layer for that batch, which group `g − 1` computed at step `s − 1`: a
//! fixed one-step lag per boundary. Each group hands its output for each batch up through a
//! channel that holds one batch (a double buffer: the group below writes the next batch's
//! while the group above reads this one's), so no group waits for a global barrier, only for
//! its input.
//!
//! Every group steps its batches on one thread pool of all the run's threads, split into as
//! many chunks as lock-step's: a group waits for its input without holding a pool thread, and
//! while one group sums its gradient, steps its optimizer or waits at a chunk's end, the pool
//! runs the other groups' chunks. On two cores, giving each group one core (`threads / N`) left
//! the core of a light group idle while the heavy one (han's word level) ran alone; one shared
//! pool keeps lock-step's split of each batch over every core and adds the overlap.
//!
//! What the lag changes against lock-step: nothing in exact arithmetic. Batch `b` reaches group
//! `g` one step later, but it is computed by weights that have taken `b` steps in both
//! orders: group `g − 1`'s output for batch `b` comes from its weights after `b` updates, and
//! group `g` trains on it with its own weights after `b` updates — as lock-step does. Each
//! group cuts a batch into lock-step's chunks, so with no dropout above the lowest group (whose
//! stream is lock-step's; the others draw from their own) the weights are lock-step's on the
//! same threads bit for bit (`tests/level_pipeline.rs`), whatever `N`; which thread runs a
//! chunk changes nothing. Each epoch fills and drains the pipeline, so at its end every group
//! has trained on every batch; the groups' weights and optimizer states are merged back then,
//! and validation, early stopping and checkpoints see one model as usual.

use std::ops::Range;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

use strata_model::infer::Dataset;
use strata_model::model::Model;
use strata_model::network::LevelFeed;
use strata_model::plan::{Group, Plan};
use strata_nn::optim::ParamRange;

use crate::batch::{BatchStepper, NonFinite, PaddingShare};
use crate::optimizer::{OptimizerKind, OptimizerSnapshot, OptimizerState};

/// The cost of one text's forward and backward through each level, up to a common factor: per
/// layer, its parameters times the steps it runs them over (a recurrent layer's weights once
/// per step, attention's per step, a dense layer's once). `t` is the ids per text.
pub fn level_costs(model: &Model, t: usize) -> Vec<f64> {
    let mut costs = vec![0.0; model.config.levels()];
    let sentences = model.config.sentences();
    for (placed, ranges) in model.placed.iter().zip(&model.layout.layers) {
        let Group::Level(k) = placed.group else { continue };
        let params: usize = ranges.iter().map(|r| r.len()).sum();
        let steps = match (sentences, placed.input.sentence_rows, placed.input.sequence) {
            (Some(_), true, _) => t, // every word of every sentence
            (Some(s), false, true) => s,
            (None, _, true) => t,
            (_, _, false) => 1,
        };
        costs[k] += (params * steps.max(1)) as f64;
    }
    costs
}

/// The levels as the units a group boundary may fall between: one unit a level, but below a
/// hierarchical model's `sentences` layer the word levels are one unit. Training computes a
/// chunk's identical sentence rows (a short document's empty slots) once below that layer
/// (`strata_model::shared_sentences`) and spreads them back to every row there, so a group that
/// ended among the word levels would compute, and hand up, every row.
pub fn level_units(model: &Model) -> Vec<Range<usize>> {
    let mut units: Vec<Range<usize>> = Vec::new();
    for k in 0..model.config.levels() {
        let first = model.placed.iter().find(|p| p.group == Group::Level(k));
        match units.last_mut() {
            Some(unit) if first.is_some_and(|p| p.input.sentence_rows) => unit.end = k + 1,
            _ => units.push(k..k + 1),
        }
    }
    units
}

/// Cuts the levels (with `costs`) into `workers` contiguous groups (at most one per level),
/// bottom up, so that the costliest group costs as little as it can: the pipeline's step takes
/// as long as its slowest group.
pub fn split_levels(costs: &[f64], workers: usize) -> Vec<Range<usize>> {
    let (l, n) = (costs.len(), workers.clamp(1, costs.len().max(1)));
    if l == 0 {
        return std::iter::once(0..0).collect();
    }
    let prefix: Vec<f64> = std::iter::once(0.0)
        .chain(costs.iter().scan(0.0, |s, c| {
            *s += c;
            Some(*s)
        }))
        .collect();
    // best[j][i]: the least largest group cost of the first i levels in j groups, and where
    // the last group starts
    let mut best = vec![vec![(f64::INFINITY, 0usize); l + 1]; n + 1];
    best[0][0] = (0.0, 0);
    for j in 1..=n {
        for i in j..=l {
            for start in (j - 1)..i {
                let cost = best[j - 1][start].0.max(prefix[i] - prefix[start]);
                if cost < best[j][i].0 {
                    best[j][i] = (cost, start);
                }
            }
        }
    }
    let mut groups = Vec::with_capacity(n);
    let mut end = l;
    for j in (1..=n).rev() {
        let start = best[j][end].1;
        groups.push(start..end);
        end = start;
    }
    groups.reverse();
    groups
}

/// What the group of `levels` (of `total`) trains in a stage that trains `plan`: its levels,
/// their auxiliary heads, the embedding if it holds level 0, the final head if it holds the
/// top; computed up to its top level, with the gradient cut at every level boundary.
pub fn group_plan(plan: &Plan, levels: &Range<usize>, total: usize) -> Plan {
    let mut p = plan.clone();
    p.depth = levels.end;
    p.detach_levels = true;
    if levels.end < total {
        p.head_weight = 0.0;
        p.trainable[Group::Head] = false;
    }
    if levels.start > 0 {
        p.trainable[Group::Embedding] = false;
    }
    for k in (0..total).filter(|k| !levels.contains(k)) {
        p.aux_weights[k] = 0.0;
        p.trainable[Group::Level(k)] = false;
        p.trainable[Group::Aux(k)] = false;
    }
    p
}

/// One level group: its plan, its copy of the weights and of the
/// optimizer state, and its stepper (one workspace per thread of the shared pool).
struct Worker {
    plan: Plan,
    model: Model,
    opt: OptimizerState,
    ranges: Vec<ParamRange>,
    stepper: BatchStepper,
    /// The first layer of the group above, which its feeds start (0 for the top group).
    above: usize,
}

/// A group's epoch: its losses summed, the reported classifier's correct answers (the top
/// group's), and the batch it could not step, if any.
#[derive(Default)]
struct GroupOutcome {
    loss: f64,
    correct: usize,
    failed: Option<(usize, NonFinite)>,
}

/// The feeds of one batch, one per chunk, from a group to the one above.
type Feeds = Vec<LevelFeed>;

impl Worker {
    /// The group's epoch, driven from its own thread: for each batch in order, its input from
    /// the group below (`from_below`, which blocks until that group has computed it), its step
    /// on the shared `pool`, and its top layer's output sent up (`to_above`, which holds one
    /// batch: a double buffer). Only the step runs on the pool, so a group that waits for its
    /// input holds no pool thread and the other groups' chunks use every core. A group stops
    /// when it cannot step a batch, or when the group below or above has stopped.
    fn run(&mut self, pool: &rayon::ThreadPool, data: &Dataset, batches: &[&[usize]], links: Links) -> GroupOutcome {
        let Links { first_step, from_below, to_above, done } = links;
        let (stepper, model, opt) = (&mut self.stepper, &mut self.model, &mut self.opt);
        let (plan, ranges, above) = (&self.plan, &self.ranges, self.above);
        let mut outcome = GroupOutcome::default();
        for (b, &batch) in batches.iter().enumerate() {
            if let Some(rx) = &from_below {
                let Ok(feeds) = rx.recv() else { break };
                stepper.spaces.iter_mut().zip(feeds).for_each(|(ws, f)| ws.feed = Some(f));
            }
            stepper.step_index = first_step + b as u64;
            match pool.install(|| stepper.step(model, data, batch, plan, opt, ranges)) {
                Ok(stats) => {
                    outcome.loss += stats.loss_sum;
                    outcome.correct += stats.correct;
                }
                Err(bad) => {
                    outcome.failed = Some((b, bad));
                    break;
                }
            }
            if let Some(tx) = &to_above {
                let feeds = stepper.spaces[..stepper.chunks_cut]
                    .iter()
                    .map(|ws| {
                        let (x, rows) = ws.computed_output();
                        LevelFeed { first_layer: above, x: x.to_vec(), rows }
                    })
                    .collect();
                if tx.send(feeds).is_err() {
                    break;
                }
            }
            if let Some(d) = &done {
                let _ = d.send(b);
            }
        }
        outcome
    }
}

/// How a group's thread is linked to the rest of the epoch: the run's step count before the
/// epoch, the channel from the group below and the one to the group above (none at the
/// bottom and top), and, for the top group, where it reports each batch it ends.
struct Links {
    first_step: u64,
    from_below: Option<Receiver<Feeds>>,
    to_above: Option<SyncSender<Feeds>>,
    done: Option<Sender<usize>>,
}

/// What a pipelined epoch is given: the stage's plan and optimizer (merged back at the end),
/// the batches in order, and the trainer's stepper, whose settings every group copies.
pub(crate) struct PipelineEpoch<'a> {
    pub model: &'a mut Model,
    pub data: &'a Dataset<'a>,
    pub batches: &'a [&'a [usize]],
    pub plan: &'a Plan,
    pub opt: &'a mut OptimizerState,
    pub kind: OptimizerKind,
    pub groups: &'a [ParamRange],
    pub like: &'a mut BatchStepper,
    pub workers: usize,
    /// The run's step count before the epoch's first batch.
    pub first_step: u64,
}

/// An epoch's sums over the groups' losses, the correct answers of the classifier the stage
/// reports (the top group's), and the first batch that could not be stepped: its index in the
/// epoch, the level group and why.
pub(crate) struct PipelinedSums {
    pub loss: f64,
    pub correct: usize,
    pub failed: Option<(usize, usize, NonFinite)>,
}

/// One epoch of a decoupled stage, its levels pipelined over `workers` groups (see the module):
/// one thread a group, each stepping on the pool the groups share, linked by one-batch
/// channels; the caller's thread reports the top group's batches as they end.
pub(crate) fn epoch(e: PipelineEpoch, mut on_batch: impl FnMut(usize)) -> PipelinedSums {
    // every group steps on all of the run's threads: a group waiting for its input leaves
    // them to the others, so pipelining adds overlap to lock-step's split of each batch
    let threads = rayon::current_num_threads();
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool for the level groups");
    let mut workers = build_workers(&e, &pool);
    let top = workers.len() - 1;
    let (data, batches, first_step, pool) = (e.data, e.batches, e.first_step, &pool);
    let outcomes: Vec<GroupOutcome> = std::thread::scope(|scope| {
        let (done_tx, done_rx) = channel();
        let mut from_below = None;
        let mut handles = Vec::new();
        for (g, w) in workers.iter_mut().enumerate() {
            let (to_above, next) = match g < top {
                true => {
                    let (tx, rx) = sync_channel::<Feeds>(1);
                    (Some(tx), Some(rx))
                }
                false => (None, None),
            };
            let below = std::mem::replace(&mut from_below, next);
            let done = (g == top).then(|| done_tx.clone());
            let links = Links { first_step, from_below: below, to_above, done };
            handles.push(scope.spawn(move || w.run(pool, data, batches, links)));
        }
        drop(done_tx);
        done_rx.iter().for_each(&mut on_batch); // until the top group ends
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    let mut sums = PipelinedSums { loss: 0.0, correct: 0, failed: None };
    for (g, o) in outcomes.into_iter().enumerate() {
        sums.loss += o.loss;
        if g == top {
            sums.correct = o.correct;
        }
        if let (None, Some((b, bad))) = (&sums.failed, o.failed) {
            sums.failed = Some((b, g, bad));
        }
    }
    merge(e, workers);
    sums
}

/// The groups, each with the stage's weights and optimizer state, and its stepper set as the
/// trainer's: one workspace per thread of `pool` (lock-step's chunks), dropout from a stream of
/// its own (the same as lock-step's for the lowest group).
fn build_workers(e: &PipelineEpoch, pool: &rayon::ThreadPool) -> Vec<Worker> {
    let levels = e.model.config.levels();
    let (units, costs) = (level_units(e.model), level_costs(e.model, e.data.t));
    let unit_costs: Vec<f64> = units.iter().map(|u| costs[u.clone()].iter().sum()).collect();
    let split: Vec<Range<usize>> = match units.is_empty() {
        true => std::iter::once(0..0).collect(),
        false => split_levels(&unit_costs, e.workers)
            .into_iter()
            .map(|g| units[g.start].start..units[g.end - 1].end)
            .collect(),
    };
    let snapshot = e.opt.snapshot();
    let firsts: Vec<usize> = split
        .iter()
        .map(|r| match r.start {
            0 => 0,
            k => e.model.placed.iter().position(|p| p.group == Group::Level(k)).expect("the level exists"),
        })
        .collect();
    split
        .iter()
        .enumerate()
        .map(|(g, levels_here)| {
            let plan = group_plan(e.plan, levels_here, levels);
            let ranges: Vec<ParamRange> = e
                .groups
                .iter()
                .filter(|r| plan.trainable.selected().any(|gr| e.model.layout.range(gr) == Some(r.range.clone())))
                .cloned()
                .collect();
            let mut opt = OptimizerState::new(e.kind, e.model.params.len());
            if let Some(s) = snapshot.clone() {
                opt.restore(s).expect("the stage's own optimizer state fits");
            }
            opt.set_lr(e.opt.lr());
            let mut stepper = pool.install(|| BatchStepper::new(e.model));
            copy_settings(e.like, &mut stepper);
            if g > 0 {
                stepper.dropout_seed ^= (g as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            }
            Worker {
                plan,
                model: e.model.clone(),
                opt,
                ranges,
                stepper,
                above: firsts.get(g + 1).copied().unwrap_or(0),
            }
        })
        .collect()
}

/// The trainer's stepper settings that decide the numbers.
fn copy_settings(from: &BatchStepper, to: &mut BatchStepper) {
    // a group above the lowest reads its input from below, with no embedding to perturb
    assert!(from.adversarial.is_none(), "adversarial training with pipelined level groups (the CLI refuses the pair)");
    to.dropout_seed = from.dropout_seed;
    to.max_norm = from.max_norm;
    to.sparse_embedding = from.sparse_embedding;
    to.trim = from.trim;
    to.class_weights.clone_from(&from.class_weights);
    to.multi_hot.clone_from(&from.multi_hot);
}

/// Each group's weights and optimizer state over its own parameters, back into the stage's;
/// the lowest group's padding counts into the trainer's stepper (each batch once).
fn merge(e: PipelineEpoch, workers: Vec<Worker>) {
    let mut merged = e.opt.snapshot();
    for w in &workers {
        for r in &w.ranges {
            let range = r.range.clone();
            e.model.params.data[range.clone()].copy_from_slice(&w.model.params.data[range.clone()]);
            match (&mut merged, w.opt.snapshot()) {
                (Some(OptimizerSnapshot::Adam { m, v, t }), Some(OptimizerSnapshot::Adam { m: gm, v: gv, t: gt })) => {
                    m[range.clone()].copy_from_slice(&gm[range.clone()]);
                    v[range.clone()].copy_from_slice(&gv[range]);
                    *t = (*t).max(gt);
                }
                (
                    Some(OptimizerSnapshot::Adadelta { acc_grad, acc_update }),
                    Some(OptimizerSnapshot::Adadelta { acc_grad: ga, acc_update: gu }),
                ) => {
                    acc_grad[range.clone()].copy_from_slice(&ga[range.clone()]);
                    acc_update[range.clone()].copy_from_slice(&gu[range]);
                }
                _ => {}
            }
        }
    }
    if let Some(s) = merged {
        e.opt.restore(s).expect("the groups' optimizer states fit the stage's");
    }
    if let Some(w) = workers.first() {
        let s: PaddingShare = w.stepper.steps;
        e.like.steps.add(&s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_split_into_contiguous_groups_of_least_largest_cost() {
        assert_eq!(split_levels(&[1.0, 1.0, 1.0], 1), std::iter::once(0..3).collect::<Vec<_>>());
        assert_eq!(split_levels(&[3.0, 2.0, 2.0], 2), [0..1, 1..3]);
        assert_eq!(split_levels(&[1.0, 1.0, 4.0], 2), [0..2, 2..3]);
        assert_eq!(split_levels(&[5.0, 1.0, 1.0, 1.0], 2), [0..1, 1..4]);
        // at most one group per level
        assert_eq!(split_levels(&[1.0, 1.0], 4), [0..1, 1..2]);
        assert_eq!(split_levels(&[2.0, 1.0, 1.0, 2.0], 3), [0..1, 1..3, 3..4]);
    }

    #[test]
    fn a_hierarchical_models_word_levels_are_one_unit() {
        use strata_model::zoo::{named_layers, Knobs};
        let config = |architecture: &str, layers| strata_model::ModelConfig {
            architecture: architecture.into(),
            vocab_size: 20,
            embedding_dim: 4,
            layers,
            num_classes: 2,
            embedding_init: 0.05,
            multichannel: false,
            mask_padding: false,
            multi_label: false,
        };
        let knobs = Knobs { units: Some(3), sentences: Some(2), ..Knobs::default() };
        let han = Model::new(config("han", named_layers("han", knobs).unwrap()), 1);
        // word GRU and word attention below the sentences layer; sentence GRU; sentence attention
        assert_eq!(level_units(&han), [0..2, 2..3, 3..4]);
        let knobs = Knobs { units: Some(3), layers: Some(3), ..Knobs::default() };
        let stacked = Model::new(config("seed-stacked", named_layers("seed-stacked", knobs).unwrap()), 1);
        assert_eq!(level_units(&stacked), [0..1, 1..2, 2..3]);
    }

    #[test]
    fn a_group_plan_trains_its_levels_and_their_heads_only() {
        let mut plan = Plan::end_to_end(3);
        plan.detach_levels = true;
        plan.aux_weights = vec![1.0, 1.0, 0.0];
        plan.trainable[Group::Aux(0)] = true;
        plan.trainable[Group::Aux(1)] = true;
        let low = group_plan(&plan, &(0..1), 3);
        assert_eq!((low.depth, low.head_weight, low.aux_weights.clone()), (1, 0.0, vec![1.0, 0.0, 0.0]));
        assert_eq!(low.trainable.selected().collect::<Vec<_>>(), [Group::Embedding, Group::Level(0), Group::Aux(0)]);
        let high = group_plan(&plan, &(1..3), 3);
        assert_eq!((high.depth, high.head_weight, high.aux_weights.clone()), (3, 1.0, vec![0.0, 1.0, 0.0]));
        assert_eq!(
            high.trainable.selected().collect::<Vec<_>>(),
            [Group::Level(1), Group::Level(2), Group::Head, Group::Aux(1)]
        );
    }
}
