//! `strata cv --multi-label`: k-fold cross-validation of a multi-label model (issue 15,
//! point 2). Folds come from a seeded shuffle (a text has several labels, so they are not
//! stratified); each fold's training part trains the model, its thresholds are tuned on the
//! `--validation-split` part of it (or fixed by `--threshold`; 0.5 with neither), and the fold
//! is scored with the multi-label figures. Prints one line a fold and the mean ± std of each
//! figure, or one JSON object with `--json`.

use anyhow::{bail, Result};
use serde_json::json;
use strata_data::{read_multi_examples, LabelMap, MultiReadOptions};
use strata_model::multi_label::metrics::MultiLabelMetrics;
use strata_workflow::multi_label::{holdout_multi, kfold_multi, label_sets, score_multi, train_multi, MultiData};
use strata_workflow::splits::mean_std;

use crate::args::CvCmd;
use crate::output_file::write_results;
use crate::progress::EpochPrinter;

/// The figures a fold reports, by name (the names of `MultiLabelMetrics`' fields).
fn figures(m: &MultiLabelMetrics) -> [(&'static str, f64); 8] {
    [
        ("micro_f1", m.micro_f1),
        ("macro_f1", m.macro_f1),
        ("hamming_loss", m.hamming_loss),
        ("subset_accuracy", m.subset_accuracy),
        ("precision_at_1", m.precision_at_1),
        ("recall_at_1", m.recall_at_1),
        ("precision_at_3", m.precision_at_3),
        ("recall_at_3", m.recall_at_3),
    ]
}

pub fn run(a: CvCmd) -> Result<()> {
    super::train_multi::refuse_class_weight(&a.train.class_weight)?;
    if a.folds < 2 {
        bail!("--folds must be at least 2 (hint: Kim 2014 uses 10)");
    }
    if let Some(t) = a.multi.threshold.filter(|t| !(0.0..=1.0).contains(t) || t.is_nan()) {
        bail!("--threshold {t} is not a probability (hint: give a value from 0 to 1, e.g. 0.5)");
    }
    let s = a.train.settings(a.validation_split)?;
    if s.linear.is_none() {
        strata_workflow::multi_label_network::check(&s)?;
    }
    let read = MultiReadOptions { read: a.read.options(), label_sep: a.multi.label_sep.clone() };
    let examples = read_multi_examples(&a.data, &read)?;
    let labels = LabelMap::from_labels(examples.iter().flat_map(|e| e.labels.iter().map(String::as_str)));
    if labels.len() < 2 {
        bail!(
            "{}: every example has only the label '{}' (hint: a classifier needs at least two labels)",
            a.data.display(),
            labels.label(0)
        );
    }
    if examples.len() < a.folds {
        bail!(
            "{}: {} examples, fewer than --folds {} (hint: use fewer folds)",
            a.data.display(),
            examples.len(),
            a.folds
        );
    }
    let y = label_sets(&examples, &labels, &a.data.display().to_string())?;
    let folds = kfold_multi(examples.len(), a.folds, s.fit.seed);
    if let Some(out) = &a.folds_out {
        let mut fold_of = vec![0; examples.len()];
        folds.iter().enumerate().for_each(|(f, idx)| idx.iter().for_each(|&i| fold_of[i] = f));
        let tsv: String = examples.iter().zip(fold_of).map(|(e, f)| format!("{}\t{f}\n", e.line)).collect();
        write_results(out, Some(&a.data), tsv.as_bytes())?;
    }
    if a.validation_split <= 0.0 && a.multi.threshold.is_none() {
        crate::progress::note("no --validation-split: every label is predicted at 0.5 (add --validation-split 0.1 to tune a threshold per label)");
    }
    let mut results = Vec::with_capacity(a.folds);
    for (f, test) in folds.iter().enumerate() {
        let rest: Vec<usize> =
            folds.iter().enumerate().filter(|(g, _)| *g != f).flat_map(|(_, v)| v.iter().copied()).collect();
        let (train_part, val_part) = holdout_multi(rest.len(), a.validation_split, s.fit.seed);
        let (train_idx, val_idx): (Vec<usize>, Vec<usize>) =
            (train_part.iter().map(|&i| rest[i]).collect(), val_part.iter().map(|&i| rest[i]).collect());
        let mut printer = EpochPrinter::new();
        printer.prefix = format!("Fold {}/{} ", f + 1, a.folds);
        let data = MultiData { examples: &examples, labels: &labels, y: &y, train_idx: &train_idx, val_idx: &val_idx };
        let trained = train_multi(data, &s, a.multi.threshold, &mut printer)?;
        if let Some(why) = &trained.diverged {
            bail!("fold {}: {why} (hint: lower --lr)", f + 1);
        }
        let texts: Vec<&str> = test.iter().map(|&i| examples[i].text.as_str()).collect();
        let truth: Vec<Vec<usize>> = test.iter().map(|&i| y[i].clone()).collect();
        let m = score_multi(&trained.model, &texts, &truth).unwrap_or_default();
        let line =
            format!("fold {:>2}/{}  {}  ({} train, {} test)", f + 1, a.folds, m.line(), train_idx.len(), test.len());
        if a.json {
            crate::progress::note(line);
        } else {
            println!("{line}");
        }
        results.push(m);
    }
    let summary: Vec<(&str, (f64, f64))> = figures(&results[0])
        .iter()
        .enumerate()
        .map(|(j, (name, _))| (*name, mean_std(&results.iter().map(|m| figures(m)[j].1).collect::<Vec<_>>())))
        .collect();
    if a.json {
        let mut v = json!({"label_structure": "multi", "folds": results, "epochs": s.fit.epochs});
        if let Some(adv) = crate::settings::adversarial_record(&s) {
            v["adversarial"] = serde_json::to_value(adv)?;
        }
        for (name, (mean, std)) in &summary {
            v[format!("mean_{name}")] = (*mean).into();
            v[format!("std_{name}")] = (*std).into();
        }
        println!("{v}");
    } else {
        let parts: Vec<String> = summary.iter().map(|(n, (m, s))| format!("{n} {m:.4} ± {s:.4}")).collect();
        println!("mean over {} folds: {}", a.folds, parts.join("  "));
    }
    Ok(())
}
