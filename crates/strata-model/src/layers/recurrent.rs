//! LSTM and GRU layers, one direction or both (concatenated).

use std::ops::Range;

use strata_nn::bidirectional::{self, BiCache, BiGrads, BiParams};
use strata_nn::{Cell, Rng, RnnCache, RnnDims, RnnGrads, RnnOutputGrads, RnnParams};

use super::{grad_views, Grads, Layer, Rows};

pub struct Recurrent {
    /// input width `E`, units per direction `H`
    e: usize,
    h: usize,
    /// return_sequences: the output is `[T, N, D]` rather than the last state `[N, D]`
    sequences: bool,
    /// kernel, recurrent kernel, bias — per direction
    ranges: Vec<Range<usize>>,
    uni: Option<RnnCache>,
    bi: Option<BiCache>,
    dims: RnnDims,
    /// `[N, D]` scratch: gradient at the last state from above plus from an auxiliary head
    dlast_sum: Vec<f32>,
}

impl Recurrent {
    pub fn new(
        cell: Cell,
        e: usize,
        h: usize,
        bidirectional: bool,
        sequences: bool,
        ranges: Vec<Range<usize>>,
    ) -> Self {
        Recurrent {
            e,
            h,
            sequences,
            ranges,
            uni: (!bidirectional).then(|| RnnCache::new(cell)),
            bi: bidirectional.then(|| BiCache::new(cell)),
            dims: RnnDims { b: 0, t: 0, e, h },
            dlast_sum: Vec::new(),
        }
    }
}

/// Direction `dir`'s parameters (kernel, recurrent kernel, bias) from the flat store.
fn params<'a>(ranges: &[Range<usize>], p: &'a [f32], dir: usize) -> RnnParams<'a> {
    let r = &ranges[3 * dir..3 * dir + 3];
    RnnParams { kernel: &p[r[0].clone()], recurrent: &p[r[1].clone()], bias: &p[r[2].clone()] }
}

/// Both directions' parameters: direction 0 reads forward, direction 1 backward.
fn bi_params<'a>(ranges: &[Range<usize>], p: &'a [f32]) -> BiParams<'a> {
    BiParams { forward: params(ranges, p, 0), backward: params(ranges, p, 1) }
}

impl Layer for Recurrent {
    fn forward(&mut self, p: &[f32], x: &[f32], rows: Rows, _valid: Option<&[bool]>, _: Option<&mut Rng>) -> Rows {
        self.dims = RnnDims { b: rows.n, t: rows.t, e: self.e, h: self.h };
        let (d, r) = (self.dims, &self.ranges);
        match (&mut self.uni, &mut self.bi) {
            (Some(c), _) => c.forward(d, x, params(r, p, 0)),
            (None, Some(c)) => bidirectional::forward(d, x, bi_params(r, p), c),
            _ => unreachable!(),
        }
        Rows { n: rows.n, t: if self.sequences { rows.t } else { 1 } }
    }

    fn output(&self) -> &[f32] {
        if self.sequences {
            match (&self.uni, &self.bi) {
                (Some(c), _) => c.outputs(self.dims),
                (_, Some(c)) => &c.seq,
                _ => unreachable!(),
            }
        } else {
            self.last_state().unwrap()
        }
    }

    fn last_state(&self) -> Option<&[f32]> {
        match (&self.uni, &self.bi) {
            (Some(c), _) => Some(c.last(self.dims)),
            (_, Some(c)) => Some(&c.last),
            _ => None,
        }
    }

    fn backward(&mut self, p: &[f32], x: &[f32], grads: Grads<'_>) {
        let Grads { dy, dlast, params: g, off, dx } = grads;
        let Recurrent { sequences, ranges, uni, bi, dims: d, dlast_sum, .. } = self;
        let (dseq, dlast) = if *sequences {
            (dy, dlast)
        } else {
            match (dy, dlast) {
                (Some(a), Some(b)) => {
                    dlast_sum.clear();
                    dlast_sum.extend(a.iter().zip(b).map(|(u, v)| u + v));
                    (None, Some(&dlast_sum[..]))
                }
                (a, b) => (None, a.or(b)),
            }
        };
        let mut views = grad_views(g, off, ranges).into_iter();
        let mut next = || RnnGrads {
            kernel: views.next().unwrap(),
            recurrent: views.next().unwrap(),
            bias: views.next().unwrap(),
        };
        let dy = RnnOutputGrads { seq: dseq, last: dlast };
        match (uni, bi) {
            (Some(c), _) => c.backward(*d, x, params(ranges, p, 0), dy, next(), dx),
            (None, Some(c)) => {
                let grads = BiGrads { forward: next(), backward: next() };
                bidirectional::backward(*d, x, bi_params(ranges, p), c, dy, grads, dx);
            }
            _ => unreachable!(),
        }
    }
}
