//! What the recurrent layers share: the sizes of one call.

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
