//! `strata tune`: hyperparameter search for any model on a validation split, within a
//! wall-clock budget (`strata_workflow::tune` has the method). This file turns the flags into
//! the search: the model's default space less the flags given on the command line, with
//! `--space` over it; a trial's settings are the command's `TrainArgs` with the trial's values
//! in place of those flags, checked by `TrainArgs::settings` like `strata train`'s. It prints a
//! line per trial on stderr and writes `--out`: `trials.csv` (after every trial), the best
//! trial's `model/`, and `best.json` (its values, its score, which parameter mattered, the
//! budget used). Trial 1 is the defaults' when they lie in the space (else tune says it skips
//! them); it is not held to the linear model's memory guard, and tune says so first when it
//! needs more.

mod flags;
mod report;

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use strata_data::{Example, LabelMap};
use strata_model::atomic::claim_dir;
use strata_model::folder::write_atomic;
use strata_model::owned::{Claimed, Owned};
use strata_train::history::thousands;
use strata_workflow::pipeline::{holdout, label_indices, Probes, TrainData, TrainSettings};
use strata_workflow::tune::importance::importance;
use strata_workflow::tune::space::show;
use strata_workflow::tune::trials_csv::trials_csv;
use strata_workflow::tune::waves::DEFAULT_AT_ONCE;
use strata_workflow::tune::{search_in_waves, Assignment, Hyperband, Limits, Trial, TuneOptions};

use crate::args_tune::TuneCmd;
use flags::{
    check_space, defaults_over_guard, defaults_trial, fit_to_data, guard_takes_the_flags, local_share, model_flag,
    ridge, search_space, with_values,
};
use report::{summary, trial_line};

/// What tune writes into `--out` besides a run folder's files: replaced with the run.
const TUNE_FILES: [&str; 2] = ["trials.csv", "best.json"];

pub fn run(mut a: TuneCmd) -> Result<()> {
    if a.train.model == crate::choices::Model::Nbsvm && a.train.model_file.is_none() {
        anyhow::bail!("strata tune searches epochs, which --model nbsvm has none of (hint: compare --nb-c or --word-ngrams with `strata train --model nbsvm --validation-data DEV`)");
    }
    let (budget, split) = check_flags(&a)?;
    // the same trials at a time with or without MPI, so any number of ranks trains the same
    // trials (issue 16 point 3)
    let ranks = strata_train::ranks::world().map_or(1, |w| w.size());
    let at_once = *a.trials_at_once.get_or_insert(DEFAULT_AT_ONCE);
    let base = a.train.settings(split)?;
    crate::settings::padding_notes(&base).into_iter().for_each(crate::progress::note);
    let (mut space, from_space_file) = search_space(&a, &base)?;
    // the epochs trials run: Hyperband's first rung can be above the space's least epochs
    let epochs = Hyperband::new(space.epochs, a.eta).rung_epochs();
    guard_takes_the_flags(&mut space, &base);
    check_space(&a.train, &space, epochs, split, a.space.as_deref())?;
    let parts = read_parts(&a, &base)?;
    let texts = parts.train_idx.iter().map(|&i| parts.examples[i].text.as_str());
    fit_to_data(&mut space, &base, &from_space_file, texts);
    // under MPI, rank 0 alone writes the run folder
    let root = strata_train::ranks::is_root();
    if root {
        claim(&a.out, a.overwrite)?;
    }
    let names: Vec<&str> = space.params.iter().map(|p| p.name.as_str()).collect();
    crate::progress::note(format_args!(
        "Tuning {} on {} samples, scoring on {}: budget {} s, Hyperband η={} over {}–{} epochs, searching {}",
        model_flag(&a.train),
        thousands(parts.train_idx.len() as u64),
        thousands(parts.val_idx.len() as u64),
        show(a.budget),
        a.eta,
        epochs.min,
        epochs.max,
        names.join(", ")
    ));
    let local = local_share(&a.train);
    if local > 0.0 {
        crate::progress::note(format_args!(
            "{:.0}% of new configurations are a Gaussian step around the best trial so far (fastText's autotune), narrowing {}",
            local * 100.0,
            if a.max_trials.is_some() { "over the --max-trials trials" } else { "as the budget is spent" }
        ));
    }
    let first = defaults_trial(&a.train, &base, &space);
    if let Some(line) = first.as_ref().and_then(|f| defaults_over_guard(&space, f)) {
        crate::progress::note(line);
    }
    if first.is_none() {
        crate::progress::note(format_args!(
            "The defaults (as strata train trains {}) lie outside the search space: no trial of them; trial 1 is Hyperband's",
            model_flag(&a.train)
        ));
    }
    let options = TuneOptions {
        space: space.clone(),
        eta: a.eta,
        seed: a.train.seed,
        limits: Limits { budget, max_trials: a.max_trials },
        first,
        local,
        ridge: ridge(&a.train),
    };
    let settings_for = |assignment: &Assignment| -> Result<TrainSettings> {
        let mut s = with_values(&a.train, assignment)?.settings(split)?;
        s.probes = Probes::Off;
        Ok(s)
    };
    if at_once > 1 {
        crate::progress::note(format_args!(
            "{at_once} trials at a time, each group chosen from the scores before it, dealt to {ranks} rank{}",
            if ranks == 1 { "" } else { "s" }
        ));
    }
    let mut seen: Vec<Trial> = Vec::new();
    let mut write_failed = None;
    let result = search_in_waves(parts.data(), &options, at_once, &settings_for, &mut |t: &Trial| {
        crate::progress::note(trial_line(t));
        seen.push(t.clone());
        if root && write_failed.is_none() {
            write_failed = write_atomic(&a.out.join("trials.csv"), trials_csv(&space, &seen).as_bytes()).err();
        }
    })?;
    if let Some(e) = write_failed {
        return Err(e.into());
    }
    if !root {
        return Ok(());
    }
    if result.best.as_ref().is_some_and(|b| b.trained_again) {
        crate::progress::note("The best trial ran on another rank: rank 0 trained it again to save it (the same bits)");
    }
    let (Some(best), Some(best_trial)) = (&result.best, result.best_trial()) else {
        bail!("no trial fit in --budget {} s (hint: give a larger --budget)", show(a.budget));
    };
    let files: Vec<(&str, &Path)> = std::iter::once(("training", a.data.as_path()))
        .chain(a.validation_data.as_deref().map(|v| ("validation", v)))
        .collect();
    let (examples, y, train_idx, val_idx) = (&parts.examples, &parts.y, &parts.train_idx, &parts.val_idx);
    let run_data = super::model_card::RunData { files, examples, y, train_idx, val_idx };
    let facts = strata_workflow::model_card::CardFacts {
        epochs: best_trial.assignment.epochs,
        seed: a.train.seed,
        class_weight: base.fit.class_weight.as_ref().map(|c| c.describe()),
        init_from: a.train.init_from.clone(),
        ..Default::default()
    };
    let card = super::model_card::card(&best.model, &run_data, facts, &a.out.join("model"))?;
    best.model.save_with_card(&a.out.join("model"), &card)?;
    let mattered = importance(&space, &result.trials);
    let summary = summary(&a, &result, best_trial, &mattered, budget);
    write_atomic(&a.out.join("best.json"), serde_json::to_string_pretty(&summary)?.as_bytes())?;
    if a.json {
        println!("{summary}");
        return Ok(());
    }
    for line in report::lines(&a, &result, best_trial, &mattered) {
        println!("{line}");
    }
    Ok(())
}

/// The budget and the validation split, after the checks that need no file.
fn check_flags(a: &TuneCmd) -> Result<(Duration, f64)> {
    let budget = strata_workflow::tune::budget(a.budget).ok_or_else(|| {
        anyhow!("--budget must be a positive number of seconds, at most a year (hint: fastText's autotune uses 300; --budget 60 is a minute)")
    })?;
    if a.max_trials == Some(0) {
        bail!("--max-trials must be at least 1 (hint: leave it out to let --budget decide)");
    }
    if a.trials_at_once == Some(0) {
        bail!(
            "--trials-at-once must be at least 1 (hint: 1 is one trial at a time; leave it out for {DEFAULT_AT_ONCE})"
        );
    }
    if a.eta < 2 {
        bail!("--eta must be at least 2 (hint: Hyperband uses 3: keep a third, train 3x longer)");
    }
    let split = if a.validation_data.is_some() { 0.0 } else { a.validation_split };
    if a.validation_data.is_none() && !(split > 0.0 && split < 1.0) {
        bail!("--validation-split must be in (0, 1): tune scores every trial on it (hint: 0.1, or --validation-data FILE)");
    }
    Ok((budget, split))
}

/// The labelled examples and which train and which score the trials.
struct Parts {
    examples: Vec<Example>,
    labels: LabelMap,
    y: Vec<usize>,
    train_idx: Vec<usize>,
    val_idx: Vec<usize>,
}

impl Parts {
    fn data(&self) -> TrainData<'_> {
        TrainData {
            examples: &self.examples,
            labels: &self.labels,
            y: &self.y,
            train_idx: &self.train_idx,
            val_idx: &self.val_idx,
        }
    }
}

/// `--data`, with `--validation-data` after it or `--validation-split` of it held out (as
/// `strata train` holds it out); both parts must have examples.
fn read_parts(a: &TuneCmd, base: &TrainSettings) -> Result<Parts> {
    let (mut examples, labels, mut y) = super::labelled(&a.data, &a.read.options())?;
    let (train_idx, val_idx) = match &a.validation_data {
        Some(path) => {
            let val = strata_data::read_examples(path, &a.read.options())?;
            let val_y = label_indices(&val, &labels, &path.display().to_string())?;
            let n = examples.len();
            examples.extend(val);
            y.extend(val_y);
            ((0..n).collect(), (n..examples.len()).collect())
        }
        None => holdout(&y, base),
    };
    if val_idx.is_empty() || train_idx.is_empty() {
        bail!(
            "{}: {} examples leave nothing to {} (hint: tune needs a few hundred lines, or --validation-data FILE)",
            a.data.display(),
            examples.len(),
            if val_idx.is_empty() { "validate on" } else { "train on" }
        );
    }
    Ok(Parts { examples, labels, y, train_idx, val_idx })
}

/// Makes `out` this run's folder, as `strata train --out` does; a replaced run's outputs go.
fn claim(out: &Path, overwrite: bool) -> Result<()> {
    let inner = [("model", Owned::Model)];
    if claim_dir(out, Owned::Run, overwrite, &inner)? == Claimed::Replacing {
        super::train::clear_run(out, &inner)?;
        for name in TUNE_FILES {
            let path = out.join(name);
            if path.is_file() {
                std::fs::remove_file(&path)
                    .map_err(|e| anyhow!("{}: cannot remove: {e} (hint: check the folder)", path.display()))?;
            }
        }
    }
    Ok(())
}
