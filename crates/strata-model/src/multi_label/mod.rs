//! Several labels a text (issue 15, point 2): one sigmoid per label, and label `c` is predicted
//! when its probability reaches its threshold (`LabelStructure::Multi`'s `thresholds`).
//! [`thresholds`] tunes those on the validation part, [`metrics`] scores the predicted sets
//! (micro/macro F1, Hamming loss, P@k/R@k, subset accuracy). Training is the trainers'.

pub mod metrics;
pub mod thresholds;

/// The labels whose probability reaches their threshold, in class order.
pub fn predicted(probs: &[f32], thresholds: &[f32]) -> Vec<usize> {
    probs.iter().zip(thresholds).enumerate().filter(|(_, (&p, &t))| p >= t).map(|(c, _)| c).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_label_is_predicted_at_or_above_its_threshold() {
        assert_eq!(super::predicted(&[0.5, 0.2, 0.9, 0.3], &[0.5, 0.1, 0.95, 0.5]), vec![0, 1]);
    }
}
