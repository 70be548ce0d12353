//! Explanations of a linear model are exact: the logit of class c is `Σ_rows w_c·x_row / n`
//! (there is no bias), so each word's contribution is the sum over the rows it starts (the word,
//! its word n-grams, its character n-grams) of `w_c·x_row / n` — no occlusion, no gradients.
//!
//! `</s>`'s own row also counts towards the logit but is no word of the text, so it is not
//! listed: the listed contributions sum to the logit less `w_c·x_</s> / n`.

use crate::explain::{Explanation, TokenSaliency};
use crate::linear::{argmax, dot, LinearModel};

/// The predicted class's contribution of every word of `text` (`occlusion` and
/// `gradient_x_input` both carry the exact contribution to the predicted class's logit).
///
/// `None` when the text has no word, or when none of its words is in the dictionary and the
/// model has no character n-grams: then all it reads is `</s>` and hashed n-grams of unseen
/// words, nothing it learned about this text.
pub fn explain(model: &LinearModel, text: &str) -> Option<Explanation> {
    let f = model.features(text);
    let n_words = f.words.len() - 1; // `</s>` is last
    let known = f.words[..n_words].iter().any(|w| model.dict.id(w).is_some());
    if n_words == 0 || (!known && model.config.maxn == 0) {
        return None;
    }
    let probs = model.probabilities(&f.rows);
    let c = argmax(&probs);
    let dim = model.config.dim;
    let w = &model.output[c * dim..][..dim];
    let inv = 1.0 / f.rows.len() as f32;
    let mut contribution = vec![0.0f32; f.words.len()];
    for (&r, &k) in f.rows.iter().zip(&f.word_of) {
        contribution[k as usize] += dot(w, &model.input[r as usize * dim..][..dim]) * inv;
    }
    let tokens = f.words[..n_words]
        .iter()
        .zip(&contribution)
        .map(|(word, &x)| TokenSaliency {
            token: word.clone(),
            in_vocabulary: model.dict.id(word).is_some(),
            occlusion: Some(x),
            gradient_x_input: Some(x),
            attention: None,
            sentence: None,
        })
        .collect();
    Some(Explanation { label: model.labels.label(c).to_string(), score: probs[c], tokens, sentence_attention: vec![] })
}
