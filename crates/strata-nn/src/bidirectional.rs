//! Keras's `Bidirectional(LSTM(...) or GRU(...), merge_mode="concat")`: one recurrent layer reads
//! the sequence forward, another of the same cell reads it backward, and their outputs are concatenated — at each step for
//! `return_sequences=True` (`[T, B, 2H]`, the backward half realigned to the same step), or their
//! final states (`[B, 2H]`: forward after the last step, backward after the first).

use crate::rnn::{Cell, RnnGrads, RnnOutputGrads, RnnParams};
use crate::rnn_cache::RnnCache;
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
    /// `[T, B, E]` the input reversed in time
    x_rev: Vec<f32>,
    /// `[T, B, 2H]` concatenated outputs
    pub seq: Vec<f32>,
    /// `[B, 2H]` concatenated final states
    pub last: Vec<f32>,
}

impl BiCache {
    pub fn new(cell: Cell) -> BiCache {
        BiCache {
            forward: RnnCache::new(cell),
            backward: RnnCache::new(cell),
            x_rev: Vec::new(),
            seq: Vec::new(),
            last: Vec::new(),
        }
    }
}

/// Reverses the time axis of a time-major `[T, B, W]` buffer.
fn reverse_time(x: &[f32], t: usize, row: usize, out: &mut Vec<f32>) {
    out.resize(x.len(), 0.0);
    for s in 0..t {
        out[(t - 1 - s) * row..(t - s) * row].copy_from_slice(&x[s * row..(s + 1) * row]);
    }
}

/// Forward; `d.h` is each direction's units.
pub fn forward(d: RnnDims, x: &[f32], p: BiParams, cache: &mut BiCache) {
    let (t, b, h) = (d.t, d.b, d.h);
    cache.forward.forward(d, x, p.forward);
    reverse_time(x, t, b * d.e, &mut cache.x_rev);
    cache.backward.forward(d, &cache.x_rev, p.backward);
    cache.seq.resize(t * b * 2 * h, 0.0);
    let (of, ob) = (cache.forward.outputs(d), cache.backward.outputs(d));
    for s in 0..t {
        for bi in 0..b {
            let dst = &mut cache.seq[(s * b + bi) * 2 * h..(s * b + bi + 1) * 2 * h];
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

/// Backward from `dy.seq: [T, B, 2H]` and/or `dy.last: [B, 2H]`; accumulates both directions'
/// gradients and overwrites `dx: [T, B, E]` when given.
pub fn backward(
    d: RnnDims,
    x: &[f32],
    p: BiParams,
    cache: &mut BiCache,
    dy: RnnOutputGrads,
    grads: BiGrads,
    dx: Option<&mut [f32]>,
) {
    let (t, b, h) = (d.t, d.b, d.h);
    // split the incoming gradients by direction (the backward half back to its own time order)
    let split_seq = dy.seq.map(|g| {
        let (mut f, mut r) = (vec![0.0f32; t * b * h], vec![0.0f32; t * b * h]);
        for s in 0..t {
            for bi in 0..b {
                let src = &g[(s * b + bi) * 2 * h..(s * b + bi + 1) * 2 * h];
                f[(s * b + bi) * h..(s * b + bi + 1) * h].copy_from_slice(&src[..h]);
                let sr = t - 1 - s;
                r[(sr * b + bi) * h..(sr * b + bi + 1) * h].copy_from_slice(&src[h..]);
            }
        }
        (f, r)
    });
    let split_last = dy.last.map(|g| {
        let (mut f, mut r) = (vec![0.0f32; b * h], vec![0.0f32; b * h]);
        for bi in 0..b {
            f[bi * h..(bi + 1) * h].copy_from_slice(&g[bi * 2 * h..bi * 2 * h + h]);
            r[bi * h..(bi + 1) * h].copy_from_slice(&g[bi * 2 * h + h..(bi + 1) * 2 * h]);
        }
        (f, r)
    });
    let want_dx = dx.is_some();
    let (mut dxf, mut dxr) = (vec![0.0f32; x.len()], vec![0.0f32; x.len()]);
    let dy_forward =
        RnnOutputGrads { seq: split_seq.as_ref().map(|s| &s.0[..]), last: split_last.as_ref().map(|s| &s.0[..]) };
    cache.forward.backward(d, x, p.forward, dy_forward, grads.forward, want_dx.then_some(&mut dxf[..]));
    let x_rev = std::mem::take(&mut cache.x_rev);
    let dy_backward =
        RnnOutputGrads { seq: split_seq.as_ref().map(|s| &s.1[..]), last: split_last.as_ref().map(|s| &s.1[..]) };
    cache.backward.backward(d, &x_rev, p.backward, dy_backward, grads.backward, want_dx.then_some(&mut dxr[..]));
    cache.x_rev = x_rev;
    if let Some(dx) = dx {
        let mut back = Vec::new();
        reverse_time(&dxr, t, b * d.e, &mut back);
        dx.iter_mut().zip(dxf.iter().zip(&back)).for_each(|(o, (a, c))| *o = a + c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;
    use crate::Rng;

    fn run_check(cell: Cell, sequences: bool) {
        let d = RnnDims { b: 2, t: 4, e: 3, h: 2 };
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
            forward(d, x, BiParams { forward: pf, backward: pb }, &mut c);
            let out = if sequences { &c.seq } else { &c.last };
            out.iter().zip(&probe).map(|(o, p)| (o * p) as f64).sum::<f64>()
        };
        let p = BiParams {
            forward: RnnParams { kernel: &kf, recurrent: &uf, bias: &bf },
            backward: RnnParams { kernel: &kb, recurrent: &ub, bias: &bb },
        };
        let mut c = BiCache::new(cell);
        forward(d, &x, p, &mut c);
        let (mut dkf, mut duf, mut dbf) = (vec![0.0; kf.len()], vec![0.0; uf.len()], vec![0.0; nb]);
        let (mut dkb, mut dub, mut dbb) = (vec![0.0; kb.len()], vec![0.0; ub.len()], vec![0.0; nb]);
        let mut dx = vec![0.0; x.len()];
        let (seq, last) = if sequences { (Some(&probe[..]), None) } else { (None, Some(&probe[..])) };
        let grads = BiGrads {
            forward: RnnGrads { kernel: &mut dkf, recurrent: &mut duf, bias: &mut dbf },
            backward: RnnGrads { kernel: &mut dkb, recurrent: &mut dub, bias: &mut dbb },
        };
        backward(d, &x, p, &mut c, RnnOutputGrads { seq, last }, grads, Some(&mut dx));
        let tag = format!("{}, {}", cell.prefix(), if sequences { "seq" } else { "last" });
        for worst in [
            check(&format!("bidirectional({tag}).forward_kernel"), &kf, &dkf, |v| loss(&x, v, &kb)),
            check(&format!("bidirectional({tag}).backward_kernel"), &kb, &dkb, |v| loss(&x, &kf, v)),
            check(&format!("bidirectional({tag}).input"), &x, &dx, |v| loss(v, &kf, &kb)),
        ] {
            assert!(worst < 1e-2, "bidirectional {tag}: max rel diff {worst}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences_last_states() {
        run_check(Cell::Lstm, false);
        run_check(Cell::Gru, false);
    }

    #[test]
    fn gradient_matches_finite_differences_all_steps() {
        run_check(Cell::Lstm, true);
        run_check(Cell::Gru, true);
    }
}
