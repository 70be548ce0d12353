//! Pooling a sequence `[T, N, D]` into `[N, D]`: additive attention (Yang et al. 2016, whose
//! weights an explanation shows), mean over time and max over time.

use std::ops::Range;

use strata_nn::attention::{self, AttentionCache, AttentionDims, AttentionGrads, AttentionParams};
use strata_nn::{conv1d, Rng};

use super::{grad_views, Grads, Layer, Rows};

pub struct Attention {
    d: usize,
    a: usize,
    /// kernel `[D, A]`, bias `[A]`, context `[A]`
    ranges: Vec<Range<usize>>,
    pub cache: AttentionCache,
    rows: Rows,
    /// scratch input gradient when the layer below needs none
    dx_scratch: Vec<f32>,
}

impl Attention {
    pub fn new(d: usize, a: usize, ranges: Vec<Range<usize>>) -> Self {
        Attention { d, a, ranges, cache: AttentionCache::default(), rows: Rows { n: 0, t: 0 }, dx_scratch: Vec::new() }
    }
}

fn params<'a>(r: &[Range<usize>], p: &'a [f32]) -> AttentionParams<'a> {
    AttentionParams { w: &p[r[0].clone()], bias: &p[r[1].clone()], context: &p[r[2].clone()] }
}

impl Layer for Attention {
    fn forward(&mut self, p: &[f32], x: &[f32], rows: Rows, valid: Option<&[bool]>, _: Option<&mut Rng>) -> Rows {
        self.rows = rows;
        let d = AttentionDims { t: rows.t, b: rows.n, h: self.d, a: self.a };
        attention::forward(d, x, valid, params(&self.ranges, p), &mut self.cache);
        Rows { n: rows.n, t: 1 }
    }

    fn output(&self) -> &[f32] {
        &self.cache.out
    }

    fn attention_weights(&self) -> Option<&[f32]> {
        Some(&self.cache.alpha)
    }

    fn backward(&mut self, p: &[f32], x: &[f32], grads: Grads<'_>) {
        let Grads { dy, params: g, off, dx, .. } = grads;
        let Some(dy) = dy else { return };
        let mut v = grad_views(g, off, &self.ranges).into_iter();
        let grads = AttentionGrads { w: v.next().unwrap(), bias: v.next().unwrap(), context: v.next().unwrap() };
        let Rows { n, t } = self.rows;
        let Attention { d, a, ranges, cache, dx_scratch, .. } = self;
        let dx = match dx {
            Some(dx) => dx,
            None => {
                dx_scratch.resize(t * n * *d, 0.0);
                &mut dx_scratch[..]
            }
        };
        let dims = AttentionDims { t, b: n, h: *d, a: *a };
        attention::backward(dims, x, params(ranges, p), cache, dy, grads, dx);
    }
}

/// Mean or max over time, of the steps that are not padding.
pub struct Pool {
    d: usize,
    max: bool,
    out: Vec<f32>,
    argmax: Vec<usize>,
    rows: Rows,
    /// `[T, N]` the mask of the last forward (empty: every step)
    valid: Vec<bool>,
    /// max: the input with padding steps at −∞
    masked: Vec<f32>,
}

impl Pool {
    pub fn mean(d: usize) -> Self {
        Pool {
            d,
            max: false,
            out: Vec::new(),
            argmax: Vec::new(),
            rows: Rows { n: 0, t: 0 },
            valid: Vec::new(),
            masked: Vec::new(),
        }
    }

    pub fn max(d: usize) -> Self {
        Pool { max: true, ..Pool::mean(d) }
    }
}

impl Layer for Pool {
    fn forward(&mut self, _p: &[f32], x: &[f32], rows: Rows, valid: Option<&[bool]>, _: Option<&mut Rng>) -> Rows {
        self.rows = rows;
        let (n, t, d) = (rows.n, rows.t, self.d);
        self.out.resize(n * d, 0.0);
        self.valid.clear();
        self.valid.extend_from_slice(valid.unwrap_or(&[]));
        let valid = valid.map(|_| &self.valid[..]);
        if self.max {
            self.argmax.resize(n * d, 0);
            let x = match valid {
                Some(v) => {
                    self.masked.clear();
                    self.masked.extend_from_slice(x);
                    for bi in (0..n).filter(|&bi| (0..t).any(|s| v[s * n + bi])) {
                        for s in (0..t).filter(|&s| !v[s * n + bi]) {
                            self.masked[(s * n + bi) * d..(s * n + bi + 1) * d].fill(f32::NEG_INFINITY);
                        }
                    }
                    &self.masked[..]
                }
                None => x,
            };
            conv1d::max_over_time(t, n, d, x, &mut self.out, &mut self.argmax);
        } else {
            attention::mean_forward(t, n, d, x, valid, &mut self.out);
        }
        Rows { n, t: 1 }
    }

    fn output(&self) -> &[f32] {
        &self.out
    }

    fn backward(&mut self, _p: &[f32], _x: &[f32], grads: Grads<'_>) {
        let (Some(dy), Some(dx)) = (grads.dy, grads.dx) else { return };
        let Rows { n, t } = self.rows;
        if self.max {
            conv1d::max_over_time_backward(n, self.d, dy, &self.argmax, dx);
        } else {
            let valid = (!self.valid.is_empty()).then_some(&self.valid[..]);
            attention::mean_backward(t, n, self.d, dy, valid, dx);
        }
    }
}
