//! Per-label decision thresholds, tuned on the validation part: for each label, the threshold
//! that maximises that label's F1 there. A threshold only matters through which texts it puts
//! above it, so the candidates are the intervals between the label's distinct validation
//! probabilities; among the intervals of equal best F1 the one nearest 0.5 wins, and within it
//! the point nearest 0.5 (0.5 itself when it lies inside; the interval's upper end, a
//! probability, when it lies below 0.5; its midpoint when above, so that a text scored just
//! above the lower end is not a coin toss). A label with no positive text in the validation
//! part keeps 0.5: there is nothing to tune it on.

/// The threshold each label is predicted at when none is tuned.
pub const DEFAULT_THRESHOLD: f32 = 0.5;

/// One threshold per label (`classes` of them) from validation probabilities `probs: [N][K]`
/// and each text's true labels.
pub fn tune(probs: &[Vec<f32>], truth: &[Vec<usize>], classes: usize) -> Vec<f32> {
    (0..classes)
        .map(|c| {
            let scored: Vec<(f32, bool)> = probs.iter().zip(truth).map(|(p, t)| (p[c], t.contains(&c))).collect();
            tune_one(&scored)
        })
        .collect()
}

/// The threshold of one label from its `(probability, is this label)` pairs.
pub fn tune_one(scored: &[(f32, bool)]) -> f32 {
    let positives = scored.iter().filter(|s| s.1).count();
    if positives == 0 {
        return DEFAULT_THRESHOLD;
    }
    let mut sorted: Vec<(f32, bool)> = scored.to_vec();
    // most probable first: a threshold predicts a prefix of this order
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    // the "predict none" interval, above every probability: F1 0
    let top = sorted[0].0;
    let mut best = (0.0f64, pick((top, 1.0f32.max(top)), false));
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut i = 0;
    while i < sorted.len() {
        let v = sorted[i].0;
        while i < sorted.len() && sorted[i].0 == v {
            if sorted[i].1 {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        // every text scored ≥ v is predicted: t in (next lower value, v]
        let lower = sorted.get(i).map_or(f32::NEG_INFINITY, |s| s.0);
        let fn_ = positives - tp;
        let f1 = 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64;
        let t = pick((lower, v), true);
        let nearer = (t - DEFAULT_THRESHOLD).abs() < (best.1 - DEFAULT_THRESHOLD).abs();
        if f1 > best.0 || (f1 == best.0 && nearer) {
            best = (f1, t);
        }
    }
    best.1
}

/// The point of `(lo, hi]` nearest 0.5 (see the module doc); `upper_closed` is false for the
/// "predict none" interval `(lo, hi]` whose `hi` is 1.0, which no probability reaches.
fn pick((lo, hi): (f32, f32), upper_closed: bool) -> f32 {
    if lo < DEFAULT_THRESHOLD && DEFAULT_THRESHOLD <= hi {
        DEFAULT_THRESHOLD
    } else if hi < DEFAULT_THRESHOLD && upper_closed {
        hi
    } else if lo == f32::NEG_INFINITY {
        hi.max(0.0)
    } else {
        // above 0.5 (or the open "none" interval): the middle of the gap
        let mid = lo + (hi - lo) / 2.0;
        if mid > lo {
            mid
        } else {
            hi
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn predicted_f1(scored: &[(f32, bool)], t: f32) -> f64 {
        let tp = scored.iter().filter(|s| s.0 >= t && s.1).count();
        let fp = scored.iter().filter(|s| s.0 >= t && !s.1).count();
        let fn_ = scored.iter().filter(|s| s.0 < t && s.1).count();
        2.0 * tp as f64 / (2 * tp + fp + fn_).max(1) as f64
    }

    #[test]
    fn the_tuned_threshold_separates_what_0_5_does_not() {
        // positives all score 0.2–0.3, negatives below 0.1: 0.5 predicts nothing
        let scored = [(0.3, true), (0.25, true), (0.2, true), (0.08, false), (0.05, false)];
        let t = tune_one(&scored);
        assert_eq!(t, 0.2, "the upper end of the best interval nearest 0.5");
        assert_eq!(predicted_f1(&scored, t), 1.0);
        assert_eq!(predicted_f1(&scored, 0.5), 0.0);
    }

    #[test]
    fn the_best_threshold_is_the_best_of_a_brute_force_search() {
        let mut rng = strata_nn::Rng::new(12);
        for _ in 0..50 {
            let scored: Vec<(f32, bool)> = (0..40)
                .map(|_| {
                    let positive = rng.below(3) == 0;
                    let p = (rng.uniform(0.0, 0.7) + if positive { 0.3 } else { 0.0 }).min(1.0);
                    ((p * 20.0).round() / 20.0, positive)
                })
                .collect();
            let t = tune_one(&scored);
            let best = (0..=1000).map(|i| predicted_f1(&scored, i as f32 / 1000.0)).fold(0.0, f64::max);
            assert!((predicted_f1(&scored, t) - best).abs() < 1e-12, "{t}: {} vs {best}", predicted_f1(&scored, t));
        }
    }

    #[test]
    fn ties_go_to_the_threshold_nearest_0_5() {
        // any t in (0.1, 0.9] separates perfectly: 0.5 lies inside
        assert_eq!(tune_one(&[(0.9, true), (0.1, false)]), 0.5);
        // any t in (0.6, 0.9] does: its middle, the point of the gap nearest 0.5 short of a toss
        assert_eq!(tune_one(&[(0.9, true), (0.6, false), (0.55, false)]), 0.75);
        // no positive text: nothing to tune on
        assert_eq!(tune_one(&[(0.9, false), (0.1, false)]), 0.5);
        assert_eq!(tune(&[vec![0.9, 0.9], vec![0.1, 0.2]], &[vec![0], vec![]], 2), vec![0.5, 0.5]);
    }
}
