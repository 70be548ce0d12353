//! Explanations of an NBSVM model are exact: the score of a head is its bias plus the weight of
//! every feature the text has, each once, so every feature's weight goes to the words it spans
//! — no occlusion, no gradients. An n-gram spans several words (the bigram "not good" both) and
//! may occur several times: its weight is split equally over every word of every occurrence.
//! The listed parts then sum to the score less the bias (up to rounding). The score explained
//! is the predicted class's: its own head's (more than two classes), or for two classes the
//! single head's, negated when the first class is predicted (its logit is `−z`).

use crate::explain::{Explanation, TokenSaliency};
use crate::head::argmax;
use crate::nbsvm::features::NgramSplitter;
use crate::nbsvm::NbsvmModel;

/// The predicted class's part of every word of `text` (`occlusion` and `gradient_x_input` both
/// carry it). `None` when no n-gram of the text is one the model has.
pub fn explain(model: &NbsvmModel, text: &str) -> Option<Explanation> {
    let splitter = NgramSplitter::new(model);
    let words = splitter.words(text);
    let ngrams = splitter.ngrams(&words);
    let mut found: Vec<(u32, usize, usize)> =
        ngrams.iter().filter_map(|&(k, a, b)| model.keys.binary_search(&k).ok().map(|j| (j as u32, a, b))).collect();
    if found.is_empty() {
        return None;
    }
    let mut features: Vec<u32> = found.iter().map(|f| f.0).collect();
    features.sort_unstable();
    features.dedup();
    let probs = model.probabilities(&features);
    let c = argmax(&probs);
    let (head, sign) = if model.labels.len() == 2 { (0, if c == 1 { 1.0 } else { -1.0 }) } else { (c, 1.0) };
    let w = &model.weight[head * model.keys.len()..][..model.keys.len()];
    // words each feature's weight is shared among: every word of every occurrence
    found.sort_unstable();
    let mut contribution = vec![0.0f32; words.len()];
    for group in found.chunk_by(|a, b| a.0 == b.0) {
        let spanned: usize = group.iter().map(|&(_, a, b)| b - a + 1).sum();
        let share = sign * w[group[0].0 as usize] / spanned as f32;
        for &(_, a, b) in group {
            contribution[a..=b].iter_mut().for_each(|x| *x += share);
        }
    }
    let mut known = vec![false; words.len()];
    for &(k, a, b) in &ngrams {
        if a == b {
            known[a] = model.keys.binary_search(&k).is_ok();
        }
    }
    let tokens = words
        .iter()
        .zip(&contribution)
        .zip(&known)
        .map(|((word, &x), &known)| TokenSaliency::exact(word.clone(), known, x))
        .collect();
    Some(Explanation { label: model.labels.label(c).to_string(), score: probs[c], tokens, sentence_attention: vec![] })
}
