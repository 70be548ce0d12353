//! The LSTM over a padded batch with Keras's `mask_zero=True` semantics (`--mask-padding`),
//! computing nothing for padding: at a masked step a row's `h` and `c` are carried unchanged,
//! so its output there is the previous one (zeros before the first real token) and the last
//! state is the state after its last real token.
//!
//! The real (step, row) pairs are packed step-major ([`StepMask`]): the input projection is one
//! GEMM over the `[P, E]` gather of the real steps (or over its distinct rows, a repeated
//! word's projected once: `distinct_inputs.rs`), each step multiplies only its `n_t` active
//! rows' previous state by the recurrent kernel and runs the gate math on them
//! (`lstm::cell_forward`, the unmasked path's), then scatters the new state back; a step whose
//! rows are all real (most steps of a bucketed batch) writes the new state in place instead.
//! Backward mirrors it: per step the active rows' gradients are gathered (read in place when
//! every row is real), the weight gradients are one GEMM each over the `P` packed rows (the
//! input kernel's over their distinct rows), and `dx` is zero at masked steps. With every step
//! real the arithmetic is the unmasked path's, operation for operation. The backward body is
//! compiled per kernel set, as the unmasked one.

use super::{self as lstm, LstmCache};
use crate::gemm::{gemm, Gemm};
use crate::rnn::{transpose_into, RnnDims, RnnGrads, RnnOutputGrads, RnnParams};
use crate::row_groups::{InputGrad, MaskedScratch};
use crate::small_gemm::matmul;
use crate::step_mask::{gather_rows, scatter_rows, StepMask};

/// What the masked path keeps beside [`LstmCache`]'s buffers (whose `gates`, `tanh_c` and `dz`
/// it uses packed: `[P, 4H]`, `[P, H]`, `[P, 4H]`).
#[derive(Default)]
pub(crate) struct Packed {
    /// whether the last forward was masked
    pub(crate) active: bool,
    mask: StepMask,
    /// `[P, E]` the real steps' inputs
    xs: Vec<f32>,
    /// `[P, H]` each real step's previous hidden and cell state
    h_prev: Vec<f32>,
    c_prev: Vec<f32>,
    /// `[B, H]` scratch: a step's new hidden and cell state for its active rows, before the
    /// scatter (a step whose rows are all real writes the state in place instead)
    h_new: Vec<f32>,
    c_new: Vec<f32>,
    /// `[B, H]` backward scratch: the active rows' `dh`, `dc`
    dh_rows: Vec<f32>,
    dc_rows: Vec<f32>,
    /// backward scratch of the input gradient (the real steps' `dx`, or their groups)
    dx_scratch: MaskedScratch,
}

/// Forward over `x: [T, B, E]` from the zero state, skipping the steps `valid: [T, B]` marks
/// false. Outputs and last state are read as after [`lstm::forward`].
pub fn forward(d: RnnDims, x: &[f32], p: RnnParams, valid: &[bool], cache: &mut LstmCache) {
    let (b, h, g) = (d.b, d.h, 4 * d.h);
    assert_eq!(x.len(), d.t * b * d.e, "lstm: input is not [T, B, E]");
    cache.size_states(d);
    let mut pk = cache.masked.take().unwrap_or_default();
    pk.active = true;
    pk.mask.set(valid, d.t, b);
    let n_packed = pk.mask.packed();
    pk.mask.gather_steps(x, b, d.e, &mut pk.xs);
    for buf in [&mut pk.h_prev, &mut pk.c_prev] {
        buf.resize(n_packed * h, 0.0);
    }
    for buf in [&mut pk.h_new, &mut pk.c_new] {
        buf.resize(b * h, 0.0);
    }
    cache.gates.resize(n_packed * g, 0.0);
    cache.tanh_c.resize(n_packed * h, 0.0);
    // z = x·W + bias for the real steps only: [P, E] × [E, 4H], the bias added as z is stored,
    // or over their distinct rows (a repeated token's) only, each step's product starting
    // from its rows' (the same bits as copying them to every repeat first)
    cache.inputs.map(&pk.xs, d.e);
    let held = cache.inputs.project_held((n_packed, d.e, g), &pk.xs, p.kernel, p.bias, &mut cache.gates);
    cache.h[..b * h].fill(0.0);
    cache.c[..b * h].fill(0.0);
    for t in 0..d.t {
        let (h_prev, h_next) = cache.h[t * b * h..(t + 2) * b * h].split_at_mut(b * h);
        let (c_prev, c_next) = cache.c[t * b * h..(t + 2) * b * h].split_at_mut(b * h);
        let (rows, blk) = (pk.mask.rows(t), pk.mask.block(t));
        let n = rows.len();
        // every row real (most steps of a bucketed batch): the new state is written in place
        let full = n == b && n > 0;
        if !full {
            // carry every row's state, then overwrite the active rows'
            h_next.copy_from_slice(h_prev);
            c_next.copy_from_slice(c_prev);
            if n == 0 {
                continue;
            }
        }
        let hs = blk.start * h..blk.end * h;
        // the active rows' previous state, which backward reads too
        if full {
            pk.h_prev[hs.clone()].copy_from_slice(h_prev);
            pk.c_prev[hs.clone()].copy_from_slice(c_prev);
        } else {
            gather_rows(h_prev, rows, h, &mut pk.h_prev[hs.clone()]);
            gather_rows(c_prev, rows, h, &mut pk.c_prev[hs.clone()]);
        }
        let z = &mut cache.gates[blk.start * g..blk.end * g];
        // z (+)= h_{t-1}·U for the active rows: [n, H] × [H, 4H]
        lstm::recurrent_product((n, h, g), &pk.h_prev[hs.clone()], p.recurrent, held, blk.clone(), z);
        let (c_new, h_new) =
            if full { (&mut c_next[..], &mut h_next[..]) } else { (&mut pk.c_new[..n * h], &mut pk.h_new[..n * h]) };
        lstm::cell_forward(z, &pk.c_prev[hs.clone()], c_new, &mut cache.tanh_c[hs], h_new, h);
        if !full {
            scatter_rows(&pk.h_new[..n * h], rows, h, h_next);
            scatter_rows(&pk.c_new[..n * h], rows, h, c_next);
        }
    }
    cache.inputs.release();
    cache.masked = Some(pk);
}

// Backward of `forward` (called by `lstm::backward` when the last forward was masked); the
// contract of `lstm::backward`, with `dx` zero at masked steps.
crate::kernels::compiled_per_kernels!(
    pub(crate) fn backward / backward_avx2 / backward_avx512 (
        d: RnnDims,
        p: RnnParams,
        cache: &mut LstmCache,
        dy: RnnOutputGrads,
        grads: RnnGrads,
        dx: InputGrad,
    ) => backward_body
);

#[inline(always)]
fn backward_body(d: RnnDims, p: RnnParams, cache: &mut LstmCache, dy: RnnOutputGrads, grads: RnnGrads, dx: InputGrad) {
    let (b, h, g) = (d.b, d.h, 4 * d.h);
    let LstmCache { gates, tanh_c, dz, dh, dc, recurrent_t, masked, inputs, .. } = cache;
    let pk = masked.as_mut().expect("lstm: masked backward without a masked forward");
    let n_packed = pk.mask.packed();
    transpose_into(p.recurrent, h, g, recurrent_t); // Uᵀ: [4H, H]
    dz.resize(n_packed * g, 0.0);
    dh.resize(b * h, 0.0);
    dc.resize(b * h, 0.0);
    pk.dh_rows.resize(b * h, 0.0);
    pk.dc_rows.resize(b * h, 0.0);
    match dy.last {
        Some(v) => dh.copy_from_slice(v),
        None => dh.fill(0.0),
    }
    dc.fill(0.0);
    for t in (0..d.t).rev() {
        // a masked step's output is the carried state: its gradient joins the carried one
        if let Some(seq) = dy.seq {
            dh.iter_mut().zip(&seq[t * b * h..(t + 1) * b * h]).for_each(|(a, s)| *a += s);
        }
        let (rows, blk) = (pk.mask.rows(t), pk.mask.block(t));
        let n = rows.len();
        if n == 0 {
            continue;
        }
        let hs = blk.start * h..blk.end * h;
        let dzt = &mut dz[blk.start * g..blk.end * g];
        let (gates_t, c_prev_t, tanh_c_t) = (&gates[blk.start * g..blk.end * g], &pk.c_prev[hs.clone()], &tanh_c[hs]);
        // every row real: the gradients are read and written in place, as forward did
        let full = n == b;
        let (dh_t, dc_t) = if full {
            (&mut dh[..], &mut dc[..])
        } else {
            gather_rows(dh, rows, h, &mut pk.dh_rows[..n * h]);
            gather_rows(dc, rows, h, &mut pk.dc_rows[..n * h]);
            (&mut pk.dh_rows[..n * h], &mut pk.dc_rows[..n * h])
        };
        lstm::cell_backward(gates_t, c_prev_t, tanh_c_t, dh_t, dc_t, dzt, h);
        // dh_{t-1} = dz_t · Uᵀ for the active rows: [n, 4H] × [4H, H]
        matmul(n, g, h, dzt, recurrent_t, false, dh_t);
        if !full {
            scatter_rows(&pk.dc_rows[..n * h], rows, h, dc);
            scatter_rows(&pk.dh_rows[..n * h], rows, h, dh);
        }
    }
    // dU += h_prevᵀ · dz, dW += xsᵀ · dz: [H or E, P] × [P, 4H]
    gemm(Gemm::new(h, n_packed, g).transpose_a().accumulate(), &pk.h_prev, dz, grads.recurrent);
    // (dW over the distinct real rows when they were shared)
    inputs.add_kernel_gradient((n_packed, d.e, g), &pk.xs, dz, grads.kernel);
    crate::rnn::add_column_sums(dz, grads.bias);
    // dx = dz · Wᵀ at the real steps: [P, 4H] × [4H, E], zero at masked ones; or per group
    crate::row_groups::masked_input_gradient(dx, &pk.mask, b, dz, p.kernel, (n_packed, g, d.e), &mut pk.dx_scratch);
}
