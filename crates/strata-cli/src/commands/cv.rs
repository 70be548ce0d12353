//! `strata cv`: stratified k-fold cross-validation with per-fold and mean ± std accuracy.

use std::cell::Cell;
use std::path::Path;

use anyhow::{bail, Result};
use strata_data::{Example, LabelMap};
use strata_model::owned::{check_replaceable, Owned};
use strata_model::Classifier;
use strata_train::fit::PaddingShare;
use strata_train::{EpochRecord, Progress};
use strata_workflow::pipeline::{cross_validate, Labelled, Probes};
use strata_workflow::splits::{kfold_splits, Split};

use crate::args::CvCmd;
use crate::output_file::write_results;
use crate::progress::{float, EpochPrinter};

/// Epoch lines prefixed by the fold they belong to (`Fold 3/10 Epoch 2/5 - …`). The fold in
/// training is the one after the last that finished, which `cross_validate` reports.
struct FoldPrinter<'a> {
    inner: EpochPrinter,
    fold: &'a Cell<usize>,
    folds: usize,
    /// The folds' training batches' share of real tokens, summed, when they were cut
    padding: Option<PaddingShare>,
}

impl FoldPrinter<'_> {
    /// The printer, its lines prefixed with the fold it is training.
    fn fold_printer(&mut self) -> &mut EpochPrinter {
        self.inner.prefix = format!("Fold {}/{} ", self.fold.get(), self.folds);
        &mut self.inner
    }
}

impl Progress for FoldPrinter<'_> {
    fn on_batch(&mut self, done: usize, total: usize) {
        self.inner.on_batch(done, total);
    }

    fn on_epoch(&mut self, r: &EpochRecord) {
        self.fold_printer().on_epoch(r);
    }

    fn on_note(&mut self, line: &str) {
        self.fold_printer().on_note(line);
    }

    fn on_warning(&mut self, line: &str) {
        self.fold_printer().on_warning(line);
    }

    fn on_padding(&mut self, share: &PaddingShare) {
        self.padding.get_or_insert_with(PaddingShare::default).add(share);
    }
}

/// `--early-stopping N` watches val_loss: refused when nothing is held out to compute it
/// (`cv` and `experiment --data`; train makes the same check, with --validation-data besides).
pub(crate) fn check_early_stopping_has_validation(early_stopping: Option<usize>, validation_split: f64) -> Result<()> {
    if early_stopping.is_some_and(|n| n > 0) && validation_split == 0.0 {
        bail!("--early-stopping watches val_loss, and there is no validation data (hint: add --validation-split 0.1)");
    }
    Ok(())
}

/// Stratified k folds need every class in every fold: refused when a class of `data` has
/// fewer than `folds` examples (`cv` and `experiment --data`).
pub(crate) fn check_classes_fill_folds(data: &Path, labels: &LabelMap, y: &[usize], folds: usize) -> Result<()> {
    let count = |c: usize| y.iter().filter(|&&v| v == c).count();
    if let Some(c) = (0..labels.len()).min_by_key(|&c| count(c)).filter(|&c| count(c) < folds) {
        bail!(
            "{}: class '{}' has only {} examples, fewer than --folds {folds} (hint: use fewer folds)",
            data.display(),
            labels.label(c),
            count(c)
        );
    }
    Ok(())
}

/// `--folds-out`: `line<TAB>fold` for every example, in file order — its line in --data and the
/// 0-based fold whose test part it is. `splits` are the ones `cross_validate` computes from the
/// same labels, fold count, validation split and seed, so the file is the folds cv tests on.
fn folds_tsv(examples: &[Example], splits: &[Split]) -> String {
    let mut fold_of = vec![0; examples.len()];
    for (f, split) in splits.iter().enumerate() {
        for &i in &split.test {
            fold_of[i] = f;
        }
    }
    examples.iter().zip(fold_of).map(|(e, f)| format!("{}\t{f}\n", e.line)).collect()
}

/// `--save-models DIR`: where fold `f` (0-based) is saved.
fn fold_dir(dir: &Path, f: usize) -> std::path::PathBuf {
    dir.join(format!("fold-{f}"))
}

/// `--save-models DIR` is checked before any fold trains: DIR must be a folder (or absent), and
/// every `fold-K` in it absent or a model strata wrote.
fn check_save_models(dir: &Path, folds: usize) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        bail!(
            "{}: --save-models is a file, not a folder (hint: name a folder to hold fold-0, fold-1, …)",
            dir.display()
        );
    }
    for f in 0..folds {
        check_replaceable(&fold_dir(dir, f), Owned::Model)?;
    }
    Ok(())
}

pub fn run(a: CvCmd) -> Result<()> {
    if a.multi.multi_label {
        if a.save_models.is_some() {
            bail!("--save-models saves single-label folds only so far (hint: leave it out with --multi-label)");
        }
        return super::cv_multi::run(a);
    }
    super::train_multi::refuse_without_multi_label(&a.multi)?;
    let mut s = a.train.settings(a.validation_split)?;
    s.probes = Probes::Off;
    if a.folds < 2 {
        bail!("--folds must be at least 2 (hint: Kim 2014 uses 10)");
    }
    check_early_stopping_has_validation(a.train.early_stopping, a.validation_split)?;
    let (examples, labels, y) = super::labelled(&a.data, &a.read.options())?;
    check_classes_fill_folds(&a.data, &labels, &y, a.folds)?;
    if let Some(dir) = &a.save_models {
        if strata_train::ranks::world().is_some() {
            bail!("--save-models keeps each fold's model in one process; under mpirun the folds train on different ranks (hint: run `strata cv --save-models` without mpirun)");
        }
        check_save_models(dir, a.folds)?;
    }
    let (labels, y) = super::train::continued_labels(&mut s, labels, y);
    // under MPI, rank 0 writes
    if let Some(out) = a.folds_out.as_ref().filter(|_| strata_train::ranks::is_root()) {
        let splits = kfold_splits(&y, a.folds, s.validation_split, s.fit.seed);
        write_results(out, Some(&a.data), folds_tsv(&examples, &splits).as_bytes())?;
    }
    let fold = Cell::new(1);
    crate::settings::padding_notes(&s).into_iter().for_each(crate::progress::note);
    let mut printer = FoldPrinter { inner: EpochPrinter::new(), fold: &fold, folds: a.folds, padding: None };
    let json = a.json;
    let save_models = a.save_models.clone();
    let mut on_fold = |r: &strata_workflow::pipeline::FoldResult, model: Option<&Classifier>| {
        if let (Some(dir), Some(model)) = (&save_models, model) {
            model.save(&fold_dir(dir, r.fold - 1))?;
        }
        fold.set(r.fold + 1);
        let line = format!(
            "fold {:>2}/{}  accuracy {}  loss {}  ({} train, {} test, {:.1}s)",
            r.fold,
            a.folds,
            float(r.accuracy),
            float(r.loss),
            r.n_train,
            r.n_test,
            r.seconds
        );
        if json {
            crate::progress::note(line);
        } else {
            println!("{line}");
        }
        Ok(())
    };
    let report = cross_validate(
        Labelled { examples: &examples, labels: &labels, y: &y },
        a.folds,
        &s,
        &mut printer,
        &mut on_fold,
    )?;
    if let Some(share) = printer.padding {
        crate::progress::note(super::train::padding_line(&share));
    }
    // the padding flags, named where they were given (runs without them print as before)
    let flags: Vec<&str> = [(s.model.mask_padding, "--mask-padding"), (s.fit.bucket_by_length, "--bucket-by-length")]
        .into_iter()
        .filter_map(|(on, flag)| on.then_some(flag))
        .collect();
    if a.json {
        let mut json = serde_json::to_value(&report)?;
        for flag in &flags {
            json[flag.trim_start_matches("--").replace('-', "_")] = true.into();
        }
        if let Some(c) = &s.fit.class_weight {
            json["class_weight"] = c.describe().into();
        }
        if let Some(adv) = crate::settings::adversarial_record(&s) {
            json["adversarial"] = serde_json::to_value(adv)?;
        }
        if let Some(p) = printer.padding {
            json["padding_steps"] = serde_json::json!({ "real": p.real, "computed": p.computed, "uncut": p.uncut });
        }
        println!("{json}");
    } else {
        println!(
            "mean accuracy {} ± {} over {} folds ({} epochs each, {:.0}s{})",
            float(report.mean_accuracy),
            float(report.std_accuracy),
            a.folds,
            report.epochs,
            report.seconds,
            flags.iter().map(|f| format!(", {f}")).collect::<String>()
        );
        println!("mean macro F1 {} ± {}", float(report.mean_macro_f1), float(report.std_macro_f1));
    }
    Ok(())
}
