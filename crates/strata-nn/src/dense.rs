//! Dense (fully connected) layer: `y = x·W + b`, Keras layout (`W` is `[I, O]`).

use crate::gemm::{gemm, Gemm};

/// `out[B, O] = x[B, I] · w[I, O] + bias[O]`.
pub fn forward(b: usize, i: usize, o: usize, x: &[f32], w: &[f32], bias: &[f32], out: &mut [f32]) {
    for row in out[..b * o].chunks_exact_mut(o) {
        row.copy_from_slice(bias);
    }
    gemm(Gemm::new(b, i, o).accumulate(), x, w, out);
}

/// Accumulates `dw += xᵀ·dout`, `dbias += Σ_b dout`; overwrites `dx = dout·wᵀ` when given.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    b: usize,
    i: usize,
    o: usize,
    x: &[f32],
    w: &[f32],
    dout: &[f32],
    dw: &mut [f32],
    dbias: &mut [f32],
    dx: Option<&mut [f32]>,
) {
    gemm(Gemm::new(i, b, o).transpose_a().accumulate(), x, dout, dw);
    for row in dout[..b * o].chunks_exact(o) {
        dbias.iter_mut().zip(row).for_each(|(a, g)| *a += g);
    }
    if let Some(dx) = dx {
        gemm(Gemm::new(b, o, i).transpose_b(), dout, w, dx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;
    use crate::Rng;

    #[test]
    fn gradient_matches_finite_differences() {
        let (b, i, o) = (3, 4, 2);
        let mut rng = Rng::new(5);
        let mut r = |n: usize| (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect::<Vec<f32>>();
        let (x, w, bias, probe) = (r(b * i), r(i * o), r(o), r(b * o));
        let loss = |x: &[f32], w: &[f32], bias: &[f32]| {
            let mut out = vec![0.0; b * o];
            forward(b, i, o, x, w, bias, &mut out);
            out.iter().zip(&probe).map(|(a, p)| (a * p) as f64).sum::<f64>()
        };
        let (mut dw, mut db, mut dx) = (vec![0.0; w.len()], vec![0.0; o], vec![0.0; x.len()]);
        backward(b, i, o, &x, &w, &probe, &mut dw, &mut db, Some(&mut dx));
        for worst in [
            check("dense.kernel", &w, &dw, |v| loss(&x, v, &bias)),
            check("dense.bias", &bias, &db, |v| loss(&x, &w, v)),
            check("dense.input", &x, &dx, |v| loss(v, &w, &bias)),
        ] {
            assert!(worst < 1e-2, "dense max rel diff {worst}");
        }
    }
}
