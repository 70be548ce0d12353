//! Multi-label training (issue 15, point 2): texts with several labels each, learned with one
//! sigmoid per label and binary cross-entropy — fastText's `-loss ova` for the linear model —
//! then a threshold per label tuned on the validation part (or one fixed with `--threshold`),
//! stored in the model folder as `label_structure: {"kind": "multi", "thresholds": [...]}`.
//! Scoring a multi-label model on labelled texts is [`score_multi`].
//!
//! A network (any other `--model`) trains in `crate::multi_label_network`, with one sigmoid per
//! label on its head; the thresholds are chosen the same way ([`thresholds_for`]).

use strata_data::{shuffled, LabelMap, MultiExample};
use strata_model::error::ModelError;
use strata_model::label_structure::LabelStructure;
use strata_model::linear::dictionary::EOS;
use strata_model::linear::features::words_of;
use strata_model::linear::{Dictionary, LinearLoss, LinearModel};
use strata_model::multi_label::metrics::{evaluate, MultiLabelMetrics};
use strata_model::Classifier;
use strata_nn::linear_sgd::loss_multi;
use strata_train::linear::{fit_linear_multi, LinearEpoch, LinearFit};
use strata_train::{EpochRecord, Progress};

use crate::error::WorkflowError;
use crate::multi_label_run::thresholds_for;
pub use crate::multi_label_run::{MultiData, MultiTrained};
use crate::pipeline::TrainSettings;

/// Each example's class indices; a label the map does not know is an error naming its line.
pub fn label_sets(
    examples: &[MultiExample],
    labels: &LabelMap,
    path: &str,
) -> Result<Vec<Vec<usize>>, strata_data::DataError> {
    examples
        .iter()
        .map(|e| {
            e.labels
                .iter()
                .map(|l| {
                    labels.index(l).ok_or_else(|| {
                        strata_data::DataError::new(
                            path,
                            Some(e.line),
                            format!("label '{l}' is not one the model knows ({})", labels.labels().join(", ")),
                            "test with data labelled like the training data",
                        )
                    })
                })
                .collect()
        })
        .collect()
}

/// A seeded random hold-out of `fraction` of the texts (no stratification: a text has several
/// labels); returns (train, validation) indices.
pub fn holdout_multi(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let all: Vec<usize> = (0..n).collect();
    let order = shuffled(&all, seed);
    // one text cannot be split: it trains, and nothing validates (it panicked in the clamp)
    let held = if fraction > 0.0 && n > 1 { ((n as f64 * fraction).round() as usize).clamp(1, n - 1) } else { 0 };
    let (val, train) = order.split_at(held);
    (train.to_vec(), val.to_vec())
}

/// `k` folds of `0..n` from a seeded shuffle, dealt round-robin (sizes differ by at most one;
/// no stratification: a text has several labels).
pub fn kfold_multi(n: usize, k: usize, seed: u64) -> Vec<Vec<usize>> {
    let all: Vec<usize> = (0..n).collect();
    let mut folds = vec![Vec::new(); k];
    for (j, i) in shuffled(&all, seed).into_iter().enumerate() {
        folds[j % k].push(i);
    }
    folds
}

/// Trains `s`'s model multi-label on `data.train_idx`, tunes a threshold per label on
/// `data.val_idx` unless `threshold` fixes one for all, and scores the validation part.
pub fn train_multi(
    data: MultiData,
    s: &TrainSettings,
    threshold: Option<f32>,
    progress: &mut dyn Progress,
) -> Result<MultiTrained, WorkflowError> {
    if data.labels.len() < 2 {
        return Err(ModelError::TooFewClasses { classes: data.labels.len() }.into());
    }
    if data.train_idx.is_empty() {
        return Err(WorkflowError::NoTrainingTexts { texts: data.val_idx.len() });
    }
    let Some(linear) = &s.linear else {
        return crate::multi_label_network::train(data, s, threshold, progress);
    };
    let text = |i: &usize| data.examples[*i].text.as_str();
    let train_texts: Vec<&str> = data.train_idx.iter().map(text).collect();
    let val_texts: Vec<&str> = data.val_idx.iter().map(text).collect();
    let dict = Dictionary::build(&words_of(&s.text.tokenizer, &train_texts), linear.config.min_count);
    if dict.len() == usize::from(dict.id(EOS).is_some()) {
        let texts = data.train_idx.len();
        return Err(WorkflowError::EmptyDictionary { texts, min_count: linear.config.min_count });
    }
    // one sigmoid per label: fastText's one-vs-all, whatever --loss said
    let config = strata_model::linear::LinearConfig { loss: LinearLoss::OneVsAll, ..linear.config.clone() };
    let mut model = LinearModel::new(config, s.text.tokenizer.clone(), dict, data.labels.clone(), s.fit.seed);
    let (train_rows, tokens): (Vec<Vec<u32>>, Vec<usize>) = model.encode(&train_texts).into_iter().unzip();
    let val_rows = model.encode_rows(&val_texts);
    let pick = |idx: &[usize]| idx.iter().map(|&i| data.y[i].clone()).collect::<Vec<_>>();
    let (train_y, val_y) = (pick(data.train_idx), pick(data.val_idx));
    let epochs = s.fit.epochs;
    let fit = LinearFit {
        epochs,
        lr: linear.lr,
        seed: s.fit.seed,
        threads: rayon::current_num_threads(),
        class_weights: None,
    };
    let mut history = Vec::with_capacity(epochs);
    let mut on_epoch = |m: &LinearModel, e: &LinearEpoch| {
        let started = std::time::Instant::now();
        let val = (!val_y.is_empty()).then(|| val_loss_and_p1(m, &val_rows, &val_y));
        let record = EpochRecord {
            stage: 1,
            stage_name: "linear".into(),
            stages: 1,
            epoch: e.epoch,
            epochs,
            loss: e.loss,
            accuracy: e.accuracy,
            val_loss: val.map(|v| v.0),
            val_accuracy: val.map(|v| v.1),
            lr: e.lr,
            seconds: e.seconds + started.elapsed().as_secs_f64(),
        };
        progress.on_epoch(&record);
        history.push(record);
    };
    let done = fit_linear_multi(&mut model, &train_rows, &tokens, &train_y, &fit, &mut on_epoch);
    let diverged = done
        .last()
        .filter(|e| !e.loss.is_finite())
        .map(|e| format!("the linear model's loss became {} in epoch {}", e.loss, e.epoch));
    let val_probs: Vec<Vec<f32>> = val_rows.iter().map(|r| model.probabilities(r)).collect();
    let (thresholds, tuned) = thresholds_for(threshold, &val_probs, &val_y, data.labels.len());
    let validation = (!val_y.is_empty()).then(|| evaluate(&val_probs, &val_y, &thresholds));
    model.structure = LabelStructure::Multi { thresholds };
    Ok(MultiTrained { model: Classifier::Linear(model), history, validation, tuned, diverged })
}

/// Mean one-vs-all loss (summed over the labels) and precision at 1 of texts given as rows.
fn val_loss_and_p1(m: &LinearModel, rows: &[Vec<u32>], y: &[Vec<usize>]) -> (f64, f64) {
    let classes = m.labels.len();
    let (mut loss, mut hits) = (0.0, 0);
    for (r, t) in rows.iter().zip(y) {
        loss += loss_multi(&m.input, &m.output, classes, r, t);
        let p = m.probabilities(r);
        hits += usize::from(t.contains(&strata_model::head::argmax(&p)));
    }
    let n = rows.len().max(1) as f64;
    (loss / n, hits as f64 / n)
}

/// The figures of a multi-label model on labelled texts at its own thresholds; `None` when the
/// model is single-label.
pub fn score_multi(model: &Classifier, texts: &[&str], y: &[Vec<usize>]) -> Option<MultiLabelMetrics> {
    let thresholds = model.thresholds()?;
    let probs: Vec<Vec<f32>> = model.predict(texts).into_iter().map(|p| p.probs).collect();
    Some(evaluate(&probs, y, thresholds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holdout_is_seeded_and_disjoint() {
        let (train, val) = holdout_multi(10, 0.2, 3);
        assert_eq!((train.len(), val.len()), (8, 2));
        let mut all: Vec<usize> = train.iter().chain(&val).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(holdout_multi(10, 0.2, 3), (train, val));
        assert_eq!(holdout_multi(10, 0.0, 3).1.len(), 0);
        assert_eq!(holdout_multi(1, 0.1, 3), (vec![0], vec![]), "one text trains");
        assert_eq!(holdout_multi(0, 0.1, 3), (vec![], vec![]));
    }

    #[test]
    fn folds_partition_the_texts() {
        let folds = kfold_multi(11, 3, 5);
        assert_eq!(folds.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 3]);
        let mut all: Vec<usize> = folds.concat();
        all.sort_unstable();
        assert_eq!(all, (0..11).collect::<Vec<_>>());
        assert_eq!(kfold_multi(11, 3, 5), folds);
    }
}
