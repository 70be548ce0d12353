//! One cache type for either recurrent cell, so that callers (the bidirectional wrapper, a
//! model's layer list) hold one type whatever the cell, and forward/backward dispatch here.

use crate::gru::{self, GruCache};
use crate::lstm::{self, LstmCache};
use crate::rnn::{Cell, RnnDims, RnnGrads, RnnOutputGrads, RnnParams};

/// Either cell's activations, so that callers (the bidirectional wrapper, a model's layer list)
/// hold one type whatever the cell.
pub enum RnnCache {
    Lstm(LstmCache),
    Gru(GruCache),
}

impl RnnCache {
    pub fn new(cell: Cell) -> RnnCache {
        match cell {
            Cell::Lstm => RnnCache::Lstm(LstmCache::default()),
            Cell::Gru => RnnCache::Gru(GruCache::default()),
        }
    }

    /// `[T, B, H]` outputs after `forward`.
    pub fn outputs(&self, d: RnnDims) -> &[f32] {
        match self {
            RnnCache::Lstm(c) => c.outputs(d),
            RnnCache::Gru(c) => c.outputs(d),
        }
    }

    /// `[B, H]` state after the last step.
    pub fn last(&self, d: RnnDims) -> &[f32] {
        match self {
            RnnCache::Lstm(c) => c.last(d),
            RnnCache::Gru(c) => c.last(d),
        }
    }

    /// Forward of the cell this cache was made for.
    pub fn forward(&mut self, d: RnnDims, x: &[f32], p: RnnParams) {
        match self {
            RnnCache::Lstm(c) => lstm::forward(d, x, p, c),
            RnnCache::Gru(c) => gru::forward(d, x, p, c),
        }
    }

    /// Backward; the contract of `lstm::backward`.
    pub fn backward(
        &mut self,
        d: RnnDims,
        x: &[f32],
        p: RnnParams,
        dy: RnnOutputGrads,
        grads: RnnGrads,
        dx: Option<&mut [f32]>,
    ) {
        match self {
            RnnCache::Lstm(c) => lstm::backward(d, x, p, c, dy, grads, dx),
            RnnCache::Gru(c) => gru::backward(d, x, p, c, dy, grads, dx),
        }
    }
}
