//! `strata train --multi-label`: texts with several labels each (issue 15, point 2). Reads the
//! labels as `strata_data::multi_labels` does, holds out a seeded random validation part, trains
//! one sigmoid per label (`strata_workflow::multi_label`), tunes a threshold per label on the
//! validation part (or takes `--threshold`), and writes the run folder as `train` does: the
//! model (its thresholds in config.json), history.csv, run.toml and metrics.json with the
//! multi-label figures.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde::Serialize;
use strata_data::{read_multi_examples, LabelMap, MultiReadOptions};
use strata_model::folder::write_atomic;
use strata_train::history::{history_csv, timings_csv};
use strata_workflow::multi_label::{holdout_multi, label_sets, train_multi, MultiData};

use crate::args::{MultiLabelArgs, TrainCmd};
use crate::progress::EpochPrinter;

/// `--label-sep` and `--threshold` mean nothing without `--multi-label`: refused, not ignored.
pub fn refuse_without_multi_label(m: &MultiLabelArgs) -> Result<()> {
    if m.label_sep.is_some() {
        bail!("--label-sep splits a label column into several labels (hint: add --multi-label)");
    }
    if m.threshold.is_some() {
        bail!("--threshold is a multi-label model's decision threshold (hint: add --multi-label)");
    }
    Ok(())
}

/// Class weights are defined for one label a text; a multi-label run is refused, not silently
/// unweighted.
pub fn refuse_class_weight(class_weight: &Option<String>) -> Result<()> {
    if class_weight.is_some() {
        bail!("--class-weight weighs one label a text and a --multi-label run has several (hint: leave out --class-weight)");
    }
    Ok(())
}

/// `run.toml` of a multi-label run: what repeats it.
#[derive(Serialize)]
struct MultiRunRecord {
    data: PathBuf,
    validation_split: f64,
    validation_data: Option<PathBuf>,
    multi_label: bool,
    label_sep: Option<String>,
    threshold: Option<f32>,
    threads: usize,
    seed: u64,
    model: String,
    epochs: usize,
    lr: f32,
    lower: bool,
    linear: Option<strata_model::linear::LinearConfig>,
    /// `--adversarial` and `--adversarial-weight`, as a single-label run.toml writes them
    /// (written only when set)
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "super::train::shortest_some")]
    adversarial: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "super::train::shortest_some")]
    adversarial_weight: Option<f32>,
}

pub fn run(a: TrainCmd) -> Result<()> {
    let (Some(data), Some(out)) = (a.data.clone(), a.out.clone()) else {
        bail!("train needs --data and --out (hint: or --resume DIR)");
    };
    refuse_class_weight(&a.train.class_weight)?;
    if a.tree.label_path_sep.is_some() || a.tree.taxonomy.is_some() || a.tree.hierarchy.is_some() {
        bail!("label trees are for one label a text; a --multi-label run reads each label whole (hint: leave out --label-path-sep, --taxonomy and --hierarchy)");
    }
    if a.tree.reject_below.is_some() {
        bail!("--reject-below is for one label a text; a multi-label model answers no label when none passes its threshold (hint: leave out --reject-below, or set --threshold)");
    }
    if a.resume.is_some() || a.checkpoint_every.is_some() {
        bail!("--multi-label runs write no checkpoints (hint: leave out --resume and --checkpoint-every)");
    }
    if let Some(t) = a.multi.threshold.filter(|t| !(0.0..=1.0).contains(t) || t.is_nan()) {
        bail!("--threshold {t} is not a probability (hint: give a value from 0 to 1, e.g. 0.5)");
    }
    let split = if a.validation_data.is_some() { 0.0 } else { a.validation_split };
    let s = a.train.settings(split)?;
    if s.linear.is_none() {
        // before the run folder is claimed: nothing is written for a run that cannot start
        strata_workflow::multi_label_network::check(&s)?;
    }
    let read = MultiReadOptions { read: a.read.options(), label_sep: a.multi.label_sep.clone() };
    let mut examples = read_multi_examples(&data, &read)?;
    let labels = LabelMap::from_labels(examples.iter().flat_map(|e| e.labels.iter().map(String::as_str)));
    if labels.len() < 2 {
        bail!(
            "{}: every example has only the label '{}' (hint: a classifier needs at least two labels)",
            data.display(),
            labels.label(0)
        );
    }
    let mut y = label_sets(&examples, &labels, &data.display().to_string())?;
    let (train_idx, val_idx) = match &a.validation_data {
        Some(path) => {
            let val = read_multi_examples(path, &read)?;
            let val_y = label_sets(&val, &labels, &path.display().to_string())?;
            let n = examples.len();
            examples.extend(val);
            y.extend(val_y);
            ((0..n).collect(), (n..examples.len()).collect())
        }
        None => holdout_multi(examples.len(), s.validation_split, s.fit.seed),
    };
    let per_text = y.iter().map(Vec::len).sum::<usize>() as f64 / y.len().max(1) as f64;
    crate::progress::note(format_args!(
        "Train on {} samples, validate on {} samples ({} labels, {per_text:.2} a text: {})",
        train_idx.len(),
        val_idx.len(),
        labels.len(),
        labels.labels().join(", ")
    ));
    super::train::prepare(&a, &out, 0)?;
    let mut progress = EpochPrinter::new();
    let input = MultiData { examples: &examples, labels: &labels, y: &y, train_idx: &train_idx, val_idx: &val_idx };
    let trained = train_multi(input, &s, a.multi.threshold, &mut progress)?;
    if let Some(why) = &trained.diverged {
        bail!("{why}; nothing was saved (hint: lower --lr)");
    }
    let record = MultiRunRecord {
        data: data.clone(),
        validation_split: split,
        validation_data: a.validation_data.clone(),
        multi_label: true,
        label_sep: a.multi.label_sep.clone(),
        threshold: a.multi.threshold,
        threads: rayon::current_num_threads(),
        seed: s.fit.seed,
        model: trained.model.architecture().to_string(),
        epochs: s.fit.epochs,
        lr: s.linear.as_ref().map_or(s.fit.optimizer.lr(), |l| l.lr),
        lower: s.text.tokenizer.lower,
        adversarial: s.fit.adversarial.map(|a| a.epsilon),
        adversarial_weight: s.fit.adversarial.map(|a| a.weight),
        linear: match &trained.model {
            strata_model::Classifier::Linear(m) => Some(m.config.clone()),
            strata_model::Classifier::Network(_)
            | strata_model::Classifier::Ensemble(_)
            | strata_model::Classifier::Nbsvm(_) => None,
        },
    };
    let files: Vec<(&str, &Path)> = std::iter::once(("training", data.as_path()))
        .chain(a.validation_data.as_deref().map(|v| ("validation", v)))
        .collect();
    let facts = strata_workflow::model_card::CardFacts {
        n_train: train_idx.len(),
        n_val: val_idx.len(),
        epochs: trained.history.len(),
        seed: s.fit.seed,
        model_dir: out.join("model"),
        ..Default::default()
    };
    let card = super::model_card::multi_label_card(&trained.model, &files, facts)?;
    trained.model.save_with_card(&out.join("model"), &card)?;
    write_atomic(&out.join("history.csv"), history_csv(&trained.history).as_bytes())?;
    write_atomic(&out.join("timings.csv"), timings_csv(&trained.history).as_bytes())?;
    write_atomic(&out.join("run.toml"), toml::to_string(&record)?.as_bytes())?;
    let thresholds = trained.model.thresholds().unwrap_or_default();
    let metrics = serde_json::json!({
        "label_structure": "multi",
        "train_loss": trained.history.last().map(|r| r.loss),
        "train_precision_at_1": trained.history.last().map(|r| r.accuracy),
        "validation": trained.validation,
        "thresholds": if trained.tuned { "tuned on the validation part (best F1 per label)" } else if a.multi.threshold.is_some() { "--threshold" } else { "0.5 (no validation part)" },
        "threshold_per_label": labels.labels().iter().zip(thresholds).map(|(l, t)| (l.clone(), serde_json::json!(t))).collect::<serde_json::Map<_, _>>(),
        "n_train": train_idx.len(),
        "n_val": val_idx.len(),
        "epochs": trained.history.len(),
        "model": out.join("model"),
    });
    write_atomic(&out.join("metrics.json"), serde_json::to_string_pretty(&metrics)?.as_bytes())?;
    if a.json {
        println!("{metrics}");
        return Ok(());
    }
    match &trained.validation {
        Some(v) => println!("val {}  model saved to {}", v.line(), out.join("model").display()),
        None => println!("model saved to {}", out.join("model").display()),
    }
    Ok(())
}
