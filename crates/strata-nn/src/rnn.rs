//! What the recurrent layers share: the sizes of one call, the parameter and gradient views,
//! the cell kind, and the bias gradient's column sums (every cell's backward, masked or not).
//! The LSTM and GRU modules build on this; [`crate::rnn_cache`] dispatches between them.

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

/// Columns summed at a time by [`add_column_sums`]: the LSTM's `4H` at H = 64, so that `dz`
/// is read in the order it lies (a GRU's `3H` = 192 takes the row-by-row tail); sixteen ZMM accumulators (the AVX2 build keeps half of them on
/// the stack, which costs what the row-by-row loop did).
const SUM_COLUMNS: usize = 256;

/// `sums[j] += rows[0, j] + rows[1, j] + …` over `rows: [R, N]` (`N = sums.len()`), each column's
/// adds in row order: the bits of adding the rows into `sums` one after another. Done that way,
/// the `[N]` sums were loaded and stored again for each of the `T·B` rows (in SSE2, 4 lanes:
/// ~1 % of the seed LSTM's forward and backward); here [`SUM_COLUMNS`] of them stay in
/// registers while the rows go by (widths that are not a multiple take the row-by-row loop for
/// their last columns).
#[inline(always)]
fn add_column_sums_body(rows: &[f32], sums: &mut [f32]) {
    let n = sums.len();
    let full = n / SUM_COLUMNS * SUM_COLUMNS;
    for c0 in (0..full).step_by(SUM_COLUMNS) {
        let mut acc: [f32; SUM_COLUMNS] = sums[c0..c0 + SUM_COLUMNS].try_into().expect("a full block");
        for row in rows.chunks_exact(n) {
            let piece: &[f32; SUM_COLUMNS] = row[c0..c0 + SUM_COLUMNS].try_into().expect("a full block");
            for (a, x) in acc.iter_mut().zip(piece) {
                *a += x;
            }
        }
        sums[c0..c0 + SUM_COLUMNS].copy_from_slice(&acc);
    }
    if full < n {
        for row in rows.chunks_exact(n) {
            sums[full..].iter_mut().zip(&row[full..]).for_each(|(a, x)| *a += x);
        }
    }
}

crate::kernels::compiled_per_kernels!(
    pub(crate) fn add_column_sums / add_column_sums_avx2 / add_column_sums_avx512
        / with #[cfg(test)] add_column_sums_with (rows: &[f32], sums: &mut [f32])
        => add_column_sums_body
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;

    /// The bias gradient's column sums give the bits of adding the rows into the sums one after
    /// another, at widths with and without a partial block of columns, in every build.
    #[test]
    fn column_sums_keep_the_row_after_row_bits() {
        let mut rng = Rng::new(23);
        for (r, n) in [(1, 1), (7, 13), (30, 64), (25, 200), (1600, 256)] {
            let rows: Vec<f32> = (0..r * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let start: Vec<f32> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let mut want = start.clone();
            for row in rows.chunks_exact(n) {
                want.iter_mut().zip(row).for_each(|(a, x)| *a += x);
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            for k in crate::kernels::Kernels::available() {
                let mut got = start.clone();
                add_column_sums_with(k, &rows, &mut got);
                assert_eq!(bits(&got), bits(&want), "{} {r}x{n}", k.name());
            }
        }
    }
}
