//! The stage and epoch loop, as a small trainer whose state is in view: [`Run`] holds where the
//! whole run stands (the shuffle stream, the step count, the history), [`StageRun`] what one
//! stage trains and its optimizer and [`EarlyStopping`]. Each step of the loop is a method:
//! `resume` from a checkpoint, `stage`, `epoch` (and its `batches`), `early_stop`, `end_stage`,
//! `checkpoint`.
//!
//! The order of everything that touches the random streams or the weights — the shuffle, the
//! batch steps, restoring the best weights, the checkpoint — is the order the seed's numbers
//! depend on; a resumed run replays the shuffles and continues at the same step.

use std::ops::ControlFlow;
use std::time::Instant;

use strata_model::adversarial;
use strata_model::infer::{evaluate_plan, evaluate_plan_multi, Dataset, Evaluation};
use strata_model::model::Model;
use strata_model::step_window::{cut_is_exact, real_width};
use strata_nn::optim::ParamRange;
use strata_nn::Rng;

use crate::batch::{stage_groups, BatchStepper};
use crate::bucket;
use crate::error::ResumeError;
use crate::fit::{Best, EpochRecord, FitInput, FitOptions, Fitted, Progress, TrainState};
use crate::level_pipeline::{self, PipelineEpoch};
use crate::optimizer::OptimizerState;
use crate::schedule::Schedule;
use crate::schedule::Stage;

/// Keras's `EarlyStopping(patience=N, restore_best_weights=True)` within one stage.
#[derive(Debug)]
pub(crate) struct EarlyStopping {
    /// Epochs without a better figure before the stage stops; `None` watches nothing (no
    /// `--early-stopping`, or no validation data).
    patience: Option<usize>,
    best: Option<Best>,
    /// Epochs since the best.
    waited: usize,
}

impl EarlyStopping {
    fn new(patience: Option<usize>) -> EarlyStopping {
        EarlyStopping { patience, best: None, waited: 0 }
    }

    /// Records an epoch's cost, keeping its weights if it is the best so far; says whether
    /// patience has run out.
    fn observe(&mut self, cost: f64, epoch: usize, weights: &[f32]) -> bool {
        let Some(patience) = self.patience else { return false };
        if self.best.as_ref().is_none_or(|b| cost < b.cost) {
            self.best = Some(Best { cost, epoch, weights: weights.to_vec() });
            self.waited = 0;
        } else {
            self.waited += 1;
        }
        self.waited >= patience
    }
}

/// One stage in progress: which, what it trains, where it starts, and the optimizer and early
/// stopping it carries from epoch to epoch (both fresh at a stage start, as recompiling a
/// Keras model between stages makes them).
pub(crate) struct StageRun<'a> {
    /// 0-based position in the schedule.
    index: usize,
    stage: &'a Stage,
    groups: Vec<ParamRange>,
    first_epoch: usize,
    opt: OptimizerState,
    early: EarlyStopping,
}

/// Why training stopped before its last epoch, other than early stopping.
enum Stop {
    /// A loss became NaN or infinite; the message says where.
    Diverged(String),
    /// The caller asked to stop: its checkpoint could not be written (`on_checkpoint`), or its
    /// own limit was reached (`after_epoch`).
    Halted,
}

/// A training run: the model, what it trains on, and where it stands.
pub(crate) struct Run<'a> {
    model: &'a mut Model,
    input: FitInput<'a>,
    progress: &'a mut dyn Progress,
    /// The shuffle's random stream, and the shuffles it has drawn.
    rng: Rng,
    shuffles: usize,
    /// Optimizer steps over the whole schedule: the slanted triangular rate's clock, and
    /// (through the stepper) dropout's.
    step: usize,
    stepper: BatchStepper,
    /// Write a checkpoint after every this many epochs (0: never).
    checkpoint_every: usize,
    /// `--bucket-by-length`: each training text's width (word steps from its first real token
    /// to its last), what batches are sorted by; empty without bucketing.
    widths: Vec<usize>,
    fitted: Fitted,
    /// A multi-label model's validation targets (`fit_schedule_multi`), scored instead of the
    /// validation classes.
    multi_val: Option<&'a [f32]>,
}

impl<'a> Run<'a> {
    /// A run from the start. Adds the auxiliary heads if the schedule uses them.
    pub(crate) fn new(model: &'a mut Model, input: FitInput<'a>, progress: &'a mut dyn Progress) -> Run<'a> {
        let seed = input.opts.seed;
        if input.schedule.uses_aux_heads() {
            model.add_aux_heads(seed);
        }
        let mut stepper = BatchStepper::new(model);
        stepper.dropout_seed = seed ^ 0x64726f70; // "drop"
        stepper.max_norm = input.opts.max_norm;
        stepper.sparse_embedding = input.opts.sparse_embedding_updates;
        stepper.adversarial = input.opts.adversarial;
        stepper.class_weights = input.opts.class_weights.clone();
        stepper.trim = input.opts.bucket_by_length || cut_is_exact(&model.config);
        let train = input.train;
        let widths = match input.opts.bucket_by_length {
            true => train.ids.chunks_exact(train.t.max(1)).map(|row| real_width(&model.config, row)).collect(),
            false => Vec::new(),
        };
        let checkpoint_every = progress.checkpoint_every();
        Run {
            model,
            input,
            progress,
            rng: Rng::derive(seed, 0x73687566), // "shuf"
            shuffles: 0,
            step: 0,
            stepper,
            checkpoint_every,
            widths,
            fitted: Fitted::default(),
            multi_val: None,
        }
    }

    /// Validation data, if there is any.
    fn val(&self) -> Option<&'a Dataset<'a>> {
        self.input.val.filter(|v| !v.is_empty())
    }

    /// Stage `index` from its first epoch.
    pub(crate) fn stage_run(&self, index: usize) -> StageRun<'a> {
        let stage = &self.input.schedule.stages[index];
        StageRun {
            index,
            stage,
            groups: stage_groups(self.model, stage),
            first_epoch: 1,
            opt: OptimizerState::new(self.input.opts.optimizer, self.model.params.len()),
            early: EarlyStopping::new(self.input.opts.early_stopping.filter(|_| self.val().is_some())),
        }
    }

    /// Continues from a checkpoint: its weights, history and counters, with the shuffles it had
    /// drawn replayed. Returns the stage to continue from and, unless the checkpoint came after
    /// the last stage, that stage as the checkpoint left it. Errs if the state does not fit
    /// this model and schedule.
    pub(crate) fn resume(&mut self, state: TrainState) -> Result<(usize, Option<StageRun<'a>>), ResumeError> {
        let stages = self.input.schedule.stages.len();
        if state.params.len() != self.model.params.len() {
            return Err(ResumeError::Params { saved: state.params.len(), model: self.model.params.len() });
        }
        if state.stage > stages {
            return Err(ResumeError::Stage { finished: state.stage, stages });
        }
        self.model.params.data = state.params.into();
        // a shuffle's draws do not depend on what it shuffles: replay them on one buffer
        let mut order: Vec<usize> = (0..self.input.train.len()).collect();
        for _ in 0..state.shuffles {
            self.rng.shuffle(&mut order);
        }
        (self.step, self.shuffles) = (state.step, state.shuffles);
        (self.fitted.history, self.fitted.early_stops) = (state.history, state.early_stops);
        if state.stage == stages {
            return Ok((stages, None));
        }
        let mut current = self.stage_run(state.stage);
        current.first_epoch = state.epochs_done + 1;
        if let Some(snapshot) = state.optimizer {
            current.opt.restore(snapshot)?;
        }
        (current.early.best, current.early.waited) = (state.best, state.waited);
        Ok((state.stage, Some(current)))
    }

    /// Runs the stages from `first` to the end — `first` as `partway` left it, if given — or
    /// until a loss diverges.
    pub(crate) fn train(mut self, first: usize, mut partway: Option<StageRun<'a>>) -> Fitted {
        for index in first..self.input.schedule.stages.len() {
            let current = partway.take().unwrap_or_else(|| self.stage_run(index));
            match self.stage(current) {
                Ok(()) => {}
                Err(Stop::Diverged(why)) => {
                    self.fitted.diverged = Some(why);
                    break;
                }
                Err(Stop::Halted) => break,
            }
        }
        // (a run resumed after its last epoch stepped no batch: nothing to tell)
        if self.stepper.trim && self.stepper.steps.uncut > 0 {
            self.progress.on_padding(&self.stepper.steps);
        }
        self.fitted
    }

    /// One stage, from its first epoch to its last or until early stopping ends it.
    fn stage(&mut self, mut current: StageRun<'a>) -> Result<(), Stop> {
        let epochs = current.stage.epochs;
        for epoch in current.first_epoch..=epochs {
            let val = self.epoch(&mut current, epoch)?;
            let stop = self.early_stop(&mut current, epoch, val.as_ref());
            let stage_ends = stop || epoch == epochs;
            if stage_ends {
                self.end_stage(&mut current);
            }
            if self.checkpoint(&current, epoch, stage_ends).is_break() || self.progress.after_epoch().is_break() {
                return Err(Stop::Halted);
            }
            if stage_ends {
                break;
            }
        }
        Ok(())
    }

    /// One epoch: the batches, then the validation score; records it in the history.
    fn epoch(&mut self, current: &mut StageRun<'a>, epoch: usize) -> Result<Option<Evaluation>, Stop> {
        let started = Instant::now();
        let sums = self.batches(current, epoch)?;
        let n = self.input.train.len().max(1) as f64;
        let v = self.val().map(|v| match self.multi_val {
            Some(y) => evaluate_plan_multi(self.model, v, y, &current.stage.plan),
            None => evaluate_plan(self.model, v, &current.stage.plan),
        });
        let record = EpochRecord {
            stage: current.index + 1,
            stage_name: current.stage.name.clone(),
            stages: self.input.schedule.stages.len(),
            epoch,
            epochs: current.stage.epochs,
            loss: sums.loss / n,
            accuracy: sums.correct as f64 / n,
            val_loss: v.map(|v| v.loss),
            val_accuracy: v.map(|v| v.accuracy),
            lr: sums.lr,
            seconds: started.elapsed().as_secs_f64(),
        };
        self.progress.on_epoch(&record);
        self.fitted.history.push(record);
        Ok(v)
    }

    /// The epoch's mini-batches, in a fresh shuffle (with bucketing: sorted by length in pools,
    /// the batches shuffled). On a non-finite loss or gradient, stops with the weights from
    /// before that batch (the stepper does not step it), so no copy of the weights is kept.
    fn batches(&mut self, current: &mut StageRun<'a>, epoch: usize) -> Result<EpochSums, Stop> {
        let FitInput { train, schedule, opts, .. } = self.input;
        let steps_per_epoch = train.len().div_ceil(opts.batch_size);
        let total_steps = schedule.epochs().saturating_mul(steps_per_epoch);
        let mut order: Vec<usize> = (0..train.len()).collect();
        if opts.shuffle {
            self.rng.shuffle(&mut order);
            self.shuffles += 1;
        }
        let batches = if opts.bucket_by_length {
            bucket::bucket(&mut order, &self.widths, opts.batch_size, opts.seed, self.shuffles, opts.shuffle)
        } else {
            bucket::in_order(order.len(), opts.batch_size)
        };
        let mut sums = EpochSums { loss: 0.0, correct: 0, lr: opts.optimizer.lr() };
        // (the CLI refuses --level-workers under mpirun, where the ranks split every batch)
        let pipelined = opts.level_workers > 1 && schedule.stlr.is_none() && crate::ranks::batch_world().is_none();
        if current.stage.plan.detach_levels && pipelined {
            let batches: Vec<&[usize]> = batches.into_iter().map(|r| &order[r]).collect();
            return self.pipelined(current, epoch, &batches, sums);
        }
        for (bi, batch) in batches.into_iter().map(|r| &order[r]).enumerate() {
            if let Some(stlr) = schedule.stlr {
                sums.lr = opts.optimizer.lr() * stlr.factor(self.step, total_steps);
                current.opt.set_lr(sums.lr);
            }
            self.stepper.step_index = self.step as u64;
            let stepped =
                self.stepper.step(self.model, train, batch, &current.stage.plan, &mut current.opt, &current.groups);
            let s = stepped.map_err(|bad| {
                let what = match bad.loss.is_finite() {
                    true => format!("the loss became {:.3e} and its step would not be finite", bad.loss),
                    false => format!("the loss became {}", bad.loss),
                };
                Stop::Diverged(format!(
                    "{what} at stage {} epoch {epoch} batch {}; training stopped with the weights from before that batch",
                    current.index + 1,
                    bi + 1
                ))
            })?;
            sums.loss += s.loss_sum;
            sums.correct += s.correct;
            self.step += 1;
            self.progress.on_batch(bi + 1, steps_per_epoch);
        }
        Ok(sums)
    }

    /// [`Run::batches`] of a decoupled stage with its levels pipelined over
    /// `--level-workers` groups (`level_pipeline`).
    fn pipelined(
        &mut self,
        current: &mut StageRun<'a>,
        epoch: usize,
        batches: &[&[usize]],
        mut sums: EpochSums,
    ) -> Result<EpochSums, Stop> {
        let progress = &mut *self.progress;
        let e = PipelineEpoch {
            model: &mut *self.model,
            data: self.input.train,
            batches,
            plan: &current.stage.plan,
            opt: &mut current.opt,
            kind: self.input.opts.optimizer,
            groups: &current.groups,
            like: &mut self.stepper,
            workers: self.input.opts.level_workers,
            first_step: self.step as u64,
        };
        let done = level_pipeline::epoch(e, |b| progress.on_batch(b + 1, batches.len()));
        (sums.loss, sums.correct) = (done.loss, done.correct);
        match done.failed {
            None => {
                self.step += batches.len();
                Ok(sums)
            }
            Some((b, group, bad)) => Err(Stop::Diverged(format!(
                "the loss became {:.3e} at stage {} epoch {epoch} batch {} in level group {}; that group stopped with its weights from before that batch",
                bad.loss,
                current.index + 1,
                b + 1,
                group + 1
            ))),
        }
    }

    /// Whether early stopping ends the stage after `epoch` (never after its last epoch, which
    /// ends it anyway); records the stop.
    fn early_stop(&mut self, current: &mut StageRun<'a>, epoch: usize, val: Option<&Evaluation>) -> bool {
        let Some(v) = val else { return false };
        let cost = self.input.opts.monitor.cost(v);
        if !current.early.observe(cost, epoch, &self.model.params.data) || epoch >= current.stage.epochs {
            return false;
        }
        let best_epoch = current.early.best.as_ref().map_or(epoch, |b| b.epoch);
        self.fitted.early_stops.push((current.index + 1, epoch, best_epoch));
        true
    }

    /// Ends a stage with its best weights, if early stopping kept any, and tells the caller.
    fn end_stage(&mut self, current: &mut StageRun<'a>) {
        if let Some(best) = current.early.best.take() {
            self.model.params.data = best.weights.into();
        }
        self.progress.on_stage_end(current.index + 1, &current.stage.name, self.model);
    }

    /// Hands the caller a checkpoint if one is due after this epoch. One taken as the stage
    /// ends points at the next stage's start, which needs no optimizer or early-stopping state.
    /// `Break` if the caller could not write it.
    fn checkpoint(&mut self, current: &StageRun<'a>, epoch: usize, stage_ends: bool) -> ControlFlow<()> {
        let every = self.checkpoint_every;
        if every == 0 || !self.fitted.history.len().is_multiple_of(every) {
            return ControlFlow::Continue(());
        }
        let (stage, epochs_done) = if stage_ends { (current.index + 1, 0) } else { (current.index, epoch) };
        self.progress.on_checkpoint(&TrainState {
            stage,
            epochs_done,
            shuffles: self.shuffles,
            step: self.step,
            params: self.model.params.data.to_vec(),
            optimizer: if stage_ends { None } else { current.opt.snapshot() },
            history: self.fitted.history.clone(),
            early_stops: self.fitted.early_stops.clone(),
            best: if stage_ends { None } else { current.early.best.clone() },
            waited: if stage_ends { 0 } else { current.early.waited },
        })
    }
}

/// An epoch's running sums, and the learning rate of its last step (before per-group
/// multipliers).
struct EpochSums {
    loss: f64,
    correct: usize,
    lr: f32,
}

/// Trains `model` end to end on `train` for `opts.epochs` (the seed's `fit`).
pub fn fit(
    model: &mut Model,
    train: &Dataset,
    val: Option<&Dataset>,
    opts: &FitOptions,
    progress: &mut dyn Progress,
) -> Vec<EpochRecord> {
    let schedule = Schedule::end_to_end(model.config.levels(), opts.epochs);
    fit_schedule(model, FitInput { train, val, schedule: &schedule, opts }, progress).history
}

/// Under `--adversarial`, a note on ε's size against the training texts' word vectors as the
/// run starts (`adversarial::scale_note`: a warning when ε would swamp them, as the
/// pretrained vectors' ε does a fresh embedding). Not on resume: the weights are not the start's.
fn note_adversarial_scale(model: &Model, input: &FitInput, progress: &mut dyn Progress) {
    let Some(adv) = input.opts.adversarial else { return };
    if let Some(norm) = adversarial::median_text_norm(model, input.train.ids, input.train.t) {
        match adversarial::scale_note(adv.epsilon, norm) {
            (line, true) => progress.on_warning(&line),
            (line, false) => progress.on_note(&line),
        }
    }
}

/// Trains `model` through every stage of `input.schedule`, scoring `input.val` after each
/// epoch. Auxiliary heads are added when the schedule needs them and left on the model (the
/// caller drops them before saving).
pub fn fit_schedule(model: &mut Model, input: FitInput, progress: &mut dyn Progress) -> Fitted {
    fit_schedule_from(model, input, progress, None).expect("a fresh start has no state to reject")
}

/// `fit_schedule`, continuing from a checkpoint's `state` when given. Errs if the state does
/// not fit this model, schedule and optimizer.
pub fn fit_schedule_from(
    model: &mut Model,
    input: FitInput,
    progress: &mut dyn Progress,
    resume: Option<TrainState>,
) -> Result<Fitted, ResumeError> {
    if resume.is_none() {
        note_adversarial_scale(model, &input, progress);
    }
    let mut run = Run::new(model, input, progress);
    let (first, partway) = match resume {
        Some(state) => run.resume(state)?,
        None => (0, None),
    };
    Ok(run.train(first, partway))
}

/// [`fit_schedule`] of a multi-label model (`ModelConfig::multi_label`): the batches read each
/// text's multi-hot row from `targets.train` (binary cross-entropy summed over the labels) and
/// each epoch scores `targets.val` (precision at 1 as its accuracy). No checkpoints: the
/// multi-label runs write none.
pub fn fit_schedule_multi(
    model: &mut Model,
    input: FitInput,
    targets: crate::multi_hot::MultiHot,
    progress: &mut dyn Progress,
) -> Fitted {
    let k = model.config.outputs();
    assert!(model.config.multi_label, "multi-hot targets are for a multi-label model");
    assert_eq!(targets.train.len(), input.train.len() * k, "one multi-hot row per training text");
    note_adversarial_scale(model, &input, progress);
    let mut run = Run::new(model, input, progress);
    run.stepper.multi_hot = Some(targets.train.to_vec());
    run.multi_val = Some(targets.val);
    run.train(0, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_model::layers::{LayerSpec, LstmConfig};
    use strata_model::ModelConfig;

    /// Counts epochs and checkpoints; fails to write the `fail_at`-th checkpoint.
    struct FailingCheckpoints {
        fail_at: usize,
        checkpoints: usize,
        epochs: usize,
    }

    impl Progress for FailingCheckpoints {
        fn on_epoch(&mut self, _record: &EpochRecord) {
            self.epochs += 1;
        }
        fn checkpoint_every(&self) -> usize {
            1
        }
        fn on_checkpoint(&mut self, _state: &TrainState) -> ControlFlow<()> {
            self.checkpoints += 1;
            if self.checkpoints == self.fail_at {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }

    #[test]
    fn a_checkpoint_that_cannot_be_written_stops_the_run_at_once() {
        let (t, n) = (6, 16);
        let ids: Vec<u32> = (0..n * t).map(|i| 1 + (i * 7 % 19) as u32).collect();
        let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let train = Dataset { ids: &ids, labels: &labels, t };
        let config = ModelConfig {
            architecture: "seed".into(),
            vocab_size: 20,
            embedding_dim: 4,
            layers: vec![LayerSpec::Lstm(LstmConfig { units: 3, bidirectional: false })],
            num_classes: 2,
            embedding_init: 0.05,
            multichannel: false,
            mask_padding: false,
            multi_label: false,
        };
        let mut model = Model::new(config, 1);
        let opts = FitOptions { epochs: 5, batch_size: 8, ..FitOptions::default() };
        let mut progress = FailingCheckpoints { fail_at: 2, checkpoints: 0, epochs: 0 };
        let history = fit(&mut model, &train, None, &opts, &mut progress);
        assert_eq!((progress.epochs, history.len()), (2, 2), "no epoch after the failed checkpoint");
    }

    /// Keeps every checkpoint and the padding share.
    #[derive(Default)]
    struct Keep {
        states: Vec<TrainState>,
        padding: Option<crate::fit::PaddingShare>,
    }

    impl Progress for Keep {
        fn checkpoint_every(&self) -> usize {
            1
        }
        fn on_checkpoint(&mut self, state: &TrainState) -> ControlFlow<()> {
            self.states.push(state.clone());
            ControlFlow::Continue(())
        }
        fn on_padding(&mut self, share: &crate::fit::PaddingShare) {
            self.padding = Some(*share);
        }
    }

    /// `n` texts of 0 to `t - 1` tokens, pre-padded into `[n, t]`.
    fn ragged(n: usize, t: usize) -> (Vec<u32>, Vec<usize>) {
        let mut ids = vec![0u32; n * t];
        for (i, row) in ids.chunks_exact_mut(t).enumerate() {
            let len = (i * 5) % t;
            for (k, id) in row[t - len..].iter_mut().enumerate() {
                *id = 1 + ((i * 3 + k * 7) % 19) as u32;
            }
        }
        (ids, (0..n).map(|i| (i / 3) % 2).collect())
    }

    /// Trains a small LSTM on [`ragged`] texts, from the start or from `resume`.
    fn bucketed_run(bucket_by_length: bool, resume: Option<TrainState>) -> (Vec<f32>, Keep) {
        let (t, n) = (9, 64);
        let (ids, labels) = ragged(n, t);
        let train = Dataset { ids: &ids, labels: &labels, t };
        let config = ModelConfig {
            vocab_size: 20,
            embedding_dim: 4,
            layers: vec![LayerSpec::Lstm(LstmConfig { units: 3, bidirectional: false })],
            ..ModelConfig::seed(20)
        };
        let mut model = Model::new(config, 1);
        let opts = FitOptions { epochs: 4, batch_size: 4, bucket_by_length, ..FitOptions::default() };
        let schedule = Schedule::end_to_end(1, opts.epochs);
        let mut keep = Keep::default();
        let input = FitInput { train: &train, val: None, schedule: &schedule, opts: &opts };
        fit_schedule_from(&mut model, input, &mut keep, resume).expect("resumes");
        (model.params.data.into_vec(), keep)
    }

    #[test]
    fn a_bucketed_run_resumed_from_a_checkpoint_ends_with_the_same_weights() {
        // issue 14 point 2: the batch order comes from the seed and the shuffles drawn, so a
        // resumed run draws it again without replaying anything
        let (whole, keep) = bucketed_run(true, None);
        assert_eq!(keep.states.len(), 4);
        let (resumed, _) = bucketed_run(true, Some(keep.states[1].clone()));
        assert!(whole.iter().zip(&resumed).all(|(a, b)| a.to_bits() == b.to_bits()), "resumed ≠ whole");
        assert_eq!(bucketed_run(true, None).0, whole, "the same seed twice");
        // bucketing changes the batches, hence the weights
        assert_ne!(bucketed_run(false, None).0, whole);
    }

    #[test]
    fn the_padding_share_counts_the_steps_of_cut_batches() {
        // issue 14 point 4: real tokens, steps computed in cut batches, steps of uncut ones
        let (t, n, epochs) = (9u64, 64u64, 4u64);
        let (ids, _) = ragged(n as usize, t as usize);
        let real = ids.iter().filter(|&&id| id != 0).count() as u64;
        let share = bucketed_run(true, None).1.padding.expect("cut batches report their share");
        assert_eq!((share.real, share.uncut), (real * epochs, n * t * epochs));
        assert!(share.computed < share.uncut && share.computed >= share.real, "{share:?}");
        // nothing is cut by default: nothing to report
        assert_eq!(bucketed_run(false, None).1.padding, None);
    }
    /// Trains a small LSTM on the first `rows` [`ragged`] texts, in order, by plain gradient
    /// descent at rate `lr` for one epoch of batches of 4: the weights, and why it diverged.
    fn sgd_run(rows: usize, lr: f32) -> (Vec<f32>, Option<String>) {
        let t = 9;
        let (ids, labels) = ragged(64, t);
        let train = Dataset { ids: &ids[..rows * t], labels: &labels[..rows], t };
        let config = ModelConfig {
            vocab_size: 20,
            embedding_dim: 4,
            layers: vec![LayerSpec::Lstm(LstmConfig { units: 3, bidirectional: false })],
            ..ModelConfig::seed(20)
        };
        let mut model = Model::new(config, 1);
        let optimizer = crate::optimizer::OptimizerKind::Sgd { lr };
        let opts = FitOptions { epochs: 1, batch_size: 4, shuffle: false, optimizer, ..FitOptions::default() };
        let schedule = Schedule::end_to_end(1, opts.epochs);
        let input = FitInput { train: &train, val: None, schedule: &schedule, opts: &opts };
        let fitted = fit_schedule(&mut model, input, &mut Keep::default());
        (model.params.data.into_vec(), fitted.diverged)
    }

    #[test]
    fn a_diverging_run_stops_with_the_weights_from_before_its_bad_batch() {
        // issue 14 point 3: no per-epoch copy of the weights; the bad batch is not stepped
        let (weights, why) = sgd_run(64, 1e30);
        let why = why.expect("a rate of 1e30 diverges");
        assert!(why.contains(" at stage 1 epoch 1 batch ") && why.contains("from before that batch"), "{why}");
        assert!(weights.iter().all(|w| w.is_finite()), "{why}");
        let batch: usize = why.split(" batch ").nth(1).and_then(|r| r.split(';').next()).unwrap().parse().unwrap();
        assert!(batch > 1, "the first step is finite: {why}");
        // the same run cut before the bad batch steps exactly the batches the diverged run kept
        let (before, none) = sgd_run((batch - 1) * 4, 1e30);
        assert_eq!(none, None);
        assert!(weights.iter().zip(&before).all(|(a, b)| a.to_bits() == b.to_bits()), "{why}");
        assert_ne!(before, sgd_run(0, 1e30).0, "the kept batches were stepped");
    }
}
