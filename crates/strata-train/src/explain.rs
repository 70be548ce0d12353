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
fn gradient_x_input(saved: &SavedModel, ids: &[u32], class: usize) -> Vec<Option<f32>> {
    use strata_nn::dense;
    use strata_nn::lstm::{self, LstmDims, LstmGrads, LstmParams};

    let model = &saved.model;
    let c = &model.config;
    let (t, e, h, k) = (saved.maxlen, c.embedding_dim, c.units, c.outputs());
    let p = &model.params.data;
    // which position of the padded row holds the i-th id (positions carry i + 1; 0 is padding)
    let marks: Vec<u32> = (1..=ids.len() as u32).collect();
    let mut where_ = vec![0u32; t];
    strata_text::pad_sequence_into(&marks, &mut where_, saved.padding, saved.truncating, 0);
    let mut row = vec![0u32; t];
    strata_text::pad_sequence_into(ids, &mut row, saved.padding, saved.truncating, 0);

    let mut ws = Workspace::default();
    network::forward(model, &row, 1, t, &Plan::inference(c.layers), &mut ws);
    // d p(class) / d logits
    let dlogits: Vec<f32> = if k == 1 {
        let s = strata_nn::activations::sigmoid(ws.logits[0]);
        vec![if class == 1 { s * (1.0 - s) } else { -s * (1.0 - s) }]
    } else {
        let max = ws.logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let ex: Vec<f32> = ws.logits.iter().map(|z| (z - max).exp()).collect();
        let sum: f32 = ex.iter().sum();
        let pr: Vec<f32> = ex.iter().map(|v| v / sum).collect();
        (0..k).map(|j| pr[class] * (if j == class { 1.0 } else { 0.0 } - pr[j])).collect()
    };
    let dims = |layer: usize| LstmDims { b: 1, t, e: c.lstm_input(layer), h };
    let top = ws.lstm[c.layers - 1].last(dims(c.layers - 1)).to_vec();
    let (mut dw, mut db, mut dh) = (vec![0.0; h * k], vec![0.0; k], vec![0.0; h]);
    let hk = &p[model.layout.head_kernel.clone()];
    dense::backward(1, h, k, &top, hk, &dlogits, &mut dw, &mut db, Some(&mut dh));
    let mut dseq: Option<Vec<f32>> = None;
    for layer in (0..c.layers).rev() {
        let l = &model.layout.lstm[layer];
        let params =
            LstmParams { kernel: &p[l.kernel.clone()], recurrent: &p[l.recurrent.clone()], bias: &p[l.bias.clone()] };
        let (mut gk, mut gu, mut gb) =
            (vec![0.0; l.kernel.len()], vec![0.0; l.recurrent.len()], vec![0.0; l.bias.len()]);
        let x = if layer == 0 { ws.emb.clone() } else { ws.lstm[layer - 1].outputs(dims(layer - 1)).to_vec() };
        let mut dx = vec![0.0; x.len()];
        let last = (layer == c.layers - 1).then_some(&dh[..]);
        let grads = LstmGrads { kernel: &mut gk, recurrent: &mut gu, bias: &mut gb };
        lstm::backward(dims(layer), &x, params, &mut ws.lstm[layer], dseq.as_deref(), last, grads, Some(&mut dx));
        dseq = Some(dx);
    }
    let demb = dseq.unwrap_or_default(); // [T, 1, E]
    let mut out = vec![None; ids.len()];
    for (pos, &mark) in where_.iter().enumerate() {
        if mark > 0 {
            let g = &demb[pos * e..(pos + 1) * e];
            let x = &ws.emb[pos * e..(pos + 1) * e];
            out[mark as usize - 1] = Some(g.iter().zip(x).map(|(a, b)| a * b).sum());
        }
    }
    out
}
