//! Register-blocked AVX2 and AVX-512 kernels for the recurrence's per-step products.
//!
//! Each recurrent step multiplies a small `[B, H]` state by the `[H, G·H]` recurrent kernel
//! (and, in backward, `[B, G·H]` by its `[G·H, H]` transpose), for the LSTM (`G = 4`) and the
//! GRU (`G = 3`). A general GEMM packs both operands on every call; at 100 steps per batch that
//! packing cost ~18% of training time. Here neither operand is packed: the right one is read in
//! place (row-major, rows contiguous), the left one is broadcast element by element.
//!
//! `C` is cut into 16-column blocks, the outer loop, so that a `[k, 16]` strip of `B` stays in
//! L1 while every row block uses it. Within a block, rows go six at a time: a 6×16 tile of `C`
//! is twelve YMM accumulators held for the whole `k` loop (with `B`'s two row vectors and the
//! broadcast of `A`, 15 of the 16 YMM registers). If four or five rows are left, four of them
//! take one 4×16 tile (eight accumulators); the rest go one row at a time (1×16, two
//! accumulators). When `n % 16 == 8` the last 8 columns are done one row at a time (1×8, one
//! accumulator).
//!
//! Where the CPU has AVX-512 (and `n % 16 == 0`), `avx512_tiles` does the same with 16-wide
//! vectors and 12×32 tiles; each output is the same sequential FMA chain over `k`, so both
//! kernels give identical bits. Shapes neither covers (`n` not a multiple of 8) and the
//! portable choice go to the general `gemm`. Which one runs is [`kernels::active`].

use crate::gemm::{gemm_with, holds, Gemm};
use crate::kernels::{self, Kernels};

/// `C[m, n] = A[m, k] · B[k, n]` (`accumulate = false`) or `C += A · B`, all row-major.
pub fn matmul(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], accumulate: bool, c: &mut [f32]) {
    matmul_with(kernels::active(), (m, k, n), a, b, accumulate, c)
}

/// [`matmul`] with the given kernel set (the tests force each one); a set the CPU lacks runs
/// the best it has below it.
// never inlined: a profile then tells the big GEMMs from the recurrence
#[inline(never)]
pub fn matmul_with(
    kernels: Kernels,
    (m, k, n): (usize, usize, usize),
    a: &[f32],
    b: &[f32],
    accumulate: bool,
    c: &mut [f32],
) {
    assert!(holds(a.len(), m, k) && holds(b.len(), k, n) && holds(c.len(), m, n), "matmul: buffer too small");
    #[cfg(target_arch = "x86_64")]
    {
        if kernels >= Kernels::Avx512 && n.is_multiple_of(16) && Kernels::Avx512.supported() {
            let s = crate::avx512_tiles::Strides { row: k, col: 1 };
            // SAFETY: AVX-512 F is present, n % 16 == 0 and the asserts above bound every access.
            unsafe { crate::avx512_tiles::matmul((m, k, n), a.as_ptr(), s, b.as_ptr(), accumulate, c.as_mut_ptr()) };
            return;
        }
        if kernels >= Kernels::Avx2 && n.is_multiple_of(8) && Kernels::Avx2.supported() {
            // SAFETY: AVX2/FMA are present and the asserts above bound every access.
            unsafe { avx2::matmul(m, k, n, a, b, accumulate, c) };
            return;
        }
    }
    let g = Gemm::new(m, k, n);
    gemm_with(kernels, if accumulate { g.accumulate() } else { g }, a, b, c);
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Rows per register tile: 6×16 keeps twelve accumulators in flight (FMA latency × two
    /// FMA pipes needs at least eight); leftover rows use 4-row and 1-row tiles.
    const MR: usize = 6;

    /// The kernel: `C (+)= A · B` tile by tile.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2 and FMA, `n` must be a multiple of 8, and `a`, `b` and `c` must
    /// hold at least `m·k`, `k·n` and `m·n` values: every pointer below is an offset derived
    /// from those sizes.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn matmul(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], accumulate: bool, c: &mut [f32]) {
        let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        let mut j = 0;
        while j + 16 <= n {
            let mut i = 0;
            while i + MR <= m {
                tile_rx16::<MR>(k, n, a.add(i * k), k, b.add(j), c.add(i * n + j), accumulate);
                i += MR;
            }
            while i + 4 <= m {
                tile_rx16::<4>(k, n, a.add(i * k), k, b.add(j), c.add(i * n + j), accumulate);
                i += 4;
            }
            for r in i..m {
                tile_1xw::<2>(k, n, a.add(r * k), b.add(j), c.add(r * n + j), accumulate);
            }
            j += 16;
        }
        if j < n {
            // one 8-wide column block left (n % 16 == 8)
            for r in 0..m {
                tile_1xw::<1>(k, n, a.add(r * k), b.add(j), c.add(r * n + j), accumulate);
            }
        }
    }

    /// `C[0..R, 0..16] (+)= A[0..R, 0..k] · B[0..k, 0..16]`; `ldb = ldc = n`, `lda`.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2 and FMA; `a` must be readable at `r·lda + p`, `b` at `p·n + 0..16`
    /// and `c` readable and writable at `r·n + 0..16`, for every `r < R` and `p < k`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile_rx16<const R: usize>(
        k: usize,
        n: usize,
        a: *const f32,
        lda: usize,
        b: *const f32,
        c: *mut f32,
        accumulate: bool,
    ) {
        let mut acc = [[_mm256_setzero_ps(); 2]; R];
        if accumulate {
            for (r, v) in acc.iter_mut().enumerate() {
                v[0] = _mm256_loadu_ps(c.add(r * n));
                v[1] = _mm256_loadu_ps(c.add(r * n + 8));
            }
        }
        for p in 0..k {
            let b0 = _mm256_loadu_ps(b.add(p * n));
            let b1 = _mm256_loadu_ps(b.add(p * n + 8));
            for (r, v) in acc.iter_mut().enumerate() {
                let av = _mm256_broadcast_ss(&*a.add(r * lda + p));
                v[0] = _mm256_fmadd_ps(av, b0, v[0]);
                v[1] = _mm256_fmadd_ps(av, b1, v[1]);
            }
        }
        for (r, v) in acc.iter().enumerate() {
            _mm256_storeu_ps(c.add(r * n), v[0]);
            _mm256_storeu_ps(c.add(r * n + 8), v[1]);
        }
    }

    /// One row, `W` × 8 columns.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2 and FMA; `a` must be readable at `0..k`, `b` at `p·n + 0..8·W`
    /// for every `p < k`, and `c` readable and writable at `0..8·W`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile_1xw<const W: usize>(
        k: usize,
        n: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        accumulate: bool,
    ) {
        let mut acc = [_mm256_setzero_ps(); W];
        if accumulate {
            for (w, v) in acc.iter_mut().enumerate() {
                *v = _mm256_loadu_ps(c.add(8 * w));
            }
        }
        for p in 0..k {
            let av = _mm256_broadcast_ss(&*a.add(p));
            for (w, v) in acc.iter_mut().enumerate() {
                *v = _mm256_fmadd_ps(av, _mm256_loadu_ps(b.add(p * n + 8 * w)), *v);
            }
        }
        for (w, v) in acc.iter().enumerate() {
            _mm256_storeu_ps(c.add(8 * w), *v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::gemm_naive;
    use crate::Rng;

    #[test]
    #[should_panic(expected = "matmul: buffer too small")]
    fn sizes_whose_products_wrap_are_refused() {
        // 2^32 · 2^32 wraps to 0 in unchecked arithmetic, so empty buffers would reach the kernel
        let big = 1usize << 32;
        matmul(big, big, big, &[], &[], false, &mut []);
    }

    /// Shapes that reach every tile: 12-, 8-, 4- and 1-row tiles, 32- and 16-column blocks
    /// (AVX-512), 16- and 8-column blocks (AVX2), `n` no kernel covers, `k` past one L1 slice.
    const SHAPES: [(usize, usize, usize); 13] = [
        (1, 1, 8),
        (3, 5, 8),
        (4, 64, 256),
        (5, 7, 24),
        (9, 13, 40),
        (16, 256, 64),
        (7, 3, 12),
        (2, 2, 2),
        (16, 64, 256),
        (25, 300, 48),
        (13, 0, 16),
        (30, 9, 80),
        (0, 4, 16),
    ];

    /// The same random `A`, `B`, `C` for a shape, whichever kernel runs.
    fn operands(seed: u64, (m, k, n): (usize, usize, usize)) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let mut rng = Rng::new(seed);
        let mut fill = |len: usize| (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect::<Vec<f32>>();
        (fill(m * k), fill(k * n), fill(m * n))
    }

    #[test]
    fn every_kernel_set_matches_naive_on_odd_shapes() {
        for kernels in Kernels::available() {
            for shape @ (m, k, n) in SHAPES {
                let (a, b, c0) = operands(4, shape);
                for accumulate in [false, true] {
                    let (mut fast, mut slow) = (c0.clone(), c0.clone());
                    matmul_with(kernels, shape, &a, &b, accumulate, &mut fast);
                    let g = Gemm::new(m, k, n);
                    gemm_naive(if accumulate { g.accumulate() } else { g }, &a, &b, &mut slow);
                    for (x, y) in fast.iter().zip(&slow) {
                        assert!((x - y).abs() < 1e-4, "{kernels} {m}x{k}x{n} acc={accumulate}: {x} vs {y}");
                    }
                }
            }
        }
    }

    /// The AVX-512 kernel builds each output's FMA chain in the AVX2 kernel's order, so a
    /// model's bits do not depend on which of the two the CPU runs.
    #[test]
    fn avx512_and_avx2_give_the_same_bits() {
        if !Kernels::Avx512.supported() {
            eprintln!("skipped: this CPU has no AVX-512");
            return;
        }
        for shape @ (m, k, n) in SHAPES {
            let (a, b, c0) = operands(5, shape);
            for accumulate in [false, true] {
                let (mut wide, mut narrow) = (c0.clone(), c0.clone());
                matmul_with(Kernels::Avx512, shape, &a, &b, accumulate, &mut wide);
                matmul_with(Kernels::Avx2, shape, &a, &b, accumulate, &mut narrow);
                let same = wide.iter().zip(&narrow).all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(same, "{m}x{k}x{n} acc={accumulate}");
            }
        }
    }
}
