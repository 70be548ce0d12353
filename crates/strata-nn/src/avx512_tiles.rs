//! AVX-512 register tiles: `C (+)= op(A) · B` with `B` row-major and read in place, unpacked.
//!
//! One kernel serves both the recurrence's per-step products (`small_gemm`, `[16, 64] ×
//! [64, 256]`) and the big GEMMs of a recurrent layer (`gemm`, `[T·B, E] × [E, 4H]` and the
//! weight gradients), which is why `A` comes with two strides: `Op::T` operands are read where
//! they lie. Every output is a sequential FMA chain over `k` in order, so the result does not
//! depend on the tiling; how the chain meets `C` is the caller's [`Chain`]: one chain from `0`
//! or from `C` (the bits of `small_gemm`'s AVX2 kernel, which builds the same chain eight lanes
//! at a time), or one chain per `KC` slice added to `C` (the bits of `matrixmultiply`, which
//! had every width that is not a multiple of 8 before these tiles took them). One chain may
//! also start from rows of another table ([`StartRows`]: an LSTM step's `z` from its
//! rows' input projections, held once per distinct input row), the bits of copying them into
//! `C` first.
//!
//! Rows go `MB` (96) at a time, the outer loop, then `k` in `KC`-long slices, then `C` in
//! 32-column blocks (two ZMM wide; a 16-column block when 16 to 31 columns are left; a masked
//! block of the last 1 to 15 columns, read and written through `_mm512_maskz_loadu_ps` /
//! `_mm512_mask_storeu_ps`, so no access passes the row's end): a `[KC, 32]` strip
//! of `B` (32 KiB) stays in L1 while the block's row tiles use it, and the `[MB, KC]` slice of
//! `A` stays in L2 while every column block does (storing `C` between slices and loading it
//! back is exact, so the chain is unchanged). Within a block, rows go twelve at a time: 24 ZMM
//! accumulators, two `B` vectors and a broadcast out of 32 registers, three times the 8 chains
//! that FMA latency (4) × two 512-bit pipes need. Leftover rows take one 8-, one 4- and then
//! 1-row tiles, except that 16 leftover rows take two 8-row tiles rather than a 12- and a 4-row
//! one ([`next_tile_rows`]): a 4-row tile has exactly the 8 chains the pipes need, so any stall
//! idles them, and it is the shape of the recurrence's per-step products (each thread's 16 of a
//! 32-text batch) and of `hᵀ·dz` (64 rows). Two 8-row tiles run those ~8 % faster (same bits:
//! each output's chain does not depend on the tile).

use std::arch::x86_64::*;

/// The `k` slice whose `B` strip stays in L1; also `matrixmultiply`'s `k` block for `f32`
/// (`S_KC`), which [`Chain::PerSlice`] reproduces.
pub(crate) const KC: usize = 256;
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

/// How each output's FMA chain meets `C`: which rounding a product keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Chain {
    /// One chain over all of `k`, starting from `0` (overwrite) or from `C` (accumulate):
    /// strata's own kernels' order, for widths that are multiples of 8.
    Whole,
    /// One chain per `KC` slice of `k` starting from `0`, then added to `C` (to the previous
    /// slices' sum, or to `C` when accumulating): `matrixmultiply`'s order, kept for the widths
    /// it took before, so that their bits (and the pinned models') do not move.
    PerSlice,
}

/// What a tile's accumulators start from and how they are written back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// From `0`; `C` is overwritten (never read).
    Zero,
    /// From `C`: the chain continues where `C` stands.
    FromC,
    /// From `0`; `C + chain` is written (one rounding, as `matrixmultiply`'s epilogue).
    AddToC,
    /// From rows of another table ([`StartRows`]): the chain continues where those rows
    /// stand, as if they had been copied into `C` first (`FromC`'s bits).
    FromRows,
}

impl Chain {
    /// The start of the slice at `p0`, for a product that `accumulate`s into `C` or not.
    pub(crate) fn start(self, accumulate: bool, p0: usize) -> Start {
        match (self, accumulate || p0 > 0) {
            (_, false) => Start::Zero,
            (Chain::Whole, true) => Start::FromC,
            (Chain::PerSlice, true) => Start::AddToC,
        }
    }
}

/// `C[m, n] (+)= op(A)[m, k] · B[k, n]`, `C` and `B` row-major with `n` columns, each output
/// rounded as `chain` says.
///
/// # Safety
///
/// The CPU must have AVX-512 F; `a` must be readable at `i·s.row + p·s.col`, `b` at `p·n + j`
/// and `c` readable and writable at `i·n + j`, for every `i < m`, `p < k`, `j < n`.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn matmul(
    (m, k, n): (usize, usize, usize),
    a: *const f32,
    s: Strides,
    b: *const f32,
    (accumulate, chain): (bool, Chain),
    c: *mut f32,
) {
    matmul_plus_bias((m, k, n), a, s, b, (accumulate, chain), std::ptr::null(), StartRows::NONE, c)
}

/// Where a product's accumulators may start instead of `C` or zero: row `i` of `C` from row
/// `rows[i]` of `table` (`n` wide). A recurrent step's `z = x·W + b` row by row out of its
/// distinct input rows' projections, read where they lie instead of copied into `C` first.
#[derive(Clone, Copy)]
pub(crate) struct StartRows {
    pub table: *const f32,
    pub rows: *const u32,
}

impl StartRows {
    /// No start rows: the accumulators start as `chain` says.
    pub(crate) const NONE: StartRows = StartRows { table: std::ptr::null(), rows: std::ptr::null() };

    /// The rows from row `i` on, the table from column `j` on (`NONE` stays `NONE`: the
    /// offsets wrap, and a null table or rows is never read).
    fn at(self, i: usize, j: usize) -> StartRows {
        StartRows { table: self.table.wrapping_add(j), rows: self.rows.wrapping_add(i) }
    }
}

/// [`matmul`], then `C[i, j] += bias[j]` on every row (no bias when `bias` is null), added as
/// each tile of `C` is stored after its last `k` slice: the same single rounding as a second
/// pass over `C`, so the same bits, without reading and writing `C` again (the LSTM's input
/// projection `x·W + bias` is `[T·B, 4H]`, larger than L2). With start rows (`from` not
/// [`StartRows::NONE`]: only for one-chain accumulation, `accumulate` and [`Chain::Whole`]), row
/// `i`'s first `k` slice starts from `from.table[from.rows[i]·n ..]` instead of from `C`: the bits
/// of copying those rows into `C` first, without the copy.
///
/// # Safety
///
/// As [`matmul`]; `bias`, when not null, must be readable at `0..n`; with start rows,
/// `from.rows` must be readable at `0..m`, `from.table` at `from.rows[i]·n + j` for every
/// `i < m`, `j < n`, and the table must not overlap `C` (a row written would change a row read
/// later).
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn matmul_plus_bias(
    (m, k, n): (usize, usize, usize),
    a: *const f32,
    s: Strides,
    b: *const f32,
    (accumulate, chain): (bool, Chain),
    bias: *const f32,
    from: StartRows,
    c: *mut f32,
) {
    // rows start only the one-chain accumulation: under `PerSlice` the first slice would start
    // from them and the last add `C` again, which is not copying them into `C` first
    debug_assert!(from.rows.is_null() || (accumulate && chain == Chain::Whole));
    let mut i0 = 0;
    // m = 0 writes nothing; otherwise at least one k slice, so that k = 0 still writes C = 0
    while i0 < m {
        let mb = MB.min(m - i0);
        let mut p0 = 0;
        loop {
            let kc = KC.min(k - p0);
            // k = 0 adds nothing: C stays as it is (C + 0 would turn −0 into +0)
            let start = if kc == 0 && accumulate { Start::FromC } else { chain.start(accumulate, p0) };
            let start = if p0 == 0 && !from.rows.is_null() { Start::FromRows } else { start };
            let last_slice = p0 + kc >= k;
            let mut j = 0;
            while j < n {
                let (a, b, c) = (a.add(i0 * s.row + p0 * s.col), b.add(p0 * n + j), c.add(i0 * n + j));
                let bias = if last_slice && !bias.is_null() { bias.add(j) } else { std::ptr::null() };
                let from = if start == Start::FromRows { from.at(i0, j) } else { StartRows::NONE };
                let block = Block { kc, n, a, s, b, c, start, bias, from };
                let left = n - j;
                if left >= 32 {
                    rows::<2, false>(mb, block, 0);
                    j += 32;
                } else if left >= 16 {
                    rows::<1, false>(mb, block, 0);
                    j += 16;
                } else {
                    rows::<1, true>(mb, block, (1u16 << left) - 1);
                    j = n;
                }
            }
            p0 += kc;
            if p0 >= k {
                break;
            }
        }
        i0 += mb;
    }
}

/// One column block over one `k` slice: where its operands start, and how `C` is met.
#[derive(Clone, Copy)]
struct Block {
    kc: usize,
    n: usize,
    a: *const f32,
    s: Strides,
    b: *const f32,
    c: *mut f32,
    start: Start,
    /// the block's first column of the bias added as `C` is stored; null: none (or not the
    /// last `k` slice)
    bias: *const f32,
    /// with [`Start::FromRows`]: the table at the block's first column, and the block's rows'
    /// indices into it
    from: StartRows,
}

/// All `m` rows of one block, `W` ZMM columns wide; when `MASKED`, the last ZMM column holds
/// only the lanes `mask` sets.
///
/// # Safety
///
/// As [`matmul`], for the block's `kc` and `16·(W − 1)` columns plus, for the last ZMM
/// column, 16 (unmasked) or the lanes of `mask`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn rows<const W: usize, const MASKED: bool>(m: usize, blk: Block, mask: __mmask16) {
    let at = |i: usize| Block { a: blk.a.add(i * blk.s.row), c: blk.c.add(i * blk.n), from: blk.from.at(i, 0), ..blk };
    let mut i = 0;
    while i < m {
        let rows = next_tile_rows(m - i);
        match rows {
            MR => tile::<MR, W, MASKED>(at(i), mask),
            8 => tile::<8, W, MASKED>(at(i), mask),
            4 => tile::<4, W, MASKED>(at(i), mask),
            _ => tile::<1, W, MASKED>(at(i), mask),
        }
        i += rows;
    }
}

/// The rows of the next register tile when `left` rows remain: 12 while at least 12 remain,
/// but two 8s for the last 16 (see the module's note), then 8, 4 and 1.
#[inline(always)]
fn next_tile_rows(left: usize) -> usize {
    match left {
        16 => 8,
        l if l >= MR => MR,
        l if l >= 8 => 8,
        l if l >= 4 => 4,
        _ => 1,
    }
}

/// Loads 16 values at `p`, or only the lanes of `mask` (the rest read as 0, never touched in
/// memory) when `masked`.
///
/// # Safety
///
/// The CPU must have AVX-512 F; `p` must be readable at `0..16`, or at the lanes `mask` sets
/// when `masked`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load(p: *const f32, masked: bool, mask: __mmask16) -> __m512 {
    if masked {
        _mm512_maskz_loadu_ps(mask, p)
    } else {
        _mm512_loadu_ps(p)
    }
}

/// Stores 16 values at `p`, or only the lanes of `mask` when `masked`.
///
/// # Safety
///
/// The CPU must have AVX-512 F; `p` must be writable at `0..16`, or at the lanes `mask` sets
/// when `masked`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn store(p: *mut f32, v: __m512, masked: bool, mask: __mmask16) {
    if masked {
        _mm512_mask_storeu_ps(p, mask, v)
    } else {
        _mm512_storeu_ps(p, v)
    }
}

/// `C[0..R, 0..16·W] (+)= op(A)[0..R, 0..kc] · B[0..kc, 0..16·W]`, the last ZMM column
/// masked when `MASKED`.
///
/// # Safety
///
/// As [`rows`], for `R` rows.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn tile<const R: usize, const W: usize, const MASKED: bool>(blk: Block, mask: __mmask16) {
    let Block { kc, n, a, s, b, c, start, bias, from } = blk;
    let masked = |w: usize| MASKED && w == W - 1;
    let mut acc = [[_mm512_setzero_ps(); W]; R];
    if start == Start::FromC || start == Start::FromRows {
        for (r, row) in acc.iter_mut().enumerate() {
            let at = match start {
                Start::FromRows => from.table.add(*from.rows.add(r) as usize * n),
                _ => c.add(r * n),
            };
            for (w, v) in row.iter_mut().enumerate() {
                *v = load(at.add(16 * w), masked(w), mask);
            }
        }
    }
    for p in 0..kc {
        let mut bv = [_mm512_setzero_ps(); W];
        for (w, v) in bv.iter_mut().enumerate() {
            *v = load(b.add(p * n + 16 * w), masked(w), mask);
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
            let at = c.add(r * n + 16 * w);
            let v = if start == Start::AddToC { _mm512_add_ps(load(at, masked(w), mask), *v) } else { *v };
            let v = if bias.is_null() { v } else { _mm512_add_ps(v, load(bias.add(16 * w), masked(w), mask)) };
            store(at, v, masked(w), mask);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(m: usize) -> Vec<usize> {
        let mut left = m;
        let mut out = Vec::new();
        while left > 0 {
            let r = next_tile_rows(left);
            out.push(r);
            left -= r;
        }
        out
    }

    /// Sixteen leftover rows (the per-step products' 16, `hᵀ·dz`'s 64) take two 8-row tiles,
    /// not a 12- and a 4-row one; every other count keeps the 12-first plan, and every plan
    /// covers its rows exactly once.
    #[test]
    fn sixteen_leftover_rows_take_two_eight_row_tiles() {
        assert_eq!(plan(16), [8, 8]);
        assert_eq!(plan(64), [12, 12, 12, 12, 8, 8]);
        assert_eq!(plan(28), [12, 8, 8]);
        assert_eq!(plan(96), [12; 8]);
        assert_eq!(plan(15), [12, 1, 1, 1]);
        assert_eq!(plan(13), [12, 1]);
        assert_eq!(plan(20), [12, 8]);
        assert_eq!(plan(7), [4, 1, 1, 1]);
        for m in 0..200 {
            assert_eq!(plan(m).iter().sum::<usize>(), m, "{m}");
        }
    }
}
