//! Dense (fully connected) layer: `y = x·W + b`, Keras layout (`W` is `[I, O]`).

use crate::gemm::{gemm, Gemm};

/// Sizes of one dense call: `b` rows (the batch, or the chunk of it one core handles), `i`
/// inputs and `o` outputs per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DenseDims {
    pub b: usize,
    pub i: usize,
    pub o: usize,
}

/// Where backward writes: parameter gradients are accumulated (`+=`), `dx` is overwritten.
pub struct DenseGrads<'a> {
    /// `[I, O]`
    pub kernel: &'a mut [f32],
    /// `[O]`
    pub bias: &'a mut [f32],
    /// `[B, I]`, only when the layer below needs it
    pub dx: Option<&'a mut [f32]>,
}

/// `out[B, O] = x[B, I] · kernel[I, O] + bias[O]`.
pub fn forward(d: DenseDims, x: &[f32], kernel: &[f32], bias: &[f32], out: &mut [f32]) {
    for row in out[..d.b * d.o].chunks_exact_mut(d.o) {
        row.copy_from_slice(bias);
    }
    gemm(Gemm::new(d.b, d.i, d.o).accumulate(), x, kernel, out);
}

/// From `dout: [B, O]`: `grads.kernel += xᵀ·dout`, `grads.bias += Σ_b dout`, and
/// `grads.dx = dout·kernelᵀ` when given.
pub fn backward(d: DenseDims, x: &[f32], kernel: &[f32], dout: &[f32], grads: DenseGrads) {
    gemm(Gemm::new(d.i, d.b, d.o).transpose_a().accumulate(), x, dout, grads.kernel);
    for row in dout[..d.b * d.o].chunks_exact(d.o) {
        grads.bias.iter_mut().zip(row).for_each(|(a, g)| *a += g);
    }
    if let Some(dx) = grads.dx {
        gemm(Gemm::new(d.b, d.o, d.i).transpose_b(), dout, kernel, dx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;
    use crate::Rng;

    #[test]
    fn gradient_matches_finite_differences() {
        let d = DenseDims { b: 3, i: 4, o: 2 };
        let (b, i, o) = (d.b, d.i, d.o);
        let mut rng = Rng::new(5);
        let mut r = |n: usize| (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect::<Vec<f32>>();
        let (x, w, bias, probe) = (r(b * i), r(i * o), r(o), r(b * o));
        let loss = |x: &[f32], w: &[f32], bias: &[f32]| {
            let mut out = vec![0.0; b * o];
            forward(d, x, w, bias, &mut out);
            out.iter().zip(&probe).map(|(a, p)| (a * p) as f64).sum::<f64>()
        };
        let (mut dw, mut db, mut dx) = (vec![0.0; w.len()], vec![0.0; o], vec![0.0; x.len()]);
        backward(d, &x, &w, &probe, DenseGrads { kernel: &mut dw, bias: &mut db, dx: Some(&mut dx) });
        for worst in [
            check("dense.kernel", &w, &dw, |v| loss(&x, v, &bias)),
            check("dense.bias", &bias, &db, |v| loss(&x, &w, v)),
            check("dense.input", &x, &dx, |v| loss(v, &w, &bias)),
        ] {
            assert!(worst < 1e-2, "dense max rel diff {worst}");
        }
    }
}
