//! Embedding: id lookup. Forward gathers rows of the table, backward scatter-adds into them.
//!
//! Index 0 is the padding id and is looked up like any other (Keras's `mask_zero=False`
//! default), so padded steps see row 0, as in the seed's model.

/// `out[t, b, :] = weight[ids[b, t], :]`, gathering a time-major `[T, B, E]` block from
/// batch-major ids `[B, T]`.
///
/// - `ids`: `[B, T]`, each `< V`
/// - `weight`: `[V, E]`
/// - `out`: `[T, B, E]`
pub fn forward(ids: &[u32], b: usize, t: usize, weight: &[f32], e: usize, out: &mut [f32]) {
    forward_strided(ids, b, t, weight, e, out, e, 0);
}

/// [`forward`] into the `e` values at `offset` of steps that hold `width` values: one channel
/// of a block several tables fill (a multichannel embedding's `[trained ; static]`).
///
/// - `out`: `[T, B, width]`, of which `out[t, b, offset..offset + e] = weight[ids[b, t], :]`
#[allow(clippy::too_many_arguments)] // the shapes of the block: ids, table, channel
pub fn forward_strided(
    ids: &[u32],
    b: usize,
    t: usize,
    weight: &[f32],
    e: usize,
    out: &mut [f32],
    width: usize,
    offset: usize,
) {
    assert_eq!(ids.len(), b * t);
    assert_eq!(out.len(), t * b * width);
    assert!(offset + e <= width, "embedding: channel {offset}..{} outside steps of {width}", offset + e);
    let v = weight.len() / e.max(1);
    for (bi, row) in ids.chunks_exact(t.max(1)).enumerate() {
        for (ti, &id) in row.iter().enumerate() {
            let id = id as usize;
            assert!(id < v, "embedding: id {id} out of range for vocabulary {v}");
            let dst = (ti * b + bi) * width + offset;
            out[dst..dst + e].copy_from_slice(&weight[id * e..(id + 1) * e]);
        }
    }
}

/// `dweight[ids[b, t], :] += dout[t, b, :]`.
///
/// - `dout`: `[T, B, E]`
/// - `dweight`: `[V, E]` (accumulated)
pub fn backward(ids: &[u32], b: usize, t: usize, dout: &[f32], e: usize, dweight: &mut [f32]) {
    for (bi, row) in ids.chunks_exact(t).enumerate() {
        for (ti, &id) in row.iter().enumerate() {
            let src = (ti * b + bi) * e;
            let dst = &mut dweight[id as usize * e..(id as usize + 1) * e];
            dst.iter_mut().zip(&dout[src..src + e]).for_each(|(d, g)| *d += g);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;
    use crate::Rng;

    #[test]
    fn gradient_matches_finite_differences() {
        let (v, e, b, t) = (6, 3, 2, 4);
        let ids = [0, 1, 5, 1, 2, 2, 3, 0];
        let mut rng = Rng::new(1);
        let w: Vec<f32> = (0..v * e).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let probe: Vec<f32> = (0..t * b * e).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let loss = |w: &[f32]| {
            let mut out = vec![0.0; t * b * e];
            forward(&ids, b, t, w, e, &mut out);
            out.iter().zip(&probe).map(|(o, p)| (o * p) as f64).sum::<f64>()
        };
        let mut grad = vec![0.0; v * e];
        backward(&ids, b, t, &probe, e, &mut grad);
        let worst = check("embedding.weight", &w, &grad, loss);
        assert!(worst < 1e-2, "embedding max rel diff {worst}");
    }
}
