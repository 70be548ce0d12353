//! Kim's block of convolutions — one ReLU `Conv1D(F, w)` per width `w`, each max-pooled over
//! time — computed together, because that is where kim-cnn spends its time.
//!
//! Forward is `Y = x · K_all` (`[T·N, E] · [E, S]`, `S = Σ_w w·F`, `K_all`'s columns the
//! kernels' `K_j` side by side), then shifted adds `pre[t] = bias + Σ_{j<w} Y[t+j, (w, j)]`
//! folded straight into the max over time, so no `[T', N, F]` output is kept: only the pooled
//! `[N, widths·F]` and which step won. The product runs as one per shift ([`super::shifts`]:
//! `K_j` holds every width's `j`-th slice, so its `S_j` columns keep the tiles busy where `F`
//! alone (100) would not), each computing only the input rows its shift reads.
//!
//! `Y` is never held whole (`[T·N, S]` is 37 MB for 128 texts of 60 steps at Kim's sizes): the
//! texts go [`GROUP_TEXTS`] at a time, and each group's output steps a block at a time, the
//! shifts' products writing only the rows of `Y` that block reads, so `Y` is read back from
//! cache while it is still there. Each value of `Y` is the same FMA chain over `E` whatever
//! rows and columns a product covers, and each width's steps still meet the max in order, so
//! the blocks give the unblocked numbers.
//!
//! When every width is 3 to 5 (Kim's 3, 4, 5) the forward takes Winograd's `F(2, r)` instead
//! ([`winograd_forward`]): each width's output steps in pairs, `r + 1` products of transformed
//! rows a pair instead of `2r` (7.5 `[E, F]` products an output step instead of 12), which round
//! differently from the shifts' products (within 1e-6 of the values' scale in the tests).
//!
//! Backward uses the max pool's sparsity: the gradient reaches one step per (text, filter), so
//! `dK_j[:, f] += g · x[t*+j]` and `dx[t*+j] += g · K_j[:, f]` are `N·F·Σw` axpys of length `E`
//! — a fiftieth of the dense products' work at Kim's sizes — and exact, not an approximation;
//! where dropout zeroed the gradient there are none.
//!
//! # Shapes
//! input `x: [T, N, E]` (time-major); kernel per width `[w, E, F]` (Keras's layout), bias
//! `[F]`; output `[N, widths·F]`, width `i`'s filters at columns `i·F .. (i+1)·F`.

use super::fold::{fold_in_build, Fold};
use super::shifts::{shift_product, ShiftLayout};
use super::transpose::{add_transposed, transpose};
use winograd_forward::WinogradBank;

mod winograd_forward;

/// Texts whose `Y` rows are computed together; a larger chunk is gathered this many at a time.
pub const GROUP_TEXTS: usize = 32;
/// Bytes of `Y` held at a time (about half of a core's L2): sets how many steps a GEMM covers.
const Y_BYTES: usize = 512 * 1024;

/// The convolutions of one block and their forward state.
pub struct ConvBank {
    e: usize,
    f: usize,
    widths: Vec<usize>,
    /// which widths use each shift, and where its `K_j` lies in `packed`
    layout: ShiftLayout,
    /// Winograd's transforms when every width is 3 to 5 (`packed` then holds the transformed
    /// kernels, and the forward runs `winograd_forward.rs` instead of the shifts' products)
    winograd: Option<WinogradBank>,
    /// `S = Σ_w w·F`: the columns of the single product the shifts' products stand for
    s: usize,
    n: usize,
    t: usize,
    /// every `K_j: [E, S_j]` (training; inference keeps its own per thread)
    packed: Vec<f32>,
    /// per shift `j`, `[steps_j, G, S_j]`: the rows of `Y_j` of the block of steps in hand
    y: Vec<f32>,
    /// `[T, G, E]`: the group's input, gathered when the chunk has more than one group
    xg: Vec<f32>,
    /// `[N, widths·F]` after ReLU (0 where the text is shorter than the width)
    pooled: Vec<f32>,
    /// `[N, widths·F]` the step that won the max (`u32`: half the bytes the fold moves)
    argmax: Vec<u32>,
    /// backward scratch for one width: its kernel and kernel gradient as `[w, F, E]`
    kt: Vec<f32>,
    dkt: Vec<f32>,
}

/// One thread's packed kernels for inference and what they were packed from; its `Y` buffer
/// too, so that predicting one text at a time (a new layer per call) allocates nothing.
#[derive(Default)]
struct InferenceCache {
    made_from: Option<MadeFrom>,
    packed: Vec<f32>,
    y: Vec<f32>,
    /// how many times this thread packed kernels for inference (read by tests)
    packs: usize,
}

/// What a kept packing was made of: the bank's layout, and the kernels' generation and place.
/// Kernels of one generation hold the same bits wherever they are read (see
/// [`crate::params::Values`]), and the place tells apart two banks' kernels in one store.
struct MadeFrom {
    layout: ShiftLayout,
    generation: u64,
    /// each kernel's address and length
    kernels: Vec<(usize, usize)>,
}

impl MadeFrom {
    fn of(layout: &ShiftLayout, (kernels, generation): (&[&[f32]], u64)) -> MadeFrom {
        let kernels = kernels.iter().map(|k| (k.as_ptr() as usize, k.len())).collect();
        MadeFrom { layout: layout.clone(), generation, kernels }
    }

    fn serves(&self, layout: &ShiftLayout, (kernels, generation): (&[&[f32]], u64)) -> bool {
        self.generation == generation
            && self.layout == *layout
            && self.kernels.len() == kernels.len()
            && self.kernels.iter().zip(kernels).all(|(&(at, len), k)| at == k.as_ptr() as usize && len == k.len())
    }
}

thread_local! {
    static INFERENCE_CACHE: std::cell::RefCell<InferenceCache> = std::cell::RefCell::default();
}

/// Where [`ConvBank::backward`] writes: per width the kernel's and bias's gradients (added
/// into), and the input's (overwritten) when given.
pub struct BankGrads<'a, 'g> {
    pub kernels: &'a mut [&'g mut [f32]],
    pub biases: &'a mut [&'g mut [f32]],
    pub dx: Option<&'a mut [f32]>,
}

impl ConvBank {
    pub fn new(e: usize, f: usize, widths: Vec<usize>) -> ConvBank {
        let s = widths.iter().map(|w| w * f).sum();
        ConvBank {
            e,
            f,
            layout: ShiftLayout::new(e, f, &widths),
            // (an empty input or bank keeps the shifts' path, which handles every size)
            winograd: if e > 0 && f > 0 { WinogradBank::for_widths(&widths) } else { None },
            widths,
            s,
            n: 0,
            t: 0,
            packed: Vec::new(),
            y: Vec::new(),
            xg: Vec::new(),
            pooled: Vec::new(),
            argmax: Vec::new(),
            kt: Vec::new(),
            dkt: Vec::new(),
        }
    }

    /// Output steps of width `i` (0 when the text is shorter than it).
    fn t_out(&self, i: usize) -> usize {
        (self.t + 1).saturating_sub(self.widths[i])
    }

    /// `[N, widths·F]`: the max over time of each width's ReLU convolution.
    pub fn output(&self) -> &[f32] {
        &self.pooled
    }

    /// Forward over `x: [T, N, E]`; `kernels[i]`, `biases[i]` are width `i`'s.
    pub fn forward(&mut self, x: &[f32], n: usize, t: usize, kernels: &[&[f32]], biases: &[&[f32]]) {
        let mut packed = std::mem::take(&mut self.packed);
        match &self.winograd {
            Some(wb) => wb.pack(kernels, self.e * self.f, &mut packed),
            None => self.layout.pack(kernels, &mut packed),
        }
        self.pool(x, n, t, &packed, biases);
        self.packed = packed;
    }

    /// [`ConvBank::forward`] for inference: the same numbers, with the packed kernels kept per
    /// thread across calls — predicting one text at a time builds a new layer per call, and
    /// packing (1.4 MB at Kim's sizes, 1.8 MB transformed by Winograd) cost about as much as
    /// that text's product. `generation` is the kernels' store's
    /// ([`crate::params::Values::generation`]): the kept packing serves while the layout, the
    /// generation and the kernels' place are those it was made from, and is made again
    /// otherwise. Comparing the kernels' bits with a copy instead read 2.8 MB a call, more than
    /// L2 holds, and cost a fifth of a one-text prediction on an Intel host.
    pub fn infer(&mut self, x: &[f32], n: usize, t: usize, kernels: (&[&[f32]], u64), biases: &[&[f32]]) {
        assert!(self.layout.fits(kernels.0), "conv bank: kernels are not [w, E, F] for its widths");
        // taken out of the thread's slot for the call, not borrowed: a core waiting on the
        // nested parallel work below may run another chunk's inference, which then finds the
        // slot empty and packs its own, instead of finding it borrowed
        let mut cache = INFERENCE_CACHE.with_borrow_mut(std::mem::take);
        if !cache.made_from.as_ref().is_some_and(|m| m.serves(&self.layout, kernels)) {
            match &self.winograd {
                Some(wb) => wb.pack(kernels.0, self.e * self.f, &mut cache.packed),
                None => self.layout.pack(kernels.0, &mut cache.packed),
            }
            cache.made_from = Some(MadeFrom::of(&self.layout, kernels));
            cache.packs += 1;
        }
        std::mem::swap(&mut self.y, &mut cache.y);
        self.pool(x, n, t, &cache.packed, biases);
        std::mem::swap(&mut self.y, &mut cache.y);
        INFERENCE_CACHE.with_borrow_mut(|slot| *slot = cache);
    }

    /// The max over time of every width over `x: [T, N, E]` with the kernels packed.
    fn pool(&mut self, x: &[f32], n: usize, t: usize, packed: &[f32], biases: &[&[f32]]) {
        let (e, f) = (self.e, self.f);
        assert_eq!(x.len(), t * n * e, "conv bank: input is not [T, N, E]");
        assert!(
            biases.len() == self.widths.len() && biases.iter().all(|b| b.len() == f),
            "conv bank: biases are not [F] per width"
        );
        (self.n, self.t) = (n, t);
        let wf = self.widths.len() * f;
        self.pooled.clear();
        self.pooled.resize(n * wf, 0.0);
        self.argmax.clear();
        self.argmax.resize(n * wf, 0);
        assert!(u32::try_from(t).is_ok(), "conv bank: more steps than u32 counts");
        let pooled_widths: Vec<usize> = (0..self.widths.len()).filter(|&i| self.t_out(i) > 0).collect();
        for &i in &pooled_widths {
            for row in self.pooled.chunks_exact_mut(wf) {
                row[i * f..(i + 1) * f].fill(f32::NEG_INFINITY);
            }
        }
        let group = n.clamp(1, GROUP_TEXTS);
        for g0 in (0..n).step_by(group) {
            let g1 = (g0 + group).min(n);
            if g1 - g0 < n {
                self.xg.clear();
                for step in x.chunks_exact(n * e) {
                    self.xg.extend_from_slice(&step[g0 * e..g1 * e]);
                }
                let xg = std::mem::take(&mut self.xg);
                self.group_forward(&xg, g0, g1 - g0, packed, biases);
                self.xg = xg;
            } else {
                self.group_forward(x, g0, g1 - g0, packed, biases);
            }
        }
        for &i in &pooled_widths {
            // ReLU after the max is the max after ReLU (both keep the order of positive values)
            for row in self.pooled.chunks_exact_mut(wf) {
                row[i * f..(i + 1) * f].iter_mut().for_each(|v| *v = v.max(0.0));
            }
        }
    }

    /// The max over time, before ReLU, of the `gn` texts from `g0` on, whose input is
    /// `xg: [T, gn, E]`: `Y`'s rows a block of steps at a time, each block's output steps
    /// folded into `pooled` and `argmax`.
    fn group_forward(&mut self, xg: &[f32], g0: usize, gn: usize, packed: &[f32], biases: &[&[f32]]) {
        let (f, s) = (self.f, self.s);
        let wf = self.widths.len() * f;
        if let Some(wb) = &self.winograd {
            let (best, won) = (&mut self.pooled[g0 * wf..(g0 + gn) * wf], &mut self.argmax[g0 * wf..(g0 + gn) * wf]);
            return wb.fold_group((xg, self.t, gn), (self.e, f), packed, biases, best, won, wf);
        }
        let shifts = self.layout.shifts();
        let t_out = (0..self.widths.len()).map(|i| self.t_out(i)).max().unwrap_or(0);
        let block = (Y_BYTES / (4 * gn * s).max(1)).clamp(1, t_out.max(1));
        self.y.resize(block * gn * s, 0.0);
        // where `Y_j` starts in `y` for the block in hand, and its row length
        let mut y_at = vec![0; shifts + 1];
        let columns: Vec<usize> = (0..shifts).map(|j| self.layout.columns(j)).collect();
        let mut from = Vec::with_capacity(shifts);
        for s0 in (0..t_out).step_by(block) {
            let s1 = (s0 + block).min(t_out);
            for j in 0..shifts {
                y_at[j + 1] = y_at[j] + self.shift_steps(j, s0, s1) * gn * columns[j];
            }
            self.shift_products(xg, gn, (s0, s1), packed, &y_at);
            for (i, &w) in self.widths.iter().enumerate() {
                let steps = s0..s1.min(self.t_out(i));
                if steps.is_empty() {
                    continue;
                }
                // width i's F columns of each Y_j it uses, for the block's first step and text 0
                from.clear();
                from.extend((0..w).map(|j| y_at[j] + self.layout.column(j, i)));
                let fold = Fold { y: &self.y, from: &from, columns: &columns, gn, s0, steps, bias: biases[i] };
                let (pooled, argmax) = (&mut self.pooled[g0 * wf + i * f..], &mut self.argmax[g0 * wf + i * f..]);
                fold_in_build(&fold, pooled, argmax, wf);
            }
        }
    }

    /// The input steps shift `j` reads for the output steps `s0 .. s1` (none past the last
    /// output step of the narrowest width using it).
    fn shift_steps(&self, j: usize, s0: usize, s1: usize) -> usize {
        s1.min((self.t + 1).saturating_sub(self.layout.narrowest_user(j))).saturating_sub(s0)
    }

    /// Every shift's rows of `Y` for the output steps `s0 .. s1` of the group `xg: [T, gn, E]`:
    /// `Y_j` (at `y_at[j]` in `y`) `= xg[s0 + j ..] · K_j`. With fewer texts than cores (one
    /// text at a time), the shifts are dealt to the cores — the same bits, each value of `Y`
    /// being one FMA chain whoever computes it, and each core reads only its shifts' `K_j`.
    fn shift_products(&mut self, xg: &[f32], gn: usize, (s0, s1): (usize, usize), packed: &[f32], y_at: &[usize]) {
        let (e, s, layout) = (self.e, self.s, &self.layout);
        let build = crate::kernels::active();
        let mut jobs: Vec<ShiftJob> = Vec::with_capacity(layout.shifts());
        let mut rest = &mut self.y[..y_at[layout.shifts()]];
        for j in 0..layout.shifts() {
            let (out, tail) = std::mem::take(&mut rest).split_at_mut(y_at[j + 1] - y_at[j]);
            jobs.push((j, out));
            rest = tail;
        }
        let product = |(j, out): ShiftJob| {
            let (n, rows) = (layout.columns(j), out.len() / layout.columns(j));
            if rows > 0 {
                let x = &xg[(s0 + j) * gn * e..];
                shift_product(build, s, (rows, e, n), x, &packed[layout.shift_range(j)], out);
            }
        };
        let threads = rayon::current_num_threads();
        if gn >= threads || (s1 - s0) * gn < SPREAD_ROWS {
            return jobs.into_iter().for_each(product);
        }
        // deal the shifts, largest first, each to the core with the least work so far
        jobs.sort_by_key(|(j, out)| std::cmp::Reverse((out.len(), *j)));
        let mut cores: Vec<(usize, Vec<ShiftJob>)> = (0..threads).map(|_| (0, Vec::new())).collect();
        for job in jobs {
            let core = cores.iter_mut().min_by_key(|(work, _)| *work).expect("more cores than texts");
            core.0 += job.1.len();
            core.1.push(job);
        }
        use rayon::prelude::*;
        cores.into_par_iter().for_each(|(_, jobs)| jobs.into_iter().for_each(product));
    }

    /// Backward from `dy: [N, widths·F]` over the forward's input `x` and kernels.
    pub fn backward(&mut self, x: &[f32], kernels: &[&[f32]], dy: &[f32], grads: BankGrads<'_, '_>) {
        backward_in_build(self, x, kernels, dy, grads)
    }

    /// [`ConvBank::backward`]'s loops, inlined into each build of [`backward_in_build`].
    #[inline(always)]
    fn backward_lanes(&mut self, x: &[f32], kernels: &[&[f32]], dy: &[f32], grads: BankGrads<'_, '_>) {
        let BankGrads { kernels: dkernels, biases: dbiases, mut dx } = grads;
        let (n, e, f) = (self.n, self.e, self.f);
        let wf = self.widths.len() * f;
        if let Some(dx) = dx.as_deref_mut() {
            dx.fill(0.0);
        }
        for (i, &w) in self.widths.iter().enumerate() {
            if self.t_out(i) == 0 {
                continue;
            }
            // [w, E, F] → [w, F, E], so that a filter's column is a contiguous row
            let ef = e * f;
            self.dkt.clear();
            self.dkt.resize(w * ef, 0.0);
            if dx.is_some() {
                self.kt.resize(w * ef, 0.0);
                for j in 0..w {
                    transpose(&kernels[i][j * ef..][..ef], (e, f), &mut self.kt[j * ef..][..ef]);
                }
            }
            // A few texts at a time, filter by filter: a filter's `w` rows of `kt` and `dkt` stay
            // in L1 while those texts use them, and the texts' rows of `x` and `dx` in L2. Each
            // sum still meets its terms in the order of a loop over texts, then filters, then
            // shifts (a `dkt` row's over texts, a `dx` row's over filters and shifts).
            for t0 in (0..n).step_by(BACKWARD_TEXTS) {
                for (fi, db) in dbiases[i].iter_mut().enumerate() {
                    for text in t0..(t0 + BACKWARD_TEXTS).min(n) {
                        let at = text * wf + i * f + fi;
                        // the ReLU passes nothing where the winner was ≤ 0
                        if self.pooled[at] <= 0.0 {
                            continue;
                        }
                        let (g, step) = (dy[at], self.argmax[at] as usize);
                        *db += g;
                        // a zero gradient (dropout zeroes half of Kim's features) would add ±0
                        // (finite x and kernels) to sums that start at +0 and so are never −0:
                        // skipping its axpys keeps the bits and halves the backward's work
                        if g == 0.0 {
                            continue;
                        }
                        for j in 0..w {
                            let row = ((step + j) * n + text) * e;
                            let col = (j * f + fi) * e;
                            let xr = &x[row..row + e];
                            self.dkt[col..col + e].iter_mut().zip(xr).for_each(|(a, v)| *a += g * v);
                            if let Some(dx) = dx.as_deref_mut() {
                                let kr = &self.kt[col..col + e];
                                dx[row..row + e].iter_mut().zip(kr).for_each(|(a, v)| *a += g * v);
                            }
                        }
                    }
                }
            }
            for j in 0..w {
                add_transposed(&self.dkt[j * ef..][..ef], (f, e), &mut dkernels[i][j * ef..][..ef]);
            }
        }
    }
}

/// One shift's product: the shift, and the rows of `Y_j` it writes.
type ShiftJob<'y> = (usize, &'y mut [f32]);

/// Texts the backward takes together (their rows of `x` and `dx`, 290 KB each at Kim's sizes,
/// stay in L2 while every filter passes over them).
const BACKWARD_TEXTS: usize = 4;

/// Fewest rows of `Y` worth sharing among the cores (a rayon hand-off costs about what 16
/// rows' product does at Kim's sizes).
const SPREAD_ROWS: usize = 16;

// The backward's axpys are lane-wise (a multiply, then an add: never fused), so every build
// gives the same bits; the default build's are SSE's 4 lanes.
crate::kernels::compiled_per_kernels!(
    fn backward_in_build / backward_avx2 / backward_avx512 / with #[cfg(test)] backward_with (
        bank: &mut ConvBank,
        x: &[f32],
        kernels: &[&[f32]],
        dy: &[f32],
        grads: BankGrads<'_, '_>,
    ) => backward_body
);

#[inline(always)]
fn backward_body(bank: &mut ConvBank, x: &[f32], kernels: &[&[f32]], dy: &[f32], grads: BankGrads<'_, '_>) {
    bank.backward_lanes(x, kernels, dy, grads)
}

#[cfg(test)]
mod tests;
