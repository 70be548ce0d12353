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
