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
//! take one 4×16 tile (eight accumulators); the rest go one row at a time. Then an 8-column
//! block if 8 to 15 columns are left, and a masked block of the last 1 to 7
//! (`_mm256_maskload_ps` / `_mm256_maskstore_ps`: no access passes a row's end), so every
//! width stays on the tiles: the GRU's 50 units make `[B, 50] × [50, 150]` and
//! `[B, 150] × [150, 50]`.
//!
//! Where the CPU has AVX-512, `avx512_tiles` does the same with 16-wide vectors and 12×32
//! tiles (masked past the last 16-column block). Each output is a sequential FMA chain over
//! `k` in both kernels, met with `C` as [`chain_for`] says: widths that are multiples of 8 keep
//! one chain from `C` (these kernels' bits since they were written), other widths one chain
//! per 256-long `k` slice added to `C` (the bits of `matrixmultiply`, which took them before),
//! so no model's numbers move and both kernels give identical bits for every width. The
//! portable choice goes to the general `gemm`. Which one runs is [`kernels::active`].
//! [`matmul_from_rows`] starts each row's chain from a row of another table instead of `C`
//! (an LSTM step's `z` from its rows' input projections, held once per distinct input row).

#[cfg(target_arch = "x86_64")]
use crate::avx512_tiles::Chain;
use crate::gemm::{gemm_with, holds, Gemm};
use crate::kernels::{self, Kernels};

/// `C[m, n] = A[m, k] · B[k, n]` (`accumulate = false`) or `C += A · B`, all row-major.
pub fn matmul(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], accumulate: bool, c: &mut [f32]) {
    matmul_with(kernels::active(), (m, k, n), a, b, accumulate, c)
}

/// How an output of width `n` is rounded: one FMA chain for the widths these kernels always
/// took (multiples of 8), `matrixmultiply`'s per-slice sums for the others.
#[cfg(target_arch = "x86_64")]
pub(crate) fn chain_for(n: usize) -> Chain {
    if n.is_multiple_of(8) {
        Chain::Whole
    } else {
        Chain::PerSlice
    }
}

/// Which kernel [`matmul_with`] runs for a set (the tests check that every width stays on
/// the tiles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Avx512Tiles,
    Avx2Tiles,
    Gemm,
}

/// The kernel the set `kernels` runs on this CPU: the widest tiles it has, at any width.
pub(crate) fn route(kernels: Kernels) -> Route {
    if kernels >= Kernels::Avx512 && Kernels::Avx512.supported() {
        Route::Avx512Tiles
    } else if kernels >= Kernels::Avx2 && Kernels::Avx2.supported() {
        Route::Avx2Tiles
    } else {
        Route::Gemm
    }
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
    match route(kernels) {
        #[cfg(target_arch = "x86_64")]
        Route::Avx512Tiles => {
            let s = crate::avx512_tiles::Strides { row: k, col: 1 };
            let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
            // SAFETY: AVX-512 F is present and the asserts above bound every access.
            unsafe { crate::avx512_tiles::matmul((m, k, n), a, s, b, (accumulate, chain_for(n)), c) };
        }
        #[cfg(target_arch = "x86_64")]
        Route::Avx2Tiles => {
            // SAFETY: AVX2/FMA are present and the asserts above bound every access.
            unsafe { avx2::matmul((m, k, n), a, b, (accumulate, chain_for(n)), c) };
        }
        _ => {
            let g = Gemm::new(m, k, n);
            gemm_with(kernels, if accumulate { g.accumulate() } else { g }, a, b, c);
        }
    }
}

/// `C[i, :] = table[rows[i], :] + A[i, :] · B` for each of the `m` rows (`table` and `C` `n`
/// wide): the bits of copying those rows into `C` and calling [`matmul`] with `accumulate`.
/// A recurrent step's `z = (x·W + b) + h·U` when its rows' input projections are held once per
/// distinct input row: the AVX-512 tiles start their accumulators from the table's rows where
/// they lie (for widths that are multiples of 8, whose chain starts from `C`); the other kernels
/// copy the rows into `C` first. Panics when a buffer is shorter than its shape, `rows` has
/// fewer than `m` entries, or one names a row past `table`.
pub fn matmul_from_rows(
    (m, k, n): (usize, usize, usize),
    a: &[f32],
    b: &[f32],
    (table, rows): (&[f32], &[u32]),
    c: &mut [f32],
) {
    matmul_from_rows_with(kernels::active(), (m, k, n), a, b, (table, rows), c)
}

/// [`matmul_from_rows`] with the given kernel set (the tests force each one).
#[inline(never)]
pub(crate) fn matmul_from_rows_with(
    kernels: Kernels,
    (m, k, n): (usize, usize, usize),
    a: &[f32],
    b: &[f32],
    (table, rows): (&[f32], &[u32]),
    c: &mut [f32],
) {
    assert!(holds(a.len(), m, k) && holds(b.len(), k, n) && holds(c.len(), m, n), "matmul: buffer too small");
    assert!(rows.len() >= m, "matmul: fewer start rows than rows");
    let rows = &rows[..m];
    let table_rows = table.len().checked_div(n).unwrap_or(0);
    assert!(n == 0 || rows.iter().all(|&r| (r as usize) < table_rows), "matmul: a start row past the table");
    #[cfg(target_arch = "x86_64")]
    if route(kernels) == Route::Avx512Tiles && chain_for(n) == Chain::Whole {
        let s = crate::avx512_tiles::Strides { row: k, col: 1 };
        let from = crate::avx512_tiles::StartRows { table: table.as_ptr(), rows: rows.as_ptr() };
        let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        // SAFETY: AVX-512 F is present; the asserts above bound every access of A, B, C, the
        // rows and the table, which is borrowed apart from C; one chain, accumulating.
        unsafe {
            crate::avx512_tiles::matmul_plus_bias((m, k, n), a, s, b, (true, Chain::Whole), std::ptr::null(), from, c)
        };
        return;
    }
    crate::distinct_inputs::copy_rows(table, rows, n, &mut c[..m * n]);
    matmul_with(kernels, (m, k, n), a, b, true, c)
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use crate::avx512_tiles::{Chain, Start, KC};
    use std::arch::x86_64::*;

    /// Rows per register tile: 6×16 keeps twelve accumulators in flight (FMA latency × two
    /// FMA pipes needs at least eight); leftover rows use 4-row and 1-row tiles.
    const MR: usize = 6;

    /// One column block over one `k` slice: where its operands start, and how `C` is met.
    #[derive(Clone, Copy)]
    struct Block {
        kc: usize,
        n: usize,
        lda: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        start: Start,
    }

    /// The kernel: `C (+)= A · B` tile by tile, each output rounded as `chain` says
    /// (`Chain::Whole`: `k` in one slice; `Chain::PerSlice`: in `KC`-long ones).
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2 and FMA, and `a`, `b` and `c` must hold at least `m·k`, `k·n`
    /// and `m·n` values: every pointer below is an offset derived from those sizes.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn matmul(
        (m, k, n): (usize, usize, usize),
        a: &[f32],
        b: &[f32],
        (accumulate, chain): (bool, Chain),
        c: &mut [f32],
    ) {
        let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        let slice = if chain == Chain::PerSlice { KC } else { k.max(1) };
        let mut p0 = 0;
        // at least one k slice, so that k = 0 still writes C = 0
        loop {
            let kc = slice.min(k - p0);
            let start = if kc == 0 && accumulate { Start::FromC } else { chain.start(accumulate, p0) };
            let at = |j: usize| Block { kc, n, lda: k, a: a.add(p0), b: b.add(p0 * n + j), c: c.add(j), start };
            let mut j = 0;
            while j + 16 <= n {
                rows::<2, false>(m, at(j), _mm256_setzero_si256());
                j += 16;
            }
            if n - j >= 8 {
                rows::<1, false>(m, at(j), _mm256_setzero_si256());
                j += 8;
            }
            if j < n {
                let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
                let mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((n - j) as i32), lanes);
                rows::<1, true>(m, at(j), mask);
            }
            p0 += kc;
            if p0 >= k {
                break;
            }
        }
    }

    /// All `m` rows of one block, `W` YMM columns wide; when `MASKED`, the last YMM column
    /// holds only the lanes whose `mask` element is negative.
    ///
    /// # Safety
    ///
    /// As [`matmul`], for the block's `kc` and `8·(W − 1)` columns plus, for the last YMM
    /// column, 8 (unmasked) or the lanes of `mask`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn rows<const W: usize, const MASKED: bool>(m: usize, blk: Block, mask: __m256i) {
        let at = |i: usize| Block { a: blk.a.add(i * blk.lda), c: blk.c.add(i * blk.n), ..blk };
        let mut i = 0;
        while i + MR <= m {
            tile::<MR, W, MASKED>(at(i), mask);
            i += MR;
        }
        if m - i >= 4 {
            tile::<4, W, MASKED>(at(i), mask);
            i += 4;
        }
        while i < m {
            tile::<1, W, MASKED>(at(i), mask);
            i += 1;
        }
    }

    /// Loads 8 values at `p`, or only the lanes of `mask` (the rest read as 0, never touched
    /// in memory) when `masked`.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2; `p` must be readable at `0..8`, or at the lanes `mask` sets
    /// when `masked`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn load(p: *const f32, masked: bool, mask: __m256i) -> __m256 {
        if masked {
            _mm256_maskload_ps(p, mask)
        } else {
            _mm256_loadu_ps(p)
        }
    }

    /// Stores 8 values at `p`, or only the lanes of `mask` when `masked`.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2; `p` must be writable at `0..8`, or at the lanes `mask` sets
    /// when `masked`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn store(p: *mut f32, v: __m256, masked: bool, mask: __m256i) {
        if masked {
            _mm256_maskstore_ps(p, mask, v)
        } else {
            _mm256_storeu_ps(p, v)
        }
    }

    /// `C[0..R, 0..8·W] (+)= A[0..R, 0..kc] · B[0..kc, 0..8·W]`, the last YMM column masked
    /// when `MASKED`.
    ///
    /// # Safety
    ///
    /// As [`rows`], for `R` rows.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile<const R: usize, const W: usize, const MASKED: bool>(blk: Block, mask: __m256i) {
        let Block { kc, n, lda, a, b, c, start } = blk;
        let masked = |w: usize| MASKED && w == W - 1;
        let mut acc = [[_mm256_setzero_ps(); W]; R];
        if start == Start::FromC {
            for (r, row) in acc.iter_mut().enumerate() {
                for (w, v) in row.iter_mut().enumerate() {
                    *v = load(c.add(r * n + 8 * w), masked(w), mask);
                }
            }
        }
        for p in 0..kc {
            let mut bv = [_mm256_setzero_ps(); W];
            for (w, v) in bv.iter_mut().enumerate() {
                *v = load(b.add(p * n + 8 * w), masked(w), mask);
            }
            for (r, row) in acc.iter_mut().enumerate() {
                let av = _mm256_broadcast_ss(&*a.add(r * lda + p));
                for (v, bw) in row.iter_mut().zip(&bv) {
                    *v = _mm256_fmadd_ps(av, *bw, *v);
                }
            }
        }
        for (r, row) in acc.iter().enumerate() {
            for (w, v) in row.iter().enumerate() {
                let at = c.add(r * n + 8 * w);
                let v = if start == Start::AddToC { _mm256_add_ps(load(at, masked(w), mask), *v) } else { *v };
                store(at, v, masked(w), mask);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "x86_64")]
    use crate::avx512_tiles::Chain;
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
    /// (AVX-512), 16- and 8-column blocks (AVX2), masked tails of every kernel (the widths 1,
    /// 7, 9, 15, 17, 50 and 150: the GRU's 50 units), `k` past one 256 slice.
    const SHAPES: [(usize, usize, usize); 22] = [
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
        (3, 5, 1),
        (13, 11, 7),
        (6, 40, 9),
        (17, 3, 15),
        (5, 20, 17),
        (16, 50, 150),
        (16, 150, 50),
        (29, 600, 50),
        (7, 300, 150),
    ];

    /// The AVX2 and AVX-512 tiles called directly at every odd width, both roundings,
    /// overwriting and accumulating, into a `C` followed by NaN that must stay untouched: the
    /// masked tails read and write the `n` columns only.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_tiles_take_every_width_and_touch_nothing_past_it() {
        for n in [1, 7, 9, 15, 17, 50, 150] {
            for (m, k) in [(1, 3), (13, 50), (16, 300)] {
                let (a, b, c0) = operands(6, (m, k, n));
                for chain in [Chain::Whole, Chain::PerSlice] {
                    for accumulate in [false, true] {
                        let g = Gemm::new(m, k, n);
                        let mut want = c0.clone();
                        gemm_naive(if accumulate { g.accumulate() } else { g }, &a, &b, &mut want);
                        let mut runs: Vec<(&str, Vec<f32>)> = Vec::new();
                        {
                            if Kernels::Avx2.supported() {
                                let mut c: Vec<f32> = c0.iter().copied().chain([f32::NAN; 16]).collect();
                                // SAFETY: AVX2/FMA are present; the buffers hold m·k, k·n, m·n values.
                                unsafe { avx2::matmul((m, k, n), &a, &b, (accumulate, chain), &mut c) };
                                runs.push(("avx2", c));
                            }
                            if Kernels::Avx512.supported() {
                                let mut c: Vec<f32> = c0.iter().copied().chain([f32::NAN; 16]).collect();
                                let s = crate::avx512_tiles::Strides { row: k, col: 1 };
                                let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
                                // SAFETY: AVX-512 F is present; the buffers hold m·k, k·n, m·n values.
                                unsafe { crate::avx512_tiles::matmul((m, k, n), pa, s, pb, (accumulate, chain), pc) };
                                runs.push(("avx512", c));
                            }
                        }
                        for (name, c) in runs {
                            let what = format!("{name} {chain:?} {m}x{k}x{n} acc={accumulate}");
                            assert!(c[m * n..].iter().all(|v| v.is_nan()), "{what}: wrote past C");
                            for (x, y) in c[..m * n].iter().zip(&want) {
                                assert!((x - y).abs() < 1e-4, "{what}: {x} vs {y}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// Widths that are not a multiple of 8 went to `matrixmultiply` before the tiles took them
    /// (the pinned models' GRUs among them); every kernel set still gives its bits there.
    #[test]
    fn widths_off_the_multiples_of_8_keep_matrixmultiplys_bits() {
        for shape @ (m, k, n) in SHAPES.into_iter().filter(|s| !s.2.is_multiple_of(8)) {
            let (a, b, c0) = operands(7, shape);
            for kernels in Kernels::available() {
                for accumulate in [false, true] {
                    let (mut ours, mut theirs) = (c0.clone(), c0.clone());
                    matmul_with(kernels, shape, &a, &b, accumulate, &mut ours);
                    let beta = if accumulate { 1.0 } else { 0.0 };
                    let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), theirs.as_mut_ptr());
                    let (k_, n_) = (k as isize, n as isize);
                    // SAFETY: the strides address the m·k, k·n and m·n values the buffers hold.
                    unsafe { matrixmultiply::sgemm(m, k, n, 1.0, pa, k_, 1, pb, n_, 1, beta, pc, n_, 1) };
                    let same = ours.iter().zip(&theirs).all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(same, "{kernels} {m}x{k}x{n} acc={accumulate}");
                }
            }
        }
    }

    /// Every width stays on the widest tiles the set has (the recurrence never reaches the
    /// general GEMM, which packs both operands on every step).
    #[test]
    fn every_set_routes_every_width_to_its_tiles() {
        let want = |k: Kernels| match k {
            Kernels::Portable => Route::Gemm,
            Kernels::Avx2 => Route::Avx2Tiles,
            Kernels::Avx512 => Route::Avx512Tiles,
        };
        for kernels in Kernels::available() {
            assert_eq!(route(kernels), want(kernels), "{kernels}");
        }
    }

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

    /// Starting from a table's rows gives, in every kernel set, the bits of copying those rows
    /// into `C` and accumulating: at every shape (tiles of 12, 8, 4 and 1 rows, masked tails,
    /// `k` past one 256 slice, more rows than one 96-row block, widths that keep
    /// `matrixmultiply`'s rounding, a zero width), rows repeated and out of order, and nothing
    /// written past `C`. Where the CPU has AVX-512 (this project's machines) the tiles start
    /// from the rows themselves; elsewhere every set copies, and the test compares that path.
    #[test]
    fn starting_from_table_rows_is_copying_them_then_accumulating() {
        let more = [(100, 20, 32), (200, 300, 64), (97, 5, 16), (4, 3, 0)];
        for kernels in Kernels::available() {
            for &shape @ (m, k, n) in SHAPES.iter().chain(&more) {
                let (a, b, _) = operands(7, shape);
                let table = operands(8, (5, 1, n)).2; // [5, n]
                let rows: Vec<u32> = (0..m as u32).map(|i| (i * 3 + 1) % 5).collect();
                let mut want: Vec<f32> =
                    rows.iter().flat_map(|&r| table[r as usize * n..(r as usize + 1) * n].to_vec()).collect();
                matmul_with(kernels, shape, &a, &b, true, &mut want);
                let mut got: Vec<f32> = vec![f32::NAN; m * n + 16];
                matmul_from_rows_with(kernels, shape, &a, &b, (&table, &rows), &mut got[..m * n]);
                let what = format!("{kernels} {m}x{k}x{n}");
                assert!(got[m * n..].iter().all(|v| v.is_nan()), "{what}: wrote past C");
                assert_eq!(bits(&got[..m * n]), bits(&want), "{what}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "a start row past the table")]
    fn a_start_row_past_the_table_is_refused() {
        let (a, b, _) = operands(9, (2, 3, 8));
        matmul_from_rows((2, 3, 8), &a, &b, (&[0.0; 16], &[0, 2]), &mut [0.0; 16]);
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
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
