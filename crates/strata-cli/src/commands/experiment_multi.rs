//! `strata experiment --multi-label`: the experiment's models (the linear baseline first, then
//! each schedule) trained multi-label on the same splits and seeds — `cv --multi-label`'s folds
//! with `--data`, or the fixed split of `--train`/`--dev`/`--test` — and compared on the
//! multi-label figures (`strata_workflow::experiment_multi`). This file reads the data with its
//! several labels a text and refuses, before `--out` is claimed, what multi-label training does
//! not build: class weights, label trees, `--init-from`, ulmfit.

use std::path::Path;
use std::time::SystemTime;

use anyhow::{bail, Result};
use strata_data::{read_multi_examples, LabelMap, MultiExample, MultiReadOptions};
use strata_model::atomic::claim_dir;
use strata_model::owned::Owned;
use strata_report::results::ClassCount;
use strata_workflow::experiment_multi::{fold_splits, MultiExperiment};
use strata_workflow::multi_label::{holdout_multi, label_sets};
use strata_workflow::pipeline::TrainSettings;
use strata_workflow::splits::Split;

use super::experiment::{
    fixed_split, read_split_files, run_config, seeded_runs, write_results, Data, Layout, RunPrinter,
};
use crate::args::ExperimentCmd;
use crate::progress::EpochPrinter;

/// The texts with their label sets, and how they are split under a seed.
type MultiData = Data<MultiExample, Vec<usize>>;

impl MultiData {
    /// The named splits under `seed`: `cv --multi-label`'s folds, or the fixed split.
    fn splits(&self, seed: u64, validation_split: f64) -> Vec<(String, Split)> {
        let (n_train, n) = (self.n_train, self.y.len());
        match self.layout {
            Layout::Folds(k) => fold_splits(n, k, validation_split, seed),
            Layout::TrainDevTest { n_dev } => fixed_split(n_train, n_dev, n),
            Layout::TrainTest => {
                let (train, val) = holdout_multi(n_train, validation_split, seed);
                vec![("test".into(), Split { train, val, test: (n_train..n).collect() })]
            }
        }
    }

    /// How many training texts carry each label.
    fn per_class(&self) -> Vec<ClassCount> {
        (0..self.labels.len())
            .map(|c| ClassCount {
                label: self.labels.label(c).to_string(),
                count: self.y[..self.n_train].iter().filter(|l| l.contains(&c)).count(),
            })
            .collect()
    }
}

/// The labels of `examples` read from `path`; at least two, or one line that says so.
fn labels_of(examples: &[MultiExample], path: &Path) -> Result<LabelMap> {
    let labels = LabelMap::from_labels(examples.iter().flat_map(|e| e.labels.iter().map(String::as_str)));
    if labels.len() < 2 {
        bail!(
            "{}: every example has only the label '{}' (hint: a classifier needs at least two labels)",
            path.display(),
            labels.label(0)
        );
    }
    Ok(labels)
}

fn read_data(a: &ExperimentCmd) -> Result<MultiData> {
    let read = MultiReadOptions { read: a.read.options(), label_sep: a.multi.label_sep.clone() };
    match (&a.data, &a.train_file, &a.dev, &a.test) {
        (Some(data), None, None, None) => {
            if a.folds < 2 {
                bail!("--folds must be at least 2 (hint: Kim 2014 uses 10)");
            }
            let examples = read_multi_examples(data, &read)?;
            let labels = labels_of(&examples, data)?;
            if examples.len() < a.folds {
                bail!(
                    "{}: {} examples, fewer than --folds {} (hint: use fewer folds)",
                    data.display(),
                    examples.len(),
                    a.folds
                );
            }
            let y = label_sets(&examples, &labels, &data.display().to_string())?;
            Ok(Data::folds(a, data, examples, labels, y))
        }
        (None, Some(tr), dev, Some(test)) => {
            let labelled = |tr: &Path| {
                let examples = read_multi_examples(tr, &read)?;
                let labels = labels_of(&examples, tr)?;
                let y = label_sets(&examples, &labels, &tr.display().to_string())?;
                Ok((examples, labels, y))
            };
            let more = |path: &Path, labels: &LabelMap| {
                let examples = read_multi_examples(path, &read)?;
                let y = label_sets(&examples, labels, &path.display().to_string())?;
                Ok((examples, y))
            };
            read_split_files(a, tr, dev.as_deref(), test, labelled, more)
        }
        _ => bail!(
            "give either --data FILE with --folds K, or --train and --test, with --dev if the data has one (hint: CLINC150 pairs have train, dev and test)"
        ),
    }
}

/// Runs `schedules` (the baseline first, when there is one) multi-label and writes the
/// experiment; `config` is the settings the configuration section records.
pub fn run(
    a: &ExperimentCmd,
    schedules: &[(String, TrainSettings)],
    config: Option<&TrainSettings>,
    started: SystemTime,
) -> Result<()> {
    super::train_multi::refuse_class_weight(&a.train.class_weight)?;
    if a.tree.label_path_sep.is_some() || a.tree.taxonomy.is_some() || !a.tree.hierarchies.is_empty() {
        bail!("label trees are for one label a text; a --multi-label experiment reads each label whole (hint: leave out --label-path-sep, --taxonomy and --hierarchies)");
    }
    if let Some(t) = a.multi.threshold.filter(|t| !(0.0..=1.0).contains(t) || t.is_nan()) {
        bail!("--threshold {t} is not a probability (hint: give a value from 0 to 1, e.g. 0.5)");
    }
    // a schedule multi-label training does not build (ulmfit, --init-from) is refused before
    // --out is claimed
    for (_, s) in schedules.iter().filter(|(_, s)| s.linear.is_none()) {
        strata_workflow::multi_label_network::check(s)?;
    }
    let data = read_data(a)?;
    if strata_train::ranks::is_root() {
        claim_dir(&a.out, Owned::Experiment, a.overwrite, &[])?; // rank 0 writes the results
    }
    let runs = seeded_runs(a, |seed| data.splits(seed, a.validation_split));
    let experiment = MultiExperiment {
        examples: &data.examples,
        labels: &data.labels,
        y: &data.y,
        runs: &runs,
        schedules,
        threshold: a.multi.threshold,
        data: data.name.clone(),
        protocol: data.protocol.clone(),
    };
    let mut printer = RunPrinter { epochs: EpochPrinter::new(), score: "micro F1" };
    let mut results = strata_workflow::experiment_multi::run(&experiment, &mut printer)?;
    if !strata_train::ranks::is_root() {
        return Ok(()); // rank 0 gathered the same results, and writes them
    }
    if let Some(s) = config {
        results.config = Some(run_config(a, s, data.per_class(), started));
    }
    write_results(a, &results)
}
