//! Classification metrics from predicted and true class indices: accuracy, per-class
//! precision/recall/F1, macro and micro averages, and the confusion matrix.

use serde::Serialize;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ClassScores {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    pub n: usize,
    pub accuracy: f64,
    /// For two classes: precision, recall and F1 of the second (positive) class, as
    /// scikit-learn's binary average does; else macro averages.
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub macro_f1: f64,
    pub micro_f1: f64,
    pub per_class: Vec<ClassScores>,
    /// `confusion[true][predicted]`
    pub confusion: Vec<Vec<usize>>,
    pub labels: Vec<String>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

pub fn report(truth: &[usize], pred: &[usize], labels: &[String]) -> Report {
    let k = labels.len();
    let mut confusion = vec![vec![0usize; k]; k];
    for (&t, &p) in truth.iter().zip(pred) {
        confusion[t][p] += 1;
    }
    let per_class: Vec<ClassScores> = (0..k)
        .map(|c| {
            let tp = confusion[c][c];
            let predicted: usize = (0..k).map(|r| confusion[r][c]).sum();
            let support: usize = confusion[c].iter().sum();
            let (p, r) = (ratio(tp, predicted), ratio(tp, support));
            let f1 = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
            ClassScores { label: labels[c].clone(), precision: p, recall: r, f1, support }
        })
        .collect();
    let correct: usize = (0..k).map(|c| confusion[c][c]).sum();
    let accuracy = ratio(correct, truth.len());
    let mean = |f: fn(&ClassScores) -> f64| per_class.iter().map(f).sum::<f64>() / k.max(1) as f64;
    let macro_f1 = mean(|c| c.f1);
    let (precision, recall, f1) = if k == 2 {
        let pos = &per_class[1];
        (pos.precision, pos.recall, pos.f1)
    } else {
        (mean(|c| c.precision), mean(|c| c.recall), macro_f1)
    };
    Report {
        n: truth.len(),
        accuracy,
        precision,
        recall,
        f1,
        macro_f1,
        micro_f1: accuracy,
        per_class,
        confusion,
        labels: labels.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_scores_use_the_positive_class() {
        let labels = vec!["neg".to_string(), "pos".to_string()];
        // truth: 3 pos, 2 neg; predicted pos for 2 of the pos and 1 neg
        let r = report(&[1, 1, 1, 0, 0], &[1, 1, 0, 1, 0], &labels);
        assert_eq!(r.confusion, vec![vec![1, 1], vec![1, 2]]);
        assert!((r.accuracy - 0.6).abs() < 1e-12);
        assert!((r.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((r.recall - 2.0 / 3.0).abs() < 1e-12);
    }
}
