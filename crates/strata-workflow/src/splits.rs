//! Held-out evaluation shared by cross-validation and experiments: the splits, scoring a
//! trained model on one split's test part, and the mean and deviation over splits.

use strata_data::{shuffled, stratified_kfold, stratified_split, Example, LabelMap};

use strata_model::infer::Evaluation;
use strata_model::Classifier;

/// Labelled examples, and which of them train and which validate.
#[derive(Clone, Copy)]
pub struct TrainData<'a> {
    pub examples: &'a [Example],
    pub labels: &'a LabelMap,
    /// Each example's class index in `labels`.
    pub y: &'a [usize],
    pub train_idx: &'a [usize],
    pub val_idx: &'a [usize],
}

/// One split: indices into the examples.
pub struct Split {
    pub train: Vec<usize>,
    pub val: Vec<usize>,
    pub test: Vec<usize>,
}

/// Stratified k folds; each fold's training part loses `validation_split` for validation and
/// comes in a seeded random order (see `strata_data::split` on why not file order).
pub fn kfold_splits(y: &[usize], k: usize, validation_split: f64, seed: u64) -> Vec<Split> {
    let folds = stratified_kfold(y, k, seed);
    (0..k)
        .map(|f| {
            let rest: Vec<usize> =
                folds.iter().enumerate().filter(|(g, _)| *g != f).flat_map(|(_, v)| v.clone()).collect();
            let (train, val) = if validation_split > 0.0 {
                stratified_split(&rest, y, validation_split, seed)
            } else {
                (shuffled(&rest, seed), Vec::new())
            };
            Split { train, val, test: folds[f].clone() }
        })
        .collect()
}

/// Loss and accuracy of a trained model on the examples `idx` (text → its tokenizer → model).
pub fn score(model: &Classifier, examples: &[Example], y: &[usize], idx: &[usize]) -> Evaluation {
    let texts: Vec<&str> = idx.iter().map(|&i| examples[i].text.as_str()).collect();
    let labels: Vec<usize> = idx.iter().map(|&i| y[i]).collect();
    model.evaluate(&texts, &labels)
}

/// [`score`] and the class the model predicts for each text of `idx`, from one pass.
pub fn score_with_classes(
    model: &Classifier,
    examples: &[Example],
    y: &[usize],
    idx: &[usize],
) -> (Evaluation, Vec<usize>) {
    let texts: Vec<&str> = idx.iter().map(|&i| examples[i].text.as_str()).collect();
    let labels: Vec<usize> = idx.iter().map(|&i| y[i]).collect();
    model.evaluate_with_classes(&texts, &labels)
}

/// Mean and population standard deviation (numpy's default, `ddof=0`).
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt())
}
