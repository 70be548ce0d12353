//! The bank's forward by Winograd's `F(2, r)` ([`crate::conv1d::winograd`]), for a bank whose
//! widths are all 3 to 5 (Kim's are 3, 4, 5): each width's output steps in pairs, `r + 1`
//! products of transformed input rows by transformed kernel slices a pair instead of `2r`
//! products of rows by taps — 7.5 `[E, F]` products an output step at Kim's widths instead of
//! 12. The pre-activations are folded into the max over time as they come, in order of steps,
//! so the first step wins a tie as in the direct path; the backward (the max's sparse
//! gradient, `bank.rs`) reads only which step won, the input and the kernels, so it is the
//! direct path's.
//!
//! A group's pairs go a block at a time (about [`BLOCK_ROWS`] rows of texts × pairs), and within
//! a block one transformed input at a time: its `[rows, E]` sums of input rows, its product by
//! the transformed kernel slice, and that product added into the pair's two outputs, so the
//! buffers stay in L2. With fewer texts than cores (one text at a time), every width's pairs
//! are one block and every width's transformed inputs and products are dealt to the cores
//! together, each core transforming the inputs of the products it takes. Every value is
//! computed the same way whoever computes it, and each sum meets its terms in the same order, so
//! the numbers do not depend on the cores, the texts in a batch or the block.
//!
//! # Shapes
//! input `xg: [T, G, E]` (time-major); packed kernels: per width `[r+1, E, F]`, one after another;
//! `best`, `won`: `[G, stride]`, width `i`'s `F` filters at `i·F` of each text's row.

use rayon::prelude::*;

use crate::conv1d::fold::{fold_in_build, Fold};
use crate::conv1d::winograd::{Winograd, WIDTHS};
use crate::gemm::{gemm, Gemm};

/// Rows (texts × pairs) of a block: a `[rows, E]` input sum (225 KB at Kim's sizes) and the
/// block's `[rows, F]` outputs stay in a core's L2.
const BLOCK_ROWS: usize = 192;

/// Most rows (texts × pairs) a width may have for its products to be dealt to the cores in one
/// block: its transformed inputs, all held at once, stay a few MB (6 × 768 × 300 floats at most
/// at Kim's sizes).
const SPREAD_ROWS_AT_MOST: usize = 4 * BLOCK_ROWS;

/// The bank's widths' transforms, and where each width's packed kernel starts.
#[derive(Clone, Debug)]
pub(crate) struct WinogradBank {
    widths: Vec<Winograd>,
    /// `[widths + 1]`: width `i`'s `[r+1, E, F]` at `starts[i]·E·F` of the packed buffer
    starts: Vec<usize>,
}

/// One core's block buffers: the transformed input `[rows, E]`, a product `[rows, F]`, and the
/// pre-activations before the bias `[2·pairs, G, F]` (step-major, as [`Fold`] reads them).
#[derive(Default)]
struct Scratch {
    u: Vec<f32>,
    m: Vec<f32>,
    pre: Vec<f32>,
}

/// What the fold reads.
struct Input<'a> {
    xg: &'a [f32],
    t: usize,
    gn: usize,
    e: usize,
    f: usize,
    packed: &'a [f32],
    biases: &'a [&'a [f32]],
}

impl WinogradBank {
    /// The transforms of `widths`, if every one is in [`WIDTHS`].
    pub(crate) fn for_widths(widths: &[usize]) -> Option<WinogradBank> {
        if widths.is_empty() || !widths.iter().all(|w| WIDTHS.contains(w)) {
            return None;
        }
        let starts = std::iter::once(0)
            .chain(widths.iter().scan(0, |at, w| {
                *at += w + 1;
                Some(*at)
            }))
            .collect();
        Some(WinogradBank { widths: widths.iter().map(|&w| Winograd::new(w)).collect(), starts })
    }

    /// Values of the packed kernels at `ef = E·F`.
    pub(crate) fn packed_len(&self, ef: usize) -> usize {
        self.starts.last().copied().unwrap_or(0) * ef
    }

    /// Packs every width's transformed kernel from `kernels` (`[r, E, F]` each) into `out`.
    pub(crate) fn pack(&self, kernels: &[&[f32]], ef: usize, out: &mut Vec<f32>) {
        out.resize(self.packed_len(ef), 0.0);
        for (i, w) in self.widths.iter().enumerate() {
            w.transform_kernel(kernels[i], ef, &mut out[self.starts[i] * ef..self.starts[i + 1] * ef]);
        }
    }

    /// Folds every width's pre-activations over the group `xg: [T, gn, E]` into `best` and
    /// `won` (the running max, `−∞` before, and its step), text `k`'s row at `k·stride`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn fold_group(
        &self,
        (xg, t, gn): (&[f32], usize, usize),
        (e, f): (usize, usize),
        packed: &[f32],
        biases: &[&[f32]],
        best: &mut [f32],
        won: &mut [u32],
        stride: usize,
    ) {
        let input = Input { xg, t, gn, e, f, packed, biases };
        // spread only while every width's pairs make one block of bounded size
        if gn < rayon::current_num_threads() && t.div_ceil(2) * gn <= SPREAD_ROWS_AT_MOST {
            return self.fold_spread(&input, best, won, stride);
        }
        SCRATCH.with_borrow_mut(|s| self.fold_blocks(&input, s, best, won, stride));
    }

    /// [`WinogradBank::fold_group`] for fewer texts than cores (one text at a time): every
    /// width's pairs in one block, and every (width, point) job — its transformed input, held
    /// in the core's own scratch, and that input's product by the kernel slice — dealt to the
    /// cores; then each width's sums and fold, in order. The same operations as one core's
    /// blocks, so the same bits. The products' outputs are kept per thread across calls, so
    /// a text allocates and clears nothing but its sums.
    fn fold_spread(&self, input: &Input, best: &mut [f32], won: &mut [u32], stride: usize) {
        let Input { xg, t, gn, e, f, packed, biases } = *input;
        let ef = e * f;
        let pairs: Vec<usize> = self.widths.iter().map(|w| (t + 1).saturating_sub(w.width()).div_ceil(2)).collect();
        // per width, [r+1, rows, F] products, one after another
        let lens: Vec<usize> = self.widths.iter().zip(&pairs).map(|(w, &p)| w.points() * p * gn * f).collect();
        let mut m = SPREAD_PRODUCTS.with_borrow_mut(std::mem::take);
        m.resize(lens.iter().sum(), 0.0);
        let mut jobs = Vec::new();
        let mut rest = &mut m[..];
        for (i, w) in self.widths.iter().enumerate() {
            let rows = pairs[i] * gn;
            let (mi, tail) = std::mem::take(&mut rest).split_at_mut(lens[i]);
            rest = tail;
            if rows == 0 {
                continue;
            }
            let kernel = &packed[self.starts[i] * ef..self.starts[i + 1] * ef];
            for (k, mk) in mi.chunks_exact_mut(rows * f).enumerate() {
                jobs.push((w, k, &kernel[k * ef..(k + 1) * ef], mk, pairs[i]));
            }
        }
        jobs.into_par_iter().with_max_len(1).for_each(|(w, k, kk, mk, p)| {
            SCRATCH.with_borrow_mut(|s| {
                s.u.resize(p * gn * e, 0.0);
                transform_in_build(w.input_weights(k), xg, (t, gn, e), (0, p), &mut s.u);
                gemm(Gemm::new(p * gn, e, f), &s.u, kk, mk);
            })
        });
        let mut rest = &m[..];
        for (i, w) in self.widths.iter().enumerate() {
            let rows = pairs[i] * gn;
            let (mi, tail) = rest.split_at(lens[i]);
            rest = tail;
            if rows == 0 {
                continue;
            }
            let mut pre = vec![0.0; 2 * rows * f];
            for (k, mk) in mi.chunks_exact(rows * f).enumerate() {
                add_scaled_in_build([w.output_weight(0, k), w.output_weight(1, k)], mk, gn * f, &mut pre);
            }
            fold_pairs(w, &pre, (gn, f, t), (0, pairs[i]), biases[i], (&mut best[i * f..], &mut won[i * f..]), stride);
        }
        SPREAD_PRODUCTS.with_borrow_mut(|slot| *slot = m);
    }

    /// Every width's pairs, a block at a time, folded into `best` and `won`.
    fn fold_blocks(&self, input: &Input, s: &mut Scratch, best: &mut [f32], won: &mut [u32], stride: usize) {
        let Input { xg, t, gn, e, f, packed, biases } = *input;
        let ef = e * f;
        for (i, w) in self.widths.iter().enumerate() {
            let t_out = (t + 1).saturating_sub(w.width());
            let pairs = t_out.div_ceil(2);
            let kernel = &packed[self.starts[i] * ef..self.starts[i + 1] * ef];
            let block = (BLOCK_ROWS / gn).max(1);
            for p0 in (0..pairs).step_by(block) {
                let p1 = (p0 + block).min(pairs);
                let rows = (p1 - p0) * gn;
                s.u.resize(rows * e, 0.0);
                s.m.resize(rows * f, 0.0);
                s.pre.clear();
                s.pre.resize(2 * rows * f, 0.0);
                for k in 0..w.points() {
                    transform_in_build(w.input_weights(k), xg, (t, gn, e), (p0, p1), &mut s.u);
                    gemm(Gemm::new(rows, e, f), &s.u, &kernel[k * ef..(k + 1) * ef], &mut s.m);
                    add_scaled_in_build([w.output_weight(0, k), w.output_weight(1, k)], &s.m, gn * f, &mut s.pre);
                }
                fold_pairs(w, &s.pre, (gn, f, t), (p0, p1), biases[i], (&mut best[i * f..], &mut won[i * f..]), stride);
            }
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
    /// [`WinogradBank::fold_spread`]'s products, taken out for the call (a core waiting on its
    /// jobs may run another chunk's, which then finds the slot empty instead of borrowed)
    static SPREAD_PRODUCTS: std::cell::RefCell<Vec<f32>> = std::cell::RefCell::default();
}

crate::kernels::compiled_per_kernels!(
    fn transform_in_build / transform_avx2 / transform_avx512 (
        weights: &[f32],
        xg: &[f32],
        shape: (usize, usize, usize),
        pairs: (usize, usize),
        u: &mut [f32],
    ) => transform_body
);

/// `u[(p − p0)·gn + text] = Σ_l weights[l] · xg[2p + l][text]` for the pairs `p0 .. p1`, each sum
/// in order of `l` from `+0`, rows past the input's last step counting as zeros. One pass over
/// each pair's row: [`CHUNK`] sums at a time stay in registers while every term is added, the
/// operations (and so the bits) of clearing the row and adding each term to it in turn.
#[inline(always)]
fn transform_body(
    weights: &[f32],
    xg: &[f32],
    (t, gn, e): (usize, usize, usize),
    (p0, p1): (usize, usize),
    u: &mut [f32],
) {
    let step_len = gn * e;
    for p in p0..p1 {
        let dst = &mut u[(p - p0) * step_len..(p - p0 + 1) * step_len];
        // the weights that add anything: at most r + 1 = 6 (width 5)
        let mut terms: [(f32, &[f32]); 6] = [(0.0, &[]); 6];
        let mut n = 0;
        for (l, &c) in weights.iter().enumerate() {
            let step = 2 * p + l;
            if c != 0.0 && step < t {
                terms[n] = (c, &xg[step * step_len..(step + 1) * step_len]);
                n += 1;
            }
        }
        let terms = &terms[..n];
        let full = step_len - step_len % CHUNK;
        for at in (0..full).step_by(CHUNK) {
            // a fixed length, so that the sums live in registers
            let mut sums = [0.0f32; CHUNK];
            for &(c, src) in terms {
                let src: &[f32; CHUNK] = src[at..at + CHUNK].try_into().expect("a chunk");
                for (s, &x) in sums.iter_mut().zip(src) {
                    *s += c * x;
                }
            }
            dst[at..at + CHUNK].copy_from_slice(&sums);
        }
        let tail = &mut dst[full..];
        tail.fill(0.0);
        for &(c, src) in terms {
            tail.iter_mut().zip(&src[full..]).for_each(|(s, &x)| *s += c * x);
        }
    }
}

/// Sums a pass of [`transform_body`] holds in registers: four ZMM, eight YMM.
const CHUNK: usize = 64;

crate::kernels::compiled_per_kernels!(
    fn add_scaled_in_build / add_scaled_avx2 / add_scaled_avx512 (
        c: [f32; 2],
        m: &[f32],
        block: usize,
        pre: &mut [f32],
    ) => add_scaled_body
);

/// For each pair's `block` (`G·F`) values of the product `m: [pairs, G, F]`, adds `c[0]·m` to
/// the pair's first step of `pre: [2·pairs, G, F]` and `c[1]·m` to its second (a zero weight
/// adds nothing).
#[inline(always)]
fn add_scaled_body(c: [f32; 2], m: &[f32], block: usize, pre: &mut [f32]) {
    for (m, steps) in m.chunks_exact(block).zip(pre.chunks_exact_mut(2 * block)) {
        for (&c, out) in c.iter().zip(steps.chunks_exact_mut(block)) {
            if c != 0.0 {
                out.iter_mut().zip(m).for_each(|(o, &v)| *o += c * v);
            }
        }
    }
}

/// The pairs `p0 .. p1` of one width, their pre-activations before the bias in `pre`
/// (`[2·(p1 − p0), G, F]`), folded in order of steps into the running max `best` and its step
/// `won` by the direct path's [`Fold`] (one term a step: `bias + pre`); the last pair's second
/// step is left out when it lies past the width's output steps.
fn fold_pairs(
    w: &Winograd,
    pre: &[f32],
    (gn, f, t): (usize, usize, usize),
    (p0, p1): (usize, usize),
    bias: &[f32],
    (best, won): (&mut [f32], &mut [u32]),
    stride: usize,
) {
    let t_out = (t + 1).saturating_sub(w.width());
    let steps = 2 * p0..(2 * p1).min(t_out);
    let fold = Fold { y: pre, from: &[0], columns: &[f], gn, s0: 2 * p0, steps, bias };
    fold_in_build(&fold, best, won, stride);
}
