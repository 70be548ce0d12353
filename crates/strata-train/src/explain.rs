//! Why a model decided, per token, two ways:
//!
//! - **occlusion**: each token in turn is replaced by the OOV token (or removed, for a
//!   vocabulary without one); the drop in the predicted class's probability is its saliency —
//!   positive when the word pushed towards the prediction. All occluded copies are scored in one
//!   batch.
//! - **gradient × input**: the gradient of the predicted class's probability with respect to the
//!   token's embedding vector, dotted with that vector (one backward pass through the layers).

use serde::Serialize;

use crate::folder::SavedModel;
use crate::network::{self, Plan, Workspace};
use crate::pipeline::predict_ids;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TokenSaliency {
    pub token: String,
    /// Whether the token has its own id (not OOV, not dropped).
    pub in_vocabulary: bool,
    /// `None` for a token the tokenizer drops (unknown, and no OOV token).
    pub occlusion: Option<f32>,
    /// `None` for a dropped token, or one truncated away by `maxlen`.
    pub gradient_x_input: Option<f32>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Explanation {
    pub label: String,
    pub score: f32,
    pub tokens: Vec<TokenSaliency>,
}

/// Explains `text`; `None` when no token of it is in the vocabulary.
pub fn occlusion(saved: &SavedModel, text: &str) -> Option<Explanation> {
    let tokens = saved.tokenizer.token_ids(text);
    let oov = saved.tokenizer.config.oov_token.as_ref().and_then(|t| saved.tokenizer.word_index().get(t)).copied();
    if tokens.iter().all(|(_, id)| id.is_none() || *id == oov) {
        return None;
    }
    let ids: Vec<u32> = tokens.iter().filter_map(|(_, id)| *id).collect();
    let mut variants = vec![ids.clone()];
    let mut positions = Vec::new();
    let mut pos = 0;
    for (k, (_, id)) in tokens.iter().enumerate() {
        if id.is_some() {
            let mut v = ids.clone();
            match oov {
                Some(o) => v[pos] = o,
                None => {
                    v.remove(pos);
                }
            }
            variants.push(v);
            positions.push(k);
            pos += 1;
        }
    }
    let preds = predict_ids(saved, &variants);
    let class = preds[0].class;
    let base = preds[0].probs[class];
    let mut saliency = vec![None; tokens.len()];
    for (p, &k) in preds[1..].iter().zip(&positions) {
        saliency[k] = Some(base - p.probs[class]);
    }
    let gxi = gradient_x_input(saved, &ids, class);
    let mut kept = 0;
    let tokens = tokens
        .into_iter()
        .zip(saliency)
        .map(|((token, id), occlusion)| {
            let g = id.and_then(|_| {
                kept += 1;
                gxi[kept - 1]
            });
            TokenSaliency { token, in_vocabulary: id.is_some() && id != oov, occlusion, gradient_x_input: g }
        })
        .collect();
    Some(Explanation { label: saved.labels.label(class).to_string(), score: base, tokens })
}

/// Gradient × input of `class`'s probability for each id of `ids` (`None` where padding or
/// truncation left the id out of the model's input).
///
/// The model's own backward gives the gradient of the cross-entropy `−ln p(class)` at the
/// embedding output; since `∂p/∂x = −p · ∂(−ln p)/∂x`, scaling by `−p` turns it into the
/// gradient of the probability.
fn gradient_x_input(saved: &SavedModel, ids: &[u32], class: usize) -> Vec<Option<f32>> {
    let model = &saved.model;
    let (t, e) = (saved.maxlen, model.config.embedding_dim);
    // which position of the padded row holds the i-th id (positions carry i + 1; 0 is padding)
    let marks: Vec<u32> = (1..=ids.len() as u32).collect();
    let mut where_ = vec![0u32; t];
    strata_text::pad_sequence_into(&marks, &mut where_, saved.padding, saved.truncating, 0);
    let mut row = vec![0u32; t];
    strata_text::pad_sequence_into(ids, &mut row, saved.padding, saved.truncating, 0);

    let plan = Plan::end_to_end(model.config.levels());
    let mut ws = Workspace::default();
    ws.grads.resize(model.params.len() - model.layout.embedding.end, 0.0);
    network::forward(model, &row, 1, t, &plan, &mut ws);
    let loss = network::backward(model, &[class], 1, t, 1.0, &plan, &mut ws).loss_sum;
    let p = (-loss).exp() as f32; // the loss is −ln p(class)
    let mut out = vec![None; ids.len()];
    for (pos, &mark) in where_.iter().enumerate() {
        if mark > 0 {
            let g = &ws.demb[pos * e..(pos + 1) * e];
            let x = &ws.emb[pos * e..(pos + 1) * e];
            out[mark as usize - 1] = Some(-p * g.iter().zip(x).map(|(a, b)| a * b).sum::<f32>());
        }
    }
    out
}
