//! `strata cv`: stratified k-fold cross-validation with per-fold and mean ± std accuracy.

use std::cell::Cell;

use anyhow::{bail, Result};
use strata_train::{EpochRecord, Progress};
use strata_workflow::pipeline::{cross_validate, Labelled, Probes};

use crate::args::CvCmd;
use crate::progress::{float, EpochPrinter};

/// Epoch lines prefixed by the fold they belong to (`Fold 3/10 Epoch 2/5 - …`). The fold in
/// training is the one after the last that finished, which `cross_validate` reports.
struct FoldPrinter<'a> {
    inner: EpochPrinter,
    fold: &'a Cell<usize>,
    folds: usize,
}

impl Progress for FoldPrinter<'_> {
    fn on_batch(&mut self, done: usize, total: usize) {
        self.inner.on_batch(done, total);
    }

    fn on_epoch(&mut self, r: &EpochRecord) {
        self.inner.prefix = format!("Fold {}/{} ", self.fold.get(), self.folds);
        self.inner.on_epoch(r);
    }
}

pub fn run(a: CvCmd) -> Result<()> {
    let mut s = a.train.settings(a.validation_split)?;
    s.probes = Probes::Off;
    if a.folds < 2 {
        bail!("--folds must be at least 2 (hint: Kim 2014 uses 10)");
    }
    if a.train.early_stopping.is_some_and(|n| n > 0) && a.validation_split == 0.0 {
        anyhow::bail!(
            "--early-stopping watches val_loss, and there is no validation data (hint: add --validation-split 0.1)"
        );
    }
    let (examples, labels, y) = super::labelled(&a.data, &a.read.options())?;
    let smallest = (0..labels.len()).map(|c| y.iter().filter(|&&v| v == c).count()).min().unwrap_or(0);
    if smallest < a.folds {
        bail!(
            "{}: class '{}' has only {smallest} examples, fewer than --folds {} (hint: use fewer folds)",
            a.data.display(),
            labels.label((0..labels.len()).find(|&c| y.iter().filter(|&&v| v == c).count() == smallest).unwrap_or(0)),
            a.folds
        );
    }
    let fold = Cell::new(1);
    let mut printer = FoldPrinter { inner: EpochPrinter::new(), fold: &fold, folds: a.folds };
    let json = a.json;
    let mut on_fold = |r: &strata_workflow::pipeline::FoldResult| {
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
    };
    let report = cross_validate(
        Labelled { examples: &examples, labels: &labels, y: &y },
        a.folds,
        &s,
        &mut printer,
        &mut on_fold,
    )?;
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "mean accuracy {} ± {} over {} folds ({} epochs each, {:.0}s)",
            float(report.mean_accuracy),
            float(report.std_accuracy),
            a.folds,
            report.epochs,
            report.seconds
        );
    }
    Ok(())
}
