//! How well predicted label sets match the true ones — the figures multi-label papers and
//! fastText's `test` report: micro and macro F1 (scikit-learn's `f1_score(average=...)`),
//! Hamming loss (the share of text × label decisions that are wrong), subset accuracy (texts
//! whose whole set is right), and precision and recall at k over the k most probable labels as
//! fastText's `test FILE k` counts them (hits over `N·k`, hits over all true labels).

use serde::{Deserialize, Serialize};

use crate::head::top_k;
use crate::multi_label::predicted;

/// The figures of one evaluation (every value in [0, 1]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MultiLabelMetrics {
    pub micro_f1: f64,
    /// Mean of the labels' F1; a label nobody has and nothing predicts counts as 1 (no mistake).
    pub macro_f1: f64,
    pub hamming_loss: f64,
    pub subset_accuracy: f64,
    pub precision_at_1: f64,
    pub recall_at_1: f64,
    pub precision_at_3: f64,
    pub recall_at_3: f64,
    pub texts: usize,
}

/// Scores probabilities `probs: [N][K]` against each text's true labels, a label predicted at
/// or above its threshold.
pub fn evaluate(probs: &[Vec<f32>], truth: &[Vec<usize>], thresholds: &[f32]) -> MultiLabelMetrics {
    let k = thresholds.len();
    let n = probs.len();
    let (mut tp, mut fp, mut fn_) = (vec![0usize; k], vec![0usize; k], vec![0usize; k]);
    let mut exact = 0;
    for (p, t) in probs.iter().zip(truth) {
        let guess = predicted(p, thresholds);
        for c in 0..k {
            match (guess.contains(&c), t.contains(&c)) {
                (true, true) => tp[c] += 1,
                (true, false) => fp[c] += 1,
                (false, true) => fn_[c] += 1,
                (false, false) => {}
            }
        }
        let mut want = t.clone();
        want.sort_unstable();
        exact += usize::from(guess == want);
    }
    let f1 = |tp: usize, fp: usize, fn_: usize| {
        if tp + fp + fn_ == 0 {
            1.0
        } else {
            2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
        }
    };
    let (stp, sfp, sfn) = (tp.iter().sum::<usize>(), fp.iter().sum::<usize>(), fn_.iter().sum::<usize>());
    let at = |depth: usize| {
        let hits: usize =
            probs.iter().zip(truth).map(|(p, t)| top_k(p, depth).iter().filter(|c| t.contains(c)).count()).sum();
        let gold: usize = truth.iter().map(Vec::len).sum();
        (hits as f64 / (n * depth).max(1) as f64, hits as f64 / gold.max(1) as f64)
    };
    let ((p1, r1), (p3, r3)) = (at(1), at(3));
    let nf = n.max(1) as f64;
    MultiLabelMetrics {
        micro_f1: if stp + sfp + sfn == 0 { 1.0 } else { f1(stp, sfp, sfn) },
        macro_f1: (0..k).map(|c| f1(tp[c], fp[c], fn_[c])).sum::<f64>() / k.max(1) as f64,
        hamming_loss: (sfp + sfn) as f64 / (nf * k.max(1) as f64),
        subset_accuracy: exact as f64 / nf,
        precision_at_1: p1,
        recall_at_1: r1,
        precision_at_3: p3,
        recall_at_3: r3,
        texts: n,
    }
}

impl MultiLabelMetrics {
    /// One line for a printout: `micro_f1 0.8123  macro_f1 …`.
    pub fn line(&self) -> String {
        format!(
            "micro_f1 {:.4}  macro_f1 {:.4}  hamming_loss {:.4}  subset_accuracy {:.4}  P@1 {:.4}  R@1 {:.4}  P@3 {:.4}  R@3 {:.4}",
            self.micro_f1,
            self.macro_f1,
            self.hamming_loss,
            self.subset_accuracy,
            self.precision_at_1,
            self.recall_at_1,
            self.precision_at_3,
            self.recall_at_3
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand for Y = [[1,1,0],[0,1,0],[0,0,1]], P = [[1,0,0],[0,1,0],[0,1,1]]:
    /// micro F1 6/8, macro F1 (1 + 1/2 + 1)/3, Hamming loss 2/9, subset accuracy 1/3.
    #[test]
    fn figures_match_a_worked_example() {
        let probs = vec![vec![0.9, 0.4, 0.1], vec![0.2, 0.8, 0.3], vec![0.1, 0.6, 0.7]];
        let truth = vec![vec![0, 1], vec![1], vec![2]];
        let m = evaluate(&probs, &truth, &[0.5, 0.5, 0.5]);
        assert!((m.micro_f1 - 0.75).abs() < 1e-12, "{m:?}");
        // per label: F1 1, 1/2 (label 1: tp text 2, fp text 3, fn text 1), 1
        let want_macro = (1.0 + 0.5 + 1.0) / 3.0;
        assert!((m.macro_f1 - want_macro).abs() < 1e-12, "{m:?}");
        assert!((m.hamming_loss - 2.0 / 9.0).abs() < 1e-12, "{m:?}");
        assert!((m.subset_accuracy - 1.0 / 3.0).abs() < 1e-12, "{m:?}");
        // top-1: 0 (hit), 1 (hit), 2 (hit) → P@1 1, R@1 3/4
        assert_eq!((m.precision_at_1, m.recall_at_1), (1.0, 0.75));
        // top-3 holds every label: hits 4 of 9 slots, all 4 true labels
        assert!((m.precision_at_3 - 4.0 / 9.0).abs() < 1e-12 && m.recall_at_3 == 1.0, "{m:?}");
    }

    #[test]
    fn thresholds_change_the_sets_not_the_ranks() {
        let probs = vec![vec![0.3, 0.2], vec![0.1, 0.4]];
        let truth = vec![vec![0], vec![1]];
        let low = evaluate(&probs, &truth, &[0.25, 0.3]);
        let high = evaluate(&probs, &truth, &[0.5, 0.5]);
        assert_eq!((low.subset_accuracy, low.micro_f1), (1.0, 1.0));
        assert_eq!((high.subset_accuracy, high.micro_f1), (0.0, 0.0));
        assert_eq!(low.precision_at_1, high.precision_at_1);
    }
}
