//! Out-of-scope rejection (issue 15 point 4): a text whose top probability is below a threshold
//! `P` gets the reserved answer "none of the known labels" instead of a label, as in Larson et
//! al. (2019)'s "oos-threshold" setting; and the choice of `P` from held-out in-scope texts
//! and out-of-scope texts.
//!
//! The tuning rule: the `P` that maximises in-scope accuracy (a rejected in-scope text counts
//! as wrong) plus out-of-scope recall (the share of out-of-scope texts rejected), the two
//! figures Larson et al. report side by side, weighted equally; ties go to the lowest `P`.

use serde::Serialize;

/// What a prediction answers for a rejected text, in predict's output and the server's.
pub const NONE_LABEL: &str = "__none__";

/// The answer under `reject_below`: `Some(class)`, or `None` ("none of the known labels") when
/// its probability `top` is below the threshold.
pub fn accept(class: usize, top: f32, reject_below: Option<f32>) -> Option<usize> {
    match reject_below {
        Some(p) if top < p => None,
        _ => Some(class),
    }
}

/// In-scope accuracy and out-of-scope recall at one threshold.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct OosScores {
    pub reject_below: f32,
    pub in_scope_accuracy: f64,
    pub oos_recall: f64,
}

/// Scores at `p`: `in_scope` is each in-scope text's (top probability, whether the top class is
/// its label), `oos_top` each out-of-scope text's top probability.
pub fn scores_at(p: f32, in_scope: &[(f32, bool)], oos_top: &[f32]) -> OosScores {
    let right = in_scope.iter().filter(|&&(top, ok)| ok && top >= p).count();
    let rejected = oos_top.iter().filter(|&&top| top < p).count();
    OosScores {
        reject_below: p,
        in_scope_accuracy: right as f64 / in_scope.len().max(1) as f64,
        oos_recall: rejected as f64 / oos_top.len().max(1) as f64,
    }
}

/// The threshold that maximises in-scope accuracy + out-of-scope recall. Candidates are 0 (no
/// rejection) and every observed top probability (each is where a count changes: `top < p`
/// rejects the texts strictly below it).
pub fn tune(in_scope: &[(f32, bool)], oos_top: &[f32]) -> OosScores {
    let mut candidates: Vec<f32> = in_scope.iter().map(|&(t, _)| t).chain(oos_top.iter().copied()).collect();
    candidates.push(0.0);
    // just above each observed value too: rejecting a text needs p > its top probability
    let above: Vec<f32> = candidates.iter().map(|&c| next_up(c)).collect();
    candidates.extend(above);
    candidates.retain(|c| c.is_finite() && *c <= 1.0);
    candidates.sort_by(f32::total_cmp);
    candidates.dedup();
    let joint = |s: &OosScores| s.in_scope_accuracy + s.oos_recall;
    candidates
        .iter()
        .map(|&p| scores_at(p, in_scope, oos_top))
        .fold(None, |best: Option<OosScores>, s| match best {
            Some(b) if joint(&b) >= joint(&s) => Some(b),
            _ => Some(s),
        })
        .unwrap_or(OosScores { reject_below: 0.0, in_scope_accuracy: 0.0, oos_recall: 0.0 })
}

/// The smallest `f32` above a finite `x` ≥ 0.
fn next_up(x: f32) -> f32 {
    f32::from_bits(x.max(0.0).to_bits() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_the_threshold_is_none_of_the_known_labels() {
        assert_eq!(accept(3, 0.4, Some(0.5)), None);
        assert_eq!(accept(3, 0.5, Some(0.5)), Some(3));
        assert_eq!(accept(3, 0.01, None), Some(3));
    }

    #[test]
    fn tuning_maximises_accuracy_plus_recall() {
        // in-scope: confident and right, or unsure and wrong; out of scope: unsure
        let in_scope = [(0.9, true), (0.8, true), (0.3, false), (0.6, true)];
        let oos = [0.2, 0.35, 0.5];
        let best = tune(&in_scope, &oos);
        // any P in (0.5, 0.6] keeps the three right ones and rejects every oos: 0.75 + 1.0
        assert!(best.reject_below > 0.5 && best.reject_below <= 0.6, "{best:?}");
        assert_eq!((best.in_scope_accuracy, best.oos_recall), (0.75, 1.0));
        assert_eq!(scores_at(0.0, &in_scope, &oos).oos_recall, 0.0);
    }
}
