//! Conv1D over time (Keras `Conv1D(filters, kernel_size, padding="valid", activation="relu")`),
//! the building block of Kim's (2014) sentence CNN, and global max pooling over time.
//!
//! Forward gathers each output step's window into a row (im2col, `[T'·B, W·E]`) and multiplies
//! by the kernel (`[W, E, F]`, Keras's layout, seen as `[W·E, F]`) in one GEMM; backward is the
//! transposed products and a scatter-add of the window gradients back onto the input.
//!
//! # Shapes
//! input `[T, B, E]` (time-major), output `[T', B, F]` with `T' = T − W + 1`.

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
}

/// Activations kept for backward.
#[derive(Default)]
pub struct ConvCache {
    /// `[T'·B, W·E]` windows
    cols: Vec<f32>,
    /// `[T', B, F]` output after ReLU
    pub out: Vec<f32>,
}

fn im2col(d: ConvDims, x: &[f32], cols: &mut [f32]) {
    let (b, e, we) = (d.b, d.e, d.w * d.e);
    for s in 0..d.t_out() {
        for bi in 0..b {
            let row = &mut cols[(s * b + bi) * we..(s * b + bi + 1) * we];
            for k in 0..d.w {
                row[k * e..(k + 1) * e].copy_from_slice(&x[((s + k) * b + bi) * e..((s + k) * b + bi + 1) * e]);
            }
        }
    }
}

/// `out = relu(windows · kernel + bias)`; `kernel: [W, E, F]`, `bias: [F]`.
pub fn forward(d: ConvDims, x: &[f32], kernel: &[f32], bias: &[f32], cache: &mut ConvCache) {
    assert_eq!(x.len(), d.t * d.b * d.e, "conv1d: input is not [T, B, E]");
    let rows = d.t_out() * d.b;
    cache.cols.resize(rows * d.w * d.e, 0.0);
    cache.out.resize(rows * d.f, 0.0);
    im2col(d, x, &mut cache.cols);
    for row in cache.out.chunks_exact_mut(d.f) {
        row.copy_from_slice(bias);
    }
    gemm(Gemm::new(rows, d.w * d.e, d.f).accumulate(), &cache.cols, kernel, &mut cache.out);
    cache.out.iter_mut().for_each(|v| *v = v.max(0.0));
}

/// Backward from `dout: [T', B, F]`: accumulates kernel and bias gradients; writes `dx`
/// (`[T, B, E]`, overwritten) when given.
pub fn backward(
    d: ConvDims,
    kernel: &[f32],
    cache: &ConvCache,
    dout: &[f32],
    dkernel: &mut [f32],
    dbias: &mut [f32],
    dx: Option<&mut [f32]>,
) {
    let (rows, we) = (d.t_out() * d.b, d.w * d.e);
    // through the ReLU
    let dpre: Vec<f32> = dout.iter().zip(&cache.out).map(|(g, y)| if *y > 0.0 { *g } else { 0.0 }).collect();
    gemm(Gemm::new(we, rows, d.f).transpose_a().accumulate(), &cache.cols, &dpre, dkernel);
    dpre.chunks_exact(d.f).for_each(|r| dbias.iter_mut().zip(r).for_each(|(a, v)| *a += v));
    if let Some(dx) = dx {
        let mut dcols = vec![0.0f32; rows * we];
        gemm(Gemm::new(rows, d.f, we).transpose_b(), &dpre, kernel, &mut dcols);
        dx.fill(0.0);
        let (b, e) = (d.b, d.e);
        for s in 0..d.t_out() {
            for bi in 0..b {
                let row = &dcols[(s * b + bi) * we..(s * b + bi + 1) * we];
                for k in 0..d.w {
                    let dst = &mut dx[((s + k) * b + bi) * e..((s + k) * b + bi + 1) * e];
                    dst.iter_mut().zip(&row[k * e..(k + 1) * e]).for_each(|(a, v)| *a += v);
                }
            }
        }
    }
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
        backward(d, &k, &c, &probe, &mut dk, &mut db, Some(&mut dx));
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
        backward(d, &k, &c, &probe, &mut dk, &mut [0.0; 4], None);
        assert!(dk.iter().all(|&g| g == 0.0));
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
