//! Hyperband's promotions on the linear model's ridge of `lr × epochs` (issue 13 point 4).
//!
//! A promotion trains a configuration again at η times its epochs. For a network, the same
//! values trained longer is what "more budget" means. The linear model's rate falls linearly
//! to 0 over all its epochs, so how much it learns is `lr × epochs` (the sum of its SGD step
//! sizes is `lr × epochs × steps per epoch / 2`), and its good configurations lie along a
//! ridge of that product (on SST-2, lr 0.54 × 4 epochs, 0.90 × 3 and fastText's 1.43 × 2 all
//! score 0.79–0.80 on validation; see [`super::local`]). Promoted at the same rate, a
//! configuration learns η times as much at every rung — 1 epoch at lr 2.5 ranks well on the
//! first rung (2.5 on the ridge) and is trained again at 4 epochs × 2.5 = 10, then 11 × 2.5,
//! far past it — so the rungs above the first rank over-trained runs, not the configuration
//! the first rung ranked. [`promoted`] keeps `lr × epochs`: the rate is scaled by the ratio of
//! the epochs, so the promoted trial learns the same amount in more, smaller steps, and what
//! a rung ranks is the rest of the configuration (dim, n-grams, …) and the finer optimisation
//! more epochs give. This is the same coupling the steps around the incumbent use
//! ([`super::local::coupled_rate`]), and applies where they do: a space that searches `lr` on
//! a log range over more than one number of epochs, for the linear model only
//! ([`super::TuneOptions::ridge`]); networks keep their rate.

use super::local::coupled_rate;
use super::space::{round_drawn, Assignment, Space};

/// `from`'s values promoted to `epochs`: with a [`coupled_rate`], `lr` becomes `lr ×
/// from.epochs / epochs` (rounded as a drawn rate, held to the rate's range), so `lr × epochs`
/// stays the same; every other value, and every value without one, as it was.
pub fn promoted(space: &Space, from: &Assignment, epochs: usize) -> Vec<(String, f64)> {
    let Some((lo, hi)) = coupled_rate(space) else { return from.values.clone() };
    let scale = from.epochs as f64 / epochs.max(1) as f64;
    from.values
        .iter()
        .map(|(name, v)| match name.as_str() {
            "lr" => (name.clone(), round_drawn((v * scale).clamp(lo, hi), false).clamp(lo, hi)),
            _ => (name.clone(), *v),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tune::space::{Domain, EpochRange, Param};

    fn space(lr: Domain, epochs: EpochRange) -> Space {
        let params = vec![
            Param { name: "lr".into(), domain: lr, integer: false },
            Param { name: "dim".into(), domain: Domain::LogUniform { lo: 10.0, hi: 1000.0 }, integer: true },
        ];
        Space { params, epochs, zero_together: Vec::new(), memory: None }
    }

    #[test]
    fn a_promotion_keeps_lr_times_epochs_and_every_other_value() {
        let linear = space(Domain::LogUniform { lo: 0.01, hi: 5.0 }, EpochRange { min: 1, max: 100 });
        let from = Assignment { values: vec![("lr".into(), 2.5), ("dim".into(), 150.0)], epochs: 1 };
        assert_eq!(promoted(&linear, &from, 4), [("lr".to_string(), 0.625), ("dim".to_string(), 150.0)]);
        // 11 epochs from 4: 0.625 × 4 / 11 = 0.2273, rounded as a drawn rate
        let from4 = Assignment { values: promoted(&linear, &from, 4), epochs: 4 };
        let lr = promoted(&linear, &from4, 11)[0].1;
        assert!((lr * 11.0 - 2.5).abs() < 0.01, "{lr}");
        // held to the rate's range
        let slow = Assignment { values: vec![("lr".into(), 0.02), ("dim".into(), 150.0)], epochs: 4 };
        assert_eq!(promoted(&linear, &slow, 100)[0].1, 0.01);
        // a rate on a list, or one number of epochs: the values as they were
        let listed = space(Domain::Values(vec![0.1, 2.5]), EpochRange { min: 1, max: 100 });
        assert_eq!(promoted(&listed, &from, 4), from.values);
        let fixed = space(Domain::LogUniform { lo: 0.01, hi: 5.0 }, EpochRange { min: 3, max: 3 });
        assert_eq!(promoted(&fixed, &from, 3), from.values);
    }
}
