//! AVX-512 register tiles: `C (+)= op(A) · B` with `B` row-major and read in place, unpacked.
//!
//! One kernel serves both the recurrence's per-step products (`small_gemm`, `[16, 64] ×
//! [64, 256]`) and the big GEMMs of a recurrent layer (`gemm`, `[T·B, E] × [E, 4H]` and the
//! weight gradients), which is why `A` comes with two strides: `Op::T` operands are read where
//! they lie. Every output is ONE sequential FMA chain over `k` in order, from `0` or from `C`,
//! so the result does not depend on the tiling, and it has the bits of `small_gemm`'s AVX2
//! kernel, which builds the same chain eight lanes at a time.
//!
//! Rows go `MB` (96) at a time, the outer loop, then `k` in `KC`-long slices, then `C` in
//! 32-column blocks (two ZMM wide; a 16-column block when `n % 32 == 16`): a `[KC, 32]` strip
//! of `B` (32 KiB) stays in L1 while the block's row tiles use it, and the `[MB, KC]` slice of
//! `A` stays in L2 while every column block does (storing `C` between slices and loading it
//! back is exact, so the chain is unchanged). Within a block, rows go twelve at a time: 24 ZMM
//! accumulators, two `B` vectors and a broadcast out of 32 registers, three times the 8 chains
//! that FMA latency (4) × two 512-bit pipes need. Leftover rows take one 8-, one 4- and then
//! 1-row tiles.

use std::arch::x86_64::*;

/// The `k` slice whose `B` strip stays in L1.
const KC: usize = 256;
/// Rows of the main register tile.
const MR: usize = 12;
/// Rows of `A` whose `[MB, KC]` slice stays in L2 while every column block of `C` uses it.
const MB: usize = 8 * MR;

/// Where `A` lies: element `(i, p)` of `op(A)` is at `i·row + p·col`.
#[derive(Clone, Copy)]
pub(crate) struct Strides {
    pub row: usize,
    pub col: usize,
}

/// `C[m, n] (+)= op(A)[m, k] · B[k, n]`, `C` and `B` row-major with `n` columns.
///
/// # Safety
///
/// The CPU must have AVX-512 F; `n` must be a multiple of 16; `a` must be readable at
/// `i·s.row + p·s.col`, `b` at `p·n + j` and `c` readable and writable at `i·n + j`, for every
/// `i < m`, `p < k`, `j < n`.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn matmul(
    (m, k, n): (usize, usize, usize),
    a: *const f32,
    s: Strides,
    b: *const f32,
    accumulate: bool,
    c: *mut f32,
) {
    debug_assert!(n.is_multiple_of(16));
    let mut i0 = 0;
    // m = 0 writes nothing; otherwise at least one k slice, so that k = 0 still writes C = 0
    while i0 < m {
        let mb = MB.min(m - i0);
        let mut p0 = 0;
        loop {
            let kc = KC.min(k - p0);
            let load_c = accumulate || p0 > 0;
            let mut j = 0;
            while j < n {
                let wide = n - j >= 32;
                let (a, b, c) = (a.add(i0 * s.row + p0 * s.col), b.add(p0 * n + j), c.add(i0 * n + j));
                let block = Block { kc, n, a, s, b, c };
                if wide {
                    rows::<2>(mb, block, load_c);
                } else {
                    rows::<1>(mb, block, load_c);
                }
                j += if wide { 32 } else { 16 };
            }
            p0 += kc;
            if p0 >= k {
                break;
            }
        }
        i0 += mb;
    }
}

/// One column block over one `k` slice: where its operands start.
#[derive(Clone, Copy)]
struct Block {
    kc: usize,
    n: usize,
    a: *const f32,
    s: Strides,
    b: *const f32,
    c: *mut f32,
}

/// All `m` rows of one block, `W` ZMM columns wide.
///
/// # Safety
///
/// As [`matmul`], for the block's `kc` and `16·W` columns.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn rows<const W: usize>(m: usize, blk: Block, load_c: bool) {
    let at = |i: usize| Block { a: blk.a.add(i * blk.s.row), c: blk.c.add(i * blk.n), ..blk };
    let mut i = 0;
    while i + MR <= m {
        tile::<MR, W>(at(i), load_c);
        i += MR;
    }
    if m - i >= 8 {
        tile::<8, W>(at(i), load_c);
        i += 8;
    }
    if m - i >= 4 {
        tile::<4, W>(at(i), load_c);
        i += 4;
    }
    while i < m {
        tile::<1, W>(at(i), load_c);
        i += 1;
    }
}

/// `C[0..R, 0..16·W] (+)= op(A)[0..R, 0..kc] · B[0..kc, 0..16·W]`.
///
/// # Safety
///
/// As [`matmul`], for `R` rows, `kc` and `16·W` columns.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn tile<const R: usize, const W: usize>(blk: Block, load_c: bool) {
    let Block { kc, n, a, s, b, c } = blk;
    let mut acc = [[_mm512_setzero_ps(); W]; R];
    if load_c {
        for (r, row) in acc.iter_mut().enumerate() {
            for (w, v) in row.iter_mut().enumerate() {
                *v = _mm512_loadu_ps(c.add(r * n + 16 * w));
            }
        }
    }
    for p in 0..kc {
        let mut bv = [_mm512_setzero_ps(); W];
        for (w, v) in bv.iter_mut().enumerate() {
            *v = _mm512_loadu_ps(b.add(p * n + 16 * w));
        }
        for (r, row) in acc.iter_mut().enumerate() {
            let av = _mm512_set1_ps(*a.add(r * s.row + p * s.col));
            for (v, bw) in row.iter_mut().zip(&bv) {
                *v = _mm512_fmadd_ps(av, *bw, *v);
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        for (w, v) in row.iter().enumerate() {
            _mm512_storeu_ps(c.add(r * n + 16 * w), *v);
        }
    }
}
