//! What the recurrent layers share: the sizes of one call, the parameter and gradient views,
//! and the cell kind. The LSTM and GRU modules build on this; [`crate::rnn_cache`] dispatches
//! between them.

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

/// `out: [G, H]` = `u: [H, G]` transposed, so that a step's `dz·Uᵀ` reads rows contiguously.
pub(crate) fn transpose_into(u: &[f32], h: usize, g: usize, out: &mut Vec<f32>) {
    out.resize(g * h, 0.0);
    for r in 0..h {
        for col in 0..g {
            out[col * h + r] = u[r * g + col];
        }
    }
}

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
