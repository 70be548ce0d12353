//! Row-major single-precision GEMM: `C = alpha · op(A) · op(B) + beta · C`.
//!
//! Two fast paths, both single-threaded: strata parallelises over batch chunks instead, one per
//! core, so that no thread waits on another inside the recurrence. Under AVX-512
//! ([`kernels::active`]) the products a layer makes (`alpha = 1`, `beta` 0 or 1, `n ≥ 16`)
//! go to `avx512_tiles`, unpacked: `op(A)` is read where it lies, and a transposed `B` (a
//! weight, small next to the activations it multiplies) is copied upright once per call when
//! enough rows share the copy. Widths that are not a multiple of 16 (the GRU's 150 gates of
//! 50 units) take masked tiles past the last 16 columns, rounded as `matrixmultiply` rounded
//! them before (`Chain::PerSlice`), so their bits do not move.
//! Everything else, and the AVX2 and portable choices, go to `matrixmultiply` (packed,
//! register-blocked), which picks its own kernel at run time — AVX-512 too, since 0.3.10 built
//! by rustc ≥ 1.89 — so `STRATA_KERNELS` does not reach inside it. The two round differently
//! (one FMA chain per output against partial sums over packed `k` blocks), so a model's bits
//! depend on the choice. `gemm_naive` is the reference both are tested against.

use crate::kernels::{self, Kernels};

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
    gemm_with(kernels::active(), g, a, b, c)
}

/// [`gemm`] with the given kernel set (the tests force each one); a set the CPU lacks runs
/// `matrixmultiply`.
// never inlined: a profile then tells the big GEMMs from the recurrence
#[inline(never)]
pub fn gemm_with(kernels: Kernels, g: Gemm, a: &[f32], b: &[f32], c: &mut [f32]) {
    let Gemm { m, k, n, op_a, op_b, alpha, beta } = g;
    assert!(holds(a.len(), m, k) && holds(b.len(), k, n) && holds(c.len(), m, n), "gemm: buffer too small");
    if m == 0 || n == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if takes_avx512_tiles(kernels, g) {
        return avx512(g, a, b, None, c);
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

/// [`gemm`], then `C[i, j] += bias[j]` on every row: the product and the bias each rounded
/// once, as a second pass over `C` would round them (the same bits), but under AVX-512 the bias
/// is added as the tiles store `C`, so `C` is not read and written a second time.
pub fn gemm_plus_bias(g: Gemm, a: &[f32], b: &[f32], bias: &[f32], c: &mut [f32]) {
    gemm_plus_bias_with(kernels::active(), g, a, b, bias, c)
}

/// [`gemm_plus_bias`] with the given kernel set (the tests force each one).
#[inline(never)]
pub fn gemm_plus_bias_with(kernels: Kernels, g: Gemm, a: &[f32], b: &[f32], bias: &[f32], c: &mut [f32]) {
    let Gemm { m, k, n, .. } = g;
    assert!(holds(a.len(), m, k) && holds(b.len(), k, n) && holds(c.len(), m, n), "gemm: buffer too small");
    assert_eq!(bias.len(), n, "gemm: the bias is not one value a column");
    if m == 0 || n == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if takes_avx512_tiles(kernels, g) {
        return avx512(g, a, b, Some(bias), c);
    }
    gemm_with(kernels, g, a, b, c);
    for row in c[..m * n].chunks_exact_mut(n) {
        row.iter_mut().zip(bias).for_each(|(z, bias)| *z += bias);
    }
}

/// Whether `gemm_with` gives `g` to the AVX-512 tiles: the products a layer makes (`alpha = 1`,
/// `beta` 0 or 1, `n ≥ 16`, `B` upright or worth copying so) on a CPU that has them.
#[cfg(target_arch = "x86_64")]
fn takes_avx512_tiles(kernels: Kernels, g: Gemm) -> bool {
    let Gemm { m, k, n, op_b, alpha, beta, .. } = g;
    kernels >= Kernels::Avx512
        && n >= 16
        && alpha == 1.0
        && (beta == 0.0 || beta == 1.0)
        && (op_b == Op::N || upright_pays(m, k, n))
        && Kernels::Avx512.supported()
}

/// Whether copying a transposed `B` (`[n, k]`) upright is worth it: `m` rows share the copy
/// (at least 32, so it costs under 1/32 of the product), and the copy stays small (4 MiB a
/// thread; a softmax's whole decoder is left to `matrixmultiply`, which packs it in blocks).
#[cfg(target_arch = "x86_64")]
fn upright_pays(m: usize, k: usize, n: usize) -> bool {
    m >= 32 && k.saturating_mul(n) <= 1 << 20
}

/// The AVX-512 path of [`gemm_with`] (and of [`gemm_plus_bias_with`], with its `bias` of `n`
/// values); `g` is checked against the buffers and has `alpha = 1`,
/// `beta` 0 or 1, `n ≥ 16`, a `B` stored upright or worth copying so, and the CPU has
/// AVX-512 F. A multiple of 16 is one FMA chain an output (these tiles' order since they were
/// written); another width keeps `matrixmultiply`'s per-slice sums, the bits it had there.
#[cfg(target_arch = "x86_64")]
fn avx512(g: Gemm, a: &[f32], b: &[f32], bias: Option<&[f32]>, c: &mut [f32]) {
    use crate::avx512_tiles::{matmul_plus_bias, Chain, StartRows, Strides};
    use std::cell::RefCell;
    thread_local! {
        /// `B` upright (`[k, n]`) when it is stored transposed; kept to avoid an allocation a call.
        static UPRIGHT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    }
    let Gemm { m, k, n, op_a, op_b, beta, .. } = g;
    let s = match op_a {
        Op::N => Strides { row: k, col: 1 },
        Op::T => Strides { row: 1, col: m },
    };
    let chain = if n.is_multiple_of(16) { Chain::Whole } else { Chain::PerSlice };
    let run = |b: &[f32], c: &mut [f32]| {
        let bias = bias.map_or(std::ptr::null(), <[f32]>::as_ptr);
        // SAFETY: the caller checked the CPU; `gemm_with` checked that `a` holds op(A)'s m·k
        // values at these strides, `b` k·n and `c` m·n (and `gemm_plus_bias_with` a bias of n).
        unsafe {
            let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
            matmul_plus_bias((m, k, n), a, s, b, (beta == 1.0, chain), bias, StartRows::NONE, c)
        }
    };
    match op_b {
        Op::N => run(b, c),
        Op::T => UPRIGHT.with_borrow_mut(|up| {
            // every value is written below: grow without clearing (no memset of k·n a call)
            if up.len() < k * n {
                up.resize(k * n, 0.0);
            }
            let up = &mut up[..k * n];
            // SAFETY: the caller checked that the CPU has AVX-512 F; `b` holds n·k values
            // (checked by `gemm_with`) and `up` k·n.
            unsafe { transpose_avx512(&b[..n * k], n, k, up) };
            run(up, c)
        }),
    }
}

/// `out[k, n]` = `src[n, k]` transposed: 16 rows of `src` at a time, each output vector one
/// gather down a column of those rows (strided by `k`; the 16 rows, `16·k` values, stay in L1
/// while `p` walks them), the last `n mod 16` rows through a masked gather. The element-by-
/// element copy it replaces, with a memset of `out` before it, was 1.3 % of bilstm's training
/// (its `[300, 256]` kernel is copied upright for `dx` on every call).
///
/// # Safety
///
/// The CPU must have AVX-512 F; `src` must hold `n·k` values and `out` `k·n`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn transpose_avx512(src: &[f32], n: usize, k: usize, out: &mut [f32]) {
    use std::arch::x86_64::*;
    assert!(src.len() >= n * k && out.len() >= n * k && n * k < i32::MAX as usize, "transpose: bad sizes");
    let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let offsets = _mm512_mullo_epi32(lanes, _mm512_set1_epi32(k as i32));
    let (s, o) = (src.as_ptr(), out.as_mut_ptr());
    let mut j0 = 0;
    while j0 < n {
        let left = (n - j0).min(16);
        let mask: __mmask16 = if left == 16 { 0xFFFF } else { (1u16 << left) - 1 };
        for p in 0..k {
            // lanes past `left` are neither read nor written
            let v = _mm512_mask_i32gather_ps::<4>(_mm512_setzero_ps(), mask, offsets, s.add(j0 * k + p));
            _mm512_mask_storeu_ps(o.add(p * n + j0), mask, v);
        }
        j0 += 16;
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

    /// Every kernel set, every transposition, the scalars the AVX-512 path takes (alpha 1,
    /// beta 0 or 1) and those it leaves to matrixmultiply, and shapes that reach each of its
    /// tiles and a second `k` slice (k > 256), against the f64 reference.
    #[test]
    fn every_kernel_set_matches_naive_for_all_transpositions() {
        let mut rng = Rng::new(9);
        let odd = [(7, 13, 17), (29, 300, 50), (40, 20, 150), (3, 9, 1), (33, 5, 7), (12, 0, 17)];
        for (m, k, n) in
            [(7, 13, 5), (7, 13, 16), (29, 300, 48), (12, 0, 32), (1, 40, 256), (45, 270, 48)].into_iter().chain(odd)
        {
            let a: Vec<f32> = (0..m * k).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let c0: Vec<f32> = (0..m * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            for kernels in Kernels::available() {
                for op_a in [Op::N, Op::T] {
                    for op_b in [Op::N, Op::T] {
                        for (alpha, beta) in [(1.0, 0.0), (1.0, 1.0), (0.7, 0.5), (0.7, 0.0)] {
                            let mut c1 = c0.clone();
                            let mut c2 = c0.clone();
                            let g = Gemm { op_a, op_b, alpha, beta, ..Gemm::new(m, k, n) };
                            gemm_with(kernels, g, &a, &b, &mut c1);
                            gemm_naive(g, &a, &b, &mut c2);
                            for (x, y) in c1.iter().zip(&c2) {
                                let what = format!("{kernels} {m}x{k}x{n} {op_a:?}{op_b:?} {alpha} {beta}");
                                assert!((x - y).abs() < 1e-4, "{what}: {x} vs {y}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// Widths that are not a multiple of 16 went to `matrixmultiply` before the AVX-512 tiles
    /// took them; every kernel set still gives its bits there (a 17- and a 150-wide product,
    /// `k` past one 256 slice, both transpositions, overwriting and accumulating).
    #[test]
    fn widths_off_the_multiples_of_16_keep_matrixmultiplys_bits() {
        let mut rng = Rng::new(10);
        for (m, k, n) in [(7, 13, 17), (29, 300, 50), (40, 600, 150), (64, 50, 150), (33, 150, 24)] {
            let a: Vec<f32> = (0..m * k).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let c0: Vec<f32> = (0..m * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            for kernels in Kernels::available() {
                for (op_a, op_b, beta) in
                    [(Op::N, Op::N, 0.0), (Op::N, Op::N, 1.0), (Op::T, Op::N, 1.0), (Op::N, Op::T, 0.0)]
                {
                    let g = Gemm { op_a, op_b, beta, ..Gemm::new(m, k, n) };
                    let (mut ours, mut theirs) = (c0.clone(), c0.clone());
                    gemm_with(kernels, g, &a, &b, &mut ours);
                    let (rsa, csa) = if op_a == Op::N { (k as isize, 1) } else { (1, m as isize) };
                    let (rsb, csb) = if op_b == Op::N { (n as isize, 1) } else { (1, k as isize) };
                    // SAFETY: the strides address the m·k, k·n and m·n values the buffers hold.
                    unsafe {
                        let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), theirs.as_mut_ptr());
                        matrixmultiply::sgemm(m, k, n, 1.0, pa, rsa, csa, pb, rsb, csb, beta, pc, n as isize, 1);
                    }
                    let same = ours.iter().zip(&theirs).all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(same, "{kernels} {m}x{k}x{n} {op_a:?}{op_b:?} beta {beta}");
                }
            }
        }
    }

    /// `gemm_plus_bias` is `gemm` and then a pass adding the bias, bit for bit, in every kernel
    /// set: widths a multiple of 16 and not (masked tails, per-slice sums), `k` past one 256
    /// slice (the bias joins after the last), both transpositions, overwriting and
    /// accumulating, and the row counts of every tile (12, 8, 4, 1).
    #[test]
    fn gemm_plus_bias_is_gemm_then_a_bias_pass_bit_for_bit() {
        let mut rng = Rng::new(12);
        for (m, k, n) in [(16, 64, 256), (29, 300, 50), (13, 600, 48), (7, 13, 17), (100, 128, 256), (5, 0, 32)] {
            let a: Vec<f32> = (0..m * k).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let bias: Vec<f32> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let c0: Vec<f32> = (0..m * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            for kernels in Kernels::available() {
                for (op_a, op_b, beta) in
                    [(Op::N, Op::N, 0.0), (Op::N, Op::N, 1.0), (Op::T, Op::N, 1.0), (Op::N, Op::T, 0.0)]
                {
                    let g = Gemm { op_a, op_b, beta, ..Gemm::new(m, k, n) };
                    let (mut fused, mut two_passes) = (c0.clone(), c0.clone());
                    gemm_plus_bias_with(kernels, g, &a, &b, &bias, &mut fused);
                    gemm_with(kernels, g, &a, &b, &mut two_passes);
                    for row in two_passes.chunks_exact_mut(n) {
                        row.iter_mut().zip(&bias).for_each(|(z, bias)| *z += bias);
                    }
                    let same = fused.iter().zip(&two_passes).all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(same, "{kernels} {m}x{k}x{n} {op_a:?}{op_b:?} beta {beta}");
                }
            }
        }
    }

    /// A row's product does not depend on the other rows: the rows of a product over a subset
    /// of `A`'s rows (one row, a run, every third row) carry the bits of the same rows of the
    /// whole product, in every kernel set, with and without a bias, at the input widths and
    /// gate widths of the recurrent layers (one and two 256 slices of `k`, widths off 16). What
    /// lets a recurrent layer compute repeated input rows once (`distinct_inputs.rs`) and
    /// inference read an id's projection from a table made once (`rnn_cache/infer.rs`).
    #[test]
    fn a_rows_product_does_not_depend_on_the_other_rows() {
        let mut rng = Rng::new(13);
        let m = 1100; // several blocks of rows in every path
        for (k, n) in [(6, 24), (128, 256), (300, 512), (300, 150), (50, 192)] {
            let a: Vec<f32> = (0..m * k).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let bias: Vec<f32> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let subsets: [Vec<usize>; 3] = [vec![777], (40..77).collect(), (1..m).step_by(3).collect()];
            for kernels in Kernels::available() {
                for with_bias in [false, true] {
                    let product = |a: &[f32], rows: usize| {
                        let mut c = vec![0.0; rows * n];
                        match with_bias {
                            true => gemm_plus_bias_with(kernels, Gemm::new(rows, k, n), a, &b, &bias, &mut c),
                            false => gemm_with(kernels, Gemm::new(rows, k, n), a, &b, &mut c),
                        }
                        c
                    };
                    let whole = product(&a, m);
                    for rows in &subsets {
                        let sub: Vec<f32> = rows.iter().flat_map(|&r| a[r * k..(r + 1) * k].iter().copied()).collect();
                        let part = product(&sub, rows.len());
                        for (i, &r) in rows.iter().enumerate() {
                            let same = part[i * n..(i + 1) * n]
                                .iter()
                                .zip(&whole[r * n..(r + 1) * n])
                                .all(|(x, y)| x.to_bits() == y.to_bits());
                            assert!(same, "{kernels} k {k} n {n} bias {with_bias}: row {r} of {} rows", rows.len());
                        }
                    }
                }
            }
        }
    }

    /// The AVX-512 upright copy of a transposed `B` is the transpose, at widths with and without
    /// a masked tail of rows, into a buffer longer than the copy whose rest stays untouched.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_avx512_upright_copy_is_the_transpose() {
        if !Kernels::Avx512.supported() {
            eprintln!("skipped: this CPU has no AVX-512");
            return;
        }
        for (n, k) in [(1, 1), (16, 3), (17, 5), (300, 256), (50, 150), (31, 64)] {
            let src: Vec<f32> = (0..n * k).map(|i| i as f32).collect();
            let mut out = vec![f32::NAN; k * n + 7];
            // SAFETY: AVX-512 F is present; the buffers hold n·k values.
            unsafe { transpose_avx512(&src, n, k, &mut out) };
            for j in 0..n {
                for p in 0..k {
                    assert_eq!(out[p * n + j], src[j * k + p], "{n}x{k} at ({j}, {p})");
                }
            }
            assert!(out[k * n..].iter().all(|v| v.is_nan()), "{n}x{k}: wrote past the copy");
        }
    }

    /// beta = 0 overwrites C even where it held NaN, on every path.
    #[test]
    fn beta_zero_ignores_what_c_held() {
        let (m, k, n) = (13, 5, 32);
        let (a, b) = (vec![0.5; m * k], vec![2.0; k * n]);
        for kernels in Kernels::available() {
            let mut c = vec![f32::NAN; m * n];
            gemm_with(kernels, Gemm::new(m, k, n), &a, &b, &mut c);
            assert!(c.iter().all(|&v| v == 5.0), "{kernels}");
        }
    }
}
