//! `strata ensemble --tune-weights-on FILE`: the members' weights chosen on a labelled
//! validation file by exhaustive search over a grid on the simplex (every weight a multiple of
//! 1/steps, summing to 1 — steps of 0.05 for up to five members, coarser beyond so the grid
//! stays under [`MAX_POINTS`]). The best accuracy wins; among equally accurate weights, the
//! most even (smallest Σ w², so equal weights win a tie). Each member predicts the file once;
//! every grid point only re-averages those probabilities.

use super::vote;

/// The most grid points searched (5 members at steps of 0.05: 10,626).
pub const MAX_POINTS: usize = 20_000;

/// The weights chosen and what they scored.
#[derive(Clone, Debug, PartialEq)]
pub struct Tuned {
    pub weights: Vec<f32>,
    pub accuracy: f64,
    /// The accuracy of equal weights on the same file, for comparison.
    pub equal_accuracy: f64,
    /// The grid's step (0.05, or coarser for many members).
    pub step: f32,
    pub points: usize,
}

/// How many points a grid of `steps` per unit has for `members` weights: C(steps+m−1, m−1).
fn grid_size(steps: usize, members: usize) -> usize {
    (1..members).fold(1usize, |acc, i| acc.saturating_mul(steps + i) / i)
}

/// Every way to share `steps` units among `members` (each a vector summing to `steps`).
fn compositions(steps: usize, members: usize) -> Vec<Vec<usize>> {
    if members == 1 {
        return vec![vec![steps]];
    }
    (0..=steps)
        .rev()
        .flat_map(|first| {
            compositions(steps - first, members - 1).into_iter().map(move |mut rest| {
                rest.insert(0, first);
                rest
            })
        })
        .collect()
}

fn correct(probs: &[Vec<Vec<f32>>], weights: &[f32], y: &[usize]) -> usize {
    vote(probs, weights).iter().zip(y).filter(|(p, &c)| p.class == c).count()
}

/// The best weights on the grid for members' aligned probabilities `probs`
/// (`[member][text][class]`) and the true classes `y`.
pub fn tune_weights(probs: &[Vec<Vec<f32>>], y: &[usize]) -> Tuned {
    let m = probs.len();
    let steps = [20, 10, 5, 4, 2, 1].into_iter().find(|&s| grid_size(s, m) <= MAX_POINTS).unwrap_or(1);
    let n = y.len().max(1) as f64;
    let equal = vec![1.0 / m as f32; m];
    let mut best: Option<(usize, usize, Vec<usize>)> = None; // (correct, Σ units², units)
    let grid = compositions(steps, m);
    for units in &grid {
        let w: Vec<f32> = units.iter().map(|&u| u as f32 / steps as f32).collect();
        let c = correct(probs, &w, y);
        let spread: usize = units.iter().map(|u| u * u).sum();
        let better = best.as_ref().is_none_or(|(bc, bs, _)| c > *bc || (c == *bc && spread < *bs));
        if better {
            best = Some((c, spread, units.clone()));
        }
    }
    let (c, _, units) = best.expect("the grid has a point");
    Tuned {
        weights: units.iter().map(|&u| u as f32 / steps as f32).collect(),
        accuracy: c as f64 / n,
        equal_accuracy: correct(probs, &equal, y) as f64 / n,
        step: 1.0 / steps as f32,
        points: grid.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_covers_the_simplex_once() {
        assert_eq!(compositions(20, 2).len(), 21);
        assert_eq!(compositions(20, 3).len(), grid_size(20, 3));
        assert_eq!(grid_size(20, 5), 10_626);
        assert!(compositions(4, 3).iter().all(|u| u.iter().sum::<usize>() == 4));
    }

    #[test]
    fn a_member_that_is_always_right_takes_the_weight_and_ties_go_to_the_most_even() {
        // member 0 right on every text, member 1 confidently wrong on the second
        let good = vec![vec![0.6, 0.4], vec![0.4, 0.6]];
        let bad = vec![vec![0.9, 0.1], vec![0.95, 0.05]];
        let y = [0, 1];
        let t = tune_weights(&[good.clone(), bad], &y);
        assert_eq!(t.accuracy, 1.0);
        assert!(t.equal_accuracy < 1.0);
        assert!(t.weights[0] > 0.5, "{:?}", t.weights);
        // two identical members: every weight ties, and the tie goes to equal weights
        let t = tune_weights(&[good.clone(), good], &y);
        assert_eq!(t.weights, vec![0.5, 0.5]);
    }
}
