//! Training NBSVM's logistic-regression form (NB-LR; Wang & Manning 2012): per head, the
//! naive-Bayes log-count ratios `r`, then an L2-regularised logistic regression on `x̂ = r∘x`
//! (x a text's binarized n-grams), then the interpolation `w' = (1−β)·mean|w| + β·w`; the
//! head's stored weight is `r∘w'`.
//!
//! The regression is solved in the dual by coordinate descent, as liblinear's
//! `solve_l2r_lr_dual` (Yu, Huang & Lin 2011; solver 7, bias as a feature of value 1, so it is
//! regularised too), in a seeded order: single-threaded per head and so the same numbers for a
//! seed whatever the thread count; the heads of a one-vs-rest model run in parallel, each on
//! its own. The primal loss it minimises is
//! `f(w, b) = ½(‖w‖² + b²) + C·Σᵢ ln(1 + exp(−yᵢ(w·x̂ᵢ + b)))`, yᵢ ∈ {−1, +1};
//! [`primal_loss_and_gradient`] computes it for the gradient check and the convergence test.

use rayon::prelude::*;
use strata_nn::Rng;

/// What NB-LR training needs besides the data.
#[derive(Clone, Debug, PartialEq)]
pub struct NbsvmFit {
    /// Naive-Bayes smoothing α (> 0).
    pub alpha: f32,
    /// Interpolation β in [0, 1] (1: the regression's weights as they are).
    pub beta: f32,
    /// Inverse L2 strength C (> 0).
    pub c: f32,
    pub seed: u64,
}

/// liblinear's stopping tolerance for the dual solvers (`-e 0.1`) and its iteration cap.
const EPS: f64 = 0.1;
const MAX_ITER: usize = 1000;

/// The trained heads: `weight` `[H, F]` (`r∘w'`), `bias` `[H]`, and the outer iterations each
/// head's solver took.
pub struct NbsvmWeights {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub iterations: Vec<usize>,
}

/// One binary problem: texts as sorted unique feature indices, their signs, and the ratios.
pub struct Problem<'a> {
    pub rows: &'a [Vec<u32>],
    /// `+1.0` for the head's class, `−1.0` for the rest.
    pub y: &'a [f64],
    /// `[F]`: each feature's value when present (its log-count ratio).
    pub r: &'a [f32],
}

/// The log-count ratio of every feature for the texts where `positive` holds against the rest:
/// `r = ln((p/‖p‖₁)/(q/‖q‖₁))`, `p = α + Σ_{positive} x`, `q = α + Σ_{rest} x` (x binary).
pub fn log_count_ratios(rows: &[Vec<u32>], positive: &[bool], features: usize, alpha: f32) -> Vec<f32> {
    let (mut p, mut q) = (vec![f64::from(alpha); features], vec![f64::from(alpha); features]);
    for (row, &pos) in rows.iter().zip(positive) {
        let counts = if pos { &mut p } else { &mut q };
        row.iter().for_each(|&j| counts[j as usize] += 1.0);
    }
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    p.iter().zip(&q).map(|(p, q)| ((p / sp) / (q / sq)).ln() as f32).collect()
}

/// `f(w, b)` (see the module's doc) and its gradient `(∂f/∂w, ∂f/∂b)`.
pub fn primal_loss_and_gradient(pb: &Problem, w: &[f64], b: f64, c: f64) -> (f64, Vec<f64>, f64) {
    let mut loss = 0.5 * (w.iter().map(|x| x * x).sum::<f64>() + b * b);
    let mut grad = w.to_vec();
    let mut grad_b = b;
    for (row, &y) in pb.rows.iter().zip(pb.y) {
        let z = b + row.iter().map(|&j| w[j as usize] * f64::from(pb.r[j as usize])).sum::<f64>();
        let m = y * z;
        // ln(1 + e^−m), stable for both signs of m
        loss += c * if m > 0.0 { (-m).exp().ln_1p() } else { -m + m.exp().ln_1p() };
        let d = -c * y / (1.0 + m.exp()); // ∂/∂z of C·ln(1 + e^−yz)
        row.iter().for_each(|&j| grad[j as usize] += d * f64::from(pb.r[j as usize]));
        grad_b += d;
    }
    (loss, grad, grad_b)
}

/// Minimises `f(w, b)` by dual coordinate descent (liblinear's `solve_l2r_lr_dual`), visiting
/// the texts in an order shuffled from `seed` each pass. Returns `(w, b, passes)`.
pub fn solve_lr_dual(pb: &Problem, c: f64, seed: u64) -> (Vec<f64>, f64, usize) {
    let n = pb.rows.len();
    let xx = |j: u32| f64::from(pb.r[j as usize]);
    // ‖x̂ᵢ‖² with the bias feature's 1
    let qd: Vec<f64> = pb.rows.iter().map(|row| 1.0 + row.iter().map(|&j| xx(j) * xx(j)).sum::<f64>()).collect();
    let mut w = vec![0.0f64; pb.r.len()];
    let mut b = 0.0f64;
    // αᵢ and C − αᵢ, both kept strictly inside (0, C)
    let start = (1e-3 * c).min(1e-8);
    let mut alpha: Vec<[f64; 2]> = vec![[start, c - start]; n];
    for (i, row) in pb.rows.iter().enumerate() {
        let step = pb.y[i] * alpha[i][0];
        row.iter().for_each(|&j| w[j as usize] += step * xx(j));
        b += step;
    }
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = Rng::new(seed);
    let (inner_eps_min, mut inner_eps) = (EPS.min(1e-8), 1e-2);
    let mut passes = 0;
    while passes < MAX_ITER {
        rng.shuffle(&mut order);
        let (mut newton_steps, mut gmax) = (0usize, 0.0f64);
        for &i in &order {
            let (row, y, a) = (&pb.rows[i], pb.y[i], qd[i]);
            let ywx = y * (b + row.iter().map(|&j| w[j as usize] * xx(j)).sum::<f64>());
            // which of αᵢ, C − αᵢ to move (the sub-problem's better-conditioned side)
            let (k, sign) = if 0.5 * a * (alpha[i][1] - alpha[i][0]) + ywx < 0.0 { (1, -1.0) } else { (0, 1.0) };
            let old = alpha[i][k];
            let mut z = if c - old < 0.5 * c { 0.1 * old } else { old };
            let gradient = |z: f64| a * (z - old) + sign * ywx + (z / (c - z)).ln();
            let mut gp = gradient(z);
            gmax = gmax.max(gp.abs());
            let mut inner = 0;
            while inner <= 100 && gp.abs() >= inner_eps {
                let gpp = a + c / (c - z) / z;
                let next = z - gp / gpp;
                z = if next <= 0.0 { z * 0.1 } else { next };
                gp = gradient(z);
                newton_steps += 1;
                inner += 1;
            }
            if inner > 0 {
                alpha[i][k] = z;
                alpha[i][1 - k] = c - z;
                let step = sign * (z - old) * y;
                row.iter().for_each(|&j| w[j as usize] += step * xx(j));
                b += step;
            }
        }
        passes += 1;
        if gmax < EPS {
            break;
        }
        if newton_steps <= n / 10 {
            inner_eps = inner_eps_min.max(0.1 * inner_eps);
        }
    }
    (w, b, passes)
}

/// Trains every head (one for two classes, else one per class, one-vs-rest) on `rows` (each
/// text's sorted unique feature indices, below `features`) labelled `y` (class indices).
pub fn fit_nbsvm(rows: &[Vec<u32>], y: &[usize], classes: usize, features: usize, fit: &NbsvmFit) -> NbsvmWeights {
    let heads = if classes == 2 { 1 } else { classes };
    let solved: Vec<(Vec<f32>, f32, usize)> = (0..heads)
        .into_par_iter()
        .map(|h| {
            let class = if heads == 1 { 1 } else { h };
            let positive: Vec<bool> = y.iter().map(|&c| c == class).collect();
            let signs: Vec<f64> = positive.iter().map(|&p| if p { 1.0 } else { -1.0 }).collect();
            let r = log_count_ratios(rows, &positive, features, fit.alpha);
            let pb = Problem { rows, y: &signs, r: &r };
            let (w, b, passes) = solve_lr_dual(&pb, f64::from(fit.c), fit.seed.wrapping_add(h as u64));
            let mean_abs = w.iter().map(|x| x.abs()).sum::<f64>() / w.len().max(1) as f64;
            let beta = f64::from(fit.beta);
            let weight =
                w.iter().zip(&r).map(|(w, &r)| (((1.0 - beta) * mean_abs + beta * w) * f64::from(r)) as f32).collect();
            (weight, b as f32, passes)
        })
        .collect();
    let mut out =
        NbsvmWeights { weight: Vec::with_capacity(heads * features), bias: Vec::new(), iterations: Vec::new() };
    for (weight, bias, passes) in solved {
        out.weight.extend(weight);
        out.bias.push(bias);
        out.iterations.push(passes);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small problem: 6 texts over 5 features, both classes, values that are not all 1.
    fn problem() -> (Vec<Vec<u32>>, Vec<f64>, Vec<f32>) {
        let rows = vec![vec![0, 1], vec![0, 2, 4], vec![1, 3], vec![2, 3, 4], vec![0, 4], vec![3]];
        let y = vec![1.0, 1.0, -1.0, -1.0, 1.0, -1.0];
        let r = vec![0.7, -0.3, 1.2, -0.9, 0.4];
        (rows, y, r)
    }

    #[test]
    fn the_nb_lr_loss_gradient_matches_finite_differences() {
        let (rows, y, r) = problem();
        let pb = Problem { rows: &rows, y: &y, r: &r };
        let (w, b, c) = (vec![0.3, -0.2, 0.5, 0.1, -0.4], 0.15, 2.0);
        let (_, grad, grad_b) = primal_loss_and_gradient(&pb, &w, b, c);
        let h = 1e-6;
        let mut worst = 0.0f64;
        for j in 0..w.len() {
            let (mut up, mut down) = (w.clone(), w.clone());
            up[j] += h;
            down[j] -= h;
            let numeric =
                (primal_loss_and_gradient(&pb, &up, b, c).0 - primal_loss_and_gradient(&pb, &down, b, c).0) / (2.0 * h);
            worst = worst.max((numeric - grad[j]).abs());
        }
        let numeric_b =
            (primal_loss_and_gradient(&pb, &w, b + h, c).0 - primal_loss_and_gradient(&pb, &w, b - h, c).0) / (2.0 * h);
        worst = worst.max((numeric_b - grad_b).abs());
        println!("NB-LR loss gradient: max |analytic − numeric| = {worst:.2e}");
        assert!(worst < 1e-6, "max difference {worst}");
    }

    #[test]
    fn the_dual_solver_reaches_the_primal_minimum() {
        let (rows, y, r) = problem();
        let pb = Problem { rows: &rows, y: &y, r: &r };
        let (w, b, _) = solve_lr_dual(&pb, 1.0, 7);
        let (_, grad, grad_b) = primal_loss_and_gradient(&pb, &w, b, 1.0);
        let norm = (grad.iter().map(|g| g * g).sum::<f64>() + grad_b * grad_b).sqrt();
        // liblinear's tolerance bounds the dual's projected gradient; the primal's follows
        assert!(norm < 0.05, "primal gradient norm {norm} at the solver's answer");
        let (w0, _, _) = solve_lr_dual(&pb, 1.0, 8);
        assert!(w.iter().zip(&w0).all(|(a, b)| (a - b).abs() < 0.05), "another order, another minimum");
    }

    /// r by hand on 4 texts over 3 features, α = 1:
    /// positive texts {0,1} and {0}: p = 1 + [2, 1, 0] = [3, 2, 1], ‖p‖₁ = 6;
    /// negative texts {1,2} and {2}: q = 1 + [0, 1, 2] = [1, 2, 3], ‖q‖₁ = 6;
    /// r = ln(p/q) = [ln 3, 0, −ln 3].
    #[test]
    fn log_count_ratios_by_hand_on_four_texts() {
        let rows = vec![vec![0, 1], vec![0], vec![1, 2], vec![2]];
        let r = log_count_ratios(&rows, &[true, true, false, false], 3, 1.0);
        let expected = [3f32.ln(), 0.0, -(3f32.ln())];
        assert!(r.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-6), "{r:?}");
        // α = 0.5: p = [2.5, 1.5, 0.5] / 4.5, q = [0.5, 1.5, 2.5] / 4.5
        let r = log_count_ratios(&rows, &[true, true, false, false], 3, 0.5);
        assert!((r[0] - 5f32.ln()).abs() < 1e-6 && r[1].abs() < 1e-6 && (r[2] + 5f32.ln()).abs() < 1e-6, "{r:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_bits_for_any_thread_count() {
        let rows: Vec<Vec<u32>> = (0..60u32).map(|i| vec![i % 7, 7 + i % 5, 12 + (i * 3) % 4]).collect();
        let y: Vec<usize> = (0..60).map(|i| i % 3).collect();
        let fit = NbsvmFit { alpha: 1.0, beta: 0.25, c: 1.0, seed: 3 };
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| fit_nbsvm(&rows, &y, 3, 16, &fit))
        };
        let (a, b) = (run(1), run(3));
        let bits = |w: &NbsvmWeights| w.weight.iter().chain(&w.bias).map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b));
        assert_eq!(a.bias.len(), 3);
    }
}
