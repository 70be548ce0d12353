//! The embedding's gradient: sparse rows of a large table, summed from every chunk and cleared
//! after the optimizer step — in parallel, and still deterministic.
//!
//! Rows are dealt to threads by `id % threads`, so no two threads touch the same row, and each
//! thread walks all chunks' ids in the same order every run: the sums come out bit-identical
//! for a given thread count. Done serially, this scatter left one core idle for ~5% of a step.

use rayon::prelude::*;

/// One chunk's contribution: ids `[B, T]` and the gradient at the embedding output
/// `demb: [T, B, E]` (or `[T, B, W]` for [`scatter_strided`]).
pub struct ChunkGrad<'a> {
    pub ids: &'a [u32],
    pub b: usize,
    pub demb: &'a [f32],
}

/// The table's rows (`[V, E]`) split into `parts` buckets: bucket `p` holds rows `p, p+parts, …`.
fn buckets(table: &mut [f32], e: usize, parts: usize) -> Vec<Vec<&mut [f32]>> {
    let mut out: Vec<Vec<&mut [f32]>> = (0..parts).map(|_| Vec::with_capacity(table.len() / e / parts + 1)).collect();
    for (i, row) in table.chunks_exact_mut(e).enumerate() {
        out[i % parts].push(row);
    }
    out
}

/// `grad[ids[b, t]] += demb[t, b]` for every chunk, in chunk order.
pub fn scatter(grad: &mut [f32], e: usize, t: usize, chunks: &[ChunkGrad]) {
    scatter_strided(grad, e, e, t, chunks);
}

/// [`scatter`] of gradients whose steps hold `width` values, of which the first `e` are the
/// table's: `grad[ids[b, t]] += demb[t, b, ..e]`. A multichannel model's `demb` is `[T, B,
/// 2E]`, and its static half goes to no table.
pub fn scatter_strided(grad: &mut [f32], e: usize, width: usize, t: usize, chunks: &[ChunkGrad]) {
    let parts = rayon::current_num_threads().max(1);
    buckets(grad, e, parts).into_par_iter().enumerate().for_each(|(p, mut rows)| {
        for c in chunks {
            for (bi, row_ids) in c.ids.chunks_exact(t).enumerate() {
                for (ti, &id) in row_ids.iter().enumerate() {
                    let id = id as usize;
                    if id % parts == p {
                        let at = (ti * c.b + bi) * width;
                        let src = &c.demb[at..at + e];
                        rows[id / parts].iter_mut().zip(src).for_each(|(d, s)| *d += s);
                    }
                }
            }
        }
    });
}

/// Zeroes the rows named in `ids` (the rest of the gradient is already zero).
pub fn clear(grad: &mut [f32], e: usize, ids: &[u32]) {
    let parts = rayon::current_num_threads().max(1);
    buckets(grad, e, parts).into_par_iter().enumerate().for_each(|(p, mut rows)| {
        for &id in ids {
            let id = id as usize;
            if id % parts == p {
                rows[id / parts].fill(0.0);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_serial_scatter() {
        let (v, e, t) = (7, 3, 2);
        let ids_a = [1u32, 4, 4, 0];
        let ids_b = [6u32, 1];
        let demb_a: Vec<f32> = (0..t * 2 * e).map(|i| i as f32).collect();
        let demb_b: Vec<f32> = (0..t * e).map(|i| 100.0 + i as f32).collect();
        let mut grad = vec![0.0; v * e];
        let chunks = [ChunkGrad { ids: &ids_a, b: 2, demb: &demb_a }, ChunkGrad { ids: &ids_b, b: 1, demb: &demb_b }];
        scatter(&mut grad, e, t, &chunks);
        let mut want = vec![0.0; v * e];
        strata_nn::embedding::backward(&ids_a, 2, t, &demb_a, e, &mut want);
        strata_nn::embedding::backward(&ids_b, 1, t, &demb_b, e, &mut want);
        assert_eq!(grad, want);
        clear(&mut grad, e, &[1, 4, 0, 6]);
        assert!(grad.iter().all(|&g| g == 0.0));
    }

    #[test]
    fn a_multichannel_gradient_gives_the_table_only_its_trained_half() {
        let (v, e, t) = (5, 2, 2);
        let ids = [3u32, 1];
        // [T, B, 2E]: each step's trained half, then the static half (which must be left out)
        let demb = [1.0, 2.0, 100.0, 200.0, 3.0, 4.0, 300.0, 400.0];
        let mut grad = vec![0.0; v * e];
        scatter_strided(&mut grad, e, 2 * e, t, &[ChunkGrad { ids: &ids, b: 1, demb: &demb }]);
        let mut want = vec![0.0; v * e];
        want[3 * e..4 * e].copy_from_slice(&[1.0, 2.0]);
        want[e..2 * e].copy_from_slice(&[3.0, 4.0]);
        assert_eq!(grad, want);
    }
}
