//! Keras's `Bidirectional(LSTM(...) or GRU(...), merge_mode="concat")`: one recurrent layer reads
//! the sequence forward, another of the same cell reads it backward, and their outputs are concatenated — at each step for
//! `return_sequences=True` (`[T, B, 2H]`, the backward half realigned to the same step), or their
//! final states (`[B, 2H]`: forward after the last step, backward after the first).
//!
//! [`forward_masked`] is the same under `--mask-padding` (Keras's `mask_zero=True`): each
//! direction reads only the real steps, and the output sequence is zero at padding.

use crate::rnn::{Cell, RnnGrads, RnnOutputGrads, RnnParams};
use crate::rnn_cache::RnnCache;
use crate::row_groups::{GroupedDx, RowGroups};
use crate::scratch;
use crate::RnnDims;

/// Both directions' parameters, each laid out as a one-direction layer's.
#[derive(Clone, Copy)]
pub struct BiParams<'a> {
    pub forward: RnnParams<'a>,
    pub backward: RnnParams<'a>,
}

/// Both directions' parameter gradients (accumulated).
pub struct BiGrads<'a> {
    pub forward: RnnGrads<'a>,
    pub backward: RnnGrads<'a>,
}

pub struct BiCache {
    pub forward: RnnCache,
    pub backward: RnnCache,
    /// `[T, B, E]` the input reversed in time: made for the backward direction's forward and
    /// again in [`backward`] (from the `x` it is given) in a buffer of the thread's
    /// [`crate::scratch`] pool, empty in between, so a stack of layers
    /// does not hold one per layer from forward to backward (han's peak memory, issue 14)
    x_rev: Vec<f32>,
    /// `[T, B, 2H]` concatenated outputs
    pub seq: Vec<f32>,
    /// `[B, 2H]` concatenated final states
    pub last: Vec<f32>,
    /// `[T, B]` the last forward's mask, and the same reversed in time (what the backward
    /// direction reads); both empty after an unmasked forward
    valid: Vec<bool>,
    valid_rev: Vec<bool>,
    /// backward scratch: the incoming gradients split by direction (`[T, B, H]` and `[B, H]`,
    /// the backward half in its own time order) and the backward direction's `dx` (`[T, B, E]`,
    /// reversed; the forward direction's is written straight into the caller's `dx`); the
    /// `[T, B, ·]` ones are the thread's [`crate::scratch`] buffers, given back when
    /// [`backward`] returns (every element is written before
    /// it is read, so fresh buffers give the same bits)
    dseq: [Vec<f32>; 2],
    dlast: [Vec<f32>; 2],
    dx_rev: Vec<f32>,
    /// `[T·B]` the caller's row groups reversed in time (a grouped backward's, for the
    /// backward direction)
    groups_rev: Vec<u32>,
    /// The largest `[T, B, E]` (`x_rev`, `dx_rev`) and `[T, B, H]` (`dseq`) lengths asked for:
    /// a HAN's `T·B` changes per batch, so they are taken at these (`scratch::take_high`)
    x_high: usize,
    h_high: usize,
}

impl BiCache {
    pub fn new(cell: Cell) -> BiCache {
        BiCache {
            forward: RnnCache::new(cell),
            backward: RnnCache::new(cell),
            x_rev: Vec::new(),
            seq: Vec::new(),
            last: Vec::new(),
            valid: Vec::new(),
            valid_rev: Vec::new(),
            dseq: [Vec::new(), Vec::new()],
            dlast: [Vec::new(), Vec::new()],
            dx_rev: Vec::new(),
            groups_rev: Vec::new(),
            x_high: 0,
            h_high: 0,
        }
    }
}

/// Reverses the time axis of a time-major `[T, B, W]` buffer into the first `x.len()` values of
/// `out`.
fn reverse_time<V: Copy>(x: &[V], t: usize, row: usize, out: &mut [V]) {
    for s in 0..t {
        out[(t - 1 - s) * row..(t - s) * row].copy_from_slice(&x[s * row..(s + 1) * row]);
    }
}

/// Forward; `d.h` is each direction's units.
pub fn forward(d: RnnDims, x: &[f32], p: BiParams, cache: &mut BiCache) {
    cache.valid.clear();
    cache.valid_rev.clear();
    cache.forward.forward(d, x, p.forward);
    cache.x_rev = scratch::take_high(x.len(), &mut cache.x_high);
    reverse_time(x, d.t, d.b * d.e, &mut cache.x_rev);
    cache.backward.forward(d, &cache.x_rev[..x.len()], p.backward);
    scratch::give(std::mem::take(&mut cache.x_rev));
    concatenate(d, cache);
}

/// Forward skipping padding (Keras's `mask_zero=True`): `valid: [T, B]` marks the real steps.
/// The backward direction reads the reversed sequence with the reversed mask, so it reads only
/// the real tokens, last to first. As Keras's `Bidirectional` (zero_output_for_mask), both
/// halves of the output sequence are zero at a masked step; the last states are each
/// direction's state after its last real step. [`backward`] remembers the mask.
pub fn forward_masked(d: RnnDims, x: &[f32], p: BiParams, valid: &[bool], cache: &mut BiCache) {
    assert_eq!(valid.len(), d.t * d.b, "bidirectional: validity is not [T, B]");
    cache.valid.clear();
    cache.valid.extend_from_slice(valid);
    cache.valid_rev.resize(valid.len(), false);
    reverse_time(valid, d.t, d.b, &mut cache.valid_rev);
    cache.forward.forward_masked(d, x, p.forward, valid);
    cache.x_rev = scratch::take_high(x.len(), &mut cache.x_high);
    reverse_time(x, d.t, d.b * d.e, &mut cache.x_rev);
    cache.backward.forward_masked(d, &cache.x_rev[..x.len()], p.backward, &cache.valid_rev);
    scratch::give(std::mem::take(&mut cache.x_rev));
    concatenate(d, cache);
}

/// `seq` and `last` from the two directions' results, the backward half realigned to the same
/// step; zero at the steps the mask (if any) marks as padding.
fn concatenate(d: RnnDims, cache: &mut BiCache) {
    let (t, b, h) = (d.t, d.b, d.h);
    cache.seq.resize(t * b * 2 * h, 0.0);
    let (of, ob) = (cache.forward.outputs(d), cache.backward.outputs(d));
    for s in 0..t {
        for bi in 0..b {
            let dst = &mut cache.seq[(s * b + bi) * 2 * h..(s * b + bi + 1) * 2 * h];
            if !cache.valid.is_empty() && !cache.valid[s * b + bi] {
                dst.fill(0.0);
                continue;
            }
            dst[..h].copy_from_slice(&of[(s * b + bi) * h..(s * b + bi + 1) * h]);
            let sr = t - 1 - s;
            dst[h..].copy_from_slice(&ob[(sr * b + bi) * h..(sr * b + bi + 1) * h]);
        }
    }
    cache.last.resize(b * 2 * h, 0.0);
    let (lf, lb) = (cache.forward.last(d), cache.backward.last(d));
    for bi in 0..b {
        cache.last[bi * 2 * h..bi * 2 * h + h].copy_from_slice(&lf[bi * h..(bi + 1) * h]);
        cache.last[bi * 2 * h + h..(bi + 1) * 2 * h].copy_from_slice(&lb[bi * h..(bi + 1) * h]);
    }
}

/// Direction `dir`'s half of `dy.seq: [T, B, 2H]` (`[T, B, H]`, the first values of a buffer
/// of the thread's pool taken at `high`; the backward half (`dir` 1) back to its own time order),
/// zero at masked steps (where the output was the constant 0). One half at a time, so that the
/// forward direction's is given back before the backward direction's backward takes its own
/// buffers (han's peak).
fn split_half(d: RnnDims, g: &[f32], dir: usize, valid: &[bool], high: &mut usize) -> Vec<f32> {
    let (t, b, h) = (d.t, d.b, d.h);
    let mut out = scratch::take_high(t * b * h, high);
    for s in 0..t {
        let own = if dir == 0 { s } else { t - 1 - s };
        for bi in 0..b {
            let dst = &mut out[(own * b + bi) * h..(own * b + bi + 1) * h];
            if !valid.is_empty() && !valid[s * b + bi] {
                dst.fill(0.0);
                continue;
            }
            let at = (s * b + bi) * 2 * h + dir * h;
            dst.copy_from_slice(&g[at..at + h]);
        }
    }
    out
}

/// Backward from `dy.seq: [T, B, 2H]` and/or `dy.last: [B, 2H]` (after either forward);
/// accumulates both directions' gradients and overwrites `dx: [T, B, E]` when given.
pub fn backward(
    d: RnnDims,
    x: &[f32],
    p: BiParams,
    cache: &mut BiCache,
    dy: RnnOutputGrads,
    grads: BiGrads,
    dx: Option<&mut [f32]>,
) {
    backward_into(d, x, p, cache, dy, grads, dx.map_or(BiDx::None, BiDx::Rows));
}

/// [`backward`] with the input gradient summed per group of input rows
/// ([`crate::row_groups`]): each direction adds its groups' sums into `dx.out` (the backward
/// direction through the groups reversed in time).
pub fn backward_grouped(
    d: RnnDims,
    x: &[f32],
    p: BiParams,
    cache: &mut BiCache,
    dy: RnnOutputGrads,
    grads: BiGrads,
    dx: GroupedDx,
) {
    assert_eq!(dx.groups.of_row.len(), d.t * d.b, "bidirectional: row groups are not [T·B]");
    backward_into(d, x, p, cache, dy, grads, BiDx::Groups(dx));
}

/// Where [`backward_into`] writes the gradient at the input.
enum BiDx<'a> {
    None,
    Rows(&'a mut [f32]),
    Groups(GroupedDx<'a>),
}

fn backward_into(
    d: RnnDims,
    x: &[f32],
    p: BiParams,
    cache: &mut BiCache,
    dy: RnnOutputGrads,
    grads: BiGrads,
    dx: BiDx,
) {
    let (t, b, h) = (d.t, d.b, d.h);
    if let Some(g) = dy.last {
        let [f, r] = &mut cache.dlast;
        f.resize(b * h, 0.0);
        r.resize(b * h, 0.0);
        for bi in 0..b {
            f[bi * h..(bi + 1) * h].copy_from_slice(&g[bi * 2 * h..bi * 2 * h + h]);
            r[bi * h..(bi + 1) * h].copy_from_slice(&g[bi * 2 * h + h..(bi + 1) * 2 * h]);
        }
    }
    let mut dx = dx;
    // the forward direction first; its half of dy goes back to the pool before the backward
    // direction takes its reversed input, reversed dx and the GRU's scratch
    if let Some(g) = dy.seq {
        cache.dseq[0] = split_half(d, g, 0, &cache.valid, &mut cache.h_high);
    }
    let BiCache { forward, backward, x_rev, dseq, dlast, dx_rev, groups_rev, valid, x_high, h_high, .. } = cache;
    let (nx, nh) = (x.len(), t * b * h);
    let dy_f = RnnOutputGrads { seq: dy.seq.map(|_| &dseq[0][..nh]), last: dy.last.map(|_| &dlast[0][..]) };
    match &mut dx {
        BiDx::Groups(g) => {
            let dx_f = GroupedDx { groups: g.groups, out: &mut *g.out, accumulate: g.accumulate };
            forward.backward_grouped(d, x, p.forward, dy_f, grads.forward, dx_f);
        }
        BiDx::Rows(dx) => forward.backward(d, x, p.forward, dy_f, grads.forward, Some(&mut **dx)),
        BiDx::None => forward.backward(d, x, p.forward, dy_f, grads.forward, None),
    }
    scratch::give(std::mem::take(&mut dseq[0]));
    if let Some(g) = dy.seq {
        dseq[1] = split_half(d, g, 1, valid, h_high);
    }
    *x_rev = scratch::take_high(nx, x_high);
    reverse_time(x, t, b * d.e, x_rev);
    let dy_b = RnnOutputGrads { seq: dy.seq.map(|_| &dseq[1][..nh]), last: dy.last.map(|_| &dlast[1][..]) };
    match dx {
        BiDx::Groups(g) => {
            // the backward direction's rows are the input's reversed in time
            groups_rev.resize(t * b, 0);
            reverse_time(g.groups.of_row, t, b, groups_rev);
            let groups = RowGroups { of_row: &groups_rev[..t * b], groups: g.groups.groups };
            let dx_b = GroupedDx { groups, out: g.out, accumulate: true };
            backward.backward_grouped(d, &x_rev[..nx], p.backward, dy_b, grads.backward, dx_b);
        }
        BiDx::Rows(dx) => {
            *dx_rev = scratch::take_high(nx, x_high);
            backward.backward(d, &x_rev[..nx], p.backward, dy_b, grads.backward, Some(&mut dx_rev[..nx]));
            // the backward direction's dx back to the input's time order, added to the forward's
            let row = b * d.e;
            for s in 0..t {
                let r = &dx_rev[(t - 1 - s) * row..(t - s) * row];
                dx[s * row..(s + 1) * row].iter_mut().zip(r).for_each(|(o, c)| *o += c);
            }
        }
        BiDx::None => backward.backward(d, &x_rev[..nx], p.backward, dy_b, grads.backward, None),
    }
    let r = std::mem::take(&mut dseq[1]);
    [std::mem::take(x_rev), std::mem::take(dx_rev), r].into_iter().for_each(scratch::give);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;
    use crate::Rng;

    /// `masked`: the masked path on a `[4, 3]` mask with a pre-padded row, a post-padded one
    /// and a row with no real step; else the unmasked path.
    fn run_check(cell: Cell, sequences: bool, masked: bool) {
        let d = if masked { RnnDims { b: 3, t: 4, e: 3, h: 2 } } else { RnnDims { b: 2, t: 4, e: 3, h: 2 } };
        // rows: pre-padded (1 pad), post-padded (2 real steps), empty
        let valid: Vec<bool> = (0..d.t * d.b).map(|i| [i / d.b >= 1, i / d.b < 2, false][i % d.b]).collect();
        let run = |x: &[f32], p: BiParams, c: &mut BiCache| {
            if masked {
                forward_masked(d, x, p, &valid, c)
            } else {
                forward(d, x, p, c)
            }
        };
        let g = cell.gates() * d.h;
        let nb = cell.bias_shape(d.h).iter().product::<usize>();
        let mut rng = Rng::new(51);
        let mut r = |n: usize| (0..n).map(|_| rng.uniform(-0.7, 0.7)).collect::<Vec<f32>>();
        let (x, kf, uf, bf, kb, ub, bb) =
            (r(d.t * d.b * d.e), r(d.e * g), r(d.h * g), r(nb), r(d.e * g), r(d.h * g), r(nb));
        let probe = r(if sequences { d.t * d.b * 2 * d.h } else { d.b * 2 * d.h });
        let loss = |x: &[f32], kf: &[f32], kb: &[f32]| {
            let mut c = BiCache::new(cell);
            let pf = RnnParams { kernel: kf, recurrent: &uf, bias: &bf };
            let pb = RnnParams { kernel: kb, recurrent: &ub, bias: &bb };
            run(x, BiParams { forward: pf, backward: pb }, &mut c);
            let out = if sequences { &c.seq } else { &c.last };
            out.iter().zip(&probe).map(|(o, p)| (o * p) as f64).sum::<f64>()
        };
        let p = BiParams {
            forward: RnnParams { kernel: &kf, recurrent: &uf, bias: &bf },
            backward: RnnParams { kernel: &kb, recurrent: &ub, bias: &bb },
        };
        let mut c = BiCache::new(cell);
        run(&x, p, &mut c);
        let (mut dkf, mut duf, mut dbf) = (vec![0.0; kf.len()], vec![0.0; uf.len()], vec![0.0; nb]);
        let (mut dkb, mut dub, mut dbb) = (vec![0.0; kb.len()], vec![0.0; ub.len()], vec![0.0; nb]);
        let mut dx = vec![0.0; x.len()];
        let (seq, last) = if sequences { (Some(&probe[..]), None) } else { (None, Some(&probe[..])) };
        let grads = BiGrads {
            forward: RnnGrads { kernel: &mut dkf, recurrent: &mut duf, bias: &mut dbf },
            backward: RnnGrads { kernel: &mut dkb, recurrent: &mut dub, bias: &mut dbb },
        };
        backward(d, &x, p, &mut c, RnnOutputGrads { seq, last }, grads, Some(&mut dx));
        let kept = [c.x_rev.capacity(), c.dx_rev.capacity(), c.dseq[0].capacity(), c.dseq[1].capacity()];
        assert_eq!(kept, [0; 4], "bidirectional: [T, B, ·] buffers kept after backward");
        let tag = format!("{}, {}, masked={masked}", cell.prefix(), if sequences { "seq" } else { "last" });
        for worst in [
            check(&format!("bidirectional({tag}).forward_kernel"), &kf, &dkf, |v| loss(&x, v, &kb)),
            check(&format!("bidirectional({tag}).backward_kernel"), &kb, &dkb, |v| loss(&x, &kf, v)),
            check(&format!("bidirectional({tag}).input"), &x, &dx, |v| loss(v, &kf, &kb)),
        ] {
            assert!(worst < 1e-2, "bidirectional {tag}: max rel diff {worst}");
        }
        if masked {
            for (i, _) in valid.iter().enumerate().filter(|(_, &real)| !real) {
                assert!(dx[i * d.e..(i + 1) * d.e].iter().all(|&v| v == 0.0), "{tag}: dx at a masked step");
                let zero = |w: &[f32]| w.iter().all(|&v| v == 0.0);
                assert!(!sequences || zero(&c.seq[i * 2 * d.h..(i + 1) * 2 * d.h]), "{tag}: output at a masked step");
            }
        }
    }

    /// Backward from `dy: [T, B, 2H]` into fresh zero gradients of `p`'s shapes, returned as
    /// forward kernel, recurrent, bias, then backward's.
    fn backward_from_seq(
        d: RnnDims,
        x: &[f32],
        p: BiParams,
        c: &mut BiCache,
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) -> Vec<Vec<f32>> {
        let (f, b) = (p.forward, p.backward);
        let shapes = [f.kernel.len(), f.recurrent.len(), f.bias.len(), b.kernel.len(), b.recurrent.len(), b.bias.len()];
        let mut gr: Vec<Vec<f32>> = shapes.map(|n| vec![0.0; n]).into();
        let [kf, uf, bf, kb, ub, bb] = &mut gr[..] else { unreachable!() };
        let grads = BiGrads {
            forward: RnnGrads { kernel: kf, recurrent: uf, bias: bf },
            backward: RnnGrads { kernel: kb, recurrent: ub, bias: bb },
        };
        backward(d, x, p, c, RnnOutputGrads { seq: Some(dy), last: None }, grads, dx);
        gr
    }

    /// A bidirectional GRU's backward holds one direction's half of `dy` at a time: on a
    /// fresh thread, forward and backward leave five buffers in its pool (the backward
    /// direction's `dy` half, reversed input, reversed `dx` and the GRU's two), not six.
    #[test]
    fn backward_holds_one_half_of_dy_at_a_time() {
        std::thread::spawn(|| {
            let d = RnnDims { b: 3, t: 4, e: 5, h: 2 };
            let (g, mut rng) = (3 * d.h, Rng::new(3));
            let mut r = |n: usize| (0..n).map(|_| rng.uniform(-0.5, 0.5)).collect::<Vec<f32>>();
            let (x, k, u, bias, dy) = (r(d.t * d.b * d.e), r(d.e * g), r(d.h * g), r(2 * g), r(d.t * d.b * 2 * d.h));
            let pr = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
            let p = BiParams { forward: pr, backward: pr };
            let mut c = BiCache::new(Cell::Gru);
            forward(d, &x, p, &mut c);
            let mut dx = vec![0.0; x.len()];
            backward_from_seq(d, &x, p, &mut c, &dy, Some(&mut dx));
            assert_eq!(scratch::pooled(), 5, "buffers the thread's pool holds after backward");
        })
        .join()
        .unwrap();
    }

    /// With no `dx` (the layer below does not train: a frozen embedding, a level cut off by a
    /// decoupled plan) the backward runs and gives the weight gradients a run with `dx` gives,
    /// bit for bit; masked and unmasked, both cells (issue 14: a reused `dx_rev` was sliced
    /// even when there was no `dx`, and panicked).
    #[test]
    fn backward_without_dx_gives_the_weight_gradients_of_a_run_with_it() {
        let d = RnnDims { b: 3, t: 4, e: 5, h: 2 };
        let valid: Vec<bool> = (0..d.t * d.b).map(|i| [i / d.b >= 1, i / d.b < 2, true][i % d.b]).collect();
        for cell in [Cell::Lstm, Cell::Gru] {
            for masked in [false, true] {
                let (g, mut rng) = (cell.gates() * d.h, Rng::new(8));
                let nb = cell.bias_shape(d.h).iter().product::<usize>();
                let mut r = |n: usize| (0..n).map(|_| rng.uniform(-0.5, 0.5)).collect::<Vec<f32>>();
                let (x, k, u, bias, dy) = (r(d.t * d.b * d.e), r(d.e * g), r(d.h * g), r(nb), r(d.t * d.b * 2 * d.h));
                let pr = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
                let p = BiParams { forward: pr, backward: pr };
                let mut c = BiCache::new(cell);
                let mut grads_with = |dx: Option<&mut [f32]>| {
                    if masked {
                        forward_masked(d, &x, p, &valid, &mut c);
                    } else {
                        forward(d, &x, p, &mut c);
                    }
                    backward_from_seq(d, &x, p, &mut c, &dy, dx)
                };
                let mut dx = vec![0.0; x.len()];
                let with_dx = grads_with(Some(&mut dx));
                let without = grads_with(None);
                assert_eq!(with_dx, without, "{}, masked={masked}: weight gradients without dx", cell.prefix());
            }
        }
    }

    #[test]
    fn gradient_matches_finite_differences_last_states() {
        run_check(Cell::Lstm, false, false);
        run_check(Cell::Gru, false, false);
    }

    #[test]
    fn gradient_matches_finite_differences_all_steps() {
        run_check(Cell::Lstm, true, false);
        run_check(Cell::Gru, true, false);
    }

    #[test]
    fn masked_gradient_matches_finite_differences_last_states() {
        run_check(Cell::Lstm, false, true);
        run_check(Cell::Gru, false, true);
    }

    #[test]
    fn masked_gradient_matches_finite_differences_all_steps() {
        run_check(Cell::Lstm, true, true);
        run_check(Cell::Gru, true, true);
    }

    /// The input gradient summed per group (`row_groups`: the backward direction's through the
    /// groups reversed in time) is every row's summed per group, up to rounding, and the weights'
    /// gradients keep their bits, for both cells, masked or not.
    #[test]
    fn grouped_input_gradient_is_every_rows_summed_per_group() {
        use crate::row_groups::{sum_rows, RowGroups};
        let d = RnnDims { b: 3, t: 4, e: 3, h: 2 };
        let valid: Vec<bool> = (0..d.t * d.b).map(|i| [i / d.b >= 1, i / d.b < 2, true][i % d.b]).collect();
        let of_row: Vec<u32> = (0..d.t * d.b).map(|i| [0, 1, 0, 2, 1][i % 5]).collect();
        let groups = RowGroups { of_row: &of_row, groups: 3 };
        for (cell, masked) in [(Cell::Gru, false), (Cell::Gru, true), (Cell::Lstm, false), (Cell::Lstm, true)] {
            let mut rng = Rng::new(9);
            let mut r = |n: usize| (0..n).map(|_| rng.uniform(-0.8, 0.8)).collect::<Vec<f32>>();
            let (g, nb) = (cell.gates() * d.h, cell.bias_shape(d.h).iter().product::<usize>());
            let (x, probe) = (r(d.t * d.b * d.e), r(d.t * d.b * 2 * d.h));
            let w: Vec<Vec<f32>> = (0..2).flat_map(|_| [r(d.e * g), r(d.h * g), r(nb)]).collect();
            let p = BiParams {
                forward: RnnParams { kernel: &w[0], recurrent: &w[1], bias: &w[2] },
                backward: RnnParams { kernel: &w[3], recurrent: &w[4], bias: &w[5] },
            };
            let run = |grouped: bool| {
                let mut c = BiCache::new(cell);
                if masked {
                    forward_masked(d, &x, p, &valid, &mut c);
                } else {
                    forward(d, &x, p, &mut c);
                }
                let mut dw: Vec<Vec<f32>> = w.iter().map(|v| vec![0.0; v.len()]).collect();
                let [k0, u0, b0, k1, u1, b1] = &mut dw[..] else { unreachable!() };
                let grads = BiGrads {
                    forward: RnnGrads { kernel: k0, recurrent: u0, bias: b0 },
                    backward: RnnGrads { kernel: k1, recurrent: u1, bias: b1 },
                };
                let dy = RnnOutputGrads { seq: Some(&probe), last: None };
                let mut out = vec![9.0; 3 * d.e];
                if grouped {
                    let dx = GroupedDx { groups, out: &mut out, accumulate: false };
                    backward_grouped(d, &x, p, &mut c, dy, grads, dx);
                } else {
                    let mut rows = vec![0.0; x.len()];
                    backward(d, &x, p, &mut c, dy, grads, Some(&mut rows));
                    sum_rows(groups, &rows, d.e, &mut out, false);
                }
                (dw, out)
            };
            let ((dw, out), (dw_rows, out_rows)) = (run(true), run(false));
            assert!(dw == dw_rows, "{cell:?} masked={masked}: the weights' gradients moved");
            let worst = out.iter().zip(&out_rows).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst < 1e-5, "{cell:?} masked={masked}: grouped input gradient differs by {worst}");
        }
    }
}
