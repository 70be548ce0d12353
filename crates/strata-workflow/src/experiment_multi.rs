//! Multi-label experiments (issue 15 point 2, `experiment --multi-label`): the linear baseline
//! and every schedule trained multi-label — one sigmoid per label, binary cross-entropy, each
//! label's threshold tuned on the split's validation part as `train --multi-label` does
//! ([`crate::multi_label::train_multi`]) — on the same splits and seeds, each split's test part
//! scored with the multi-label figures, and every row paired with the baseline on micro F1
//! (strata-report's `multi_label_table`). The folds are the ones `cv --multi-label` makes under
//! the same seed ([`fold_splits`]), so an experiment's linear row repeats a `cv` run.
//!
//! A schedule's `split_accuracy` holds its micro F1 per split, so every table of the report
//! (summary, per split, against the baseline) compares the headline figure. Under mpirun the
//! runs are dealt to the ranks and gathered back as for one label a text (`crate::dealt`).

use std::time::Instant;

use strata_data::{LabelMap, MultiExample};
use strata_model::hierarchical_metrics::mcnemar;
use strata_model::multi_label::metrics::MultiLabelMetrics;
use strata_report::multi_label_table::{MultiLabelFigures, MultiLabelRow, MultiLabelTable};
use strata_report::results::{ExperimentResults, ScheduleResult, StageTime};
use strata_train::fit::EpochRecord;

use crate::error::WorkflowError;
use crate::experiment::{budget_note, curve, is_baseline, linear_stage, ExperimentProgress, RunList, SeededSplits};
use crate::multi_label::{holdout_multi, kfold_multi, score_multi, train_multi, MultiData};
use crate::pipeline::TrainSettings;
use crate::splits::{mean_std, Split};

/// What a multi-label experiment compares, on what, and how its report names the data.
pub struct MultiExperiment<'a> {
    pub examples: &'a [MultiExample],
    pub labels: &'a LabelMap,
    /// Each example's class indices in `labels`.
    pub y: &'a [Vec<usize>],
    pub runs: &'a [SeededSplits],
    /// The schedules compared (the linear baseline first, when there is one).
    pub schedules: &'a [(String, TrainSettings)],
    /// `--threshold`: one threshold for every label instead of those tuned on validation.
    pub threshold: Option<f32>,
    pub data: String,
    pub protocol: String,
}

/// `cv --multi-label`'s folds of `n` texts under `seed`: `k` folds from a seeded shuffle, each
/// fold's training part losing `validation_split` of it (a seeded hold-out) for validation.
pub fn fold_splits(n: usize, k: usize, validation_split: f64, seed: u64) -> Vec<(String, Split)> {
    let folds = kfold_multi(n, k, seed);
    (0..k)
        .map(|f| {
            let rest: Vec<usize> =
                folds.iter().enumerate().filter(|(g, _)| *g != f).flat_map(|(_, v)| v.iter().copied()).collect();
            let (train, val) = holdout_multi(rest.len(), validation_split, seed);
            let split = Split {
                train: train.iter().map(|&i| rest[i]).collect(),
                val: val.iter().map(|&i| rest[i]).collect(),
                test: folds[f].clone(),
            };
            (format!("fold {}", f + 1), split)
        })
        .collect()
}

/// The report's figures of one evaluation.
fn figures(m: &MultiLabelMetrics) -> MultiLabelFigures {
    MultiLabelFigures {
        micro_f1: m.micro_f1,
        macro_f1: m.macro_f1,
        hamming_loss: m.hamming_loss,
        subset_accuracy: m.subset_accuracy,
        precision_at_1: m.precision_at_1,
    }
}

/// What one run (a split under a seed) gives, as a rank sends it to the others under MPI.
#[derive(serde::Serialize, serde::Deserialize)]
struct RunOutcome {
    figures: MultiLabelFigures,
    seconds: f64,
    history: Vec<EpochRecord>,
}

/// Runs every schedule of `e` multi-label on every split under every seed.
pub fn run(e: &MultiExperiment, progress: &mut dyn ExperimentProgress) -> Result<ExperimentResults, WorkflowError> {
    let first = &e.schedules.first().ok_or(WorkflowError::NoSchedules)?.1;
    let first = e.schedules.iter().find(|(n, s)| !is_baseline(n, s)).map_or(first, |(_, s)| s);
    let runs = RunList::of(e.runs);
    let outcomes = crate::dealt::deal_runs(e.schedules.len(), runs.len(), |k, i| {
        let (name, s) = &e.schedules[k];
        train_run(e, &runs, name, s, i, progress)
    })?;
    let (schedules, per_split): (Vec<ScheduleResult>, Vec<Vec<MultiLabelFigures>>) =
        e.schedules.iter().zip(outcomes).map(|((name, s), o)| schedule_result(name, s, o)).unzip();
    let base = schedules.iter().position(|s| s.baseline).map(|b| per_split[b].clone());
    let rows = schedules
        .iter()
        .zip(per_split)
        .map(|(s, f)| MultiLabelRow::new(&s.name, f, base.as_deref(), s.baseline, sign_test))
        .collect();
    let thresholds = match e.threshold {
        Some(t) => format!("fixed at {t} (--threshold)"),
        None => "tuned for F1 on each split's validation part (0.5 where it has none)".to_string(),
    };
    let names = runs.names().to_vec();
    Ok(ExperimentResults {
        data: e.data.clone(),
        protocol: e.protocol.clone(),
        model: first.model.architecture.clone(),
        layers: first.model.layers.iter().filter(|l| l.layer().has_params()).count(),
        seed: first.fit.seed,
        threads: rayon::current_num_threads(),
        schedules,
        seeds: e.runs.iter().map(|r| r.seed).collect(),
        split_names: names.clone(),
        config: None,
        init_from: None,
        multichannel: e.schedules.iter().any(|(_, s)| s.model.multichannel),
        sparse_embedding_updates: e.schedules.iter().any(|(n, s)| !is_baseline(n, s) && s.fit.sparse_embedding_updates),
        class_weight: None,
        hierarchy: None,
        multi_label: Some(MultiLabelTable { labels: e.labels.len(), thresholds, split_names: names, rows }),
    })
}

/// The exact two-sided sign test of `wins` against `losses`: McNemar's exact test is the same
/// binomial test on the discordant pairs, so each split is one "text" that the row gets right
/// when it wins and the baseline when it loses.
fn sign_test(wins: usize, losses: usize) -> f64 {
    let truth = vec![0; wins + losses];
    let row: Vec<usize> = (0..wins + losses).map(|i| usize::from(i >= wins)).collect();
    let baseline: Vec<usize> = row.iter().map(|&r| 1 - r).collect();
    mcnemar(&truth, &baseline, &row).p_value
}

/// Run `i` (a split under its seed) of the schedule `name`, trained multi-label and scored on
/// the split's test part.
fn train_run(
    e: &MultiExperiment,
    runs: &RunList,
    name: &str,
    s: &TrainSettings,
    i: usize,
    progress: &mut dyn ExperimentProgress,
) -> Result<RunOutcome, WorkflowError> {
    let (id, s, split) = runs.start(name, s, i, progress);
    let t0 = Instant::now();
    let data =
        MultiData { examples: e.examples, labels: e.labels, y: e.y, train_idx: &split.train, val_idx: &split.val };
    let trained = train_multi(data, &s, e.threshold, progress.epochs())?;
    if let Some(why) = trained.diverged {
        return Err(WorkflowError::Diverged { run: format!("{name}, {}", id.split), why });
    }
    let seconds = t0.elapsed().as_secs_f64();
    let texts: Vec<&str> = split.test.iter().map(|&t| e.examples[t].text.as_str()).collect();
    let truth: Vec<Vec<usize>> = split.test.iter().map(|&t| e.y[t].clone()).collect();
    let m = score_multi(&trained.model, &texts, &truth).unwrap_or_default();
    progress.run_finished(&id, m.micro_f1);
    Ok(RunOutcome { figures: figures(&m), seconds, history: trained.history })
}

/// One schedule's row of the experiment (micro F1 as `split_accuracy`) and its figures per
/// split, from its runs' `outcomes` in run order.
fn schedule_result(
    name: &str,
    s: &TrainSettings,
    outcomes: Vec<RunOutcome>,
) -> (ScheduleResult, Vec<MultiLabelFigures>) {
    let micro: Vec<f64> = outcomes.iter().map(|o| o.figures.micro_f1).collect();
    let (mean, std) = mean_std(&micro);
    let baseline = is_baseline(name, s);
    let (stages, epochs) = match &s.linear {
        Some(l) => (vec![linear_stage(l)], s.fit.epochs),
        None => (s.schedule.stages.iter().map(|st| st.name.clone()).collect(), s.schedule.epochs()),
    };
    let result = ScheduleResult {
        name: name.to_string(),
        stages,
        epochs,
        split_accuracy: micro,
        mean_accuracy: mean,
        std_accuracy: std,
        seconds: outcomes.iter().map(|o| o.seconds).sum(),
        stage_times: stage_times(outcomes.iter().map(|o| o.history.as_slice())),
        probes: Vec::new(),
        curves: outcomes.iter().map(|o| curve(&o.history)).collect(),
        budget: (!baseline).then_some(s.fit.epochs),
        budget_note: if s.linear.is_some() { None } else { budget_note(s) },
        pretrained: false,
        scratch: None,
        probes_before: Vec::new(),
        language_model: Vec::new(),
        baseline,
    };
    (result, outcomes.into_iter().map(|o| o.figures).collect())
}

/// Seconds per epoch of each stage, over every run's epochs.
fn stage_times<'h>(histories: impl Iterator<Item = &'h [EpochRecord]>) -> Vec<StageTime> {
    let mut times: Vec<StageTime> = Vec::new();
    let mut epochs: Vec<usize> = Vec::new();
    for r in histories.flatten() {
        match times.iter().position(|t| t.stage == r.stage) {
            Some(k) => {
                times[k].seconds_per_epoch += r.seconds;
                epochs[k] += 1;
            }
            None => {
                times.push(StageTime { stage: r.stage, name: r.stage_name.clone(), seconds_per_epoch: r.seconds });
                epochs.push(1);
            }
        }
    }
    times.iter_mut().zip(epochs).for_each(|(t, n)| t.seconds_per_epoch /= n as f64);
    times
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folds_are_cv_multi_labels_and_partition_the_texts() {
        let splits = fold_splits(20, 3, 0.25, 7);
        let folds = kfold_multi(20, 3, 7);
        let mut tests: Vec<usize> = Vec::new();
        for (f, (name, s)) in splits.iter().enumerate() {
            assert_eq!(name, &format!("fold {}", f + 1));
            assert_eq!(s.test, folds[f], "the test part is cv's fold");
            let mut all: Vec<usize> = s.train.iter().chain(&s.val).chain(&s.test).copied().collect();
            all.sort_unstable();
            assert_eq!(all, (0..20).collect::<Vec<_>>(), "train, validation and test partition the texts");
            assert!(!s.val.is_empty());
            tests.extend(&s.test);
        }
        tests.sort_unstable();
        assert_eq!(tests, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn the_sign_test_is_the_exact_binomial_test_of_wins_and_losses() {
        assert_eq!(sign_test(0, 0), 1.0);
        assert!((sign_test(3, 0) - 0.25).abs() < 1e-12, "{}", sign_test(3, 0));
        assert!((sign_test(6, 0) - 0.03125).abs() < 1e-12);
        assert!((sign_test(1, 5) - 2.0 * 7.0 / 64.0).abs() < 1e-12);
        assert_eq!(sign_test(2, 2), 1.0);
    }
}
