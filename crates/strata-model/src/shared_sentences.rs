//! Identical sentence rows of a hierarchical model computed once in training (issue 14 point 3).
//!
//! A HAN reads every document as `S` sentence slots; a document with fewer sentences fills the
//! rest with empty ones (all ids 0), so on real data and on the benchmark's about half of a
//! chunk's sentence rows are the same row. Everything below the `sentences` layer is a function
//! of one row's ids with shared weights, so identical rows give identical outputs, and since a
//! backward pass is linear in the gradient it starts from, the weights' gradient from a group of
//! identical rows is the backward of the group's summed output gradient, computed once. Here a
//! chunk's rows are mapped to their distinct rows: the word levels run on those, the
//! `sentences` layer's input is spread back to every row, its input gradient summed per
//! distinct row (in row order), and the embedding's gradient is handed on as the distinct rows'
//! with their ids (`Workspace::embedding_gradient_rows`): the trainer sums it per id, so the
//! table's gradient is the same sum. The same numbers up to rounding (the sums run in another order), not the same
//! bits; per-row gradients are not kept, so explanations (which read them) never share rows.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// A batch of hierarchical documents `ids: [B, T]` (`S` sentence rows of `T / S` ids each) cut
/// into `parts` contiguous chunks (as `infer::chunk_ranges`: none empty, at most `B`) of about
/// equal work when training shares identical sentence rows. A chunk's word levels compute its
/// distinct rows, so an even split by document count leaves one core waiting at each batch's
/// end when one half holds more non-empty sentences (issue 14 point 3: 6.8 % of the
/// benchmark's word-level work on average). A document costs its distinct non-empty rows ×
/// `T / S` word steps plus `S` (a sentence slot costs about one word step); each cut falls
/// where the running cost is nearest its part's share.
pub fn balanced_chunks(ids: &[u32], t: usize, s: usize, parts: usize) -> Vec<Range<usize>> {
    let b = ids.len().checked_div(t).unwrap_or(0);
    let t0 = t / s.max(1);
    let parts = parts.clamp(1, b.max(1));
    if b == 0 {
        return Vec::new();
    }
    let mut prefix = Vec::with_capacity(b + 1);
    prefix.push(0usize);
    let mut rows: HashSet<&[u32]> = HashSet::with_capacity(s);
    for doc in ids.chunks_exact(t) {
        rows.clear();
        if t0 > 0 {
            rows.extend(doc.chunks_exact(t0).filter(|row| row.iter().any(|&id| id != 0)));
        }
        prefix.push(prefix[prefix.len() - 1] + rows.len() * t0 + s);
    }
    let total = prefix[b];
    let mut start = 0;
    (1..=parts)
        .map(|j| {
            let end = if j == parts {
                b
            } else {
                let target = total * j / parts;
                // at least one document here, and one left for each later part
                (start + 1..=b - (parts - j)).min_by_key(|&k| prefix[k].abs_diff(target)).unwrap_or(start + 1)
            };
            let r = start..end;
            start = end;
            r
        })
        .collect()
}

/// A chunk's sentence rows mapped to their distinct rows, and the buffers of the boundary.
#[derive(Default)]
pub struct SharedRows {
    /// `[N₀]` the distinct row each row is computed as (distinct rows in order of first
    /// appearance)
    pub(crate) of_row: Vec<usize>,
    /// `[U, T₀]` the distinct rows' ids
    pub(crate) ids: Vec<u32>,
    /// `U`
    pub(crate) distinct: usize,
    /// `[N₀, D]` the `sentences` layer's input spread to every row, and its input gradient
    pub(crate) expanded: Vec<f32>,
    pub(crate) dx: Vec<f32>,
    /// `[T₀, U, W]` the gradient at the embedding output of the distinct rows
    pub(crate) demb: Vec<f32>,
}

impl SharedRows {
    /// Maps the rows of `ids: [N₀, T₀]` to their distinct rows; false when no two rows are
    /// the same (nothing to share).
    pub(crate) fn find(&mut self, ids: &[u32], t0: usize) -> bool {
        self.of_row.clear();
        self.ids.clear();
        if t0 == 0 {
            return false;
        }
        let mut first: HashMap<&[u32], usize> = HashMap::with_capacity(ids.len() / t0);
        for row in ids.chunks_exact(t0) {
            let next = first.len();
            let u = *first.entry(row).or_insert(next);
            if u == next {
                self.ids.extend_from_slice(row);
            }
            self.of_row.push(u);
        }
        self.distinct = first.len();
        self.distinct < self.of_row.len()
    }

    /// `expanded: [N₀, D]` = each row's distinct row of `x: [U, D]`.
    pub(crate) fn expand(&mut self, x: &[f32], d: usize) {
        self.expanded.resize(self.of_row.len() * d, 0.0);
        for (dst, &u) in self.expanded.chunks_exact_mut(d).zip(&self.of_row) {
            dst.copy_from_slice(&x[u * d..(u + 1) * d]);
        }
    }

    /// `out: [U, D]` = (or `+=`, when `accumulate`) the sum of `dx: [N₀, D]` over each
    /// distinct row's rows, in row order.
    pub(crate) fn sum_dx(&self, d: usize, out: &mut [f32], accumulate: bool) {
        if !accumulate {
            out[..self.distinct * d].fill(0.0);
        }
        for (src, &u) in self.dx.chunks_exact(d).zip(&self.of_row) {
            out[u * d..(u + 1) * d].iter_mut().zip(src).for_each(|(a, v)| *a += v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows map to their first appearance; the input is spread and the gradient summed per
    /// distinct row.
    #[test]
    fn rows_map_to_their_first_appearance_and_gradients_sum() {
        let mut s = SharedRows::default();
        // rows: a, 0, a, b, 0 (T₀ = 2)
        assert!(s.find(&[1, 2, 0, 0, 1, 2, 3, 4, 0, 0], 2));
        assert_eq!(
            (s.of_row.as_slice(), s.distinct, s.ids.as_slice()),
            (&[0, 1, 0, 2, 1][..], 3, &[1, 2, 0, 0, 3, 4][..])
        );
        s.expand(&[10.0, 20.0, 30.0], 1);
        assert_eq!(s.expanded, [10.0, 20.0, 10.0, 30.0, 20.0]);
        s.dx = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        let mut out = vec![100.0; 3];
        s.sum_dx(1, &mut out, false);
        assert_eq!(out, [4.0, 7.0, 4.0]);
        s.sum_dx(1, &mut out, true);
        assert_eq!(out, [8.0, 14.0, 8.0]);
        assert!(!s.find(&[1, 2, 3, 4], 2), "distinct rows share nothing");
    }

    /// Chunks follow the documents' non-empty sentence rows, not their count; they cover the
    /// batch in order, none empty, and an even workload gives the even split.
    #[test]
    fn chunks_balance_the_non_empty_sentence_rows() {
        // S = 2 sentences of T₀ = 2 ids; documents 0..4 hold 2, 2, 0, 0 non-empty rows
        // (a repeated row counts once), costs 6, 6, 2, 2 (the even split 12 | 4)
        let full = [1, 2, 3, 4];
        let twice = [5, 6, 5, 6];
        let empty = [0, 0, 0, 0];
        let ids: Vec<u32> = [full, full, empty, empty].concat();
        assert_eq!(balanced_chunks(&ids, 4, 2, 2), [0..1, 1..4]);
        let ids: Vec<u32> = [twice, twice, twice, empty, empty, empty].concat(); // 4, 4, 4, 2, 2, 2
        assert_eq!(balanced_chunks(&ids, 4, 2, 2), [0..2, 2..6]);
        let ids: Vec<u32> = [full, full, full, full].concat();
        assert_eq!(balanced_chunks(&ids, 4, 2, 2), [0..2, 2..4]);
        assert_eq!(balanced_chunks(&ids, 4, 2, 3), [0..1, 1..3, 3..4]);
        assert_eq!(balanced_chunks(&ids[..8], 4, 2, 5), [0..1, 1..2], "at most one chunk per document");
        let whole = balanced_chunks(&ids, 4, 2, 1);
        assert_eq!((whole.len(), &whole[0]), (1, &(0..4)));
        assert!(balanced_chunks(&[], 4, 2, 2).is_empty());
    }
}
