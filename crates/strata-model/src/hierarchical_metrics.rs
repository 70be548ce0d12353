//! Scores of leaf predictions over a label tree (issue 15 point 3): accuracy at every level
//! (a prediction is right at level `l` when its ancestor there is the gold one's), leaf micro
//! and macro F1, and hierarchical precision, recall and F1 (Kiritchenko et al. 2005): each
//! label stands for the set of its ancestors including itself, the root excluded, and
//! `hP = Σ|P̂ ∩ T| / Σ|P̂|`, `hR = Σ|P̂ ∩ T| / Σ|T|` over the examples. With leaves of one depth,
//! `|P̂| = |T| = depth`, so hP = hR = hF1; the three are kept apart for what they mean.
//!
//! Also the paired comparison of two rules on the same examples: McNemar's discordant counts
//! and its exact two-sided p-value.

use serde::Serialize;
use strata_data::LabelTree;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HierarchicalScores {
    /// `top`, then each level below by depth (`level_2`, …), the last being the leaf.
    pub level_accuracy: Vec<f64>,
    pub leaf_micro_f1: f64,
    pub leaf_macro_f1: f64,
    pub h_precision: f64,
    pub h_recall: f64,
    pub h_f1: f64,
}

/// The scores of `pred` against `truth` (leaf indices in the tree's leaf order).
pub fn score(truth: &[usize], pred: &[usize], tree: &LabelTree) -> HierarchicalScores {
    let n = truth.len().max(1) as f64;
    let level_accuracy: Vec<f64> = tree
        .ancestor
        .iter()
        .map(|a| truth.iter().zip(pred).filter(|(&t, &p)| a[t] == a[p]).count() as f64 / n)
        .collect();
    let leaves: Vec<String> = tree.nodes.last().cloned().unwrap_or_default();
    let leaf_report = crate::metrics::report(truth, pred, &leaves);
    // ancestors in common: levels are nested, so the shared ones are a prefix of the path
    let (mut common, mut predicted, mut gold) = (0usize, 0usize, 0usize);
    for (&t, &p) in truth.iter().zip(pred) {
        common += tree.ancestor.iter().take_while(|a| a[t] == a[p]).count();
        predicted += tree.depth();
        gold += tree.depth();
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let (hp, hr) = (ratio(common, predicted), ratio(common, gold));
    let h_f1 = if hp + hr == 0.0 { 0.0 } else { 2.0 * hp * hr / (hp + hr) };
    HierarchicalScores {
        level_accuracy,
        leaf_micro_f1: leaf_report.micro_f1,
        leaf_macro_f1: leaf_report.macro_f1,
        h_precision: hp,
        h_recall: hr,
        h_f1,
    }
}

/// Paired comparison of rule B against rule A on the same examples.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct McNemar {
    /// Right under A, wrong under B.
    pub only_a: usize,
    /// Wrong under A, right under B.
    pub only_b: usize,
    /// (B − A) accuracy: `(only_b − only_a) / n`.
    pub difference: f64,
    /// Exact two-sided binomial p-value of the discordant counts.
    pub p_value: f64,
}

pub fn mcnemar(truth: &[usize], a: &[usize], b: &[usize]) -> McNemar {
    let (mut only_a, mut only_b) = (0, 0);
    for ((&t, &pa), &pb) in truth.iter().zip(a).zip(b) {
        match (pa == t, pb == t) {
            (true, false) => only_a += 1,
            (false, true) => only_b += 1,
            _ => {}
        }
    }
    let n = truth.len().max(1) as f64;
    McNemar { only_a, only_b, difference: (only_b as f64 - only_a as f64) / n, p_value: exact_p(only_a, only_b) }
}

/// `min(1, 2 · P(X ≤ min(a, b)))` for `X ~ Binomial(a + b, ½)`, summed in log space.
fn exact_p(a: usize, b: usize) -> f64 {
    let n = a + b;
    if n == 0 {
        return 1.0;
    }
    let ln_fact = |k: usize| (1..=k).map(|i| (i as f64).ln()).sum::<f64>();
    let ln_n = ln_fact(n);
    let tail: f64 = (0..=a.min(b)).map(|k| (ln_n - ln_fact(k) - ln_fact(n - k) - n as f64 * 2f64.ln()).exp()).sum();
    (2.0 * tail).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_data::LabelMap;

    #[test]
    fn hierarchical_f1_on_a_hand_example() {
        // leaves: 0 a/x, 1 a/y, 2 b/p, 3 b/q
        let labels = LabelMap::from_labels(["a/x", "a/y", "b/p", "b/q"]);
        let tree = LabelTree::of_leaves(&labels, "/").unwrap();
        // right leaf (2 of 2 ancestors shared), right parent only (1 of 2), all wrong (0 of 2)
        let truth = [0, 0, 2, 3];
        let pred = [0, 1, 0, 3];
        let s = score(&truth, &pred, &tree);
        // shared: 2 + 1 + 0 + 2 = 5 of 8 on both sides
        assert_eq!(s.h_precision, 5.0 / 8.0);
        assert_eq!(s.h_recall, 5.0 / 8.0);
        assert!((s.h_f1 - 5.0 / 8.0).abs() < 1e-12);
        assert_eq!(s.level_accuracy, [0.75, 0.5]);
        assert_eq!(s.leaf_micro_f1, 0.5);
    }

    #[test]
    fn mcnemar_counts_the_discordant_pairs() {
        let truth = [0, 1, 2, 3, 0];
        let a = [0, 1, 0, 0, 0];
        let b = [0, 0, 2, 3, 0];
        let m = mcnemar(&truth, &a, &b);
        assert_eq!((m.only_a, m.only_b), (1, 2));
        assert!((m.difference - 0.2).abs() < 1e-12);
        // X ~ Bin(3, ½): P(X ≤ 1) = 4/8, doubled = 1
        assert_eq!(m.p_value, 1.0);
        assert!((exact_p(0, 10) - 2.0 / 1024.0).abs() < 1e-12);
    }
}

/// Both decodings of the same leaf probabilities scored side by side, with top-down's paired
/// difference against flat.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DecodingComparison {
    pub flat: HierarchicalScores,
    pub top_down: HierarchicalScores,
    pub top_down_vs_flat: McNemar,
}

/// Scores flat and top-down decoding of `probs` (one row of leaf probabilities per example).
pub fn compare_decodings(truth: &[usize], probs: &[&[f32]], tree: &LabelTree) -> DecodingComparison {
    use crate::tree_decode::TreeDecoding;
    let decode = |d: TreeDecoding| probs.iter().map(|p| d.decode(p, tree)).collect::<Vec<_>>();
    let (flat, top_down) = (decode(TreeDecoding::Flat), decode(TreeDecoding::TopDown));
    DecodingComparison {
        flat: score(truth, &flat, tree),
        top_down: score(truth, &top_down, tree),
        top_down_vs_flat: mcnemar(truth, &flat, &top_down),
    }
}
