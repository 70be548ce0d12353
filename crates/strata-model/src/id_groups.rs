//! The embedding's gradient in training as one row per distinct id, computed so by the
//! layer that reads the embedding (issue 14, han ×4 tf-keras).
//!
//! The trainer reads the gradient at the embedding output only to sum it per id. A recurrent
//! layer can give those sums directly and for less: its input gradient is `dz · Wᵀ` per row,
//! and `Σ_{rows of id} dz · Wᵀ = (Σ_{rows of id} dz) · Wᵀ`, a product over the distinct ids
//! instead of every row (`strata_nn::row_groups`; about half of a HAN's word rows are
//! distinct in the benchmark, the padding id most of the rest; where more than 3/4 of the rows
//! are distinct ids the layer keeps every row's product and sums it per id). Here a chunk's word
//! rows are mapped to their ids' groups; the layer writes `[G, E]`, which
//! `Workspace::embedding_gradient_rows` hands on as `G` rows of one step. The same numbers up
//! to rounding (the sums run in another order), not the same bits; only a workspace that asks
//! for it (`Workspace::sum_embedding_gradient_per_id`: the trainer's) groups, so
//! explanations, which read per-row gradients, never do.

use strata_nn::row_groups::RowGroups;

/// A chunk's word rows grouped by id, and the layer's gradient per group.
#[derive(Default)]
pub(crate) struct IdGroups {
    /// `[G]` each group's id, in order of first appearance over the time-major rows
    pub(crate) ids: Vec<u32>,
    /// `[T₀·N]` each time-major row's group
    of_row: Vec<u32>,
    /// `[G, E]` the gradient at the embedding output summed per group
    pub(crate) demb: Vec<f32>,
    /// `[V]` each id's group while [`IdGroups::find`] runs, else `NOT_SEEN`
    slot: Vec<u32>,
}

const NOT_SEEN: u32 = u32::MAX;

impl IdGroups {
    /// Maps the time-major rows of `ids: [N, T₀]` (ids below `v`) to groups, one per distinct
    /// id; gives them with `demb` sized `[G, e]`, for the layer to write.
    pub(crate) fn find(&mut self, ids: &[u32], n: usize, v: usize, e: usize) -> (RowGroups<'_>, &mut [f32]) {
        let t0 = ids.len().checked_div(n).unwrap_or(0);
        self.slot.resize(v, NOT_SEEN);
        self.ids.clear();
        self.of_row.clear();
        for t in 0..t0 {
            for b in 0..n {
                let id = ids[b * t0 + t];
                let s = &mut self.slot[id as usize];
                if *s == NOT_SEEN {
                    *s = self.ids.len() as u32;
                    self.ids.push(id);
                }
                self.of_row.push(*s);
            }
        }
        for &id in &self.ids {
            self.slot[id as usize] = NOT_SEEN;
        }
        self.demb.resize(self.ids.len() * e, 0.0);
        (RowGroups { of_row: &self.of_row, groups: self.ids.len() }, &mut self.demb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Time-major rows map to their ids' groups in order of first appearance, and the id
    /// slots are left clear for the next chunk.
    #[test]
    fn time_major_rows_map_to_their_ids_groups() {
        let mut g = IdGroups::default();
        // ids [N = 2, T₀ = 3]: rows (t, b) in time-major order read 5 0 | 7 0 | 5 0
        let ids = [5, 7, 5, 0, 0, 0];
        let (groups, demb) = g.find(&ids, 2, 8, 3);
        assert_eq!((groups.of_row, groups.groups, demb.len()), (&[0, 1, 2, 1, 0, 1][..], 3, 9));
        assert_eq!(g.ids, [5, 0, 7]);
        assert!(g.slot.iter().all(|&s| s == NOT_SEEN));
        let (groups, _) = g.find(&[3, 3], 2, 8, 3);
        assert_eq!((groups.of_row, groups.groups), (&[0, 0][..], 1));
    }
}
