//! The embedding's gradient: sparse rows of a large table, summed per id once a batch — in
//! parallel, and still deterministic.
//!
//! A batch of B×T ids uses a few hundred of the table's V rows, and most of its ids are a few
//! rows (padding, "the"). So the gradient at the embedding output is summed per unique id into
//! a small `[U, E]` block first ([`EmbeddingGrad::sum`]), which the optimizer reads as the
//! table's gradient ([`EmbeddingGrad::table_rows`]): Keras's dense step updates every row, the
//! others with a zero gradient, and needs no `[V, E]` gradient table for it (as large as the
//! table); with `--sparse-embedding-updates` only those rows are updated. A caller that wants
//! the dense gradient writes the rows into it ([`EmbeddingGrad::scatter_into`], and
//! [`EmbeddingGrad::clear_from`] after).
//!
//! Bits: each value of a row is the sum of its occurrences' values in batch order (chunk order,
//! then row by row), starting from zero — the order the per-occurrence scatter this replaced
//! added them into the zeroed table, so the dense gradient is bit-identical to it. Threads
//! split the columns, not the ids: every thread walks all occurrences in the same order over
//! its own columns, so the padding row (most of MR's ids) is shared among them too, and the sums
//! do not depend on the thread count at all.

use std::ops::Range;

use rayon::prelude::*;
use strata_model::model::Model;
use strata_nn::embedding::{sum_columns, Occurrences};
use strata_nn::kernels::{self, Kernels};
use strata_nn::optim::{table_rows_mut, TableRows};

/// One chunk's contribution: ids `[B, T]` and the gradient at the embedding output
/// `demb: [T, B, W]` (W = E, or a multichannel model's 2E, whose static half goes to no table).
pub struct ChunkGrad<'a> {
    pub ids: &'a [u32],
    pub b: usize,
    pub demb: &'a [f32],
}

/// `slot`'s mark of a row the batch did not use.
const NOT_SEEN: u32 = u32::MAX;

/// Rows (of E values) per parallel work item when writing rows into the table.
const PAR_ROWS: usize = 128;

/// A batch's gradient of the `[V, E]` embedding table, as the rows it used, with the buffers
/// reused from batch to batch.
#[derive(Clone, Debug)]
pub struct EmbeddingGrad {
    /// E, and W: the values of one step of the gradient at the embedding output (W ≥ E).
    e: usize,
    width: usize,
    /// The rows the batch used, sorted, each once (U of them).
    ids: Vec<u32>,
    /// Their gradients, `[U, E]`, in `ids`' order.
    rows: Vec<f32>,
    /// `[V]`: each table row's place in `ids` while [`EmbeddingGrad::sum`] runs, else `NOT_SEEN`.
    slot: Vec<u32>,
}

impl EmbeddingGrad {
    /// For a table of `v` rows of `e` values, read from gradients of `width` values a step.
    pub fn new(v: usize, e: usize, width: usize) -> Self {
        assert!(e > 0 && width >= e, "an embedding of {e} values read from steps of {width}");
        EmbeddingGrad { e, width, ids: Vec::new(), rows: Vec::new(), slot: vec![NOT_SEEN; v] }
    }

    /// For `model`'s trained table (a multichannel model's static copy takes no gradient).
    pub fn for_model(model: &Model) -> Self {
        let e = model.config.embedding_dim;
        EmbeddingGrad::new(model.layout.embedding.len() / e, e, model.config.input_width())
    }

    /// The rows the last [`EmbeddingGrad::sum`] found, sorted, and their gradients `[U, E]`.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    pub fn rows(&self) -> &[f32] {
        &self.rows
    }

    /// Sums the chunks' gradients per id: row `u` = Σ `demb[t, b, ..E]` over every `(b, t)`
    /// whose id is `ids[u]`, in chunk order, then batch-row order. `t` is the steps per row of
    /// the chunks' ids.
    pub fn sum(&mut self, t: usize, chunks: &[ChunkGrad]) {
        self.sum_with(kernels::active(), t, chunks)
    }

    /// [`EmbeddingGrad::sum`] with the adds compiled for `kernels` (which the CPU must have).
    fn sum_with(&mut self, kernels: Kernels, t: usize, chunks: &[ChunkGrad]) {
        self.ids.clear();
        for c in chunks {
            for &id in c.ids {
                let s = &mut self.slot[id as usize];
                if *s == NOT_SEEN {
                    *s = 0;
                    self.ids.push(id);
                }
            }
        }
        self.ids.sort_unstable();
        for (u, &id) in self.ids.iter().enumerate() {
            self.slot[id as usize] = u as u32;
        }
        let e = self.e;
        self.rows.clear();
        self.rows.resize(self.ids.len() * e, 0.0);
        // part p holds columns p·cols.. of every row
        let parts = rayon::current_num_threads().clamp(1, e);
        let cols = e.div_ceil(parts);
        let mut pieces: Vec<Vec<&mut [f32]>> = (0..parts).map(|_| Vec::with_capacity(self.ids.len())).collect();
        for row in self.rows.chunks_exact_mut(e) {
            for (p, piece) in row.chunks_mut(cols).enumerate() {
                pieces[p].push(piece);
            }
        }
        let (slot, width) = (&self.slot[..], self.width);
        pieces.into_par_iter().enumerate().for_each(|(p, mut rows)| {
            if rows.is_empty() {
                return; // more parts than column blocks
            }
            for c in chunks {
                let occ = Occurrences { ids: c.ids, t, b: c.b, grads: c.demb, width, c0: p * cols };
                sum_columns(kernels, &mut rows, slot, occ);
            }
        });
        for &id in &self.ids {
            self.slot[id as usize] = NOT_SEEN;
        }
    }

    /// Sets the batch's rows from chunks' own row sums (each chunk's sorted ids and `[U, E]`
    /// sums, as [`EmbeddingGrad::sum`] gives for that chunk alone), added per id in chunk
    /// order: data-parallel training's sum, which no rank count changes.
    pub fn combine<'a>(&mut self, chunks: impl Iterator<Item = (&'a [u32], &'a [f32])> + Clone) {
        self.ids.clear();
        for (ids, _) in chunks.clone() {
            self.ids.extend_from_slice(ids);
        }
        self.ids.sort_unstable();
        self.ids.dedup();
        for (u, &id) in self.ids.iter().enumerate() {
            self.slot[id as usize] = u as u32;
        }
        let e = self.e;
        self.rows.clear();
        self.rows.resize(self.ids.len() * e, 0.0);
        for (ids, rows) in chunks {
            for (&id, src) in ids.iter().zip(rows.chunks_exact(e)) {
                let at = self.slot[id as usize] as usize * e;
                self.rows[at..at + e].iter_mut().zip(src).for_each(|(d, s)| *d += s);
            }
        }
        for &id in &self.ids {
            self.slot[id as usize] = NOT_SEEN;
        }
    }

    /// Adds the rows into the table's dense gradient `grad` (`[V, E]`, zero at these rows:
    /// so it holds exactly the sums).
    pub fn scatter_into(&self, grad: &mut [f32]) {
        table_rows_mut(grad, self.e, &self.ids)
            .into_par_iter()
            .zip(self.rows.par_chunks(self.e))
            .with_min_len(PAR_ROWS)
            .for_each(|(d, s)| d.iter_mut().zip(s).for_each(|(d, s)| *d += s));
    }

    /// Zeroes these rows of `grad` (after the step: the rest of it is already zero).
    pub fn clear_from(&self, grad: &mut [f32]) {
        table_rows_mut(grad, self.e, &self.ids).into_par_iter().with_min_len(PAR_ROWS).for_each(|d| d.fill(0.0));
    }

    /// The rows as an optimizer step reads them, for the table at `table` in the parameter
    /// buffer: updated alone if `lazy`, else with every other row at a zero gradient.
    pub fn table_rows<'a>(&'a self, table: &'a Range<usize>, lazy: bool) -> TableRows<'a> {
        TableRows { table, width: self.e, ids: &self.ids, grads: &self.rows, lazy }
    }
}

/// `grad[ids[b, t]] += demb[t, b]` for every chunk, into a `[V, E]` gradient that is zero at
/// those rows: [`EmbeddingGrad`]'s sums for a caller that keeps no buffers between batches (the
/// language model's step).
pub fn scatter(grad: &mut [f32], e: usize, t: usize, chunks: &[ChunkGrad]) {
    let mut sums = EmbeddingGrad::new(grad.len() / e, e, e);
    sums.sum(t, chunks);
    sums.scatter_into(grad);
}

/// Zeroes the rows named in `ids` (in any order, repeated or not).
pub fn clear(grad: &mut [f32], e: usize, ids: &[u32]) {
    let mut rows = ids.to_vec();
    rows.sort_unstable();
    rows.dedup();
    table_rows_mut(grad, e, &rows).into_par_iter().with_min_len(PAR_ROWS).for_each(|d| d.fill(0.0));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-occurrence scatter this module's sums replaced: `grad[ids[b, t]] += demb[t, b,
    /// ..e]`, chunk by chunk, into a zeroed table.
    fn scatter_each(grad: &mut [f32], e: usize, width: usize, t: usize, chunks: &[ChunkGrad]) {
        for c in chunks {
            for (bi, row_ids) in c.ids.chunks_exact(t).enumerate() {
                for (ti, &id) in row_ids.iter().enumerate() {
                    let at = (ti * c.b + bi) * width;
                    let row = &mut grad[id as usize * e..(id as usize + 1) * e];
                    row.iter_mut().zip(&c.demb[at..at + e]).for_each(|(d, s)| *d += s);
                }
            }
        }
    }

    #[test]
    fn matches_a_serial_scatter() {
        let (v, e, t) = (7, 3, 2);
        let ids_a = [1u32, 4, 4, 0];
        let ids_b = [6u32, 1];
        let demb_a: Vec<f32> = (0..t * 2 * e).map(|i| i as f32).collect();
        let demb_b: Vec<f32> = (0..t * e).map(|i| 100.0 + i as f32).collect();
        let mut grad = vec![0.0; v * e];
        let chunks = [ChunkGrad { ids: &ids_a, b: 2, demb: &demb_a }, ChunkGrad { ids: &ids_b, b: 1, demb: &demb_b }];
        let mut sums = EmbeddingGrad::new(v, e, e);
        sums.sum(t, &chunks);
        assert_eq!(sums.ids(), &[0, 1, 4, 6], "each used row once, sorted");
        sums.scatter_into(&mut grad);
        let mut want = vec![0.0; v * e];
        strata_nn::embedding::backward(&ids_a, 2, t, &demb_a, e, &mut want);
        strata_nn::embedding::backward(&ids_b, 1, t, &demb_b, e, &mut want);
        assert_eq!(grad, want);
        sums.clear_from(&mut grad);
        assert!(grad.iter().all(|&g| g == 0.0));
        scatter(&mut grad, e, t, &chunks);
        assert_eq!(grad, want, "the one-call form");
        clear(&mut grad, e, &[6, 1, 4, 1, 0]);
        assert!(grad.iter().all(|&g| g == 0.0));
    }

    #[test]
    fn sums_have_the_bits_of_the_per_occurrence_scatter_at_any_thread_count() {
        // values whose sums round differently in another order, one id (0, padding) repeated
        // far more than the rest, and an E that does not split evenly into column blocks
        let (v, e, t, b) = (50, 7, 9, 6);
        let mut rng = strata_nn::Rng::new(3);
        let ids: Vec<u32> = (0..b * t).map(|_| if rng.below(3) > 0 { 0 } else { rng.below(v) as u32 }).collect();
        let demb: Vec<f32> =
            (0..t * b * e).map(|_| rng.uniform(-1.0, 1.0) * 10f32.powi(rng.below(7) as i32 - 3)).collect();
        // two chunks of 4 and 2 texts, each with its own [T, b, E] gradient
        let (d4, d2) = (&demb[..t * 4 * e], &demb[t * 4 * e..]);
        let chunks =
            [ChunkGrad { ids: &ids[..4 * t], b: 4, demb: d4 }, ChunkGrad { ids: &ids[4 * t..], b: 2, demb: d2 }];
        let mut want = vec![0.0f32; v * e];
        scatter_each(&mut want, e, e, t, &chunks);
        for threads in [1, 2, 3, 8] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let mut grad = vec![0.0f32; v * e];
            pool.install(|| {
                let mut sums = EmbeddingGrad::new(v, e, e);
                sums.sum(t, &chunks);
                sums.scatter_into(&mut grad);
            });
            let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&grad), bits(&want), "{threads} threads");
        }
    }

    /// Every build of the sums (AVX-512, AVX2, portable) gives the per-occurrence scatter's bits
    /// (on E = 19 read from steps of 22, as a multichannel model's trained half, and 2 threads:
    /// pieces of 10 and 9 values, so vector bodies and scalar tails both run).
    #[test]
    fn every_kernel_build_sums_to_the_bits_of_the_per_occurrence_scatter() {
        let (v, e, width, t, b) = (40, 19, 22, 7, 5);
        let mut rng = strata_nn::Rng::new(8);
        let ids: Vec<u32> = (0..b * t).map(|_| if rng.below(2) > 0 { 0 } else { rng.below(v) as u32 }).collect();
        let demb: Vec<f32> =
            (0..t * b * width).map(|_| rng.uniform(-1.0, 1.0) * 10f32.powi(rng.below(7) as i32 - 3)).collect();
        let chunks = [ChunkGrad { ids: &ids, b, demb: &demb }];
        let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let mut want = vec![0.0f32; v * e];
        scatter_each(&mut want, e, width, t, &chunks);
        assert!(want.iter().filter(|&&x| x != 0.0).count() > 3 * e);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        for k in Kernels::available() {
            let mut s = EmbeddingGrad::new(v, e, width);
            pool.install(|| s.sum_with(k, t, &chunks));
            let mut grad = vec![0.0f32; v * e];
            s.scatter_into(&mut grad);
            assert_eq!(bits(&grad), bits(&want), "{k}");
        }
    }

    #[test]
    fn combined_chunk_rows_are_the_chunks_sums_added_in_chunk_order() {
        let (v, e, t) = (9, 2, 2);
        let ids = [[3u32, 5], [5, 8], [3, 3]];
        let demb: Vec<Vec<f32>> = (0..3).map(|c| (0..t * e).map(|i| (c * 10 + i) as f32 * 0.1).collect()).collect();
        let per_chunk: Vec<(Vec<u32>, Vec<f32>)> = (0..3)
            .map(|c| {
                let mut one = EmbeddingGrad::new(v, e, e);
                one.sum(t, &[ChunkGrad { ids: &ids[c], b: 1, demb: &demb[c] }]);
                (one.ids().to_vec(), one.rows().to_vec())
            })
            .collect();
        let mut all = EmbeddingGrad::new(v, e, e);
        all.combine(per_chunk.iter().map(|(i, r)| (&i[..], &r[..])));
        assert_eq!(all.ids(), &[3, 5, 8]);
        // row 3: chunk 0's step 0, then chunk 2's two steps (summed within the chunk first)
        let want3: Vec<f32> = (0..e).map(|j| demb[0][j] + (demb[2][j] + demb[2][e + j])).collect();
        assert_eq!(&all.rows()[..e], &want3[..]);
        let want5: Vec<f32> = (0..e).map(|j| demb[0][e + j] + demb[1][j]).collect();
        assert_eq!(&all.rows()[e..2 * e], &want5[..]);
        all.combine(std::iter::empty());
        assert!(all.ids().is_empty() && all.rows().is_empty(), "a batch whose table does not train");
    }

    #[test]
    fn a_second_batch_starts_from_nothing() {
        let (v, e, t) = (6, 2, 2);
        let mut sums = EmbeddingGrad::new(v, e, e);
        sums.sum(t, &[ChunkGrad { ids: &[5, 2], b: 1, demb: &[1.0, 2.0, 3.0, 4.0] }]);
        sums.sum(t, &[ChunkGrad { ids: &[2, 3], b: 1, demb: &[5.0, 6.0, 7.0, 8.0] }]);
        assert_eq!((sums.ids(), sums.rows()), (&[2u32, 3][..], &[5.0, 6.0, 7.0, 8.0][..]));
    }

    #[test]
    fn a_multichannel_gradient_gives_the_table_only_its_trained_half() {
        let (v, e, t) = (5, 2, 2);
        let ids = [3u32, 1];
        // [T, B, 2E]: each step's trained half, then the static half (which must be left out)
        let demb = [1.0, 2.0, 100.0, 200.0, 3.0, 4.0, 300.0, 400.0];
        let mut grad = vec![0.0; v * e];
        let mut sums = EmbeddingGrad::new(v, e, 2 * e);
        sums.sum(t, &[ChunkGrad { ids: &ids, b: 1, demb: &demb }]);
        sums.scatter_into(&mut grad);
        let mut want = vec![0.0; v * e];
        want[3 * e..4 * e].copy_from_slice(&[1.0, 2.0]);
        want[e..2 * e].copy_from_slice(&[3.0, 4.0]);
        assert_eq!(grad, want);
    }
}
