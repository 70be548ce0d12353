//! Experiments: several schedules on the same model, data, splits, seed and epoch budget, so
//! that their accuracies can be compared fold by fold.
//!
//! Each split (a cross-validation fold, or a fixed train/dev/test split) trains every schedule
//! from the same initial weights; the held-out part scores the final model; the validation part
//! (dev, or a stratified fraction of the training part) drives the learning curves and probes.

use std::time::Instant;

use strata_data::{Example, LabelMap};
pub use strata_report::results::{CurvePoint, ExperimentResults, LayerProbe, ScheduleResult, StageTime};

use crate::error::WorkflowError;
use crate::pipeline::{train, TrainData, TrainSettings};
use crate::splits::{mean_std, score, Split};
use strata_train::fit::{EpochRecord, Progress};

/// What an experiment compares, on what, and how its report names the data.
pub struct Experiment<'a> {
    pub examples: &'a [Example],
    pub labels: &'a LabelMap,
    /// Each example's class index in `labels`.
    pub y: &'a [usize],
    pub splits: &'a [Split],
    /// The schedules compared: a name and the settings to train with.
    pub schedules: &'a [(String, TrainSettings)],
    /// For the report: the data's name, and the protocol ("10-fold cross-validation", …).
    pub data: String,
    pub protocol: String,
}

/// Runs every schedule of `e` on every split. `on_done` sees each (schedule, split, accuracy)
/// as it finishes.
pub fn run(
    e: &Experiment,
    progress: &mut dyn Progress,
    on_done: &mut dyn FnMut(&str, usize, f64),
) -> Result<ExperimentResults, WorkflowError> {
    let mut results = Vec::new();
    for (name, s) in e.schedules {
        results.push(run_schedule(e, name, s, progress, on_done)?);
    }
    let first = &e.schedules.first().ok_or(WorkflowError::NoSchedules)?.1;
    Ok(ExperimentResults {
        data: e.data.clone(),
        protocol: e.protocol.clone(),
        model: first.model.architecture.clone(),
        layers: first.model.layers.iter().filter(|l| l.layer().has_params()).count(),
        seed: first.fit.seed,
        threads: rayon::current_num_threads(),
        schedules: results,
    })
}

/// One schedule on every split: its accuracy per split, learning curves, time per stage and
/// final probes.
fn run_schedule(
    e: &Experiment,
    name: &str,
    s: &TrainSettings,
    progress: &mut dyn Progress,
    on_done: &mut dyn FnMut(&str, usize, f64),
) -> Result<ScheduleResult, WorkflowError> {
    let Experiment { examples, labels, y, splits, .. } = *e;
    let (mut acc, mut curves, mut seconds) = (Vec::new(), Vec::new(), 0.0);
    let mut probe_runs: Vec<Vec<(String, f64)>> = Vec::new();
    // per stage: (stage, name, seconds summed, epochs)
    let mut stage_secs: Vec<(usize, String, f64, usize)> = Vec::new();
    for (si, split) in splits.iter().enumerate() {
        let t0 = Instant::now();
        let data = TrainData { examples, labels, y, train_idx: &split.train, val_idx: &split.val };
        let trained = train(data, s, progress)?;
        seconds += t0.elapsed().as_secs_f64();
        let a = score(&trained.saved, examples, y, &split.test).accuracy;
        on_done(name, si + 1, a);
        acc.push(a);
        for r in &trained.history {
            match stage_secs.iter_mut().find(|(st, ..)| *st == r.stage) {
                Some(e) => {
                    e.2 += r.seconds;
                    e.3 += 1;
                }
                None => stage_secs.push((r.stage, r.stage_name.clone(), r.seconds, 1)),
            }
        }
        curves.push(curve(&trained.history));
        if let Some(last) = trained.probes.last() {
            probe_runs.push(last.probes.iter().map(|p| (p.layer.clone(), p.val_accuracy)).collect());
        }
    }
    let (m, sd) = mean_std(&acc);
    Ok(ScheduleResult {
        name: name.to_string(),
        stages: s.schedule.stages.iter().map(|st| st.name.clone()).collect(),
        epochs: s.schedule.epochs(),
        split_accuracy: acc,
        mean_accuracy: m,
        std_accuracy: sd,
        seconds,
        stage_times: stage_secs
            .into_iter()
            .map(|(stage, name, secs, n)| StageTime { stage, name, seconds_per_epoch: secs / n.max(1) as f64 })
            .collect(),
        probes: mean_probes(&probe_runs),
        curves,
    })
}

/// A run's learning curve, one point per epoch.
fn curve(history: &[EpochRecord]) -> Vec<CurvePoint> {
    history
        .iter()
        .map(|r| CurvePoint {
            stage: r.stage,
            stage_name: r.stage_name.clone(),
            epoch: r.epoch,
            loss: r.loss,
            val_accuracy: r.val_accuracy,
            seconds: r.seconds,
        })
        .collect()
}

/// Each layer's final probe accuracy, averaged over the splits' runs.
fn mean_probes(runs: &[Vec<(String, f64)>]) -> Vec<LayerProbe> {
    let Some(first) = runs.first() else { return Vec::new() };
    first
        .iter()
        .enumerate()
        .map(|(li, (layer, _))| {
            let per_split: Vec<f64> = runs.iter().map(|r| r[li].1).collect();
            LayerProbe { layer: layer.clone(), val_accuracy: mean_std(&per_split).0, per_split }
        })
        .collect()
}
