//! Kim (2014)'s CNN-multichannel: two copies of the word vectors, one trained and one static,
//! each a channel that every filter reads. A filter with separate weights per channel, summed,
//! is a filter over the two copies concatenated along the feature axis, so here the embedding
//! level gives each token `[trained ; static]` (`2E` values) and the layers above are ordinary
//! layers of input width `2E`.
//!
//! The static copy is the tensor [`crate::model::STATIC_EMBEDDING`] (`[V, E]`), stored first
//! in the flat store and in no parameter group: backward still computes the gradient at its
//! half of each token (the layer above gives `dx` for all `2E`), but nothing scatters it into
//! a table or steps it. Both copies start from the same vectors (`--embeddings`, `--init-from`).

use strata_nn::embedding;

use crate::model::Model;

impl Model {
    /// Where the word vectors lie in the store: the trained embedding `[V, E]`, then a
    /// multichannel model's static copy (what a vectors file fills, and what the embedding
    /// output reads).
    pub fn embedding_tables(&self) -> impl Iterator<Item = std::ops::Range<usize>> {
        std::iter::once(self.layout.embedding.clone()).chain(self.layout.static_embedding.clone())
    }
}

/// `out[t, b, :] = [trained[ids[b, t]] ; fixed[ids[b, t]]]`: the time-major `[T, B, 2E]`
/// block of batch-major ids `[B, T]`.
///
/// - `ids`: `[B, T]`, each `< V`
/// - `trained`, `fixed`: `[V, E]`
/// - `out`: `[T, B, 2E]`
pub fn forward(ids: &[u32], b: usize, t: usize, trained: &[f32], fixed: &[f32], e: usize, out: &mut [f32]) {
    assert_eq!(trained.len(), fixed.len());
    embedding::forward_strided(ids, b, t, trained, e, out, 2 * e, 0);
    embedding::forward_strided(ids, b, t, fixed, e, out, 2 * e, e);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_reads_its_trained_row_then_its_static_row() {
        let (e, b, t) = (2, 2, 2);
        let trained = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5];
        let fixed = [-0.0, -0.5, -1.0, -1.5, -2.0, -2.5];
        let ids = [1u32, 2, 0, 1];
        let mut out = vec![9.0; t * b * 2 * e];
        forward(&ids, b, t, &trained, &fixed, e, &mut out);
        // time-major: step 0 of text 0 (id 1), step 0 of text 1 (id 0), then step 1 (ids 2, 1)
        let want = [[1.0, 1.5, -1.0, -1.5], [0.0, 0.5, -0.0, -0.5], [2.0, 2.5, -2.0, -2.5], [1.0, 1.5, -1.0, -1.5]];
        assert_eq!(out, want.concat());
    }
}
