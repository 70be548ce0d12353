//! What the recurrent layers share: the sizes of one call, the cell kind, and one cache type
//! for either cell.

/// Sizes of one recurrent call: batch (chunk) `b`, steps `t`, input width `e`, units `h`.
/// Inputs and outputs are time-major (`[T, B, E]`, `[T, B, H]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RnnDims {
    pub b: usize,
    pub t: usize,
    pub e: usize,
    pub h: usize,
}

/// A recurrent layer's parameters, borrowed from the flat store (`G` stacked gates: 4 for the
/// LSTM, 3 for the GRU).
#[derive(Clone, Copy)]
pub struct RnnParams<'a> {
    /// `[E, G·H]`
    pub kernel: &'a [f32],
    /// `[H, G·H]`
    pub recurrent: &'a [f32],
    /// LSTM `[4H]`; GRU `[2, 3H]` (input bias, then recurrent bias)
    pub bias: &'a [f32],
}

/// Gradients of the same, accumulated (`+=`) into the flat gradient buffer's views.
pub struct RnnGrads<'a> {
    pub kernel: &'a mut [f32],
    pub recurrent: &'a mut [f32],
    pub bias: &'a mut [f32],
}

/// The gradient of the loss with respect to a recurrent layer's outputs, what its backward
/// starts from: at every step (`return_sequences=True`), at the last state, or both. `W` is
/// the layer's output width: `H`, or `2H` for the bidirectional wrapper.
#[derive(Clone, Copy)]
pub struct RnnOutputGrads<'a> {
    /// `[T, B, W]`
    pub seq: Option<&'a [f32]>,
    /// `[B, W]`
    pub last: Option<&'a [f32]>,
}

use crate::gru::{self, GruCache};
use crate::lstm::{self, LstmCache};

/// The recurrent cell of a layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cell {
    /// Keras `LSTM`: gates (i, f, c, o), bias `[4H]`.
    #[default]
    Lstm,
    /// Keras `GRU(reset_after=True)`: gates (z, r, h), bias `[2, 3H]`.
    Gru,
}

impl Cell {
    /// Gates stacked in the kernels.
    pub fn gates(self) -> usize {
        match self {
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }

    /// Layer-name prefix: `lstm_0`, `gru_0`.
    pub fn prefix(self) -> &'static str {
        match self {
            Cell::Lstm => "lstm",
            Cell::Gru => "gru",
        }
    }

    /// Shape of the bias tensor for `h` units.
    pub fn bias_shape(self, h: usize) -> Vec<usize> {
        match self {
            Cell::Lstm => vec![4 * h],
            Cell::Gru => vec![2, 3 * h], // input and recurrent biases (reset_after=True)
        }
    }
}

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
