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

/// One product `C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C`, all row-major: its
/// sizes, how each operand is stored, and the two scalars — everything but the buffers.
/// `A` is stored `[m, k]` (`Op::N`) or `[k, m]` (`Op::T`); likewise `B` `[k, n]` or `[n, k]`.
///
/// `Gemm::new(m, k, n)` is `C = A · B` (both as stored, `alpha = 1`, `beta = 0`); each builder
/// changes one thing:
///
/// ```
/// use strata_nn::gemm::{gemm, Gemm};
/// let (b, i, o) = (2, 3, 1);
/// let (x, dy) = (vec![1.0; b * i], vec![0.5; b * o]); // [B, I], [B, O]
/// let mut dw = vec![1.0; i * o]; // [I, O]
/// gemm(Gemm::new(i, b, o).transpose_a().accumulate(), &x, &dy, &mut dw); // dw += xᵀ · dy
/// assert_eq!(dw, [2.0; 3]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gemm {
    /// rows of `op(A)` and `C`
    pub m: usize,
    /// the summed dimension: columns of `op(A)`, rows of `op(B)`
    pub k: usize,
    /// columns of `op(B)` and `C`
    pub n: usize,
    pub op_a: Op,
    pub op_b: Op,
    pub alpha: f32,
    /// `0` overwrites `C` (even if it held NaN); `1` adds to it
    pub beta: f32,
}

impl Gemm {
    /// `C[m, n] = A[m, k] · B[k, n]`.
    pub const fn new(m: usize, k: usize, n: usize) -> Gemm {
        Gemm { m, k, n, op_a: Op::N, op_b: Op::N, alpha: 1.0, beta: 0.0 }
    }

    /// `A` is stored `[k, m]` and used transposed.
    pub const fn transpose_a(self) -> Gemm {
        Gemm { op_a: Op::T, ..self }
    }

    /// `B` is stored `[n, k]` and used transposed.
    pub const fn transpose_b(self) -> Gemm {
        Gemm { op_b: Op::T, ..self }
    }

    /// `C += …` rather than `C = …` (`beta = 1`).
    pub const fn accumulate(self) -> Gemm {
        Gemm { beta: 1.0, ..self }
    }
}

/// Whether a buffer of `len` values holds a `[rows, cols]` matrix. Checked: `rows · cols` that
/// wraps past `usize::MAX` would let a short buffer through to the unsafe kernels.
pub(crate) fn holds(len: usize, rows: usize, cols: usize) -> bool {
    rows.checked_mul(cols).is_some_and(|need| len >= need)
}

/// `C = alpha · op(A) · op(B) + beta · C` as `g` describes it.
pub fn gemm(g: Gemm, a: &[f32], b: &[f32], c: &mut [f32]) {
    let Gemm { m, k, n, op_a, op_b, alpha, beta } = g;
    assert!(holds(a.len(), m, k) && holds(b.len(), k, n) && holds(c.len(), m, n), "gemm: buffer too small");
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
pub fn gemm_naive(g: Gemm, a: &[f32], b: &[f32], c: &mut [f32]) {
    let Gemm { m, k, n, op_a, op_b, alpha, beta } = g;
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
    #[should_panic(expected = "gemm: buffer too small")]
    fn sizes_whose_products_wrap_are_refused() {
        // 2^32 · 2^32 wraps to 0 in unchecked arithmetic, so empty buffers would pass
        let big = 1usize << 32;
        gemm(Gemm::new(big, big, big), &[], &[], &mut []);
    }

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
                    let g = Gemm { op_a, op_b, alpha: 0.7, beta, ..Gemm::new(m, k, n) };
                    gemm(g, &a, &b, &mut c1);
                    gemm_naive(g, &a, &b, &mut c2);
                    for (x, y) in c1.iter().zip(&c2) {
                        assert!((x - y).abs() < 1e-5, "{op_a:?}{op_b:?} beta {beta}: {x} vs {y}");
                    }
                }
            }
        }
    }
}
