//! GRU with Keras's default semantics (`reset_after=True`, the cuDNN-compatible form): gates
//! stacked `(z, r, h)` in a `[E, 3H]` kernel and a `[H, 3H]` recurrent kernel, and two biases
//! (`[2, 3H]`: input, recurrent), because the reset gate multiplies the recurrent projection
//! *after* its bias:
//!
//! ```text
//! z = σ(x·Wz + bz + h·Uz + b'z)      r = σ(x·Wr + br + h·Ur + b'r)
//! n = tanh(x·Wh + bh + r ⊙ (h·Uh + b'h))      h' = z ⊙ h + (1 − z) ⊙ n
//! ```
//!
//! As in the LSTM, the input projection of all steps is one GEMM and each step multiplies only
//! the small state by the recurrent kernel. strata-model's recurrent layer type runs it, alone or
//! inside the bidirectional wrapper: the `gru` and `han` named models, and `type = "gru"` in a
//! model file.
//!
//! Repeated input rows (padding, repeated tokens) share their input-side products
//! (`distinct_inputs.rs`, issue 14 point 3).
//!
//! The gate math of one step is `step_forward` / `step_backward`, shared with
//! [`masked`] (`--mask-padding`: the real steps only); [`backward`] follows whichever
//! forward ran last.

pub mod masked;

use crate::activations::{sigmoid, tanh};
use crate::distinct_inputs::SharedInputs;
use crate::gemm::{gemm, gemm_plus_bias, Gemm};
use crate::small_gemm::matmul;

use crate::rnn::{RnnDims, RnnGrads, RnnOutputGrads, RnnParams};
use crate::row_groups::InputGrad;
use crate::scratch::take_high;

/// Activations saved for backward, and backward's scratch. After a masked forward
/// ([`masked`]) the per-step buffers hold the `P` real steps, packed.
#[derive(Default)]
pub struct GruCache {
    /// `[T, B, 3H]` x·W + b_in for all steps (masked: for the `P` real ones), or `[U, 3H]` for
    /// the distinct input rows when they are shared ([`project_inputs`]); only forward reads
    /// it, so forward gives it back to the thread's pool before it returns (backward reads
    /// `gates`), issue 14's han peak
    pub(crate) xp: Vec<f32>,
    /// `[T, B, 3H]` z, r, n after their nonlinearity
    pub(crate) gates: Vec<f32>,
    /// `[T, B, H]` the candidate's recurrent part h·Uh + b'h (before the reset gate)
    pub(crate) rec_h: Vec<f32>,
    /// `[T+1, B, H]` states, `h[0] = 0`
    pub h: Vec<f32>,
    /// `[B, 3H]` one step's recurrent projection
    pub(crate) hp: Vec<f32>,
    /// `[T, B, 3H]` backward scratch: d(x·W + b_in), d(h·U + b_rec); taken from the thread's
    /// [`crate::scratch`] pool by each backward and given back before it returns, so a stack of layers and directions holds one
    /// pair at a time instead of one per cache (han's peak memory, issue 14)
    pub(crate) dxp: Vec<f32>,
    pub(crate) dhp: Vec<f32>,
    /// `[B, H]` backward scratch: the gradient at the state after a step, and before it
    pub(crate) dh: Vec<f32>,
    pub(crate) dh_prev: Vec<f32>,
    /// `[3H, H]` the recurrent kernel transposed
    pub(crate) recurrent_t: Vec<f32>,
    /// The masked path's packed buffers; `active` only after a masked forward, which is how
    /// backward knows which path ran.
    pub(crate) masked: Option<Box<masked::Packed>>,
    /// The last forward's input rows (every row unmasked, the packed real ones masked): mapped
    /// to their distinct rows, and whether the input side ran per distinct row
    pub(crate) inputs: SharedInputs,
    /// The largest `xp`, `dxp`/`dhp` and grouped `[G, 3H]` lengths asked for (see [`take_high`])
    xp_high: usize,
    dxp_high: usize,
    groups_high: usize,
}

impl GruCache {
    pub fn outputs(&self, d: RnnDims) -> &[f32] {
        &self.h[d.b * d.h..(d.t + 1) * d.b * d.h]
    }

    pub fn last(&self, d: RnnDims) -> &[f32] {
        &self.h[d.t * d.b * d.h..(d.t + 1) * d.b * d.h]
    }

    /// Hands forward's input projection (`xp`) back to the thread's [`crate::scratch`] pool,
    /// which backward does not read.
    pub(crate) fn release_forward_scratch(&mut self) {
        crate::scratch::give(std::mem::take(&mut self.xp));
    }

    /// Hands backward's `[T, B, 3H]` scratch back to the thread's pool (every element is written before it is read, so
    /// a fresh buffer gives the same bits).
    fn release_backward_scratch(&mut self) {
        crate::scratch::give(std::mem::take(&mut self.dxp));
        crate::scratch::give(std::mem::take(&mut self.dhp));
    }

    /// Marks the cache as the unmasked path's, keeping the masked buffers for reuse.
    fn unmask(&mut self) {
        if let Some(m) = self.masked.as_mut() {
            m.active = false;
        }
    }
}

/// Forward over a time-major input `x: [T, B, E]`. The gate loop is compiled a second time for
/// AVX2 (chosen at run time), as the LSTM's cell is.
pub fn forward(d: RnnDims, x: &[f32], p: RnnParams, cache: &mut GruCache) {
    cache.unmask();
    cache.h.resize((d.t + 1) * d.b * d.h, 0.0);
    cache.h[..d.b * d.h].fill(0.0);
    run_steps(d, x, p, cache);
    cache.release_forward_scratch();
}

/// [`forward`] from a given state `h0: [B, H]`, as a language model carries it across
/// segments; `backward` gives no gradient for `h0` (truncated BPTT). The final state is
/// [`GruCache::last`].
pub fn forward_from(d: RnnDims, x: &[f32], p: RnnParams, h0: &[f32], cache: &mut GruCache) {
    assert_eq!(h0.len(), d.b * d.h, "gru: initial state is not [B, H]");
    cache.unmask();
    cache.h.resize((d.t + 1) * d.b * d.h, 0.0);
    cache.h[..d.b * d.h].copy_from_slice(h0);
    run_steps(d, x, p, cache);
    cache.release_forward_scratch();
}

// The steps of forward, from the state already in `cache.h[0]`.
crate::kernels::compiled_per_kernels!(
    pub(crate) fn run_steps / forward_avx2 / forward_avx512 (d: RnnDims, x: &[f32], p: RnnParams, cache: &mut GruCache)
        => forward_body
);

#[inline(always)]
fn forward_body(d: RnnDims, x: &[f32], p: RnnParams, cache: &mut GruCache) {
    let (b, h, g) = (d.b, d.h, 3 * d.h);
    assert_eq!(x.len(), d.t * b * d.e, "gru: input is not [T, B, E]");
    let tb = d.t * b;
    cache.gates.resize(tb * g, 0.0);
    cache.rec_h.resize(tb * h, 0.0);
    cache.h.resize((d.t + 1) * b * h, 0.0);
    cache.hp.resize(b * g, 0.0);
    let (b_in, b_rec) = p.bias.split_at(g);
    cache.inputs.map(x, d.e);
    let shared = project_inputs(cache, (tb, d.e, g), x, p.kernel, b_in);
    for t in 0..d.t {
        let (h_prev, h_next) = cache.h[t * b * h..(t + 2) * b * h].split_at_mut(b * h);
        for row in cache.hp.chunks_exact_mut(g) {
            row.copy_from_slice(b_rec);
        }
        matmul(b, h, g, h_prev, p.recurrent, true, &mut cache.hp);
        let (xp, xp_of_row) = match shared {
            true => (&cache.xp[..], Some(&cache.inputs.of_row()[t * b..(t + 1) * b])),
            false => (&cache.xp[t * b * g..(t + 1) * b * g], None),
        };
        let step = StepForward {
            xp,
            xp_of_row,
            hp: &cache.hp,
            h_prev,
            gates: &mut cache.gates[t * b * g..(t + 1) * b * g],
            rec_h: &mut cache.rec_h[t * b * h..(t + 1) * b * h],
            h_next,
        };
        step_forward(step, b, h);
    }
}

/// `cache.xp` = `x·W + b_in` for the rows of `x: [N, E]` (`shape` is `(N, E, 3H)`), already
/// mapped in `cache.inputs`, the bias added as it is stored; shared, once per distinct row (the
/// same bits): `xp` then holds the distinct rows' `[U, 3H]`, each step reading a row's through
/// the map ([`StepForward::xp_of_row`]), without copying it to the row's every repeat. Returns
/// whether the rows are shared. Both forwards call it (`masked.rs` over its packed real rows).
pub(crate) fn project_inputs(
    cache: &mut GruCache,
    (n, e, g): (usize, usize, usize),
    x: &[f32],
    kernel: &[f32],
    b_in: &[f32],
) -> bool {
    let shared = cache.inputs.shared();
    let rows = if shared { cache.inputs.distinct() } else { n };
    cache.xp = take_high(rows * g, &mut cache.xp_high);
    if shared {
        cache.inputs.project_distinct(x, kernel, b_in, &mut cache.xp);
    } else {
        gemm_plus_bias(Gemm::new(n, e, g), x, kernel, b_in, &mut cache.xp[..n * g]);
    }
    shared
}

/// One step's buffers for `n` rows: inputs `xp`, `hp` (`[n, 3H]`), `h_prev` (`[n, H]`);
/// outputs `gates` (`[n, 3H]`), `rec_h`, `h_next` (`[n, H]`). With `xp_of_row` (`[n]`), row
/// `i`'s input projection is row `xp_of_row[i]` of `xp` (the distinct input rows').
pub(crate) struct StepForward<'a> {
    pub(crate) xp: &'a [f32],
    pub(crate) xp_of_row: Option<&'a [u32]>,
    pub(crate) hp: &'a [f32],
    pub(crate) h_prev: &'a [f32],
    pub(crate) gates: &'a mut [f32],
    pub(crate) rec_h: &'a mut [f32],
    pub(crate) h_next: &'a mut [f32],
}

/// The gate math of one step for `n` rows (inlined into the callers' AVX2 bodies).
///
/// Short loops over whole slices, each of one kind of work: the `z` and `r` sigmoids (`2H`
/// independent values), `n`'s pre-activation, its `tanh`, then the new state. One indexed loop
/// doing all of a unit's work (`xp[2 * h + j]`, `h_next[bi * h + j]`, …) was not vectorised by
/// LLVM: the gate math ran one float at a time, 43 % of the GRU forward's time. Each value gets
/// the same operations as before, lane for lane, so the same bits.
#[inline(always)]
pub(crate) fn step_forward(s: StepForward, n: usize, h: usize) {
    let g = 3 * h;
    let StepForward { xp, xp_of_row, hp, h_prev, gates, rec_h, h_next } = s;
    for bi in 0..n {
        let at = xp_of_row.map_or(bi, |m| m[bi] as usize);
        let (xzr, xn) = xp[at * g..(at + 1) * g].split_at(2 * h);
        let (hzr, hn) = hp[bi * g..(bi + 1) * g].split_at(2 * h);
        let (zr, n_gate) = gates[bi * g..(bi + 1) * g].split_at_mut(2 * h);
        // z and r: [2H] sigmoids of independent values
        zr.iter_mut().zip(xzr).zip(hzr).for_each(|((v, x), u)| *v = sigmoid(x + u));
        let (z, r) = zr.split_at(h);
        // n = tanh(x·Wh + bh + r ⊙ (h·Uh + b'h)): [H] (xp holds x·W + b_in)
        n_gate.iter_mut().zip(r).zip(xn.iter().zip(hn)).for_each(|((v, rj), (x, u))| *v = x + rj * u);
        n_gate.iter_mut().for_each(|v| *v = tanh(*v));
        rec_h[bi * h..(bi + 1) * h].copy_from_slice(hn);
        // h' = z ⊙ h + (1 − z) ⊙ n: [H]
        let read = z.iter().zip(&h_prev[bi * h..(bi + 1) * h]).zip(&*n_gate);
        h_next[bi * h..(bi + 1) * h]
            .iter_mut()
            .zip(read)
            .for_each(|(v, ((zj, hj), nj))| *v = zj * hj + (1.0 - zj) * nj);
    }
}

/// One backward step's buffers for `n` rows: saved `gates` (`[n, 3H]`), `rec_h`, `h_prev`
/// (`[n, H]`) and the gradient `dh` at the new state (`[n, H]`); outputs the pre-activation
/// gradients `dxp`, `dhp` (`[n, 3H]`) and `dh_prev = dh ⊙ z` (`[n, H]`, before the `dhp·Uᵀ`
/// the caller adds).
pub(crate) struct StepBackward<'a> {
    pub(crate) gates: &'a [f32],
    pub(crate) rec_h: &'a [f32],
    pub(crate) h_prev: &'a [f32],
    pub(crate) dh: &'a [f32],
    pub(crate) dxp: &'a mut [f32],
    pub(crate) dhp: &'a mut [f32],
    pub(crate) dh_prev: &'a mut [f32],
}

/// The backward gate math of one step for `n` rows (inlined into the callers' AVX2 bodies).
#[inline(always)]
pub(crate) fn step_backward(s: StepBackward, n: usize, h: usize) {
    let g = 3 * h;
    let StepBackward { gates, rec_h, h_prev, dh, dxp, dhp, dh_prev } = s;
    for bi in 0..n {
        let gates = &gates[bi * g..(bi + 1) * g];
        let rec_h = &rec_h[bi * h..(bi + 1) * h];
        let dxr = &mut dxp[bi * g..(bi + 1) * g];
        let dhr = &mut dhp[bi * g..(bi + 1) * g];
        for j in 0..h {
            let (z, r, n) = (gates[j], gates[h + j], gates[2 * h + j]);
            let dhj = dh[bi * h + j];
            let dn_pre = dhj * (1.0 - z) * (1.0 - n * n);
            let dz_pre = dhj * (h_prev[bi * h + j] - n) * z * (1.0 - z);
            let dr_pre = dn_pre * rec_h[j] * r * (1.0 - r);
            dxr[j] = dz_pre;
            dxr[h + j] = dr_pre;
            dxr[2 * h + j] = dn_pre;
            dhr[j] = dz_pre;
            dhr[h + j] = dr_pre;
            dhr[2 * h + j] = dn_pre * r;
            dh_prev[bi * h + j] = dhj * z;
        }
    }
}

/// Backward; same contract as `lstm::backward`. A masked forward is followed by the masked
/// backward; otherwise the gate loop runs in the build `kernels::active` chose.
pub fn backward(
    d: RnnDims,
    x: &[f32],
    p: RnnParams,
    cache: &mut GruCache,
    dy: RnnOutputGrads,
    grads: RnnGrads,
    dx: Option<&mut [f32]>,
) {
    backward_to(d, x, p, cache, dy, grads, dx.map_or(InputGrad::None, InputGrad::Rows));
}

/// [`backward`] with the input gradient written where `dx` says: nowhere, every row's, or
/// summed per group of input rows ([`crate::row_groups`]: both paths sum `d(x·W)` per group,
/// the masked one over its real steps, and multiply only the groups' sums by `Wᵀ`).
pub(crate) fn backward_to(
    d: RnnDims,
    x: &[f32],
    p: RnnParams,
    cache: &mut GruCache,
    dy: RnnOutputGrads,
    grads: RnnGrads,
    dx: InputGrad,
) {
    if cache.masked.as_ref().is_some_and(|m| m.active) {
        masked::backward(d, p, cache, dy, grads, dx);
    } else {
        unmasked_backward(d, x, p, cache, dy, grads, dx);
    }
    cache.release_backward_scratch();
}

crate::kernels::compiled_per_kernels!(
    pub(crate) fn unmasked_backward / backward_avx2 / backward_avx512 (
        d: RnnDims,
        x: &[f32],
        p: RnnParams,
        cache: &mut GruCache,
        dy: RnnOutputGrads,
        grads: RnnGrads,
        dx: InputGrad,
    ) => backward_body
);

#[inline(always)]
fn backward_body(
    d: RnnDims,
    x: &[f32],
    p: RnnParams,
    cache: &mut GruCache,
    dy: RnnOutputGrads,
    grads: RnnGrads,
    dx: InputGrad,
) {
    let (b, h, g, tb) = (d.b, d.h, 3 * d.h, d.t * d.b);
    let GruCache { gates, rec_h, h: hs, dxp, dhp, dh, dh_prev, recurrent_t, inputs, dxp_high, groups_high, .. } = cache;
    *dxp = take_high(tb * g, dxp_high); // d(x·W + b_in)
    *dhp = take_high(tb * g, dxp_high); // d(h·U + b_rec)
    let (dxp, dhp) = (&mut dxp[..tb * g], &mut dhp[..tb * g]);
    dh.resize(b * h, 0.0);
    dh_prev.resize(b * h, 0.0);
    match dy.last {
        Some(v) => dh.copy_from_slice(v),
        None => dh.fill(0.0),
    }
    crate::rnn::transpose_into(p.recurrent, h, g, recurrent_t); // Uᵀ: [3H, H]
    for t in (0..d.t).rev() {
        if let Some(seq) = dy.seq {
            dh.iter_mut().zip(&seq[t * b * h..(t + 1) * b * h]).for_each(|(a, s)| *a += s);
        }
        let step = StepBackward {
            gates: &gates[t * b * g..(t + 1) * b * g],
            rec_h: &rec_h[t * b * h..(t + 1) * b * h],
            h_prev: &hs[t * b * h..(t + 1) * b * h],
            dh,
            dxp: &mut dxp[t * b * g..(t + 1) * b * g],
            dhp: &mut dhp[t * b * g..(t + 1) * b * g],
            dh_prev,
        };
        step_backward(step, b, h);
        // dh_{t-1} = dh ⊙ z + dHp_t · Uᵀ
        matmul(b, g, h, &dhp[t * b * g..(t + 1) * b * g], recurrent_t, true, dh_prev);
        std::mem::swap(dh, dh_prev);
    }
    gemm(Gemm::new(h, tb, g).transpose_a().accumulate(), &hs[..tb * h], dhp, grads.recurrent);
    // the kernel's gradient, over the distinct input rows when they were shared
    inputs.add_kernel_gradient((tb, d.e, g), x, dxp, grads.kernel);
    let (gb_in, gb_rec) = grads.bias.split_at_mut(g);
    crate::rnn::add_column_sums(dxp, gb_in);
    crate::rnn::add_column_sums(dhp, gb_rec);
    crate::row_groups::input_gradient(dx, dxp, p.kernel, (tb, g, d.e), groups_high);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distinct_inputs::with_repeats;
    use crate::gradcheck::check;
    use crate::Rng;

    /// `[x, kernel, recurrent, bias, probe]` drawn in that order from `seed`, uniform in ±0.8:
    /// `x: [T, B, E]`, `kernel: [E, 3H]`, `recurrent: [H, 3H]`, `bias: [2, 3H]` and a probe of
    /// the outputs `[T, B, H]`.
    fn draw(d: RnnDims, seed: u64) -> [Vec<f32>; 5] {
        let mut rng = Rng::new(seed);
        let mut r = |n: usize| (0..n).map(|_| rng.uniform(-0.8, 0.8)).collect::<Vec<f32>>();
        [r(d.t * d.b * d.e), r(d.e * 3 * d.h), r(d.h * 3 * d.h), r(6 * d.h), r(d.t * d.b * d.h)]
    }

    fn run_check(return_sequences: bool, repeats: bool) {
        let d = RnnDims { b: 2, t: 4, e: 3, h: 3 };
        let mut rng = Rng::new(21);
        let mut r = |n: usize, s: f32| (0..n).map(|_| rng.uniform(-s, s)).collect::<Vec<f32>>();
        let (x, k, u, bias) = (r(d.t * d.b * d.e, 1.0), r(d.e * 3 * d.h, 0.6), r(d.h * 3 * d.h, 0.6), r(6 * d.h, 0.5));
        let x = with_repeats(x, d.e, repeats);
        let n_out = if return_sequences { d.t * d.b * d.h } else { d.b * d.h };
        let probe = r(n_out, 1.0);
        let loss = |x: &[f32], k: &[f32], u: &[f32], bias: &[f32]| {
            let mut c = GruCache::default();
            forward(d, x, RnnParams { kernel: k, recurrent: u, bias }, &mut c);
            let out = if return_sequences { c.outputs(d) } else { c.last(d) };
            out.iter().zip(&probe).map(|(o, p)| (o * p) as f64).sum::<f64>()
        };
        let mut c = GruCache::default();
        let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
        forward(d, &x, p, &mut c);
        assert_eq!(c.inputs.shared(), repeats, "the path under test");
        let (mut dk, mut du, mut db, mut dx) =
            (vec![0.0; k.len()], vec![0.0; u.len()], vec![0.0; bias.len()], vec![0.0; x.len()]);
        let (seq, last) = if return_sequences { (Some(&probe[..]), None) } else { (None, Some(&probe[..])) };
        let grads = RnnGrads { kernel: &mut dk, recurrent: &mut du, bias: &mut db };
        backward(d, &x, p, &mut c, RnnOutputGrads { seq, last }, grads, Some(&mut dx));
        let tag = if return_sequences { "seq" } else { "last" };
        for worst in [
            check(&format!("gru({tag}).kernel"), &k, &dk, |v| loss(&x, v, &u, &bias)),
            check(&format!("gru({tag}).recurrent_kernel"), &u, &du, |v| loss(&x, &k, v, &bias)),
            check(&format!("gru({tag}).bias"), &bias, &db, |v| loss(&x, &k, &u, v)),
            check(&format!("gru({tag}).input"), &x, &dx, |v| loss(v, &k, &u, &bias)),
        ] {
            assert!(worst < 1e-2, "gru {tag}: max rel diff {worst}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences_last_state() {
        run_check(false, false);
    }

    #[test]
    fn gradient_matches_finite_differences_all_states() {
        run_check(true, false);
    }

    /// The path that computes the input side once per distinct input row (issue 14 point 3).
    #[test]
    fn gradient_matches_finite_differences_with_repeated_input_rows() {
        run_check(false, true);
        run_check(true, true);
    }

    /// Forward frees its `[T, B, 3H]` input projection and backward its scratch before they
    /// return, on either path, and a second backward on the same cache (scratch allocated afresh) gives the same bits.
    #[test]
    fn forward_and_backward_keep_no_scratch_and_repeat_bit_for_bit() {
        let d = RnnDims { b: 3, t: 5, e: 4, h: 6 };
        let [x, k, u, bias, probe] = draw(d, 5);
        let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
        let valid: Vec<bool> = (0..d.t * d.b).map(|i| i % d.b != 1 || i / d.b < 3).collect();
        for masked_path in [false, true] {
            let mut c = GruCache::default();
            let run = |c: &mut GruCache| {
                let (mut dk, mut du, mut db, mut dx) =
                    (vec![0.0; k.len()], vec![0.0; u.len()], vec![0.0; bias.len()], vec![0.0; x.len()]);
                let grads = RnnGrads { kernel: &mut dk, recurrent: &mut du, bias: &mut db };
                backward(d, &x, p, c, RnnOutputGrads { seq: Some(&probe), last: None }, grads, Some(&mut dx));
                assert_eq!((c.dxp.capacity(), c.dhp.capacity()), (0, 0), "masked={masked_path}: scratch kept");
                (dk, du, db, dx)
            };
            if masked_path {
                masked::forward(d, &x, p, &valid, &mut c);
            } else {
                forward(d, &x, p, &mut c);
            }
            assert_eq!(c.xp.capacity(), 0, "masked={masked_path}: forward kept x·W + b_in");
            let first = run(&mut c);
            assert!(first == run(&mut c), "masked={masked_path}: a second backward differs");
        }
    }
}
