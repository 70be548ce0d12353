//! The training loop: stages of a schedule, shuffled mini-batches, one chunk per core, summed
//! gradients, an optimizer step over the trainable groups, and one history row per epoch.
//!
//! Determinism: the shuffle comes from the seed, chunks are fixed by the thread count, and
//! chunk gradients are summed in chunk order — so the same seed and thread count give the same
//! numbers, bit for bit. Each stage starts a fresh optimizer (as recompiling a Keras model
//! between stages does), and backward stops at the stage's lowest trainable layer.

use std::time::Instant;

use strata_nn::Rng;

pub use crate::batch::{stage_groups, BatchStepper};
pub use crate::optimizer::{OptimizerKind, OptimizerSnapshot, OptimizerState};
use crate::schedule::Schedule;
pub use strata_model::infer::Dataset;
use strata_model::infer::{evaluate_plan, Evaluation};
use strata_model::model::Model;

#[derive(Clone, Debug)]
pub struct FitOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub optimizer: OptimizerKind,
    pub seed: u64,
    pub shuffle: bool,
    /// Keras's `EarlyStopping(monitor="val_loss", patience=N, restore_best_weights=True)`, per
    /// stage: stop a stage after `N` epochs without a better monitored figure, and end it with the
    /// weights of its best epoch. Needs validation data.
    pub early_stopping: Option<usize>,
    /// What early stopping watches (Keras's `monitor=`).
    pub monitor: Monitor,
    /// Keras's `kernel_constraint=MaxNorm(s)` on the head (Kim's CNN: 3).
    pub max_norm: Option<f32>,
}

/// The validation figure early stopping watches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Monitor {
    /// `val_loss`, lower is better (Keras's default).
    #[default]
    ValLoss,
    /// `val_accuracy`, higher is better.
    ValAccuracy,
}

impl Monitor {
    /// The figure as a cost (lower is better).
    fn cost(self, v: &Evaluation) -> f64 {
        match self {
            Monitor::ValLoss => v.loss,
            Monitor::ValAccuracy => -v.accuracy,
        }
    }
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
            early_stopping: None,
            monitor: Monitor::ValLoss,
            max_norm: None,
        }
    }
}

/// One epoch's numbers, as Keras's `History` has them, plus where in the schedule it was.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochRecord {
    /// 1-based stage number, its name, and the number of stages.
    pub stage: usize,
    pub stage_name: String,
    pub stages: usize,
    /// 1-based epoch within the stage, and the stage's epochs.
    pub epoch: usize,
    pub epochs: usize,
    pub loss: f64,
    pub accuracy: f64,
    pub val_loss: Option<f64>,
    pub val_accuracy: Option<f64>,
    /// Learning rate at the end of the epoch (before per-group multipliers).
    pub lr: f32,
    pub seconds: f64,
}

/// Hooks for the caller: batch progress, finished epochs, finished stages.
pub trait Progress {
    fn on_batch(&mut self, _done: usize, _total: usize) {}
    fn on_epoch(&mut self, _record: &EpochRecord) {}
    /// After each stage, with the model as that stage left it (auxiliary heads included).
    fn on_stage_end(&mut self, _stage: usize, _name: &str, _model: &Model) {}
    /// Write a checkpoint every this many epochs (0: never).
    fn checkpoint_every(&self) -> usize {
        0
    }
    /// A checkpoint: everything needed to continue training bit-identically.
    fn on_checkpoint(&mut self, _state: &TrainState) {}
}

/// Where training stands at an epoch boundary — enough to continue it and end with exactly the
/// weights an uninterrupted run would have (same seed and thread count).
#[derive(Clone, Debug, PartialEq)]
pub struct TrainState {
    /// Stage to continue (0-based) and epochs of it already done.
    pub stage: usize,
    pub epochs_done: usize,
    /// Shuffles drawn and optimizer steps taken so far (to replay the RNG and the lr schedule).
    pub shuffles: usize,
    pub step: usize,
    pub params: Vec<f32>,
    /// The optimizer's per-parameter state within the current stage (`None` at a stage start,
    /// and for SGD, which has none).
    pub optimizer: Option<OptimizerSnapshot>,
    pub history: Vec<EpochRecord>,
    pub early_stops: Vec<(usize, usize, usize)>,
    /// Early stopping within the current stage: best (monitored cost, epoch, weights), epochs
    /// since.
    pub best: Option<(f64, usize, Vec<f32>)>,
    pub waited: usize,
}

/// A `Progress` that shows nothing.
pub struct Silent;
impl Progress for Silent {}

/// Trains `model` end to end on `train` for `opts.epochs` (the seed's `fit`).
pub fn fit(
    model: &mut Model,
    train: &Dataset,
    val: Option<&Dataset>,
    opts: &FitOptions,
    progress: &mut dyn Progress,
) -> Vec<EpochRecord> {
    let schedule = Schedule::end_to_end(model.config.levels(), opts.epochs);
    fit_schedule(model, train, val, &schedule, opts, progress).history
}

/// What training did, beyond the per-epoch history.
#[derive(Clone, Debug, Default)]
pub struct Fitted {
    pub history: Vec<EpochRecord>,
    /// Early stops: (stage, epoch it stopped after, best epoch restored).
    pub early_stops: Vec<(usize, usize, usize)>,
    /// Set when a loss became NaN or infinite: training stopped and the weights are those of
    /// the end of the last good epoch.
    pub diverged: Option<String>,
}

/// Trains `model` through every stage of `schedule`, evaluating on `val` after each epoch.
/// Auxiliary heads are added when the schedule needs them and left on the model (the caller
/// drops them before saving).
pub fn fit_schedule(
    model: &mut Model,
    train: &Dataset,
    val: Option<&Dataset>,
    schedule: &Schedule,
    opts: &FitOptions,
    progress: &mut dyn Progress,
) -> Fitted {
    fit_schedule_from(model, train, val, schedule, opts, progress, None).expect("a fresh start has no state to reject")
}

/// `fit_schedule`, continuing from a checkpoint's `state` when given. Errs if the state does
/// not fit this model and schedule.
#[allow(clippy::too_many_arguments)]
pub fn fit_schedule_from(
    model: &mut Model,
    train: &Dataset,
    val: Option<&Dataset>,
    schedule: &Schedule,
    opts: &FitOptions,
    progress: &mut dyn Progress,
    resume: Option<TrainState>,
) -> Result<Fitted, String> {
    if schedule.uses_aux_heads() {
        model.add_aux_heads(opts.seed);
    }
    let mut rng = Rng::derive(opts.seed, 0x73687566); // "shuf"
    let steps_per_epoch = train.len().div_ceil(opts.batch_size);
    let total_steps = schedule.epochs() * steps_per_epoch;
    let mut step = 0;
    let mut shuffles = 0;
    let mut out = Fitted::default();
    let (mut first_stage, mut first_epoch) = (0, 1);
    let mut restored: Option<TrainState> = None;
    if let Some(st) = resume {
        if st.params.len() != model.params.len() || st.stage > schedule.stages.len() {
            return Err("the checkpoint does not match this model or schedule".into());
        }
        model.params.data.clone_from(&st.params);
        for _ in 0..st.shuffles {
            rng.shuffle(&mut (0..train.len()).collect::<Vec<_>>());
        }
        (step, shuffles, first_stage, first_epoch) = (st.step, st.shuffles, st.stage, st.epochs_done + 1);
        out.history.clone_from(&st.history);
        out.early_stops.clone_from(&st.early_stops);
        restored = Some(st);
    }
    let mut stepper = BatchStepper::new(model);
    stepper.dropout_seed = opts.seed ^ 0x64726f70; // "drop"
    stepper.max_norm = opts.max_norm;
    let early = opts.early_stopping.filter(|_| val.is_some_and(|v| !v.is_empty()));
    let every = progress.checkpoint_every();
    'stages: for (si, stage) in schedule.stages.iter().enumerate().skip(first_stage) {
        let groups = stage_groups(model, stage);
        let mut opt = OptimizerState::new(opts.optimizer, model.params.len());
        // (best monitored cost, its epoch, its weights), epochs since it
        let mut best: Option<(f64, usize, Vec<f32>)> = None;
        let mut waited = 0;
        let start_epoch = if si == first_stage { first_epoch } else { 1 };
        if let Some(st) = restored.take().filter(|_| si == first_stage) {
            if let Some(snapshot) = st.optimizer {
                opt.restore(snapshot)?;
            }
            (best, waited) = (st.best, st.waited);
        }
        for epoch in start_epoch..=stage.epochs {
            let started = Instant::now();
            let last_good = model.params.data.clone();
            let mut order: Vec<usize> = (0..train.len()).collect();
            if opts.shuffle {
                rng.shuffle(&mut order);
                shuffles += 1;
            }
            let (mut loss_sum, mut correct) = (0.0f64, 0usize);
            let mut lr = opts.optimizer.lr();
            for (bi, batch) in order.chunks(opts.batch_size).enumerate() {
                if let Some(stlr) = schedule.stlr {
                    lr = opts.optimizer.lr() * stlr.factor(step, total_steps);
                    opt.set_lr(lr);
                }
                stepper.step_index = step as u64;
                let s = stepper.step(model, train, batch, &stage.plan, &mut opt, &groups);
                if !s.loss_sum.is_finite() {
                    model.params.data = last_good;
                    out.diverged = Some(format!(
                        "the loss became {} at stage {} epoch {epoch} batch {}; training stopped with the weights of the end of the previous epoch",
                        s.loss_sum,
                        si + 1,
                        bi + 1
                    ));
                    break 'stages;
                }
                loss_sum += s.loss_sum;
                correct += s.correct;
                step += 1;
                progress.on_batch(bi + 1, steps_per_epoch);
            }
            let n = train.len().max(1) as f64;
            let v = val.filter(|v| !v.is_empty()).map(|v| evaluate_plan(model, v, &stage.plan));
            let rec = EpochRecord {
                stage: si + 1,
                stage_name: stage.name.clone(),
                stages: schedule.stages.len(),
                epoch,
                epochs: stage.epochs,
                loss: loss_sum / n,
                accuracy: correct as f64 / n,
                val_loss: v.map(|v| v.loss),
                val_accuracy: v.map(|v| v.accuracy),
                lr,
                seconds: started.elapsed().as_secs_f64(),
            };
            progress.on_epoch(&rec);
            out.history.push(rec);
            let mut stop = false;
            if let (Some(patience), Some(v)) = (early, v) {
                let cost = opts.monitor.cost(&v);
                if best.as_ref().is_none_or(|(b, ..)| cost < *b) {
                    best = Some((cost, epoch, model.params.data.clone()));
                    waited = 0;
                } else {
                    waited += 1;
                }
                if waited >= patience && epoch < stage.epochs {
                    out.early_stops.push((si + 1, epoch, best.as_ref().map_or(epoch, |b| b.1)));
                    stop = true;
                }
            }
            let stage_ends = stop || epoch == stage.epochs;
            if stage_ends {
                if let Some((_, _, weights)) = best.take() {
                    model.params.data = weights;
                }
                progress.on_stage_end(si + 1, &stage.name, model);
            }
            if every > 0 && out.history.len() % every == 0 {
                progress.on_checkpoint(&TrainState {
                    stage: if stage_ends { si + 1 } else { si },
                    epochs_done: if stage_ends { 0 } else { epoch },
                    shuffles,
                    step,
                    params: model.params.data.clone(),
                    optimizer: if stage_ends { None } else { opt.snapshot() },
                    history: out.history.clone(),
                    early_stops: out.early_stops.clone(),
                    best: if stage_ends { None } else { best.clone() },
                    waited: if stage_ends { 0 } else { waited },
                });
            }
            if stage_ends {
                break;
            }
        }
    }
    Ok(out)
}
