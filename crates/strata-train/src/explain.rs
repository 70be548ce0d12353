//! Why a model decided: occlusion saliency per token. Each token in turn is replaced by the OOV
//! token (or removed, for a vocabulary without one); the drop in the predicted class's
//! probability is its saliency — positive when the word pushed towards the prediction. All
//! occluded copies are scored in one batch.

use serde::Serialize;

use crate::folder::SavedModel;
use crate::pipeline::predict_ids;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TokenSaliency {
    pub token: String,
    /// Whether the token has its own id (not OOV, not dropped).
    pub in_vocabulary: bool,
    /// `None` for a token the tokenizer drops (unknown, and no OOV token).
    pub occlusion: Option<f32>,
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
    let tokens = tokens
        .into_iter()
        .zip(saliency)
        .map(|((token, id), occlusion)| TokenSaliency { token, in_vocabulary: id.is_some() && id != oov, occlusion })
        .collect();
    Some(Explanation { label: saved.labels.label(class).to_string(), score: base, tokens })
}
