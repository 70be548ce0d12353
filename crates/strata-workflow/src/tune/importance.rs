//! Which parameter mattered: a cheap, fANOVA-like reading of the trials. For each parameter,
//! the trials at the same number of epochs are grouped by its value (each listed value, or, for
//! a range, the lower, middle and upper third of the values drawn), and its effect is the
//! spread — highest minus lowest — of the groups' mean validation accuracy. The spreads of the
//! epoch levels are averaged, weighted by their trials. Random configurations make the other
//! parameters vary alike in every group, so a large spread is the parameter's own effect (plus
//! noise: with few trials, read it as a hint).

use super::halving::Trial;
use super::space::{Domain, Space};

/// One parameter's effect.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    pub name: String,
    /// Spread of mean validation accuracy across its values (0 to 1).
    pub spread: f64,
    /// Trials it was measured on.
    pub trials: usize,
}

/// Every searched parameter's effect, the largest first (only parameters seen with at least two
/// values at some epoch level).
pub fn effects(space: &Space, trials: &[Trial]) -> Vec<Effect> {
    let mut levels: Vec<usize> = trials.iter().map(|t| t.assignment.epochs).collect();
    levels.sort_unstable();
    levels.dedup();
    let mut out = Vec::new();
    for param in &space.params {
        let (mut weighted, mut n) = (0.0, 0);
        for &epochs in &levels {
            let points: Vec<(f64, f64)> = trials
                .iter()
                .filter(|t| t.assignment.epochs == epochs && !t.score.cut)
                .filter_map(|t| t.assignment.get(&param.name).map(|v| (v, t.score.accuracy)))
                .collect();
            if let Some(spread) = spread(&points, matches!(param.domain, Domain::Values(_))) {
                weighted += spread * points.len() as f64;
                n += points.len();
            }
        }
        if n > 0 {
            out.push(Effect { name: param.name.clone(), spread: weighted / n as f64, trials: n });
        }
    }
    out.sort_by(|a, b| b.spread.total_cmp(&a.spread).then(a.name.cmp(&b.name)));
    out
}

/// Highest minus lowest mean accuracy over the groups of `points` (value, accuracy): one
/// group per value when `listed`, else thirds by value. `None` with fewer than two groups.
fn spread(points: &[(f64, f64)], listed: bool) -> Option<f64> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let groups: Vec<&[(f64, f64)]> = if listed {
        sorted.chunk_by(|a, b| a.0 == b.0).collect()
    } else {
        let third = sorted.len().div_ceil(3).max(1);
        sorted.chunks(third).collect()
    };
    if groups.len() < 2 {
        return None;
    }
    let means: Vec<f64> = groups.iter().map(|g| g.iter().map(|p| p.1).sum::<f64>() / g.len() as f64).collect();
    let (lo, hi) = means.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &m| (lo.min(m), hi.max(m)));
    Some(hi - lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tune::halving::Score;
    use crate::tune::space::{Assignment, EpochRange, Param};

    fn trial(lr: f64, dim: f64, accuracy: f64) -> Trial {
        let values = vec![("lr".to_string(), lr), ("dim".to_string(), dim)];
        Trial {
            number: 1,
            bracket: 1,
            rung: 0,
            config: 1,
            assignment: Assignment { values, epochs: 3 },
            score: Score { accuracy, loss: 0.5, epochs_trained: 3, cut: false },
            seconds: 1.0,
        }
    }

    #[test]
    fn the_parameter_that_moves_accuracy_comes_first() {
        let space = Space {
            params: vec![
                Param { name: "dim".into(), domain: Domain::Values(vec![50.0, 100.0]), integer: true },
                Param { name: "lr".into(), domain: Domain::LogUniform { lo: 0.01, hi: 1.0 }, integer: false },
            ],
            epochs: EpochRange { min: 1, max: 3 },
            zero_together: Vec::new(),
            memory: None,
        };
        // accuracy rises with lr; dim changes nothing
        let trials: Vec<Trial> = (0..12)
            .map(|i| {
                let lr = 0.01 * 1.5f64.powi(i);
                trial(lr, if i % 2 == 0 { 50.0 } else { 100.0 }, 0.5 + 0.03 * i as f64)
            })
            .collect();
        let e = effects(&space, &trials);
        assert_eq!(e[0].name, "lr");
        assert!(e[0].spread > 0.2, "{e:?}");
        assert_eq!(e[1].name, "dim");
        assert!(e[1].spread < 0.05, "{e:?}");
    }
}
