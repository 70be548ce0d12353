//! The GRU over a padded batch with Keras's `mask_zero=True` semantics (`--mask-padding`),
//! computing nothing for padding: at a masked step a row's state is carried unchanged (its
//! output there is the previous one, zeros before the first real token; the last state is the
//! state after its last real token).
//!
//! Same design as `lstm::masked`: the real (step, row) pairs packed step-major, one GEMM
//! for the input projection of the `P` real steps (or of their distinct rows), per step the
//! recurrent product and the gate math (`gru::step_forward`, the unmasked path's) on the
//! active rows only (in place when every row is real), and a backward whose weight gradients
//! are GEMMs over the packed rows. Both directions' bodies are compiled a second time for AVX2
//! and FMA, chosen at run time, as the unmasked ones are.

use super::{self as gru, GruCache, StepBackward, StepForward};
use crate::gemm::{gemm, Gemm};
use crate::rnn::{RnnDims, RnnGrads, RnnOutputGrads, RnnParams};
use crate::row_groups::{InputGrad, MaskedScratch};
use crate::small_gemm::matmul;
use crate::step_mask::{gather_rows, scatter_rows, StepMask};

/// What the masked path keeps beside [`GruCache`]'s buffers (whose `gates`, `rec_h`, `dxp` and
/// `dhp` it uses packed, `P` rows, and `xp` too unless the rows are shared: then `[U, 3H]`).
#[derive(Default)]
pub(crate) struct Packed {
    /// whether the last forward was masked
    pub(crate) active: bool,
    mask: StepMask,
    /// `[P, E]` the real steps' inputs
    xs: Vec<f32>,
    /// `[P, H]` each real step's previous state
    h_prev: Vec<f32>,
    /// `[B, H]` scratch: a step's new state for its active rows, before the scatter (a step
    /// whose rows are all real writes the state in place instead)
    h_new: Vec<f32>,
    /// `[B, H]` backward scratch: the active rows' `dh`, and `dh_prev`
    dh_rows: Vec<f32>,
    dh_prev_rows: Vec<f32>,
    /// backward scratch of the input gradient (the real steps' `dx`, or their groups)
    dx_scratch: MaskedScratch,
}

/// Forward over `x: [T, B, E]` from the zero state, skipping the steps `valid: [T, B]` marks
/// false. Outputs and last state are read as after [`gru::forward`].
pub fn forward(d: RnnDims, x: &[f32], p: RnnParams, valid: &[bool], cache: &mut GruCache) {
    assert_eq!(x.len(), d.t * d.b * d.e, "gru: input is not [T, B, E]");
    let mut pk = cache.masked.take().unwrap_or_default();
    pk.active = true;
    pk.mask.set(valid, d.t, d.b);
    forward_in_build(d, x, p, cache, &mut pk);
    cache.release_forward_scratch();
    cache.masked = Some(pk);
}

crate::kernels::compiled_per_kernels!(
    fn forward_in_build / forward_avx2 / forward_avx512 (
        d: RnnDims,
        x: &[f32],
        p: RnnParams,
        cache: &mut GruCache,
        pk: &mut Packed,
    ) => forward_body
);

#[inline(always)]
fn forward_body(d: RnnDims, x: &[f32], p: RnnParams, cache: &mut GruCache, pk: &mut Packed) {
    let (b, h, g) = (d.b, d.h, 3 * d.h);
    let n_packed = pk.mask.packed();
    pk.mask.gather_steps(x, b, d.e, &mut pk.xs);
    pk.h_prev.resize(n_packed * h, 0.0);
    pk.h_new.resize(b * h, 0.0);
    cache.gates.resize(n_packed * g, 0.0);
    cache.rec_h.resize(n_packed * h, 0.0);
    cache.h.resize((d.t + 1) * b * h, 0.0);
    cache.hp.resize(b * g, 0.0);
    // x·W + b_in for the real steps only: [P, E] × [E, 3H], or over their distinct rows (a
    // repeated token's), each step reading a row's through the map as the unmasked path does
    // (the same bits)
    let (b_in, b_rec) = p.bias.split_at(g);
    cache.inputs.map(&pk.xs, d.e);
    let shared = gru::project_inputs(cache, (n_packed, d.e, g), &pk.xs, p.kernel, b_in);
    cache.h[..b * h].fill(0.0);
    for t in 0..d.t {
        let (h_prev, h_next) = cache.h[t * b * h..(t + 2) * b * h].split_at_mut(b * h);
        let (rows, blk) = (pk.mask.rows(t), pk.mask.block(t));
        let n = rows.len();
        let full = n == b && n > 0;
        if !full {
            // carry every row's state, then overwrite the active rows'
            h_next.copy_from_slice(h_prev);
            if n == 0 {
                continue;
            }
        }
        let (hs, gs) = (blk.start * h..blk.end * h, blk.start * g..blk.end * g);
        if full {
            // every row is real (most steps of a bucketed batch): the step reads the state in
            // place and writes the new one straight into it, the same operations
            pk.h_prev[hs.clone()].copy_from_slice(h_prev);
        } else {
            gather_rows(h_prev, rows, h, &mut pk.h_prev[hs.clone()]);
        }
        let hp = &mut cache.hp[..n * g];
        for row in hp.chunks_exact_mut(g) {
            row.copy_from_slice(b_rec);
        }
        // h·U + b_rec for the active rows: [n, H] × [H, 3H]
        matmul(n, h, g, &pk.h_prev[hs.clone()], p.recurrent, true, hp);
        let step = StepForward {
            xp: if shared { &cache.xp[..] } else { &cache.xp[gs.clone()] },
            xp_of_row: shared.then(|| &cache.inputs.of_row()[blk.clone()]),
            hp,
            h_prev: &pk.h_prev[hs.clone()],
            gates: &mut cache.gates[gs],
            rec_h: &mut cache.rec_h[hs.clone()],
            h_next: if full { &mut *h_next } else { &mut pk.h_new[..n * h] },
        };
        gru::step_forward(step, n, h);
        if !full {
            scatter_rows(&pk.h_new[..n * h], rows, h, h_next);
        }
    }
}

/// Backward of [`forward`] (called by [`gru::backward`] when the last forward was masked); the
/// contract of `lstm::backward`, with `dx` zero at masked steps.
pub(crate) fn backward(
    d: RnnDims,
    p: RnnParams,
    cache: &mut GruCache,
    dy: RnnOutputGrads,
    grads: RnnGrads,
    dx: InputGrad,
) {
    let mut pk = cache.masked.take().expect("gru: masked backward without a masked forward");
    backward_in_build(d, p, cache, &mut pk, dy, grads, dx);
    cache.masked = Some(pk);
}

crate::kernels::compiled_per_kernels!(
    fn backward_in_build / backward_avx2 / backward_avx512 (
        d: RnnDims,
        p: RnnParams,
        cache: &mut GruCache,
        pk: &mut Packed,
        dy: RnnOutputGrads,
        grads: RnnGrads,
        dx: InputGrad,
    ) => backward_body
);

#[inline(always)]
fn backward_body(
    d: RnnDims,
    p: RnnParams,
    cache: &mut GruCache,
    pk: &mut Packed,
    dy: RnnOutputGrads,
    grads: RnnGrads,
    dx: InputGrad,
) {
    let (b, h, g) = (d.b, d.h, 3 * d.h);
    let n_packed = pk.mask.packed();
    let GruCache { gates, rec_h, dxp, dhp, dh, recurrent_t, inputs, .. } = cache;
    *dxp = crate::scratch::take(n_packed * g);
    *dhp = crate::scratch::take(n_packed * g);
    dh.resize(b * h, 0.0);
    pk.dh_rows.resize(b * h, 0.0);
    pk.dh_prev_rows.resize(b * h, 0.0);
    match dy.last {
        Some(v) => dh.copy_from_slice(v),
        None => dh.fill(0.0),
    }
    crate::rnn::transpose_into(p.recurrent, h, g, recurrent_t); // Uᵀ: [3H, H]
    for t in (0..d.t).rev() {
        // a masked step's output is the carried state: its gradient joins the carried one
        if let Some(seq) = dy.seq {
            dh.iter_mut().zip(&seq[t * b * h..(t + 1) * b * h]).for_each(|(a, s)| *a += s);
        }
        let (rows, blk) = (pk.mask.rows(t), pk.mask.block(t));
        if rows.is_empty() {
            continue;
        }
        let n = rows.len();
        let full = n == b;
        let (hs, gs) = (blk.start * h..blk.end * h, blk.start * g..blk.end * g);
        let (dh_rows, dh_prev_rows) = (&mut pk.dh_rows[..n * h], &mut pk.dh_prev_rows[..n * h]);
        if !full {
            gather_rows(dh, rows, h, dh_rows);
        }
        let step = StepBackward {
            gates: &gates[gs.clone()],
            rec_h: &rec_h[hs.clone()],
            h_prev: &pk.h_prev[hs],
            // every row real: the gradient is read in place
            dh: if full { &dh[..] } else { &dh_rows[..] },
            dxp: &mut dxp[gs.clone()],
            dhp: &mut dhp[gs.clone()],
            dh_prev: dh_prev_rows,
        };
        gru::step_backward(step, n, h);
        // dh_{t-1} = dh ⊙ z + dHp_t · Uᵀ for the active rows
        matmul(n, g, h, &dhp[gs], recurrent_t, true, dh_prev_rows);
        if full {
            dh.copy_from_slice(dh_prev_rows);
        } else {
            scatter_rows(dh_prev_rows, rows, h, dh);
        }
    }
    // dU += h_prevᵀ · dHp, dW += xsᵀ · dXp: [H or E, P] × [P, 3H]
    gemm(Gemm::new(h, n_packed, g).transpose_a().accumulate(), &pk.h_prev, dhp, grads.recurrent);
    inputs.add_kernel_gradient((n_packed, d.e, g), &pk.xs, dxp, grads.kernel);
    let (gb_in, gb_rec) = grads.bias.split_at_mut(g);
    crate::rnn::add_column_sums(dxp, gb_in);
    crate::rnn::add_column_sums(dhp, gb_rec);
    // dx = dXp · Wᵀ at the real steps: [P, 3H] × [3H, E], zero at masked ones; or per group
    crate::row_groups::masked_input_gradient(dx, &pk.mask, b, dxp, p.kernel, (n_packed, g, d.e), &mut pk.dx_scratch);
}
