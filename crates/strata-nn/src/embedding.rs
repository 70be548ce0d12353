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
    if let Some(id) = ids.iter().find(|&&id| id as usize >= v) {
        panic!("embedding: id {id} out of range for vocabulary {v}");
    }
    // Step-major, so that `out` is written in the order it lies; the table's rows are read
    // where the ids say, so the rows `GATHER_AHEAD` places on are asked for before they are
    // needed (a 300-d row is 19 cache lines, most of them a miss in a 24 MB table).
    let id_at = |k: usize| ids[(k % b) * t + k / b] as usize;
    for k in 0..t * b {
        if k + GATHER_AHEAD < t * b {
            prefetch(&weight[id_at(k + GATHER_AHEAD) * e..][..e]);
        }
        let (id, dst) = (id_at(k), k * width + offset);
        out[dst..dst + e].copy_from_slice(&weight[id * e..(id + 1) * e]);
    }
}

/// One chunk's occurrences for [`sum_columns`]: ids `[B, T]` and the gradient at the
/// embedding output `grads: [T, B, width]`, of which columns `c0..` are summed.
#[derive(Clone, Copy)]
pub struct Occurrences<'a> {
    pub ids: &'a [u32],
    pub t: usize,
    pub b: usize,
    pub grads: &'a [f32],
    pub width: usize,
    pub c0: usize,
}

/// `rows[slot[id]] += grads[t, b, c0..c0 + len]` for every occurrence `(b, t)` of `id`, in
/// batch-row order, then step order, each row's piece `len` values long: one thread's columns
/// of the embedding gradient's per-id sums (strata-train's `embedding_grad.rs`, which calls
/// `sum_columns` with the set to run so that its tests can force each). A lane-wise `+=`, so
/// every build gives the same bits (a 64-value piece is 4 ZMM adds instead of 16 SSE ones).
#[inline(always)]
fn sum_columns_body(rows: &mut [&mut [f32]], slot: &[u32], occ: Occurrences) {
    let Occurrences { ids, t, b, grads, width, c0 } = occ;
    for (bi, row_ids) in ids.chunks_exact(t).enumerate() {
        for (ti, &id) in row_ids.iter().enumerate() {
            let piece = &mut *rows[slot[id as usize] as usize];
            let at = (ti * b + bi) * width + c0;
            let src = &grads[at..at + piece.len()];
            piece.iter_mut().zip(src).for_each(|(d, s)| *d += s);
        }
    }
}

crate::kernels::compiled_per_kernels!(
    pub fn sum_columns_active / sum_columns_avx2 / sum_columns_avx512 / with sum_columns (
        rows: &mut [&mut [f32]],
        slot: &[u32],
        occ: Occurrences,
    ) => sum_columns_body
);

/// How many rows ahead [`forward_strided`] asks for the table's rows.
const GATHER_AHEAD: usize = 4;

/// Asks the cache for every line of `row` (a hint: it changes no value).
#[inline]
fn prefetch(row: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in row.chunks(16) {
        // SAFETY: a prefetch reads nothing that the program sees and cannot fault; SSE, which
        // it needs, is part of x86-64.
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(line.as_ptr().cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
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
    fn every_step_of_every_text_gets_its_row_in_its_channel() {
        // more steps than the gather looks ahead, several texts, a channel inside wider steps
        let (v, e, b, t, width, offset) = (7, 5, 3, 9, 12, 4);
        let ids: Vec<u32> = (0..b * t).map(|i| (i * 5 % v) as u32).collect();
        let weight: Vec<f32> = (0..v * e).map(|i| i as f32).collect();
        let mut out = vec![-1.0; t * b * width];
        forward_strided(&ids, b, t, &weight, e, &mut out, width, offset);
        for (bi, ti) in (0..b).flat_map(|bi| (0..t).map(move |ti| (bi, ti))) {
            let id = ids[bi * t + ti] as usize;
            let step = &out[(ti * b + bi) * width..][..width];
            assert_eq!(&step[offset..offset + e], &weight[id * e..(id + 1) * e], "text {bi} step {ti}");
            assert!(step[..offset].iter().chain(&step[offset + e..]).all(|&x| x == -1.0));
        }
    }

    #[test]
    #[should_panic(expected = "embedding: id 9 out of range for vocabulary 6")]
    fn an_id_past_the_table_is_named() {
        let mut out = vec![0.0; 4 * 2];
        forward(&[1, 2, 9, 3], 2, 2, &[0.0; 6 * 2], 2, &mut out);
    }

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
