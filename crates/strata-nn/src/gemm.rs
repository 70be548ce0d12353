//! Row-major single-precision GEMM: `C = alpha · op(A) · op(B) + beta · C`.
//!
//! The fast path is `matrixmultiply` (packed, register-blocked, AVX2/FMA at run time), called
//! single-threaded: strata parallelises over batch chunks instead, one per core, so that no
//! thread waits on another inside the recurrence. `gemm_naive` is the reference it is tested
//! against.

/// Whether an operand is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    N,
    T,
}

/// `C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C`, all row-major.
/// `A` is stored `[m, k]` (`Op::N`) or `[k, m]` (`Op::T`); likewise `B` `[k, n]` or `[n, k]`.
/// `beta = 0` overwrites `C` (even if it held NaN).
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    op_a: Op,
    b: &[f32],
    op_b: Op,
    beta: f32,
    c: &mut [f32],
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n, "gemm: buffer too small");
    if m == 0 || n == 0 {
        return;
    }
    let (rsa, csa) = match op_a {
        Op::N => (k as isize, 1),
        Op::T => (1, m as isize),
    };
    let (rsb, csb) = match op_b {
        Op::N => (n as isize, 1),
        Op::T => (1, k as isize),
    };
    // SAFETY: the asserts above guarantee every index matrixmultiply derives from
    // (m, k, n) and these strides lies inside the slices.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// Straightforward triple loop, the reference for `gemm`.
#[allow(clippy::too_many_arguments)]
pub fn gemm_naive(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    op_a: Op,
    b: &[f32],
    op_b: Op,
    beta: f32,
    c: &mut [f32],
) {
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f64;
            for l in 0..k {
                let av = if op_a == Op::N { a[i * k + l] } else { a[l * m + i] };
                let bv = if op_b == Op::N { b[l * n + j] } else { b[j * k + l] };
                s += av as f64 * bv as f64;
            }
            let old = if beta == 0.0 { 0.0 } else { beta * c[i * n + j] };
            c[i * n + j] = alpha * s as f32 + old;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;

    #[test]
    fn matches_naive_for_all_transpositions() {
        let mut rng = Rng::new(9);
        let (m, k, n) = (7, 13, 5);
        let a: Vec<f32> = (0..m * k).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let c0: Vec<f32> = (0..m * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
        for op_a in [Op::N, Op::T] {
            for op_b in [Op::N, Op::T] {
                for beta in [0.0, 1.0, 0.5] {
                    let mut c1 = c0.clone();
                    let mut c2 = c0.clone();
                    gemm(m, k, n, 0.7, &a, op_a, &b, op_b, beta, &mut c1);
                    gemm_naive(m, k, n, 0.7, &a, op_a, &b, op_b, beta, &mut c2);
                    for (x, y) in c1.iter().zip(&c2) {
                        assert!((x - y).abs() < 1e-5, "{op_a:?}{op_b:?} beta {beta}: {x} vs {y}");
                    }
                }
            }
        }
    }
}
