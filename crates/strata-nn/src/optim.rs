//! Optimizers over the flat parameter buffer: plain gradient descent, Adam and Adadelta (Keras
//! defaults), and Keras's `MaxNorm` weight constraint.
//!
//! An optimizer updates only the ranges it is given, each with its own learning-rate
//! multiplier: that is how frozen layers and per-layer learning rates work without rebuilding
//! anything. Adam is the tf-keras formulation (`epsilon_hat`): `α_t = lr·√(1−β2^t)/(1−β1^t)`,
//! `θ −= α_t·m/(√v + ε)` with ε = 1e-7. Embedding rows that got no gradient still have their
//! moments decayed and are still moved by their momentum, exactly as tf-keras's Adam does with
//! its sparse (IndexedSlices) embedding gradients.

use std::ops::Range;

use rayon::prelude::*;

/// A parameter range to update and its learning-rate multiplier.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamRange {
    pub range: Range<usize>,
    pub lr_mult: f32,
}

/// Elements per parallel work item: large enough to amortise rayon, small enough to split the
/// embedding table across cores.
const PAR_CHUNK: usize = 1 << 15;

/// θ ← θ − α∇L.
pub fn sgd_step(params: &mut [f32], grads: &[f32], groups: &[ParamRange], lr: f32) {
    for gr in groups {
        let a = lr * gr.lr_mult;
        params[gr.range.clone()]
            .par_chunks_mut(PAR_CHUNK)
            .zip(grads[gr.range.clone()].par_chunks(PAR_CHUNK))
            .for_each(|(p, g)| p.iter_mut().zip(g).for_each(|(p, g)| *p -= a * g));
    }
}

/// Adam's settings and state (moments in the parameter layout).
#[derive(Clone, Debug)]
pub struct Adam {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub epsilon: f32,
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    /// Number of steps taken so far.
    pub t: u64,
}

impl Adam {
    /// Keras defaults: lr 1e-3, β1 0.9, β2 0.999, ε 1e-7.
    pub fn keras(n_params: usize) -> Self {
        Adam::new(n_params, 1e-3)
    }

    pub fn new(n_params: usize, lr: f32) -> Self {
        Adam { lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, m: vec![0.0; n_params], v: vec![0.0; n_params], t: 0 }
    }

    pub fn step(&mut self, params: &mut [f32], grads: &[f32], groups: &[ParamRange]) {
        self.t += 1;
        let t = self.t as i32;
        let (b1, b2, eps) = (self.beta1, self.beta2, self.epsilon);
        let alpha = self.lr * (1.0 - b2.powi(t)).sqrt() / (1.0 - b1.powi(t));
        for gr in groups {
            let c = AdamCoefs { alpha: alpha * gr.lr_mult, beta1: b1, beta2: b2, epsilon: eps };
            let r = gr.range.clone();
            params[r.clone()]
                .par_chunks_mut(PAR_CHUNK)
                .zip(grads[r.clone()].par_chunks(PAR_CHUNK))
                .zip(self.m[r.clone()].par_chunks_mut(PAR_CHUNK))
                .zip(self.v[r].par_chunks_mut(PAR_CHUNK))
                .for_each(|(((p, g), m), v)| adam_update(p, g, m, v, c));
        }
    }
}

/// One Adam step's scalars, the same for every element of a group.
#[derive(Clone, Copy)]
struct AdamCoefs {
    /// this step's rate: `α_t` times the group's multiplier
    alpha: f32,
    beta1: f32,
    beta2: f32,
    epsilon: f32,
}

/// One Adam update over a block: `m += (g − m)(1 − β1)`, `v += (g² − v)(1 − β2)`,
/// `p −= α·m / (√v + ε)`. Memory-bound with a square root and a division per element, so it
/// gets an AVX2 build (8 lanes instead of SSE2's 4) chosen at run time.
#[inline(always)]
fn adam_body(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: AdamCoefs) {
    for i in 0..p.len().min(g.len()).min(m.len()).min(v.len()) {
        m[i] += (g[i] - m[i]) * (1.0 - c.beta1);
        v[i] += (g[i] * g[i] - v[i]) * (1.0 - c.beta2);
        p[i] -= c.alpha * m[i] / (v[i].sqrt() + c.epsilon);
    }
}

/// [`adam_body`] compiled for AVX2 and FMA.
///
/// # Safety
///
/// The CPU must have AVX2 and FMA (`activations::has_avx2`). The body is safe code; only the
/// instructions it is compiled to need the check.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn adam_avx2(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: AdamCoefs) {
    adam_body(p, g, m, v, c)
}

fn adam_update(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: AdamCoefs) {
    #[cfg(target_arch = "x86_64")]
    if crate::activations::has_avx2() {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { adam_avx2(p, g, m, v, c) };
    }
    adam_body(p, g, m, v, c)
}

/// Adadelta (Zeiler 2012) as tf-keras writes it — the optimiser of Kim's (2014) CNN:
/// `a_g ← ρ·a_g + (1−ρ)·g²`, `u = g·√(a_u + ε)/√(a_g + ε)`, `a_u ← ρ·a_u + (1−ρ)·u²`,
/// `θ −= lr·u`. Keras's defaults are ρ 0.95, ε 1e-7 (Kim: lr 1.0, ε 1e-6).
#[derive(Clone, Debug)]
pub struct Adadelta {
    pub lr: f32,
    pub rho: f32,
    pub epsilon: f32,
    /// running averages of squared gradients and of squared updates
    pub acc_grad: Vec<f32>,
    pub acc_update: Vec<f32>,
}

impl Adadelta {
    pub fn new(n_params: usize, lr: f32) -> Self {
        Adadelta { lr, rho: 0.95, epsilon: 1e-7, acc_grad: vec![0.0; n_params], acc_update: vec![0.0; n_params] }
    }

    pub fn step(&mut self, params: &mut [f32], grads: &[f32], groups: &[ParamRange]) {
        let (rho, eps) = (self.rho, self.epsilon);
        for gr in groups {
            let lr = self.lr * gr.lr_mult;
            let r = gr.range.clone();
            params[r.clone()]
                .par_chunks_mut(PAR_CHUNK)
                .zip(grads[r.clone()].par_chunks(PAR_CHUNK))
                .zip(self.acc_grad[r.clone()].par_chunks_mut(PAR_CHUNK))
                .zip(self.acc_update[r].par_chunks_mut(PAR_CHUNK))
                .for_each(|(((p, g), ag), au)| {
                    for i in 0..p.len() {
                        ag[i] = rho * ag[i] + (1.0 - rho) * g[i] * g[i];
                        let u = g[i] * (au[i] + eps).sqrt() / (ag[i] + eps).sqrt();
                        au[i] = rho * au[i] + (1.0 - rho) * u * u;
                        p[i] -= lr * u;
                    }
                });
        }
    }
}

/// Keras's `MaxNorm(max)` on a `[I, O]` kernel: each output unit's incoming weights (a column)
/// are rescaled to an L2 norm of at most `max` (Kim's constraint, s = 3).
pub fn max_norm(kernel: &mut [f32], inputs: usize, outputs: usize, max: f32) {
    for o in 0..outputs {
        let norm = (0..inputs).map(|i| kernel[i * outputs + o].powi(2)).sum::<f32>().sqrt();
        if norm > max {
            // Keras: w · clip(norm, 0, max) / (ε + norm)
            let scale = max / (1e-7 + norm);
            (0..inputs).for_each(|i| kernel[i * outputs + o] *= scale);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adadelta_matches_its_formula_over_two_steps() {
        let (mut p, g) = (vec![1.0f32, -2.0], vec![0.5f32, -4.0]);
        let mut opt = Adadelta { epsilon: 1e-6, ..Adadelta::new(2, 1.0) };
        let groups = [ParamRange { range: 0..2, lr_mult: 1.0 }];
        let (mut want, mut ag, mut au) = (vec![1.0f64, -2.0], [0.0f64; 2], [0.0f64; 2]);
        for _ in 0..2 {
            opt.step(&mut p, &g, &groups);
            for i in 0..2 {
                let gi = g[i] as f64;
                ag[i] = 0.95 * ag[i] + 0.05 * gi * gi;
                let u = gi * (au[i] + 1e-6).sqrt() / (ag[i] + 1e-6).sqrt();
                au[i] = 0.95 * au[i] + 0.05 * u * u;
                want[i] -= u;
            }
        }
        for i in 0..2 {
            assert!((p[i] as f64 - want[i]).abs() < 1e-6, "{} vs {}", p[i], want[i]);
        }
    }

    #[test]
    fn max_norm_rescales_only_long_columns() {
        // [I=2, O=2]: column 0 = (3, 4) has norm 5, column 1 = (0.3, 0.4) norm 0.5
        let mut k = vec![3.0f32, 0.3, 4.0, 0.4];
        max_norm(&mut k, 2, 2, 3.0);
        assert!((k[0] - 1.8).abs() < 1e-5 && (k[2] - 2.4).abs() < 1e-5, "{k:?}");
        assert_eq!((k[1], k[3]), (0.3, 0.4));
    }

    #[test]
    fn adam_first_step_moves_by_lr_times_sign() {
        // With m = (1-β1)g, v = (1-β2)g², α = lr·√(1-β2)/(1-β1): the step is ≈ lr·sign(g).
        let mut p = vec![1.0f32, -2.0, 3.0];
        let g = vec![0.5f32, -4.0, 0.0];
        let mut adam = Adam::keras(3);
        adam.step(&mut p, &g, &[ParamRange { range: 0..3, lr_mult: 1.0 }]);
        assert!((p[0] - (1.0 - 1e-3)).abs() < 1e-6, "{}", p[0]);
        assert!((p[1] - (-2.0 + 1e-3)).abs() < 1e-6, "{}", p[1]);
        assert_eq!(p[2], 3.0);
    }

    #[test]
    fn ranges_outside_the_groups_are_untouched() {
        let mut p = vec![1.0f32; 4];
        let g = vec![1.0f32; 4];
        sgd_step(&mut p, &g, &[ParamRange { range: 1..3, lr_mult: 2.0 }], 0.1);
        assert_eq!(p, vec![1.0, 0.8, 0.8, 1.0]);
    }
}
