//! LSTM with Keras's semantics: gates stacked `(i, f, c, o)` in a `[E, 4H]` kernel, a `[H, 4H]`
//! recurrent kernel and one `[4H]` bias; sigmoid recurrent activation, tanh activation; zero
//! initial state ([`forward`]) or a given one ([`forward_from`], for a language model's carried
//! state).
//!
//! Forward computes the input projection of all time steps in one GEMM (`[T*B, E] × [E, 4H]`,
//! or `[U, E]` over the distinct input rows, each step's `h·U` then starting from its rows'
//! projections where they lie) and then, per step, only `h·U` plus the fused gate math.
//! Backward runs the steps in reverse, collecting the pre-activation gradients `dz` of every
//! step, and then forms the weight gradients with one GEMM each; `dx` is computed only when
//! the layer below trains.
//!
//! Over a padded batch with `--mask-padding` (Keras's `mask_zero=True`) [`masked`]
//! runs instead, on the real steps only; [`backward`] follows whichever forward ran last.
//!
//! Masked or not, repeated input rows (the padding row at every padded step, a repeated word)
//! share their input-side products (`distinct_inputs.rs`): `x·W + bias` once per distinct row,
//! the same bits; in backward `xᵀ·dz` over the distinct rows and, under a grouped backward,
//! `dz·Wᵀ` once per id (`row_groups.rs`), rounding only.

pub mod masked;

use crate::activations::{sigmoid, tanh};
use crate::distinct_inputs::SharedInputs;
use crate::gemm::{gemm, Gemm};
use crate::small_gemm::{matmul, matmul_from_rows};

use crate::rnn::{RnnDims, RnnGrads, RnnOutputGrads, RnnParams};
use crate::row_groups::InputGrad;

/// Activations saved by forward for backward, plus backward's scratch space. Reused across
/// batches of the same size, so training allocates nothing per step. After a masked forward
/// ([`masked`]) `gates`, `tanh_c` and `dz` hold the `P` real steps, packed.
#[derive(Default)]
pub struct LstmCache {
    /// `[T, B, 4H]` gate activations (i, f, g, o after their nonlinearity)
    pub gates: Vec<f32>,
    /// `[T+1, B, H]` cell states, `c[0] = 0`
    pub c: Vec<f32>,
    /// `[T+1, B, H]` hidden states, `h[0] = 0`; `h[1..]` is the output sequence
    pub h: Vec<f32>,
    /// `[T, B, H]` `tanh(c[t+1])`
    pub tanh_c: Vec<f32>,
    /// `[T, B, 4H]` backward scratch: pre-activation gradients
    pub dz: Vec<f32>,
    /// `[B, H]` backward scratch
    pub dh: Vec<f32>,
    pub dc: Vec<f32>,
    /// `[4H, H]` the recurrent kernel transposed, for backward's per-step product
    pub recurrent_t: Vec<f32>,
    /// The masked path's packed buffers ([`masked`]); `active` only after a masked forward,
    /// which is how backward knows which path ran.
    pub(crate) masked: Option<Box<masked::Packed>>,
    /// The last forward's input rows (every row unmasked, the packed real ones masked): mapped
    /// to their distinct rows, and whether the input side ran per distinct row
    pub(crate) inputs: SharedInputs,
    /// The largest grouped `[G, 4H]` length asked for (see
    /// [`take_high`](crate::scratch::take_high))
    pub(crate) groups_high: usize,
}

impl LstmCache {
    /// Sizes the unmasked path's buffers for `d`: `gates`, `tanh_c` and the states `h`, `c`.
    pub(crate) fn size_for(&mut self, d: RnnDims) {
        let (tb, g, h) = (d.t * d.b, 4 * d.h, d.h);
        self.gates.resize(tb * g, 0.0);
        self.tanh_c.resize(tb * h, 0.0);
        self.size_states(d);
    }

    /// Sizes only the state buffers `h`, `c` for `d`: the masked path sizes `gates` and
    /// `tanh_c` to its packed real steps itself (sizing them for every step first zero-filled
    /// up to `[T, B, 4H]` whenever a batch was longer than the last, only to cut it back).
    pub(crate) fn size_states(&mut self, d: RnnDims) {
        self.c.resize((d.t + 1) * d.b * d.h, 0.0);
        self.h.resize((d.t + 1) * d.b * d.h, 0.0);
    }

    /// Marks the cache as the unmasked path's, keeping the masked buffers for reuse.
    fn unmask(&mut self) {
        if let Some(m) = self.masked.as_mut() {
            m.active = false;
        }
    }

    /// The output sequence `[T, B, H]`.
    pub fn outputs(&self, d: RnnDims) -> &[f32] {
        &self.h[d.b * d.h..(d.t + 1) * d.b * d.h]
    }

    /// The last hidden state `[B, H]`.
    pub fn last(&self, d: RnnDims) -> &[f32] {
        &self.h[d.t * d.b * d.h..(d.t + 1) * d.b * d.h]
    }

    /// The last cell state `[B, H]`.
    pub fn last_cell(&self, d: RnnDims) -> &[f32] {
        &self.c[d.t * d.b * d.h..(d.t + 1) * d.b * d.h]
    }
}

/// Forward over a time-major input `x: [T, B, E]` from the zero state; results land in `cache`.
pub fn forward(d: RnnDims, x: &[f32], p: RnnParams, cache: &mut LstmCache) {
    cache.unmask();
    cache.size_for(d);
    cache.c[..d.b * d.h].fill(0.0);
    cache.h[..d.b * d.h].fill(0.0);
    run_steps(d, x, p, cache);
}

/// [`forward`] from a given state `h0`, `c0` (`[B, H]` each), as a language model carries it
/// across segments. `backward` then gives no gradient for the initial state (truncated BPTT);
/// the final state is [`LstmCache::last`] and [`LstmCache::last_cell`].
pub fn forward_from(d: RnnDims, x: &[f32], p: RnnParams, h0: &[f32], c0: &[f32], cache: &mut LstmCache) {
    assert!(h0.len() == d.b * d.h && c0.len() == d.b * d.h, "lstm: initial state is not [B, H]");
    cache.unmask();
    cache.size_for(d);
    cache.h[..d.b * d.h].copy_from_slice(h0);
    cache.c[..d.b * d.h].copy_from_slice(c0);
    run_steps(d, x, p, cache);
}

/// The steps of forward, from the state already in `cache.h[0]`, `cache.c[0]`.
fn run_steps(d: RnnDims, x: &[f32], p: RnnParams, cache: &mut LstmCache) {
    let (b, h, g) = (d.b, d.h, 4 * d.h);
    assert_eq!(x.len(), d.t * b * d.e, "lstm: input is not [T, B, E]");
    cache.inputs.map(x, d.e);
    // z = x·W + bias for all steps at once, the bias added as z is stored: [T*B, E] × [E, 4H],
    // or over the distinct input rows only, each step's product starting from its rows' (the
    // same bits as copying them to every repeat first)
    let held = cache.inputs.project_held((d.t * b, d.e, g), x, p.kernel, p.bias, &mut cache.gates);
    for t in 0..d.t {
        let z = &mut cache.gates[t * b * g..(t + 1) * b * g];
        let (h_prev, h_next) = cache.h[t * b * h..(t + 2) * b * h].split_at_mut(b * h);
        // z (+)= h_{t-1}·U: [B, H] × [H, 4H]
        recurrent_product((b, h, g), h_prev, p.recurrent, held, t * b..(t + 1) * b, z);
        let (c_prev, c_next) = cache.c[t * b * h..(t + 2) * b * h].split_at_mut(b * h);
        let tanh_c = &mut cache.tanh_c[t * b * h..(t + 1) * b * h];
        cell_forward(z, c_prev, c_next, tanh_c, h_next, h);
    }
    cache.inputs.release();
}

/// A step's `z (+)= h·U` for its `n` rows `rows` of the layer's input rows (`h: [n, H]`,
/// `recurrent: [H, 4H]`): from `z` as it stands (the projection already there), or, with
/// `projections` (the distinct input rows' `[U, 4H]` and every input row's distinct row, as
/// [`SharedInputs::project_held`] gives them), from each row's projection where it lies — the
/// same bits. Both forwards call it (`masked.rs` for a step's active rows).
#[inline(always)]
pub(crate) fn recurrent_product(
    (n, h, g): (usize, usize, usize),
    h_rows: &[f32],
    recurrent: &[f32],
    projections: Option<(&[f32], &[u32])>,
    rows: std::ops::Range<usize>,
    z: &mut [f32],
) {
    match projections {
        None => matmul(n, h, g, h_rows, recurrent, true, z),
        Some((table, of_row)) => matmul_from_rows((n, h, g), h_rows, recurrent, (table, &of_row[rows]), z),
    }
}

/// The gate math of one step for all rows: `z: [B, 4H]` pre-activations in, activations out;
/// `c_next = f·c_prev + i·g`, `tanh_c = tanh(c_next)`, `h_next = o·tanh_c` (all `[B, H]`).
///
/// Two passes a row: the four gates' nonlinearities, each a loop of independent values, then
/// the state. One loop doing a unit's all five `exp`s and divisions, then its state, has a
/// dependency chain of ~150 cycles a vector (two of them in sequence: a gate's `exp` and
/// division, then `tanh(c)`'s) and more instructions a vector than the out-of-order window
/// holds twice over, so it waited on latency; short loops keep the vector units busy. Each
/// value gets the same operations as before, so the same bits.
#[inline(always)]
fn cell_forward_body(
    z: &mut [f32],
    c_prev: &[f32],
    c_next: &mut [f32],
    tanh_c: &mut [f32],
    h_next: &mut [f32],
    h: usize,
) {
    let g = 4 * h;
    for (bi, zr) in z.chunks_exact_mut(g).enumerate() {
        let (zif, rest) = zr.split_at_mut(2 * h);
        let (zc, zo) = rest.split_at_mut(h);
        zif.iter_mut().for_each(|v| *v = sigmoid(*v));
        zc.iter_mut().for_each(|v| *v = tanh(*v));
        zo.iter_mut().for_each(|v| *v = sigmoid(*v));
        let (i, f) = zif.split_at(h);
        let r = bi * h..(bi + 1) * h;
        let (cp, cn, tc, hn) = (&c_prev[r.clone()], &mut c_next[r.clone()], &mut tanh_c[r.clone()], &mut h_next[r]);
        for j in 0..h {
            let c = f[j] * cp[j] + i[j] * zc[j];
            let th = tanh(c);
            cn[j] = c;
            tc[j] = th;
            hn[j] = zo[j] * th;
        }
    }
}

crate::kernels::compiled_per_kernels!(
    pub(crate) fn cell_forward / cell_forward_avx2 / cell_forward_avx512 (
        z: &mut [f32],
        c_prev: &[f32],
        c_next: &mut [f32],
        tanh_c: &mut [f32],
        h_next: &mut [f32],
        h: usize,
    ) => cell_forward_body
);

/// Backward gate math of one step: from `dh` (`[B, H]`, gradient at `h_t`) and `dc` (carried
/// from step t+1), writes the pre-activation gradients `dz: [B, 4H]` and leaves in `dc` the
/// gradient for `c_{t-1}`.
#[inline(always)]
fn cell_backward_body(
    gates: &[f32],
    c_prev: &[f32],
    tanh_c: &[f32],
    dh: &[f32],
    dc: &mut [f32],
    dz: &mut [f32],
    h: usize,
) {
    let g = 4 * h;
    for (bi, (gr, dr)) in gates.chunks_exact(g).zip(dz.chunks_exact_mut(g)).enumerate() {
        let r = bi * h..(bi + 1) * h;
        let (cp, tc, dhr, dcr) = (&c_prev[r.clone()], &tanh_c[r.clone()], &dh[r.clone()], &mut dc[r]);
        let (gi, rest) = gr.split_at(h);
        let (gf, rest) = rest.split_at(h);
        let (gc, go) = rest.split_at(h);
        let (di, rest) = dr.split_at_mut(h);
        let (df, rest) = rest.split_at_mut(h);
        let (dg, d_o) = rest.split_at_mut(h);
        for j in 0..h {
            let (i, f, gg, o, th) = (gi[j], gf[j], gc[j], go[j], tc[j]);
            let dck = dcr[j] + dhr[j] * o * (1.0 - th * th);
            di[j] = dck * gg * i * (1.0 - i);
            df[j] = dck * cp[j] * f * (1.0 - f);
            dg[j] = dck * i * (1.0 - gg * gg);
            d_o[j] = dhr[j] * th * o * (1.0 - o);
            dcr[j] = dck * f;
        }
    }
}

crate::kernels::compiled_per_kernels!(
    pub(crate) fn cell_backward / cell_backward_avx2 / cell_backward_avx512 (
        gates: &[f32],
        c_prev: &[f32],
        tanh_c: &[f32],
        dh: &[f32],
        dc: &mut [f32],
        dz: &mut [f32],
        h: usize,
    ) => cell_backward_body
);

/// Backward from `dy`, the gradients with respect to the outputs (`dy.seq: [T, B, H]` for
/// `return_sequences=True`, and/or `dy.last: [B, H]`). Weight gradients are accumulated into
/// `grads`; `dx` (`[T, B, E]`, overwritten) is computed only when given.
pub fn backward(
    d: RnnDims,
    x: &[f32],
    p: RnnParams,
    cache: &mut LstmCache,
    dy: RnnOutputGrads,
    grads: RnnGrads,
    dx: Option<&mut [f32]>,
) {
    backward_to(d, x, p, cache, dy, grads, dx.map_or(InputGrad::None, InputGrad::Rows));
}

/// [`backward`] with the input gradient written where `dx` says: nowhere, every row's, or
/// summed per group of input rows ([`crate::row_groups`]: both paths sum `dz` per group, the
/// masked one over its real steps, and multiply only the groups' sums by `Wᵀ`).
pub(crate) fn backward_to(
    d: RnnDims,
    x: &[f32],
    p: RnnParams,
    cache: &mut LstmCache,
    dy: RnnOutputGrads,
    grads: RnnGrads,
    dx: InputGrad,
) {
    if cache.masked.as_ref().is_some_and(|m| m.active) {
        masked::backward(d, p, cache, dy, grads, dx);
    } else {
        unmasked_backward(d, x, p, cache, dy, grads, dx);
    }
}

// The unmasked backward, in the build `kernels::active` chose: its sums over rows (the
// distinct rows' and the groups' `dz`) run 8 or 16 lanes wide, each value summed in row order
// (the same bits in every build).
crate::kernels::compiled_per_kernels!(
    fn unmasked_backward / unmasked_backward_avx2 / unmasked_backward_avx512 (
        d: RnnDims,
        x: &[f32],
        p: RnnParams,
        cache: &mut LstmCache,
        dy: RnnOutputGrads,
        grads: RnnGrads,
        dx: InputGrad,
    ) => unmasked_backward_body
);

#[inline(always)]
fn unmasked_backward_body(
    d: RnnDims,
    x: &[f32],
    p: RnnParams,
    cache: &mut LstmCache,
    dy: RnnOutputGrads,
    grads: RnnGrads,
    dx: InputGrad,
) {
    let (b, h, g, t_len) = (d.b, d.h, 4 * d.h, d.t);
    let LstmCache { gates, c, h: hs, tanh_c, dz, dh, dc, recurrent_t, inputs, groups_high, .. } = cache;
    // Uᵀ: [4H, H], so that each step's dh = dz·Uᵀ reads rows contiguously.
    recurrent_t.resize(g * h, 0.0);
    for r in 0..h {
        for col in 0..g {
            recurrent_t[col * h + r] = p.recurrent[r * g + col];
        }
    }
    dz.resize(t_len * b * g, 0.0);
    dh.resize(b * h, 0.0);
    dc.resize(b * h, 0.0);
    match dy.last {
        Some(v) => dh.copy_from_slice(v),
        None => dh.fill(0.0),
    }
    dc.fill(0.0);
    for t in (0..t_len).rev() {
        if let Some(seq) = dy.seq {
            dh.iter_mut().zip(&seq[t * b * h..(t + 1) * b * h]).for_each(|(a, s)| *a += s);
        }
        let gt = &gates[t * b * g..(t + 1) * b * g];
        let dzt = &mut dz[t * b * g..(t + 1) * b * g];
        let c_prev = &c[t * b * h..(t + 1) * b * h];
        let tc = &tanh_c[t * b * h..(t + 1) * b * h];
        cell_backward(gt, c_prev, tc, dh, dc, dzt, h);
        if t > 0 {
            // dh_{t-1} = dz_t · Uᵀ: [B, 4H] × [4H, H]
            matmul(b, g, h, dzt, recurrent_t, false, dh);
        }
    }
    let tb = t_len * b;
    // dU += h_{0..T-1}ᵀ · dz: [H, T*B] × [T*B, 4H]
    gemm(Gemm::new(h, tb, g).transpose_a().accumulate(), &hs[..tb * h], dz, grads.recurrent);
    // dW += xᵀ · dz: [E, T*B] × [T*B, 4H], or over the distinct input rows
    inputs.add_kernel_gradient((tb, d.e, g), x, dz, grads.kernel);
    // dbias += Σ over the T*B rows of dz
    crate::rnn::add_column_sums(dz, grads.bias);
    // dx = dz · Wᵀ: [T*B, 4H] × [4H, E], or per group
    crate::row_groups::input_gradient(dx, dz, p.kernel, (tb, g, d.e), groups_high);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distinct_inputs::with_repeats;
    use crate::gradcheck::check;
    use crate::Rng;

    fn rand_vec(n: usize, scale: f32, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| rng.uniform(-scale, scale)).collect()
    }

    /// loss = Σ probe ⊙ output, for return_sequences true (all steps) or false (last step).
    fn run_check(return_sequences: bool, repeats: bool) {
        let d = RnnDims { b: 2, t: 4, e: 3, h: 3 };
        let mut rng = Rng::new(11);
        let x = with_repeats(rand_vec(d.t * d.b * d.e, 1.0, &mut rng), d.e, repeats);
        let k = rand_vec(d.e * 4 * d.h, 0.6, &mut rng);
        let u = rand_vec(d.h * 4 * d.h, 0.6, &mut rng);
        let bias = rand_vec(4 * d.h, 0.5, &mut rng);
        let n_out = if return_sequences { d.t * d.b * d.h } else { d.b * d.h };
        let probe = rand_vec(n_out, 1.0, &mut rng);
        let loss = |x: &[f32], k: &[f32], u: &[f32], bias: &[f32]| {
            let mut cache = LstmCache::default();
            forward(d, x, RnnParams { kernel: k, recurrent: u, bias }, &mut cache);
            let out = if return_sequences { cache.outputs(d) } else { cache.last(d) };
            out.iter().zip(&probe).map(|(o, p)| (o * p) as f64).sum::<f64>()
        };
        let mut cache = LstmCache::default();
        let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
        forward(d, &x, p, &mut cache);
        assert_eq!(cache.inputs.shared(), repeats, "the path under test");
        let (mut dk, mut du, mut db) = (vec![0.0; k.len()], vec![0.0; u.len()], vec![0.0; bias.len()]);
        let mut dx = vec![0.0; x.len()];
        let (seq, last) = if return_sequences { (Some(&probe[..]), None) } else { (None, Some(&probe[..])) };
        let grads = RnnGrads { kernel: &mut dk, recurrent: &mut du, bias: &mut db };
        backward(d, &x, p, &mut cache, RnnOutputGrads { seq, last }, grads, Some(&mut dx));
        let tag = if return_sequences { "seq" } else { "last" };
        let worst = [
            check(&format!("lstm({tag}).kernel"), &k, &dk, |v| loss(&x, v, &u, &bias)),
            check(&format!("lstm({tag}).recurrent_kernel"), &u, &du, |v| loss(&x, &k, v, &bias)),
            check(&format!("lstm({tag}).bias"), &bias, &db, |v| loss(&x, &k, &u, v)),
            check(&format!("lstm({tag}).input"), &x, &dx, |v| loss(v, &k, &u, &bias)),
        ];
        for w in worst {
            assert!(w < 1e-2, "lstm {tag}: max rel diff {w}");
        }
    }

    /// Forward's sum order is `(x·W + bias) + h·U`, then the cell: the trained models' bits
    /// (strata-cli's pinned hashes) depend on it, so a faster forward (a fused bias, a per-step
    /// bias pass) must keep it. The reference spells the order out from the same kernels.
    #[test]
    fn forward_keeps_the_bias_before_the_recurrent_product_bit_for_bit() {
        let d = RnnDims { b: 5, t: 7, e: 9, h: 12 };
        let mut rng = Rng::new(3);
        let x = rand_vec(d.t * d.b * d.e, 1.0, &mut rng);
        let k = rand_vec(d.e * 4 * d.h, 0.6, &mut rng);
        let u = rand_vec(d.h * 4 * d.h, 0.6, &mut rng);
        let bias = rand_vec(4 * d.h, 0.5, &mut rng);
        let mut cache = LstmCache::default();
        forward(d, &x, RnnParams { kernel: &k, recurrent: &u, bias: &bias }, &mut cache);

        let (b, h, g) = (d.b, d.h, 4 * d.h);
        let mut z = vec![0.0; d.t * b * g];
        gemm(Gemm::new(d.t * b, d.e, g), &x, &k, &mut z);
        for row in z.chunks_exact_mut(g) {
            row.iter_mut().zip(&bias).for_each(|(z, bias)| *z += bias);
        }
        let (mut hs, mut cs) = (vec![0.0; (d.t + 1) * b * h], vec![0.0; (d.t + 1) * b * h]);
        let mut tanh_c = vec![0.0; b * h];
        for t in 0..d.t {
            let zt = &mut z[t * b * g..(t + 1) * b * g];
            let (h_prev, h_next) = hs[t * b * h..(t + 2) * b * h].split_at_mut(b * h);
            matmul(b, h, g, h_prev, &u, true, zt);
            let (c_prev, c_next) = cs[t * b * h..(t + 2) * b * h].split_at_mut(b * h);
            cell_forward(zt, c_prev, c_next, &mut tanh_c, h_next, h);
        }
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(cache.outputs(d)), bits(&hs[b * h..]));
        assert_eq!(bits(&cache.c), bits(&cs));
        assert_eq!(bits(&cache.gates), bits(&z));
    }

    /// A cell forward's signature: `(z, c_prev, c_next, tanh_c, h_next, h)`.
    type CellForward = fn(&mut [f32], &[f32], &mut [f32], &mut [f32], &mut [f32], usize);

    /// The cell as one loop a unit (its form before the gates got their own passes): each value
    /// takes the same operations in the same order.
    fn cell_forward_one_loop(
        z: &mut [f32],
        c_prev: &[f32],
        c_next: &mut [f32],
        tanh_c: &mut [f32],
        h_next: &mut [f32],
        h: usize,
    ) {
        for (bi, zr) in z.chunks_exact_mut(4 * h).enumerate() {
            for j in 0..h {
                let (i, f, gg, o) = (sigmoid(zr[j]), sigmoid(zr[h + j]), tanh(zr[2 * h + j]), sigmoid(zr[3 * h + j]));
                let c = f * c_prev[bi * h + j] + i * gg;
                let th = tanh(c);
                (zr[j], zr[h + j], zr[2 * h + j], zr[3 * h + j]) = (i, f, gg, o);
                (c_next[bi * h + j], tanh_c[bi * h + j], h_next[bi * h + j]) = (c, th, o * th);
            }
        }
    }

    /// The two-pass cell gives the one-loop cell's bits (which tests/pinned.rs pins), in the
    /// build this CPU runs, at odd widths and past the nonlinearities' saturation.
    #[test]
    fn the_cell_keeps_the_one_loop_cells_bits() {
        let mut rng = Rng::new(17);
        for (b, h) in [(1, 1), (3, 7), (2, 50), (16, 64)] {
            let z0 = rand_vec(b * 4 * h, 12.0, &mut rng);
            let c_prev = rand_vec(b * h, 3.0, &mut rng);
            let run = |cell: CellForward| {
                let (mut z, mut c, mut tc, mut hn) = (z0.clone(), vec![0.0; b * h], vec![0.0; b * h], vec![0.0; b * h]);
                cell(&mut z, &c_prev, &mut c, &mut tc, &mut hn, h);
                [z, c, tc, hn].map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
            };
            assert_eq!(run(cell_forward), run(cell_forward_one_loop), "b={b} h={h}");
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

    /// The path that computes the input side once per distinct input row.
    #[test]
    fn gradient_matches_finite_differences_with_repeated_input_rows() {
        run_check(false, true);
        run_check(true, true);
    }
}
