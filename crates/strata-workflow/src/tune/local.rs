//! Configurations drawn around the incumbent (the best trial so far): what makes fastText's
//! `-autotune` work (its `src/autotune.cc` draws every new configuration as a Gaussian step
//! from its best arguments, with a step that narrows as the budget is spent), written for any
//! [`Space`].
//!
//! Each parameter moves by a normal step whose standard deviation is a fraction of its
//! domain's width — in `ln` for a log-uniform range, in value for a uniform one, in position
//! for a list of values (taken in increasing order) — and is then held to the domain. The
//! epochs move the same way over the space's range, log-scaled: for the linear model they are a
//! hyperparameter like the rate (its rate falls to 0 over them), so a step moves both, as
//! fastText's does. The fraction follows fastText's schedule: [`START`] over the first quarter
//! of the budget, falling linearly to [`END`] at three quarters, then [`END`] to the end.
//! fastText's own steps, as fractions of its domains, lie in the same band (`lr` 0.21 → 0.11,
//! `dim` 0.14 → 0.03, epochs 0.42 → 0.38); one rule for every parameter keeps a `--space` file
//! and the networks' parameters working without a table of per-parameter widths.

use strata_nn::Rng;

use super::space::{round_drawn, Assignment, Domain, EpochRange, Space};

/// The step's standard deviation, as a fraction of a domain's width, before a quarter of the
/// budget is spent.
pub const START: f64 = 0.25;
/// ... and after three quarters.
pub const END: f64 = 0.1;

/// The step's fraction of a domain's width once `spent` (0–1) of the budget is used.
pub fn step_fraction(spent: f64) -> f64 {
    let ramp = ((spent - 0.25) / 0.5).clamp(0.0, 1.0);
    START - (START - END) * ramp
}

/// A configuration one Gaussian step from `incumbent` (its values and its epochs), the step
/// as wide as `spent` of the budget allows; every value stays in its domain, and the space's
/// pairs and memory guard hold.
pub fn around(space: &Space, incumbent: &Assignment, spent: f64, rng: &mut Rng) -> Assignment {
    let width = step_fraction(spent);
    let values: Vec<(String, f64)> = space
        .params
        .iter()
        .map(|p| {
            let from = incumbent.get(&p.name).unwrap_or_else(|| p.domain.corners()[0]);
            (p.name.clone(), step(&p.domain, p.integer, from, width, rng))
        })
        .collect();
    let epochs = step_epochs(space.epochs, incumbent.epochs, width, rng);
    let values = space.settle(values, Some(incumbent));
    Assignment { values, epochs }
}

/// One value a step of `width` (a fraction of the domain) away from `from`.
pub fn step(domain: &Domain, integer: bool, from: f64, width: f64, rng: &mut Rng) -> f64 {
    let z = rng.normal() * width;
    match domain {
        Domain::LogUniform { lo, hi } => {
            let from = from.clamp(*lo, *hi);
            let v = (from.ln() + z * (hi.ln() - lo.ln())).exp().clamp(*lo, *hi);
            round_drawn(v, integer).clamp(*lo, *hi)
        }
        Domain::Uniform { lo, hi } => round_drawn((from + z * (hi - lo)).clamp(*lo, *hi), integer).clamp(*lo, *hi),
        Domain::Values(values) => {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            // the listed value nearest `from` (it is one, unless a caller starts elsewhere)
            let at = (0..sorted.len()).min_by(|&a, &b| (sorted[a] - from).abs().total_cmp(&(sorted[b] - from).abs()));
            let at = at.unwrap_or(0) as f64;
            let last = sorted.len().saturating_sub(1);
            let to = (at + z * last.max(1) as f64).round().clamp(0.0, last as f64) as usize;
            sorted[to]
        }
    }
}

/// The epochs a step away from `from`, log-scaled over `range` (unchanged when the range is a
/// single number).
pub fn step_epochs(range: EpochRange, from: usize, width: f64, rng: &mut Rng) -> usize {
    if range.min == range.max {
        return range.min;
    }
    let domain = Domain::LogUniform { lo: range.min as f64, hi: range.max as f64 };
    step(&domain, true, from as f64, width, rng) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tune::space::Param;

    fn space() -> Space {
        Space {
            params: vec![
                Param { name: "lr".into(), domain: Domain::LogUniform { lo: 0.01, hi: 5.0 }, integer: false },
                Param { name: "dim".into(), domain: Domain::LogUniform { lo: 10.0, hi: 1000.0 }, integer: true },
                Param {
                    name: "word-ngrams".into(),
                    domain: Domain::Values(vec![1.0, 2.0, 3.0, 4.0, 5.0]),
                    integer: true,
                },
                Param { name: "keep".into(), domain: Domain::Uniform { lo: 0.0, hi: 1.0 }, integer: false },
            ],
            epochs: EpochRange { min: 1, max: 100 },
            zero_together: Vec::new(),
            memory: None,
        }
    }

    fn incumbent() -> Assignment {
        let values = vec![("lr".into(), 1.5), ("dim".into(), 500.0), ("word-ngrams".into(), 5.0), ("keep".into(), 0.9)];
        Assignment { values, epochs: 2 }
    }

    /// Mean distance of 400 steps from the incumbent, per parameter (lr and dim in ln, the
    /// list in positions), and the epochs'; every step checked to lie in its domain.
    fn spread(spent: f64) -> Vec<f64> {
        let (space, from) = (space(), incumbent());
        let mut rng = Rng::new(5);
        let mut sums = vec![0.0; 5];
        for _ in 0..400 {
            let a = around(&space, &from, spent, &mut rng);
            for (p, (name, v)) in space.params.iter().zip(&a.values) {
                assert!(p.domain.contains(*v), "{name} = {v} at spent {spent}");
                assert!(!p.integer || v.fract() == 0.0, "{name} = {v}");
            }
            assert!((1..=100).contains(&a.epochs), "{} epochs", a.epochs);
            let d = |n: &str| (a.get(n).unwrap() - from.get(n).unwrap()).abs();
            let ln = |n: &str| (a.get(n).unwrap() / from.get(n).unwrap()).ln().abs();
            for (s, x) in sums.iter_mut().zip([
                ln("lr"),
                ln("dim"),
                d("word-ngrams"),
                d("keep"),
                (a.epochs as f64 / 2.0).ln().abs(),
            ]) {
                *s += x / 400.0;
            }
        }
        sums
    }

    #[test]
    fn the_step_narrows_from_start_to_end_over_the_middle_half_of_the_budget() {
        assert_eq!(step_fraction(0.0), START);
        assert_eq!(step_fraction(0.25), START);
        assert!((step_fraction(0.5) - (START + END) / 2.0).abs() < 1e-12);
        assert_eq!(step_fraction(0.75), END);
        assert_eq!(step_fraction(1.0), END);
        assert!(step_fraction(0.3) > step_fraction(0.6) && step_fraction(0.6) > 0.0);
    }

    #[test]
    fn steps_stay_in_their_domains_and_shrink_as_the_budget_is_spent() {
        let (early, late) = (spread(0.0), spread(1.0));
        for (i, (e, l)) in early.iter().zip(&late).enumerate() {
            // a step moves (the list's 5 positions too) and moves less late
            assert!(*e > 0.05, "parameter {i} hardly moved early: {e}");
            assert!(l < e, "parameter {i}: {l} late, {e} early");
        }
        // lr's step is the schedule's fraction of ln(5 / 0.01): E|N(0, σ)| = σ·√(2/π), clamped
        // at 5 above 1.5 (ln 3.3), so a little less
        let sigma = START * (5.0f64 / 0.01).ln();
        assert!(early[0] < sigma * (2.0 / std::f64::consts::PI).sqrt() && early[0] > 0.6 * sigma, "{}", early[0]);
    }

    #[test]
    fn a_single_number_of_epochs_never_moves_and_a_step_draws_the_same_for_a_seed() {
        let mut s = space();
        s.epochs = EpochRange { min: 7, max: 7 };
        let (mut a, mut b) = (Rng::new(3), Rng::new(3));
        for _ in 0..50 {
            let (x, y) = (around(&s, &incumbent(), 0.3, &mut a), around(&s, &incumbent(), 0.3, &mut b));
            assert_eq!(x, y);
            assert_eq!(x.epochs, 7);
        }
    }
}
