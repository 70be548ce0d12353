//! `strata cv`: stratified k-fold cross-validation with per-fold and mean ± std accuracy.

use anyhow::{bail, Result};
use strata_workflow::pipeline::{cross_validate, Labelled, Probes};

use crate::args::CvCmd;
use crate::progress::EpochPrinter;

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
    let mut printer = EpochPrinter::new();
    let json = a.json;
    let mut on_fold = |r: &strata_workflow::pipeline::FoldResult| {
        let line = format!(
            "fold {:>2}/{}  accuracy {:.4}  loss {:.4}  ({} train, {} test, {:.1}s)",
            r.fold, a.folds, r.accuracy, r.loss, r.n_train, r.n_test, r.seconds
        );
        if json {
            eprintln!("{line}");
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
            "mean accuracy {:.4} ± {:.4} over {} folds ({} epochs each, {:.0}s)",
            report.mean_accuracy, report.std_accuracy, a.folds, report.epochs, report.seconds
        );
    }
    Ok(())
}
