//! Keras's default initialisers, so that a strata model starts where the seed's Keras model does:
//! `uniform(-0.05, 0.05)` embeddings, `glorot_uniform` kernels, `orthogonal` recurrent kernels,
//! zero biases with the LSTM forget gate at 1 (`unit_forget_bias`).

use crate::Rng;

/// `RandomUniform(-limit, limit)`.
pub fn uniform(w: &mut [f32], limit: f32, rng: &mut Rng) {
    w.iter_mut().for_each(|x| *x = rng.uniform(-limit, limit));
}

/// `glorot_uniform` for a `[fan_in, fan_out]` kernel: U(±sqrt(6 / (fan_in + fan_out))).
pub fn glorot_uniform(w: &mut [f32], fan_in: usize, fan_out: usize, rng: &mut Rng) {
    assert_eq!(w.len(), fan_in * fan_out, "glorot_uniform: buffer is not [fan_in, fan_out]");
    uniform(w, (6.0 / (fan_in + fan_out) as f32).sqrt(), rng);
}

/// `orthogonal` for a `[rows, cols]` matrix, as Keras does it: QR of a normal matrix of the
/// taller orientation, columns signed by `diag(R)`, transposed back when `rows < cols`. The
/// result has orthonormal rows (`rows <= cols`) or columns.
pub fn orthogonal(w: &mut [f32], rows: usize, cols: usize, rng: &mut Rng) {
    assert_eq!(w.len(), rows * cols, "orthogonal: buffer is not [rows, cols]");
    let (n, m) = if rows < cols { (cols, rows) } else { (rows, cols) }; // a is [n, m], n >= m
    let mut a: Vec<f64> = (0..n * m).map(|_| rng.normal()).collect();
    // Modified Gram–Schmidt on the columns of `a`: gives Q with R's diagonal positive, which
    // is what Keras's `q * sign(diag(r))` produces.
    for j in 0..m {
        for k in 0..j {
            let dot: f64 = (0..n).map(|i| a[i * m + j] * a[i * m + k]).sum();
            for i in 0..n {
                a[i * m + j] -= dot * a[i * m + k];
            }
        }
        let norm: f64 = (0..n).map(|i| a[i * m + j] * a[i * m + j]).sum::<f64>().sqrt();
        for i in 0..n {
            a[i * m + j] /= norm;
        }
    }
    for r in 0..rows {
        for c in 0..cols {
            let v = if rows < cols { a[c * m + r] } else { a[r * m + c] };
            w[r * cols + c] = v as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_rows_are_orthonormal() {
        let (r, c) = (8, 32);
        let mut w = vec![0.0; r * c];
        orthogonal(&mut w, r, c, &mut Rng::new(1));
        for i in 0..r {
            for j in 0..r {
                let d: f32 = (0..c).map(|k| w[i * c + k] * w[j * c + k]).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((d - want).abs() < 1e-5, "row {i}·row {j} = {d}");
            }
        }
    }

    #[test]
    fn glorot_stays_in_its_limit() {
        let mut w = vec![0.0; 128 * 256];
        glorot_uniform(&mut w, 128, 256, &mut Rng::new(2));
        let limit = (6.0f32 / 384.0).sqrt();
        assert!(w.iter().all(|x| x.abs() <= limit));
        assert!(w.iter().any(|x| x.abs() > 0.9 * limit));
    }
}
