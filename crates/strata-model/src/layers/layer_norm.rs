//! Keras's `LayerNormalization(epsilon=1e-3)` over the feature axis: each step of each row is
//! normalised to mean 0 and variance 1, then scaled and shifted, `y = γ·(x − μ)/√(σ² + ε) + β`.
//!
//! Reads and gives either shape, `[T, N, D]` or `[N, D]` (it works row by row of `D`).
//! Tensors: `gamma [D]` (ones), `beta [D]` (zeros). As a level of its own on a sequence, its
//! summary is its last step (what an auxiliary head or a probe reads).

use std::ops::Range;

use serde::{Deserialize, Serialize};
use strata_nn::Rng;

use super::{grad_views, Context, Grads, Init, Layer, LayerType, Misfit, Reads, Rows, Shape, Tensor, Values};

/// `[[layer]] type = "layer_norm"`, with Keras's `epsilon`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerNormConfig {
    #[serde(default = "keras_epsilon")]
    pub epsilon: f32,
}

fn keras_epsilon() -> f32 {
    1e-3
}

impl LayerType for LayerNormConfig {
    fn kind(&self) -> &'static str {
        "layer_norm"
    }

    fn reads(&self) -> Reads {
        Reads::Either
    }

    fn output(&self, at: Context) -> Result<Shape, Misfit> {
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err("epsilon must be a positive number (hint: Keras uses 0.001)".into());
        }
        Ok(at.input)
    }

    fn tensors(&self, d: usize) -> Option<Vec<Tensor>> {
        Some(vec![Tensor::new("gamma", vec![d], Init::Ones), Tensor::new("beta", vec![d], Init::Zeros)])
    }

    fn build(&self, input: Shape, _output: Shape, ranges: Vec<Range<usize>>) -> Box<dyn Layer> {
        Box::new(LayerNorm { d: input.width, epsilon: self.epsilon, ranges, ..LayerNorm::default() })
    }

    fn summary_is_last_state(&self) -> bool {
        true
    }
}

#[derive(Default)]
pub struct LayerNorm {
    d: usize,
    epsilon: f32,
    /// gamma `[D]`, beta `[D]`
    ranges: Vec<Range<usize>>,
    rows: Rows,
    /// `[T·N, D]` the normalised input x̂, and the output
    xhat: Vec<f32>,
    out: Vec<f32>,
    /// `[T·N]` 1/√(σ² + ε) per row
    inv_std: Vec<f32>,
    /// `[T·N, D]` scratch: the gradient at the output, with the last state's added
    dy_sum: Vec<f32>,
}

impl Layer for LayerNorm {
    fn forward(&mut self, p: &[f32], x: &[f32], rows: Rows, _valid: Option<&[bool]>, _: Option<&mut Rng>) -> Rows {
        self.rows = rows;
        let d = self.d;
        let (gamma, beta) = (&p[self.ranges[0].clone()], &p[self.ranges[1].clone()]);
        self.xhat.resize(x.len(), 0.0);
        self.out.resize(x.len(), 0.0);
        self.inv_std.resize(x.len() / d, 0.0);
        for (r, xr) in x.chunks_exact(d).enumerate() {
            let mean = xr.iter().sum::<f32>() / d as f32;
            let var = xr.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / d as f32;
            let inv = 1.0 / (var + self.epsilon).sqrt();
            self.inv_std[r] = inv;
            let (xh, y) = (&mut self.xhat[r * d..(r + 1) * d], &mut self.out[r * d..(r + 1) * d]);
            for j in 0..d {
                xh[j] = (xr[j] - mean) * inv;
                y[j] = gamma[j] * xh[j] + beta[j];
            }
        }
        rows
    }

    /// The output only: x̂ and 1/σ̃ are what backward reads, so they are not kept.
    fn infer(&mut self, p: &Values, x: &[f32], rows: Rows, _valid: Option<&[bool]>) -> Rows {
        self.rows = rows;
        let d = self.d;
        let (gamma, beta) = (&p[self.ranges[0].clone()], &p[self.ranges[1].clone()]);
        self.xhat.clear();
        self.inv_std.clear();
        self.out.resize(x.len(), 0.0);
        for (xr, y) in x.chunks_exact(d).zip(self.out.chunks_exact_mut(d)) {
            let mean = xr.iter().sum::<f32>() / d as f32;
            let var = xr.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / d as f32;
            let inv = 1.0 / (var + self.epsilon).sqrt();
            for j in 0..d {
                y[j] = gamma[j] * ((xr[j] - mean) * inv) + beta[j];
            }
        }
        rows
    }

    fn output(&self) -> &[f32] {
        &self.out
    }

    /// The last step `[N, D]` (the whole output for one vector per row).
    fn last_state(&self) -> Option<&[f32]> {
        let Rows { n, t } = self.rows;
        Some(&self.out[(t.max(1) - 1) * n * self.d..])
    }

    fn backward(&mut self, p: &[f32], _x: &[f32], grads: Grads<'_>) {
        assert_eq!(self.xhat.len(), self.out.len(), "layer norm: backward after infer");
        let Grads { dy, dlast, params: g, off, dx } = grads;
        let d = self.d;
        let Rows { n, t } = self.rows;
        self.dy_sum.clear();
        match dy {
            Some(dy) => self.dy_sum.extend_from_slice(dy),
            None => self.dy_sum.resize(self.out.len(), 0.0),
        }
        if let Some(dl) = dlast {
            let last = &mut self.dy_sum[(t.max(1) - 1) * n * d..];
            last.iter_mut().zip(dl).for_each(|(a, v)| *a += v);
        }
        let gamma = &p[self.ranges[0].clone()];
        let mut views = grad_views(g, off, &self.ranges).into_iter();
        let (dgamma, dbeta) = (views.next().unwrap(), views.next().unwrap());
        for (r, dyr) in self.dy_sum.chunks_exact(d).enumerate() {
            let xh = &self.xhat[r * d..(r + 1) * d];
            for j in 0..d {
                dgamma[j] += dyr[j] * xh[j];
                dbeta[j] += dyr[j];
            }
        }
        let Some(dx) = dx else { return };
        // dx = (1/σ̃)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), with dx̂ = dy·γ
        for (r, dyr) in self.dy_sum.chunks_exact(d).enumerate() {
            let xh = &self.xhat[r * d..(r + 1) * d];
            let (mut mean_dxh, mut mean_dxh_xh) = (0.0f32, 0.0f32);
            for j in 0..d {
                let dxh = dyr[j] * gamma[j];
                mean_dxh += dxh;
                mean_dxh_xh += dxh * xh[j];
            }
            mean_dxh /= d as f32;
            mean_dxh_xh /= d as f32;
            let inv = self.inv_std[r];
            for j in 0..d {
                dx[r * d + j] = inv * (dyr[j] * gamma[j] - mean_dxh - xh[j] * mean_dxh_xh);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use strata_nn::gradcheck::{check, check_with_step};

    use super::*;

    /// Loss `Σ w·y` of a layer norm over `[T=3, N=2, D=4]` and its gradient with respect to
    /// (γ, β, x), with a gradient at the last state on top.
    fn loss_and_grad(gb: &[f32], x: &[f32], w: &[f32]) -> (f64, Vec<f32>) {
        let config = LayerNormConfig { epsilon: 1e-3 };
        let shape = Shape { sequence: true, width: 4, sentence_rows: false };
        let mut layer = config.build(shape, shape, vec![0..4, 4..8]);
        let rows = Rows { n: 2, t: 3 };
        layer.forward(gb, x, rows, None, None);
        let last = layer.last_state().unwrap();
        let loss = layer.output().iter().zip(w).map(|(y, w)| (y * w) as f64).sum::<f64>()
            + last.iter().map(|y| (y * y) as f64).sum::<f64>();
        let dlast: Vec<f32> = last.iter().map(|y| 2.0 * y).collect();
        let (mut dp, mut dx) = (vec![0.0; 8], vec![0.0; x.len()]);
        let grads = Grads { dy: Some(w), dlast: Some(&dlast), params: &mut dp, off: 0, dx: Some(&mut dx) };
        layer.backward(gb, x, grads);
        (loss, dp.into_iter().chain(dx).collect())
    }

    #[test]
    fn matches_finite_differences() {
        let mut rng = Rng::new(7);
        let x: Vec<f32> = (0..24).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let w: Vec<f32> = (0..24).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let gb: Vec<f32> = (0..8).map(|i| if i < 4 { 1.0 } else { 0.0 } + rng.uniform(-0.3, 0.3)).collect();
        let (_, analytic) = loss_and_grad(&gb, &x, &w);
        let all: Vec<f32> = gb.iter().chain(&x).copied().collect();
        let worst = check("layer_norm", &all, &analytic, |p| loss_and_grad(&p[..8], &p[8..], &w).0);
        assert!(worst < 5e-3, "max relative difference {worst}");
        // what is left at step 1e-2 is the central difference's own error: it falls with the step
        let half = check_with_step("layer_norm", &all, &analytic, 5e-3, |p| loss_and_grad(&p[..8], &p[8..], &w).0);
        assert!(half < worst / 2.0, "step 5e-3: {half}, step 1e-2: {worst}");
    }

    #[test]
    fn normalises_each_step_of_each_row() {
        let config = LayerNormConfig { epsilon: 1e-3 };
        let shape = Shape { sequence: false, width: 3, sentence_rows: false };
        let mut layer = config.build(shape, shape, vec![0..3, 3..6]);
        layer.forward(
            &[1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
            &[1.0, 2.0, 3.0, -5.0, 0.0, 5.0],
            Rows { n: 2, t: 1 },
            None,
            None,
        );
        // Keras's definition (population variance, ε under the root), computed in f64:
        // (x − mean(x)) / sqrt(var(x) + 1e-3)
        let expected = [-1.2238273, 0.0, 1.2238273, -1.2247081, 0.0, 1.2247081];
        for (a, b) in layer.output().iter().zip(expected) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}
