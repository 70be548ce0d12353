//! Which parameter mattered: a cheap, fANOVA-like reading of the trials. For each parameter,
//! Hyperband's random configurations at the same number of epochs are grouped by its value
//! (each listed value, or, for a range, the lower, middle and upper third of the values drawn),
//! and its effect is the spread — highest minus lowest — of the groups' mean validation
//! accuracy. The spreads of the epoch levels are averaged, weighted by their trials.
//!
//! Only the random draws count (bracket ≥ 1, rung 0): there the other parameters vary alike in
//! every group, so a large spread is the parameter's own effect (plus noise). The other trials
//! break that premise: a step around the incumbent (`rung` `local`) is a small move from the
//! best trial, so its values are correlated with each other and with its score, and it runs at
//! whatever epochs its step gave; a promotion is a configuration kept *because* it scored well;
//! the defaults' trial is one chosen point. A group's mean over fewer than [`MIN_GROUP`] random
//! trials says nothing: such groups are left out, and a parameter with fewer than two groups
//! left is not measured — with few random trials, importance says it cannot tell.

use super::halving::Trial;
use super::space::{Domain, Space};

/// The fewest random trials a group's mean is taken over.
pub const MIN_GROUP: usize = 3;

/// One parameter's effect.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    pub name: String,
    /// Spread of mean validation accuracy across its values (0 to 1).
    pub spread: f64,
    /// Random trials it was measured on.
    pub trials: usize,
}

/// What the trials say about the parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Importance {
    /// Every parameter measured, the largest spread first (only parameters seen with at least
    /// two groups of [`MIN_GROUP`] random trials at some epoch level).
    pub effects: Vec<Effect>,
    /// The random configurations read (trials run to the end; the rest are left out).
    pub random_trials: usize,
}

/// Whether `t` is one of Hyperband's random configurations, as drawn: what importance reads
/// (the defaults' trial is bracket 0, a promotion a rung above 0, a step rung
/// [`LOCAL`](super::halving::LOCAL)).
pub fn is_random_draw(t: &Trial) -> bool {
    t.bracket >= 1 && t.rung == 0
}

/// Every searched parameter's effect among the random draws of `trials` (cut ones left out).
pub fn importance(space: &Space, trials: &[Trial]) -> Importance {
    let random: Vec<&Trial> = trials.iter().filter(|t| is_random_draw(t) && !t.score.cut).collect();
    let mut levels: Vec<usize> = random.iter().map(|t| t.assignment.epochs).collect();
    levels.sort_unstable();
    levels.dedup();
    let mut effects = Vec::new();
    for param in &space.params {
        let (mut weighted, mut n) = (0.0, 0);
        for &epochs in &levels {
            let points: Vec<(f64, f64)> = random
                .iter()
                .filter(|t| t.assignment.epochs == epochs)
                .filter_map(|t| t.assignment.get(&param.name).map(|v| (v, t.score.accuracy)))
                .collect();
            if let Some((spread, used)) = spread(&points, matches!(param.domain, Domain::Values(_))) {
                weighted += spread * used as f64;
                n += used;
            }
        }
        if n > 0 {
            effects.push(Effect { name: param.name.clone(), spread: weighted / n as f64, trials: n });
        }
    }
    effects.sort_by(|a, b| b.spread.total_cmp(&a.spread).then(a.name.cmp(&b.name)));
    Importance { effects, random_trials: random.len() }
}

/// Highest minus lowest mean accuracy over the groups of `points` (value, accuracy), and the
/// points in those groups: one group per value when `listed` (values seen fewer than
/// [`MIN_GROUP`] times left out), else up to three equal groups by value, each of at least
/// [`MIN_GROUP`]. `None` with fewer than two groups.
fn spread(points: &[(f64, f64)], listed: bool) -> Option<(f64, usize)> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let groups: Vec<&[(f64, f64)]> = if listed {
        sorted.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() >= MIN_GROUP).collect()
    } else {
        let k = (sorted.len() / MIN_GROUP).min(3);
        (0..k).map(|i| &sorted[i * sorted.len() / k..(i + 1) * sorted.len() / k]).collect()
    };
    if groups.len() < 2 {
        return None;
    }
    let means = groups.iter().map(|g| g.iter().map(|p| p.1).sum::<f64>() / g.len() as f64);
    let (lo, hi) = means.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| (lo.min(m), hi.max(m)));
    Some((hi - lo, groups.iter().map(|g| g.len()).sum()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tune::halving::{Score, LOCAL};
    use crate::tune::space::{Assignment, EpochRange, Param};

    fn trial(lr: f64, dim: f64, accuracy: f64) -> Trial {
        let values = vec![("lr".to_string(), lr), ("dim".to_string(), dim)];
        Trial {
            number: 1,
            bracket: 1,
            rung: 0,
            config: 1,
            assignment: Assignment { values, epochs: 3 },
            score: Score { accuracy, loss: 0.5, epochs_trained: 3, cut: false, diverged: false },
            seconds: 1.0,
        }
    }

    fn space() -> Space {
        Space {
            params: vec![
                Param { name: "dim".into(), domain: Domain::Values(vec![50.0, 100.0]), integer: true },
                Param { name: "lr".into(), domain: Domain::LogUniform { lo: 0.01, hi: 1.0 }, integer: false },
            ],
            epochs: EpochRange { min: 1, max: 3 },
            zero_together: Vec::new(),
            memory: None,
        }
    }

    #[test]
    fn the_parameter_that_moves_accuracy_comes_first() {
        // accuracy rises with lr; dim changes nothing
        let trials: Vec<Trial> = (0..12)
            .map(|i| {
                let lr = 0.01 * 1.5f64.powi(i);
                trial(lr, if i % 2 == 0 { 50.0 } else { 100.0 }, 0.5 + 0.03 * i as f64)
            })
            .collect();
        let found = importance(&space(), &trials);
        let e = &found.effects;
        assert_eq!(found.random_trials, 12);
        assert_eq!(e[0].name, "lr");
        assert!(e[0].spread > 0.2, "{e:?}");
        assert_eq!(e[1].name, "dim");
        assert!(e[1].spread < 0.05, "{e:?}");
    }

    /// Review of the tune steps: steps around the incumbent, promotions and the defaults'
    /// trial are not random configurations; read alone they made up an effect ("buckets
    /// (0.105), then dim (0.105)" from 4 steps). Importance reads the random draws only, and
    /// with too few of them it measures nothing.
    #[test]
    fn only_random_draws_count_and_too_few_measure_nothing() {
        // the steps and promotions: dim and accuracy move together, as correlated steps do
        let not_random: Vec<Trial> = (0..12)
            .map(|i| {
                let mut t = trial(0.1, if i < 6 { 50.0 } else { 100.0 }, if i < 6 { 0.6 } else { 0.8 });
                (t.bracket, t.rung) = match i % 3 {
                    0 => (1, LOCAL),
                    1 => (1, 1),
                    _ => (0, 0),
                };
                t
            })
            .collect();
        assert!(not_random.iter().all(|t| !is_random_draw(t)));
        let mut trials = not_random.clone();
        // two random draws, which differ in dim and score alike
        trials.push(trial(0.1, 50.0, 0.7));
        trials.push(trial(0.1, 100.0, 0.7));
        let found = importance(&space(), &trials);
        assert_eq!(found, Importance { effects: Vec::new(), random_trials: 2 }, "too few to tell");
        // six random draws with dim flat: dim's effect is 0 whatever the steps said
        for i in 0..4 {
            trials.push(trial(0.1, if i % 2 == 0 { 50.0 } else { 100.0 }, 0.7));
        }
        let found = importance(&space(), &trials);
        assert_eq!(found.random_trials, 6);
        let dim = found.effects.iter().find(|e| e.name == "dim").expect("measured on 3 + 3");
        assert_eq!((dim.spread, dim.trials), (0.0, 6));
    }

    #[test]
    fn a_range_is_split_into_groups_of_at_least_three() {
        let points = |n: usize| (0..n).map(|i| (i as f64, i as f64)).collect::<Vec<_>>();
        assert_eq!(spread(&points(5), false), None);
        // halves of 3: means 1 and 4
        assert_eq!(spread(&points(6), false), Some((3.0, 6)));
        // thirds of 3: means 1 and 7
        assert_eq!(spread(&points(9), false), Some((6.0, 9)));
        // a listed value seen twice is left out
        let listed = [(1.0, 0.5), (1.0, 0.5), (1.0, 0.5), (2.0, 0.9), (2.0, 0.9), (3.0, 0.6), (3.0, 0.6), (3.0, 0.6)];
        let (s, used) = spread(&listed, true).unwrap();
        assert!((s - 0.1).abs() < 1e-12 && used == 6, "{s} {used}");
    }
}
