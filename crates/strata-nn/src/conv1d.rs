//! Conv1D over time (Keras `Conv1D(filters, kernel_size, padding="valid", activation="relu")`),
//! the building block of Kim's (2014) sentence CNN, and global max pooling over time.
//!
//! No im2col: the input is time-major (`[T·B, E]` rows), so the window's `j`-th step of every
//! output row is the contiguous slice of rows `j·B .. (j+T')·B`, and the convolution is `W`
//! shifted GEMMs, `out[t] = bias + Σ_{j<W} x[t+j] · K_j`, accumulated into `[T', B, F]`;
//! backward is the same shifts transposed (`dK_j += x_jᵀ · dpre`, `dx_j += dpre · K_jᵀ`). That
//! saves the `[T'·B, W·E]` copy of the input (tens of MB per chunk) and its packing per width.
//! [`bank`] runs all of Kim's widths together with the max pool fused, as the layer uses it.
//!
//! # Shapes
//! input `[T, B, E]` (time-major), kernel `[W, E, F]` (Keras's layout: `K_j` is `[E, F]`),
//! output `[T', B, F]` with `T' = T − W + 1`.

pub mod bank;
mod fold;
pub mod shifts;
pub mod transpose;
pub mod winograd;

use crate::gemm::{gemm, Gemm};

/// Sizes of one convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvDims {
    pub b: usize,
    pub t: usize,
    pub e: usize,
    /// kernel width `W` (time steps)
    pub w: usize,
    /// filters `F`
    pub f: usize,
}

impl ConvDims {
    /// Output steps `T' = T − W + 1` (0 when the sequence is shorter than the kernel).
    pub fn t_out(&self) -> usize {
        (self.t + 1).saturating_sub(self.w)
    }

    /// The input rows `[T'·B, E]` that shift `j` of the window reads: steps `j .. j + T'`.
    fn shifted(&self, j: usize) -> std::ops::Range<usize> {
        j * self.b * self.e..(j + self.t_out()) * self.b * self.e
    }
}

/// Activations kept for backward.
#[derive(Default)]
pub struct ConvCache {
    /// `[T', B, F]` output after ReLU
    pub out: Vec<f32>,
}

/// `out = relu(Σ_j x_j · K_j + bias)`; `kernel: [W, E, F]`, `bias: [F]`.
pub fn forward(d: ConvDims, x: &[f32], kernel: &[f32], bias: &[f32], cache: &mut ConvCache) {
    assert_eq!(x.len(), d.t * d.b * d.e, "conv1d: input is not [T, B, E]");
    let rows = d.t_out() * d.b;
    cache.out.resize(rows * d.f, 0.0);
    for row in cache.out.chunks_exact_mut(d.f) {
        row.copy_from_slice(bias);
    }
    let ef = d.e * d.f;
    for j in 0..d.w {
        let step = Gemm::new(rows, d.e, d.f).accumulate();
        gemm(step, &x[d.shifted(j)], &kernel[j * ef..(j + 1) * ef], &mut cache.out);
    }
    cache.out.iter_mut().for_each(|v| *v = v.max(0.0));
}

/// Backward from `dout: [T', B, F]` given the forward's input `x: [T, B, E]`: accumulates
/// kernel and bias gradients; writes `dx` (`[T, B, E]`, overwritten) when given.
pub fn backward(d: ConvDims, x: &[f32], kernel: &[f32], cache: &ConvCache, dout: &[f32], grads: ConvGrads<'_>) {
    let ConvGrads { dkernel, dbias, dx } = grads;
    let (rows, ef) = (d.t_out() * d.b, d.e * d.f);
    // through the ReLU
    let dpre: Vec<f32> = dout.iter().zip(&cache.out).map(|(g, y)| if *y > 0.0 { *g } else { 0.0 }).collect();
    for j in 0..d.w {
        let step = Gemm::new(d.e, rows, d.f).transpose_a().accumulate();
        gemm(step, &x[d.shifted(j)], &dpre, &mut dkernel[j * ef..(j + 1) * ef]);
    }
    dpre.chunks_exact(d.f).for_each(|r| dbias.iter_mut().zip(r).for_each(|(a, v)| *a += v));
    if let Some(dx) = dx {
        dx.fill(0.0);
        for j in 0..d.w {
            let step = Gemm::new(rows, d.f, d.e).transpose_b().accumulate();
            gemm(step, &dpre, &kernel[j * ef..(j + 1) * ef], &mut dx[d.shifted(j)]);
        }
    }
}

/// Where [`backward`] writes: the kernel's and bias's gradients (added into) and, when given,
/// the input's (overwritten).
pub struct ConvGrads<'a> {
    pub dkernel: &'a mut [f32],
    pub dbias: &'a mut [f32],
    pub dx: Option<&'a mut [f32]>,
}

/// Global max pooling over time: `[T', B, F]` → `[B, F]`, remembering which step won
/// (`argmax: [B, F]`) so that backward routes the gradient there alone.
pub fn max_over_time(t: usize, b: usize, f: usize, x: &[f32], out: &mut [f32], argmax: &mut [usize]) {
    out[..b * f].fill(f32::NEG_INFINITY);
    argmax[..b * f].fill(0);
    for s in 0..t {
        for i in 0..b * f {
            let v = x[s * b * f + i];
            if v > out[i] {
                out[i] = v;
                argmax[i] = s;
            }
        }
    }
}

/// Backward of `max_over_time`: `dx[argmax] += dout`, zero elsewhere (`dx` overwritten).
pub fn max_over_time_backward(b: usize, f: usize, dout: &[f32], argmax: &[usize], dx: &mut [f32]) {
    dx.fill(0.0);
    for i in 0..b * f {
        dx[argmax[i] * b * f + i] += dout[i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;
    use crate::Rng;

    #[test]
    fn conv_gradient_matches_finite_differences() {
        let d = ConvDims { b: 2, t: 6, e: 3, w: 3, f: 4 };
        let mut rng = Rng::new(31);
        let mut r = |n: usize| (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect::<Vec<f32>>();
        let (x, k) = (r(d.t * d.b * d.e), r(d.w * d.e * d.f));
        let probe = r(d.t_out() * d.b * d.f);
        // a large bias keeps every unit above 0, away from ReLU's kink
        let bias = vec![4.0f32; d.f];
        let loss = |x: &[f32], k: &[f32], bias: &[f32]| {
            let mut c = ConvCache::default();
            forward(d, x, k, bias, &mut c);
            c.out.iter().zip(&probe).map(|(a, p)| (a * p) as f64).sum::<f64>()
        };
        let mut c = ConvCache::default();
        forward(d, &x, &k, &bias, &mut c);
        assert!(c.out.iter().all(|&v| v > 0.0));
        let (mut dk, mut db, mut dx) = (vec![0.0; k.len()], vec![0.0; bias.len()], vec![0.0; x.len()]);
        backward(d, &x, &k, &c, &probe, ConvGrads { dkernel: &mut dk, dbias: &mut db, dx: Some(&mut dx) });
        for worst in [
            check("conv1d.kernel", &k, &dk, |v| loss(&x, v, &bias)),
            check("conv1d.bias", &bias, &db, |v| loss(&x, &k, v)),
            check("conv1d.input", &x, &dx, |v| loss(v, &k, &bias)),
        ] {
            assert!(worst < 1e-2, "conv1d max rel diff {worst}");
        }
        // and ReLU: a unit below zero passes no gradient
        let mut c = ConvCache::default();
        forward(d, &x, &k, &[-100.0; 4], &mut c);
        let mut dk = vec![0.0; k.len()];
        backward(d, &x, &k, &c, &probe, ConvGrads { dkernel: &mut dk, dbias: &mut [0.0; 4], dx: None });
        assert!(dk.iter().all(|&g| g == 0.0));
    }

    #[test]
    fn shifted_gemms_match_the_convolution_written_out() {
        let d = ConvDims { b: 3, t: 7, e: 5, w: 4, f: 2 };
        let mut rng = Rng::new(12);
        let mut r = |n: usize| (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect::<Vec<f32>>();
        let (x, k, bias) = (r(d.t * d.b * d.e), r(d.w * d.e * d.f), r(d.f));
        let mut c = ConvCache::default();
        forward(d, &x, &k, &bias, &mut c);
        for (s, bi, fi) in (0..d.t_out()).flat_map(|s| (0..d.b).flat_map(move |bi| (0..d.f).map(move |fi| (s, bi, fi))))
        {
            let mut v = bias[fi];
            for j in 0..d.w {
                for ei in 0..d.e {
                    v += x[((s + j) * d.b + bi) * d.e + ei] * k[(j * d.e + ei) * d.f + fi];
                }
            }
            let got = c.out[(s * d.b + bi) * d.f + fi];
            assert!((got - v.max(0.0)).abs() < 1e-5, "step {s} text {bi} filter {fi}: {got} vs {v}");
        }
    }

    #[test]
    fn max_over_time_gradient_matches_finite_differences() {
        let (t, b, f) = (5, 2, 3);
        // distinct values 0.1 apart, so a 0.01 step never changes the winner
        let mut rng = Rng::new(8);
        let mut order: Vec<usize> = (0..t * b * f).collect();
        rng.shuffle(&mut order);
        let x: Vec<f32> = order.iter().map(|&i| i as f32 * 0.1).collect();
        let probe: Vec<f32> = (0..b * f).map(|i| i as f32 - 2.5).collect();
        let loss = |x: &[f32]| {
            let (mut out, mut arg) = (vec![0.0; b * f], vec![0; b * f]);
            max_over_time(t, b, f, x, &mut out, &mut arg);
            out.iter().zip(&probe).map(|(a, p)| (a * p) as f64).sum::<f64>()
        };
        let (mut out, mut arg) = (vec![0.0; b * f], vec![0; b * f]);
        max_over_time(t, b, f, &x, &mut out, &mut arg);
        let mut dx = vec![0.0; x.len()];
        max_over_time_backward(b, f, &probe, &arg, &mut dx);
        let worst = check("max_over_time.input", &x, &dx, loss);
        assert!(worst < 1e-3, "max over time max rel diff {worst}");
    }

    #[test]
    fn a_sequence_shorter_than_the_kernel_has_no_output_steps() {
        assert_eq!(ConvDims { b: 1, t: 2, e: 1, w: 3, f: 1 }.t_out(), 0);
    }
}
