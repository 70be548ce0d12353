//! Several labels a text (issue 15, point 2): one sigmoid per label, and label `c` is predicted
//! when its probability reaches its threshold (`LabelStructure::Multi`'s `thresholds`).
//! [`thresholds`] tunes those on the validation part, [`metrics`] scores the predicted sets
//! (micro/macro F1, Hamming loss, P@k/R@k, subset accuracy). Training is the trainers'.

pub mod metrics;
pub mod thresholds;

use crate::infer::Prediction;

/// The labels whose probability reaches their threshold, in class order.
pub fn predicted(probs: &[f32], thresholds: &[f32]) -> Vec<usize> {
    probs.iter().zip(thresholds).enumerate().filter(|(_, (&p, &t))| p >= t).map(|(c, _)| c).collect()
}

/// The labels to show for a prediction: a multi-label model's (`thresholds` given) every label
/// at or above its threshold, most probable first, at most `top_k` of them when `top_k` is
/// above 1 (the default of 1 shows them all, as a label set has no single best); any other
/// model's `top_k` most probable labels.
pub fn shown(p: &Prediction, thresholds: Option<&[f32]>, top_k: usize) -> Vec<usize> {
    let Some(thresholds) = thresholds else { return decoded_first(p, top_k) };
    let mut above = predicted(&p.probs, thresholds);
    above.sort_by(|&x, &y| p.probs[y].total_cmp(&p.probs[x]).then(x.cmp(&y)));
    if top_k > 1 {
        above.truncate(top_k);
    }
    above
}

/// The `top_k` most probable classes with the predicted class first: a tree model decoded
/// top-down may predict a class that is not the most probable leaf, and its answer leads.
fn decoded_first(p: &Prediction, top_k: usize) -> Vec<usize> {
    let mut order = p.top_k(top_k);
    if order.first() != Some(&p.class) && p.class < p.probs.len() {
        order.retain(|&c| c != p.class);
        order.insert(0, p.class);
        order.truncate(top_k.max(1));
    }
    order
}

#[cfg(test)]
mod tests {
    use crate::infer::Prediction;

    #[test]
    fn a_multi_label_model_shows_every_label_above_its_threshold_most_probable_first() {
        let p = Prediction { class: 2, probs: vec![0.6, 0.1, 0.9, 0.55] };
        let t = [0.5, 0.05, 0.5, 0.6];
        assert_eq!(super::shown(&p, Some(&t), 1), vec![2, 0, 1]);
        assert_eq!(super::shown(&p, Some(&t), 2), vec![2, 0]);
        assert_eq!(super::shown(&p, None, 2), vec![2, 0]);
        assert_eq!(super::shown(&p, Some(&[0.95; 4]), 1), Vec::<usize>::new());
    }

    #[test]
    fn a_label_is_predicted_at_or_above_its_threshold() {
        assert_eq!(super::predicted(&[0.5, 0.2, 0.9, 0.3], &[0.5, 0.1, 0.95, 0.5]), vec![0, 1]);
    }
}
