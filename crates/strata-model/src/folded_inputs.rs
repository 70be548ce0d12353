//! Inference's shortcut through the first recurrent layer: over an embedding, a step's input
//! projection `x·W + b` depends on its token id alone, so a call that reads many more tokens
//! than the vocabulary has ids computes it once per id, before its first batch, and every
//! step copies its id's row. Neither the embedding's output nor the layer's input product is
//! then computed per token: on the seed model that product is two thirds of the arithmetic of
//! a forward. The rows carry the bits the layer computes for them anyway (a row's product does
//! not depend on the other rows: `gemm.rs`), so the logits are the same bits as without it.
//!
//! The tables live for one call ([`crate::infer`]'s `map_rows`), borrowing the model, so a
//! trained weight cannot change under them.

use crate::model::Model;

/// Each token's steps computed before this shortcut pays: the tables cost one product per
/// vocabulary id, the call saves one per token it reads, so fold when a call reads at least
/// this many tokens per id.
pub const TOKENS_PER_ID: usize = 2;

/// The first layer's input projection per vocabulary id, one `[V, W']` table per direction.
pub struct FoldedInputs<'m> {
    tables: Vec<Vec<f32>>,
    _model: std::marker::PhantomData<&'m Model>,
}

impl<'m> FoldedInputs<'m> {
    /// The tables, when `model`'s first layer reads the embedding through a per-row product
    /// (a recurrent layer on a single-channel embedding) and the call's `ids: [N, T]` hold at
    /// least [`TOKENS_PER_ID`] tokens per vocabulary id that the model computes (under
    /// `--mask-padding` its real tokens, else every step).
    pub fn for_call(model: &'m Model, ids: &[u32]) -> Option<FoldedInputs<'m>> {
        let first = model.placed.first()?;
        let (v, e) = (model.config.vocab_size, model.config.embedding_dim);
        let computed = match model.config.mask_padding {
            true => ids.iter().filter(|&&id| id != 0).count(),
            false => ids.len(),
        };
        if model.layout.static_embedding.is_some() || first.input.width != e || computed < TOKENS_PER_ID * v {
            return None;
        }
        let layer = first.spec.layer().build(first.input, first.output, model.layout.layers[0].clone());
        let p = &model.params.data;
        let tables = layer.fold_inputs(p, &p[model.layout.embedding.clone()])?;
        Some(FoldedInputs { tables, _model: std::marker::PhantomData })
    }

    /// One `[V, W']` table per direction of the first layer.
    pub fn tables(&self) -> &[Vec<f32>] {
        &self.tables
    }
}
