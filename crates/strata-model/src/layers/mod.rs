//! The body's layers behind one small trait, so that the network runs any list of them.
//!
//! Each layer object owns its activations (one set per training chunk) and knows where its
//! parameters live in the model's flat store. Shapes: a sequence is time-major `[T, N, D]`,
//! a vector per row `[N, D]`; `N` is documents, or sentences below a `sentences` layer.

mod conv;
mod dense;
mod dropout;
mod pooling;
mod recurrent;
mod sentences;

use std::ops::Range;

use strata_nn::Rng;

use crate::model::{LayerSpec, Model};

/// Rows `n` and steps `t` of a layer's input or output (`t = 1` for one vector per row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rows {
    pub n: usize,
    pub t: usize,
}

/// A body layer: forward and backward side by side.
pub trait Layer: Send {
    /// Forward of `x` (`rows` of the layer's input shape); `valid` marks a sequence's steps
    /// that are not padding (`[T, N]`, for layers that pool over time); `dropout` is `Some` in
    /// training. Returns the output's rows.
    fn forward(&mut self, p: &[f32], x: &[f32], rows: Rows, valid: Option<&[bool]>, dropout: Option<&mut Rng>) -> Rows;

    /// The output of the last `forward`.
    fn output(&self) -> &[f32];

    /// A recurrent layer's last state `[N, D]` (what an auxiliary head and a probe read), even
    /// when it returns sequences.
    fn last_state(&self) -> Option<&[f32]> {
        None
    }

    /// An attention layer's weights `[T, N]` after `forward`.
    fn attention_weights(&self) -> Option<&[f32]> {
        None
    }

    /// Backward of the last `forward` of `x`, with the parameters `p`: reads and writes `grads`.
    fn backward(&mut self, p: &[f32], x: &[f32], grads: Grads<'_>);
}

/// The gradients a layer's `backward` reads and writes.
pub struct Grads<'a> {
    /// At the output (output-shaped); `None` when nothing above reads the output.
    pub dy: Option<&'a [f32]>,
    /// At `last_state`.
    pub dlast: Option<&'a [f32]>,
    /// The parameters' gradient buffer, added into; it starts at store index `off`.
    pub params: &'a mut [f32],
    pub off: usize,
    /// At the input (input-shaped), overwritten when given.
    pub dx: Option<&'a mut [f32]>,
}

/// The layers of `model`'s body, each with fresh activations.
pub fn build(model: &Model) -> Vec<Box<dyn Layer>> {
    model
        .placed
        .iter()
        .zip(&model.layout.layers)
        .map(|(l, ranges)| -> Box<dyn Layer> {
            let d = l.input.width;
            match &l.spec {
                LayerSpec::Lstm { .. } | LayerSpec::Gru { .. } => {
                    let (cell, h, bi) = l.spec.recurrent().unwrap();
                    Box::new(recurrent::Recurrent::new(cell, d, h, bi, l.output.sequence, ranges.clone()))
                }
                LayerSpec::Conv1d { filters, widths } => {
                    Box::new(conv::KimConv::new(d, *filters, widths.clone(), ranges.clone()))
                }
                LayerSpec::Attention { dim } => Box::new(pooling::Attention::new(d, *dim, ranges.clone())),
                LayerSpec::MeanPool => Box::new(pooling::Pool::mean(d)),
                LayerSpec::MaxPool => Box::new(pooling::Pool::max(d)),
                LayerSpec::Dropout { rate } => Box::new(dropout::Dropout::new(*rate)),
                LayerSpec::Dense { units, activation } => {
                    Box::new(dense::Dense::new(d, *units, activation, ranges.clone()))
                }
                LayerSpec::Sentences { count } => Box::new(sentences::Sentences::new(d, *count)),
            }
        })
        .collect()
}

/// Mutable views of consecutive, adjacent `ranges` of the gradient buffer `g` (which starts
/// at store index `off`).
pub(crate) fn grad_views<'a>(g: &'a mut [f32], off: usize, ranges: &[Range<usize>]) -> Vec<&'a mut [f32]> {
    let start = ranges[0].start - off;
    let mut rest = &mut g[start..ranges[ranges.len() - 1].end - off];
    let mut out = Vec::with_capacity(ranges.len());
    for r in ranges {
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(r.len());
        out.push(head);
        rest = tail;
    }
    out
}
