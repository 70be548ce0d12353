//! Configurations drawn around the incumbent (the best trial so far): what makes fastText's
//! `-autotune` work (its `src/autotune.cc` draws every new configuration as a Gaussian step
//! from its best arguments, with a step that narrows as the budget is spent), written for any
//! [`Space`].
//!
//! Each parameter moves by a normal step whose standard deviation is a fraction of its
//! domain's width — in `ln` for a log-uniform range, in value for a uniform one, in position
//! for a list of values (taken in increasing order) — and is then held to the domain. The
//! epochs move the same way over the space's range, log-scaled. The fraction follows fastText's
//! schedule: [`START`] over the first quarter of the budget, falling linearly to [`END`] at
//! three quarters, then [`END`] to the end. fastText's own steps, as fractions of its domains,
//! lie in the same band (`lr` 0.21 → 0.11, `dim` 0.14 → 0.03, epochs 0.42 → 0.38); one rule
//! for every parameter keeps a `--space` file working without a table of per-parameter widths.
//!
//! The rate moves with the epochs ([`coupled_rate`]): where the space searches `lr` on a log
//! range and the epochs vary, a step moves `ln(lr × epochs)` and `ln(epochs)` each by its own
//! normal step, and the rate is their quotient. Steps are drawn for the linear model only
//! ([`super::defaults::local_share`]), whose rate falls linearly to 0 over all its epochs: the
//! sum of its SGD step sizes is `lr × epochs × steps per epoch / 2`, so `lr × epochs` is how
//! much it learns, and its good configurations lie along a ridge of that product (on SST-2,
//! lr 0.54 × 4 epochs, 0.90 × 3 and fastText's 1.43 × 2 score 0.79–0.80 on validation, while
//! 0.35 × 2 and 0.21 × 3 score 0.55–0.60, under-trained). fastText's autotune draws `epoch`
//! and `lr` independently, so a step that lengthens a good short run keeps its high rate and
//! over-trains, and one that shortens it under-trains; stepping the product keeps the amount
//! of learning near the incumbent's whatever the epochs do.

use strata_nn::Rng;

use super::halving::Trial;
use super::space::{round_drawn, Assignment, Domain, EpochRange, Space};

/// The trial steps are drawn around: the most accurate so far that did not fail; of equally
/// accurate ones, the cheapest ([`work`]: epochs × dim), then the lowest loss, then the
/// earliest. Equal on validation, the cheaper one's steps are cheaper too, so more of them fit
/// in the budget: on SST-2 the coupled steps walk along the lr × epochs ridge, where 52 epochs
/// at lr 0.05 learn what 4 at 0.64 do (and score alike) at 13 times the cost, and in a quiet
/// 300-s run three trials tied for best at 820, 2,670 and 11,484 epochs × dim (issue 13 point 4).
/// The best model `tune` keeps is still chosen by accuracy, then loss.
pub fn incumbent(trials: &[Trial]) -> Option<&Trial> {
    trials.iter().filter(|t| t.score.loss.is_finite()).min_by(|a, b| {
        b.score
            .accuracy
            .total_cmp(&a.score.accuracy)
            .then(work(&a.assignment).total_cmp(&work(&b.assignment)))
            .then(super::halving::best_first(a, b))
    })
}

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

/// The most a step may multiply the incumbent's work, `epochs × dim` (a linear trial's time
/// grows with both): two of Hyperband's η = 3 rungs. A step refines around the incumbent; it is
/// no promotion, and an unbounded one can spend the budget on one trial — on SST-2, with a
/// loaded machine, a step from 6 epochs at dim 144 to 25 epochs at dim 1000 (29× the work)
/// took 281 of the 300 s, and fastText's autotune, which has no such bound, lost trials the
/// same way.
pub const MAX_GROWTH: f64 = 9.0;

/// How many times a step is drawn before one within [`MAX_GROWTH`] is given up on (then the
/// last draw is taken).
const DRAWS: usize = 16;

/// A configuration one Gaussian step from `incumbent` (its values and its epochs), the step
/// as wide as `spent` of the budget allows; every value stays in its domain, and the space's
/// pairs and memory guard hold. With a [`coupled_rate`], the epochs step first and `lr` keeps
/// the incumbent's `lr × epochs` up to its own step. A draw with more than [`MAX_GROWTH`] times
/// the incumbent's [`work`] is drawn again: the step is the Gaussian truncated there.
///
/// Two steps are drawn and the cheaper ([`work`]) is taken: before either is scored the two
/// are equally promising (two draws from the same Gaussian around the same incumbent), and of
/// two equally good configurations the cheaper leaves more of the budget for the next. On the
/// linear model's ridge the epochs are nearly free to move (the rate follows them), and the
/// symmetric step walked to long runs at low rates — 52 epochs at lr 0.05 where 4 at 0.64 learn
/// as much, at 13 times the cost (issue 13 point 4); the cheaper of two draws drifts the other
/// way, until fewer epochs score worse, as the incumbent then stops moving.
pub fn around(space: &Space, incumbent: &Assignment, spent: f64, rng: &mut Rng) -> Assignment {
    let a = bounded_step(space, incumbent, spent, rng);
    let b = bounded_step(space, incumbent, spent, rng);
    if work(&b) < work(&a) {
        b
    } else {
        a
    }
}

/// One step of [`around`], drawn again while it passes [`MAX_GROWTH`] times the incumbent's
/// [`work`].
fn bounded_step(space: &Space, incumbent: &Assignment, spent: f64, rng: &mut Rng) -> Assignment {
    let limit = MAX_GROWTH * work(incumbent);
    let mut drawn = one_step(space, incumbent, spent, rng);
    for _ in 1..DRAWS {
        if work(&drawn) <= limit {
            break;
        }
        drawn = one_step(space, incumbent, spent, rng);
    }
    drawn
}

/// What a linear trial's time grows with: its epochs times its `dim` (1 where `dim` is not
/// searched).
pub fn work(a: &Assignment) -> f64 {
    a.epochs as f64 * a.get("dim").unwrap_or(1.0)
}

/// One draw of [`around`]'s step, before the bound on its work.
fn one_step(space: &Space, incumbent: &Assignment, spent: f64, rng: &mut Rng) -> Assignment {
    let width = step_fraction(spent);
    let coupled = coupled_rate(space);
    let epochs = step_epochs(space.epochs, incumbent.epochs, width, rng);
    let values: Vec<(String, f64)> = space
        .params
        .iter()
        .map(|p| {
            let from = incumbent.get(&p.name).unwrap_or_else(|| p.domain.corners()[0]);
            let value = match coupled {
                Some((lo, hi)) if p.name == "lr" => {
                    let amount = step_amount(from * incumbent.epochs as f64, lo, hi, width, rng);
                    round_drawn((amount / epochs as f64).clamp(lo, hi), false).clamp(lo, hi)
                }
                _ => step(&p.domain, p.integer, from, width, rng),
            };
            (p.name.clone(), value)
        })
        .collect();
    let values = space.settle(values, Some(incumbent));
    Assignment { values, epochs }
}

/// The rate's range when a step moves `lr` with the epochs: the space searches `lr` on a log
/// range, and more than one number of epochs.
pub fn coupled_rate(space: &Space) -> Option<(f64, f64)> {
    match space.param("lr")?.domain {
        Domain::LogUniform { lo, hi } if space.epochs.min < space.epochs.max => Some((lo, hi)),
        _ => None,
    }
}

/// `lr × epochs` one normal step from `from` in `ln`, as wide as the rate's own step would be
/// (`width` of the rate's `ln` range).
fn step_amount(from: f64, lo: f64, hi: f64, width: f64, rng: &mut Rng) -> f64 {
    (from.ln() + rng.normal() * width * (hi.ln() - lo.ln())).exp()
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
            // the rate's own step is in lr × epochs (the epochs' step is the fifth)
            let amount = (a.get("lr").unwrap() * a.epochs as f64 / (from.get("lr").unwrap() * 2.0)).ln().abs();
            for (s, x) in sums.iter_mut().zip([
                amount,
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
        // lr × epochs steps by the schedule's fraction of ln(5 / 0.01): E|N(0, σ)| = σ·√(2/π),
        // less where lr is clamped at 5 (it starts at 1.5; the cheaper of two steps has fewer
        // epochs, so a higher rate, and is clamped more often)
        let sigma = START * (5.0f64 / 0.01).ln();
        assert!(early[0] < sigma * (2.0 / std::f64::consts::PI).sqrt() && early[0] > 0.5 * sigma, "{}", early[0]);
    }

    /// A step never costs more than MAX_GROWTH times the incumbent's epochs × dim, yet still
    /// reaches that far: before the bound about 1 step in 12 from this incumbent went past it.
    /// (Each of `around`'s two draws is bounded, so the cheaper of them is too.)
    #[test]
    fn a_step_never_multiplies_the_incumbents_epochs_times_dim_by_more_than_nine() {
        let space = space();
        let mut from = incumbent();
        from.values[1].1 = 144.0;
        from.epochs = 6;
        let mut rng = Rng::new(7);
        let growth = |step: fn(&Space, &Assignment, f64, &mut Rng) -> Assignment, rng: &mut Rng| -> Vec<f64> {
            (0..2000).map(|_| work(&step(&space, &from, 0.0, rng)) / work(&from)).collect()
        };
        let drawn = growth(bounded_step, &mut rng);
        let most = drawn.iter().chain(&growth(around, &mut rng)).copied().fold(0.0, f64::max);
        assert!(most <= MAX_GROWTH, "a step did {most}× the incumbent's work");
        assert!(drawn.iter().filter(|&&g| g > 3.0).count() > 100, "the bound cut the steps short");
    }

    /// Issue 13 point 4: of two steps the cheaper is taken, so steps lean to less work — in
    /// ln(epochs × dim) about −σ/√π, where the symmetric step (before) averaged 0 — and still
    /// reach past the incumbent's work often.
    #[test]
    fn a_step_is_the_cheaper_of_two_draws() {
        let space = space();
        let mut from = incumbent();
        from.values[1].1 = 100.0;
        from.epochs = 10;
        let mut rng = Rng::new(13);
        let ln_growth: Vec<f64> =
            (0..2000).map(|_| (work(&around(&space, &from, 0.0, &mut rng)) / work(&from)).ln()).collect();
        let mean = ln_growth.iter().sum::<f64>() / ln_growth.len() as f64;
        // σ of ln(work): ln(epochs) and ln(dim) each step by START · ln(100)
        let sigma = START * 100f64.ln() * 2f64.sqrt();
        assert!(mean < -0.35 * sigma, "mean ln growth {mean}, σ {sigma}");
        let up = ln_growth.iter().filter(|&&g| g > 0.0).count();
        assert!(up > 300, "{up} of 2000 steps do more work than the incumbent");
    }

    /// Pearson correlation of two samples.
    fn correlation(x: &[f64], y: &[f64]) -> f64 {
        let n = x.len() as f64;
        let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
        let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let (vx, vy): (f64, f64) = (x.iter().map(|a| (a - mx).powi(2)).sum(), y.iter().map(|b| (b - my).powi(2)).sum());
        cov / (vx * vy).sqrt()
    }

    /// Issue 13 point 4 (SST-2): a step keeps the incumbent's amount of learning, lr × epochs,
    /// up to its own step, whatever the epochs do — a longer run gets a lower rate. Stepped
    /// independently (as before, and as fastText does), ln(lr) would not follow ln(epochs)
    /// and ln(lr × epochs) would rise with it (correlation +0.6).
    #[test]
    fn a_step_moves_the_rate_against_the_epochs_so_lr_times_epochs_steps_on_its_own() {
        let space = space();
        assert_eq!(coupled_rate(&space), Some((0.01, 5.0)));
        // an incumbent in the middle of both ranges, where the clamps seldom bind
        let mut from = incumbent();
        from.values[0].1 = 0.1;
        from.epochs = 10;
        let mut rng = Rng::new(11);
        let (mut epochs, mut rate, mut amount) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..2000 {
            let a = around(&space, &from, 0.0, &mut rng);
            let (e, lr) = ((a.epochs as f64 / 10.0).ln(), (a.get("lr").unwrap() / 0.1).ln());
            epochs.push(e);
            rate.push(lr);
            amount.push(lr + e);
        }
        assert!(correlation(&epochs, &rate) < -0.4, "{}", correlation(&epochs, &rate));
        // (a little above 0: at 100 epochs the rate's floor, 0.01, lifts the smallest amounts)
        assert!(correlation(&epochs, &amount).abs() < 0.2, "{}", correlation(&epochs, &amount));
        // and the amount's step is the rate's schedule: σ = START · ln(500)
        let sigma = START * 500f64.ln();
        let rms = (amount.iter().map(|x| x * x).sum::<f64>() / amount.len() as f64).sqrt();
        assert!((rms / sigma - 1.0).abs() < 0.1, "rms {rms}, σ {sigma}");
        // a space with one number of epochs, or a rate on a list, keeps the plain step
        let mut fixed = space.clone();
        fixed.epochs = EpochRange { min: 5, max: 5 };
        assert_eq!(coupled_rate(&fixed), None);
        let mut listed = space;
        listed.params[0].domain = Domain::Values(vec![0.1, 0.5]);
        assert_eq!(coupled_rate(&listed), None);
    }

    /// Issue 13 point 4: of equally accurate trials the steps go around the cheapest (before,
    /// the one of lower loss: here the 52-epoch run), whatever their order; a more accurate
    /// trial wins however dear, and a failed one never counts.
    #[test]
    fn of_equally_accurate_trials_the_incumbent_is_the_cheapest() {
        use crate::tune::halving::Score;
        let trial = |number: usize, accuracy: f64, loss: f64, epochs: usize, dim: f64| Trial {
            number,
            bracket: 1,
            rung: 0,
            config: number,
            assignment: Assignment { values: vec![("lr".into(), 0.1), ("dim".into(), dim)], epochs },
            score: Score { accuracy, loss, epochs_trained: epochs, cut: false, diverged: false },
            seconds: 1.0,
        };
        let long = trial(1, 0.7982, 0.40, 52, 108.0);
        let short = trial(2, 0.7982, 0.45, 4, 150.0);
        assert_eq!(super::incumbent(&[long.clone(), short.clone()]).unwrap().number, 2);
        assert_eq!(super::incumbent(&[short.clone(), long.clone()]).unwrap().number, 2);
        let better = trial(3, 0.7993, 0.50, 100, 1000.0);
        assert_eq!(super::incumbent(&[long.clone(), short.clone(), better]).unwrap().number, 3);
        // equal cost too: the lower loss, then the earlier
        let twin = trial(4, 0.7982, 0.42, 4, 150.0);
        assert_eq!(super::incumbent(&[short.clone(), twin.clone()]).unwrap().number, 4);
        let failed = trial(5, 0.9, f64::INFINITY, 1, 10.0);
        assert_eq!(super::incumbent(&[failed, short]).unwrap().number, 2);
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
