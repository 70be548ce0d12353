//! Explanations of a linear model are exact: the logit of class c is `Σ_rows w_c·x_row / n`
//! (there is no bias), so every row's part `w_c·x_row / n` goes to the words it comes from —
//! no occlusion, no gradients. A word's own row and its character n-grams are its alone; a
//! hashed word n-gram spans several words (the bigram "not good" both), so its part is split
//! equally among them. `</s>` (the end of the text, which fastText reads as a word: its own
//! row and the last n-grams span it) is listed as the last token, so the listed parts sum to
//! the logit exactly (up to rounding).

use crate::explain::{Explanation, TokenSaliency};
use crate::head::argmax;
use crate::linear::dictionary::EOS;
use crate::linear::LinearModel;
use strata_nn::skipgram::dot;

/// The predicted class's contribution of every word of `text`, then of `</s>`
/// (`occlusion` and `gradient_x_input` both carry the exact contribution to the predicted
/// class's logit; they sum to it).
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
    let part = |r: u32| dot(w, &model.input[r as usize * dim..][..dim]) * inv;
    // the word n-gram rows come last (see `features`): word i's n-grams end at words i+1..
    let spans = word_ngram_spans(f.words.len(), model.config.word_ngrams, model.config.buckets);
    let own = f.rows.len() - spans.len();
    let mut contribution = vec![0.0f32; f.words.len()];
    for (&r, &k) in f.rows[..own].iter().zip(&f.word_of) {
        contribution[k as usize] += part(r);
    }
    for (&r, &(first, last)) in f.rows[own..].iter().zip(&spans) {
        let share = part(r) / (last - first + 1) as f32;
        contribution[first..=last].iter_mut().for_each(|x| *x += share);
    }
    let tokens = f
        .words
        .iter()
        .zip(&contribution)
        .enumerate()
        .map(|(k, (word, &x))| {
            let token = if k == n_words { EOS.to_string() } else { word.clone() };
            TokenSaliency::exact(token, k == n_words || model.dict.id(word).is_some(), x)
        })
        .collect();
    Some(Explanation { label: model.labels.label(c).to_string(), score: probs[c], tokens, sentence_attention: vec![] })
}

/// The first and last word (indices into the text's words, `</s>` included) of each hashed
/// word n-gram row, in the order `features` adds them: i = 0..n, j = i+1..min(n, i+word_ngrams).
fn word_ngram_spans(n: usize, word_ngrams: usize, buckets: usize) -> Vec<(usize, usize)> {
    if buckets == 0 {
        return Vec::new();
    }
    (0..n).flat_map(|i| (i + 1..n.min(i + word_ngrams)).map(move |j| (i, j))).collect()
}
