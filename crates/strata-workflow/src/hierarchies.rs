//! Label hierarchies compared in an experiment (issue 15 point 3, `experiment --hierarchies`):
//! when the labels are paths in a tree, every model of the experiment (each schedule and the
//! linear baseline) is scored three ways on the same splits, seeds and budget — flat (the most
//! probable leaf), top-down (the same flat model decoded a level at a time, a child only under
//! its predicted parent) and per-level (the model trained again with one extra softmax head per
//! upper level on its top representation, the leaf head predicting) — with accuracy per level,
//! leaf micro/macro F1, hierarchical P/R/F1, and each way's paired difference against flat on
//! the same test texts.
//!
//! Flat is always trained: it is the reference every row is paired with, and top-down decodes
//! its probabilities, so top-down costs no training. A per-level way is a twin schedule
//! ([`with_per_level_twins`]) that the experiment trains like any other; [`TreeRecorder`]
//! keeps every run's test-part probabilities, and [`table`] scores them once all runs are done.
//!
//! The linear model has its per-level twin too: its averaged embedding of words and n-grams is
//! the representation every level's head reads (`strata_model::linear`), so the leaf head
//! learns from the level heads' gradient through the shared rows.

use std::collections::BTreeMap;

use strata_data::{Example, LabelTree};
use strata_model::hierarchical_metrics::{mcnemar, score, HierarchicalScores};
use strata_model::tree_decode::TreeDecoding;
use strata_model::Classifier;
use strata_report::hierarchy_table::{HierarchyRow, HierarchyTable, VsFlat};
use strata_train::fit::Progress;

use crate::error::WorkflowError;
use crate::experiment::{Experiment, ExperimentProgress, ExperimentResults, RunId};
use crate::pipeline::TrainSettings;

/// One way of treating a label tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Way {
    Flat,
    PerLevel,
    TopDown,
}

impl Way {
    pub fn name(self) -> &'static str {
        match self {
            Way::Flat => "flat",
            Way::PerLevel => "per-level",
            Way::TopDown => "top-down",
        }
    }
}

/// The name of a schedule's per-level twin.
pub fn per_level_name(name: &str) -> String {
    format!("{name} · per-level")
}

/// `schedules` with, when `ways` has per-level, each schedule (the linear model's too) followed
/// by its per-level twin (the same settings with one head per upper level of `tree`); and the
/// ways refused, each with why, for the report's "Not run" line (every model has a
/// representation to put level heads on, so none is refused now).
pub fn with_per_level_twins(
    schedules: Vec<(String, TrainSettings)>,
    tree: &LabelTree,
    ways: &[Way],
) -> (Vec<(String, TrainSettings)>, Vec<String>) {
    let mut out = Vec::new();
    for (name, s) in schedules {
        let twin = ways.contains(&Way::PerLevel).then(|| {
            let mut t = s.clone();
            t.level_heads = tree.ancestor[..tree.depth() - 1].to_vec();
            (per_level_name(&name), t)
        });
        out.push((name, s));
        out.extend(twin);
    }
    (out, Vec::new())
}

/// An [`ExperimentProgress`] that passes everything on to `inner` and keeps, for every
/// schedule, the leaf probabilities and true classes of every run's test part, in run order.
pub struct TreeRecorder<'a> {
    pub inner: &'a mut dyn ExperimentProgress,
    pub examples: &'a [Example],
    pub y: &'a [usize],
    /// Per schedule: each test text's probabilities and its true class, every run after the other.
    pub recorded: BTreeMap<String, (Vec<Vec<f32>>, Vec<usize>)>,
}

impl<'a> TreeRecorder<'a> {
    pub fn new(inner: &'a mut dyn ExperimentProgress, examples: &'a [Example], y: &'a [usize]) -> Self {
        TreeRecorder { inner, examples, y, recorded: BTreeMap::new() }
    }
}

impl ExperimentProgress for TreeRecorder<'_> {
    fn epochs(&mut self) -> &mut dyn Progress {
        self.inner.epochs()
    }

    fn run_started(&mut self, run: &RunId) {
        self.inner.run_started(run)
    }

    fn run_finished(&mut self, run: &RunId, test_accuracy: f64) {
        self.inner.run_finished(run, test_accuracy)
    }

    fn trained(&mut self, run: &RunId, model: &Classifier, test: &[usize]) {
        let texts: Vec<&str> = test.iter().map(|&i| self.examples[i].text.as_str()).collect();
        let (probs, truth) = self.recorded.entry(run.schedule.to_string()).or_default();
        probs.extend(model.predict(&texts).into_iter().map(|p| p.probs));
        truth.extend(test.iter().map(|&i| self.y[i]));
        self.inner.trained(run, model, test)
    }
}

fn row(model: &str, way: Way, s: HierarchicalScores, vs_flat: Option<VsFlat>) -> HierarchyRow {
    HierarchyRow {
        model: model.to_string(),
        hierarchy: way.name().to_string(),
        level_accuracy: s.level_accuracy,
        leaf_micro_f1: s.leaf_micro_f1,
        leaf_macro_f1: s.leaf_macro_f1,
        h_precision: s.h_precision,
        h_recall: s.h_recall,
        h_f1: s.h_f1,
        vs_flat,
    }
}

/// The comparison of every model `schedules` names (in their order; per-level twins are rows
/// of the schedule they twin) from what `recorded` kept: its flat row, then top-down and
/// per-level where `ways` has them, each paired with flat on the same test texts.
pub fn table(
    recorded: &BTreeMap<String, (Vec<Vec<f32>>, Vec<usize>)>,
    schedules: &[String],
    tree: &LabelTree,
    ways: &[Way],
    refused: Vec<String>,
) -> HierarchyTable {
    let decode = |probs: &[Vec<f32>], d: TreeDecoding| probs.iter().map(|p| d.decode(p, tree)).collect::<Vec<_>>();
    let versus = |truth: &[usize], flat: &[usize], other: &[usize]| {
        let m = mcnemar(truth, flat, other);
        VsFlat { difference: m.difference, only_flat: m.only_a, only_this: m.only_b, p_value: m.p_value }
    };
    let mut rows = Vec::new();
    let mut test_texts = 0;
    for name in schedules.iter().filter(|n| !is_twin(n, schedules)) {
        let Some((probs, truth)) = recorded.get(name) else { continue };
        test_texts = truth.len();
        let flat = decode(probs, TreeDecoding::Flat);
        rows.push(row(name, Way::Flat, score(truth, &flat, tree), None));
        if ways.contains(&Way::PerLevel) {
            if let Some((twin_probs, twin_truth)) = recorded.get(&per_level_name(name)) {
                debug_assert_eq!(twin_truth, truth, "a twin runs on the same test texts");
                let p = decode(twin_probs, TreeDecoding::Flat);
                rows.push(row(name, Way::PerLevel, score(truth, &p, tree), Some(versus(truth, &flat, &p))));
            }
        }
        if ways.contains(&Way::TopDown) {
            let t = decode(probs, TreeDecoding::TopDown);
            rows.push(row(name, Way::TopDown, score(truth, &t, tree), Some(versus(truth, &flat, &t))));
        }
    }
    HierarchyTable { separator: tree.separator.clone(), depth: tree.depth(), test_texts, rows, refused }
}

/// Runs experiment `e` (whose schedules already have their per-level twins, see
/// [`with_per_level_twins`], which also gave `refused`) and adds the label-tree comparison of
/// `ways` over `tree` to its results.
pub fn run(
    e: &Experiment,
    tree: &LabelTree,
    ways: &[Way],
    refused: Vec<String>,
    progress: &mut dyn ExperimentProgress,
) -> Result<ExperimentResults, WorkflowError> {
    let mut recorder = TreeRecorder::new(progress, e.examples, e.y);
    let mut results = crate::experiment::run(e, &mut recorder)?;
    let names: Vec<String> = e.schedules.iter().map(|(n, _)| n.clone()).collect();
    results.hierarchy = Some(table(&recorder.recorded, &names, tree, ways, refused));
    Ok(results)
}

/// Whether `name` is another schedule's per-level twin.
fn is_twin(name: &str, schedules: &[String]) -> bool {
    schedules.iter().any(|n| per_level_name(n) == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_data::LabelMap;

    fn tree() -> LabelTree {
        LabelTree::of_leaves(&LabelMap::from_labels(["a/x", "a/y", "b/p", "b/q"]), "/").unwrap()
    }

    #[test]
    fn rows_pair_each_way_with_the_flat_decoding_of_the_same_texts() {
        // text 0 (a/x): flat picks b/p (0.4) but a holds 0.55 → top-down picks a/x, right
        // text 1 (b/q): both right; text 2 (a/y): flat right, per-level twin wrong
        let flat_probs = vec![vec![0.3, 0.25, 0.4, 0.05], vec![0.1, 0.1, 0.2, 0.6], vec![0.1, 0.5, 0.2, 0.2]];
        let twin_probs = vec![vec![0.7, 0.1, 0.1, 0.1], vec![0.1, 0.1, 0.2, 0.6], vec![0.1, 0.2, 0.6, 0.1]];
        let truth = vec![0, 3, 1];
        let mut recorded = BTreeMap::new();
        recorded.insert("seed".to_string(), (flat_probs, truth.clone()));
        recorded.insert(per_level_name("seed"), (twin_probs, truth));
        let names = vec!["seed".to_string(), per_level_name("seed")];
        let t = table(&recorded, &names, &tree(), &[Way::Flat, Way::PerLevel, Way::TopDown], Vec::new());
        let ways: Vec<&str> = t.rows.iter().map(|r| r.hierarchy.as_str()).collect();
        assert_eq!(ways, ["flat", "per-level", "top-down"]);
        assert!(t.rows.iter().all(|r| r.model == "seed"), "the twin is a row of its schedule");
        assert_eq!(t.test_texts, 3);
        let [flat, per_level, top_down] = &t.rows[..] else { panic!() };
        assert_eq!(flat.level_accuracy, [2.0 / 3.0, 2.0 / 3.0]);
        assert!(flat.vs_flat.is_none());
        let v = top_down.vs_flat.as_ref().unwrap();
        assert_eq!((v.only_flat, v.only_this), (0, 1));
        assert!((v.difference - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(top_down.level_accuracy, [1.0, 1.0]);
        // per-level: right on text 0 (flat wrong), wrong on text 2 (flat right)
        let v = per_level.vs_flat.as_ref().unwrap();
        assert_eq!((v.only_flat, v.only_this), (1, 1));
        assert_eq!(v.difference, 0.0);
    }

    #[test]
    fn only_the_ways_asked_for_are_rows_and_flat_is_always_one() {
        let mut recorded = BTreeMap::new();
        recorded.insert("linear (baseline)".to_string(), (vec![vec![0.1, 0.2, 0.3, 0.4]], vec![3]));
        let names = vec!["linear (baseline)".to_string()];
        let refused = vec!["linear (baseline), per-level: why".to_string()];
        let t = table(&recorded, &names, &tree(), &[Way::TopDown], refused);
        let ways: Vec<&str> = t.rows.iter().map(|r| r.hierarchy.as_str()).collect();
        assert_eq!(ways, ["flat", "top-down"]);
        assert_eq!(t.refused.len(), 1);
    }
}
