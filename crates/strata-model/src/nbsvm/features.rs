//! A text as NBSVM reads it: strata's tokenizer's words (with the chosen punctuation made
//! words of its own), then every word n-gram of orders 1..=word_ngrams as a 32-bit key — the
//! words' fastText hashes chained as fastText chains them, mixed with the order. A model's
//! features are the keys seen in training (sorted: a key's feature index is its rank), and a
//! text's features are the set of its keys the model has: binarized, each once.
//!
//! Keys instead of n-gram strings keep a trigram model's vocabulary to 4 bytes a feature; two
//! n-grams share a key with probability 2⁻³² a pair (about a thousand pairs among IMDB's
//! millions of trigrams), which costs nothing measurable.

use strata_text::subwords::fasttext_hash;
use strata_text::{Segmenter, TokenizerConfig};

use crate::linear::features::Splitter;
use crate::nbsvm::NbsvmModel;

/// fastText's multiplier for word n-gram hashes (`Dictionary::addWordNgrams`).
const NGRAM_MULTIPLIER: u64 = 116_049_371;

/// The tokenizer NBSVM splits with: `tokenizer` with the `punctuation` characters taken out of
/// its filters (they become words of their own, see [`NgramSplitter`]).
pub fn tokenizer_for(tokenizer: &TokenizerConfig, punctuation: &str) -> TokenizerConfig {
    let filters = tokenizer.filters.chars().filter(|c| !punctuation.contains(*c)).collect();
    TokenizerConfig { filters, num_words: None, ..tokenizer.clone() }
}

/// strata's tokenizer prepared once, with NBSVM's punctuation rule: each character of
/// `punctuation` is cut out as a word of its own ("great!" → "great", "!") when words are
/// split Keras's way (not for jieba or characters, which split punctuation already).
pub struct NgramSplitter {
    splitter: Splitter,
    punctuation: Vec<char>,
    separator: String,
    word_ngrams: usize,
}

impl NgramSplitter {
    /// For a trained model (its tokenizer already has the punctuation out of its filters).
    pub fn new(model: &NbsvmModel) -> NgramSplitter {
        NgramSplitter::with(&model.tokenizer, &model.config.punctuation, model.config.word_ngrams)
    }

    /// For `tokenizer` as [`tokenizer_for`] made it, the `punctuation` and n-gram orders 1..=`word_ngrams`.
    pub fn with(tokenizer: &TokenizerConfig, punctuation: &str, word_ngrams: usize) -> NgramSplitter {
        let keras_words =
            tokenizer.segmenter == Segmenter::Keras && !tokenizer.char_level && !tokenizer.split.is_empty();
        let punctuation = if keras_words { punctuation.chars().collect() } else { Vec::new() };
        NgramSplitter {
            splitter: Splitter::new(tokenizer),
            punctuation,
            separator: tokenizer.split.clone(),
            word_ngrams,
        }
    }

    /// The words of `text`.
    pub fn words(&self, text: &str) -> Vec<String> {
        let spaced;
        let text = if self.punctuation.iter().any(|c| text.contains(*c)) {
            let mut s = String::with_capacity(text.len() + 16);
            for ch in text.chars() {
                if self.punctuation.contains(&ch) {
                    s.push_str(&self.separator);
                    s.push(ch);
                    s.push_str(&self.separator);
                } else {
                    s.push(ch);
                }
            }
            spaced = s;
            spaced.as_str()
        } else {
            text
        };
        let (mut buf, mut spans) = (String::new(), Vec::new());
        self.splitter.split(text, &mut buf, &mut spans);
        spans.iter().map(|&(a, b)| buf[a..b].to_string()).collect()
    }

    /// Every n-gram of `words` as `(key, first word, last word)`, by start then length.
    pub fn ngrams(&self, words: &[String]) -> Vec<(u32, usize, usize)> {
        let hashes: Vec<u32> = words.iter().map(|w| fasttext_hash(w)).collect();
        let mut out = Vec::with_capacity(hashes.len() * self.word_ngrams);
        for i in 0..hashes.len() {
            let mut h = u64::from(hashes[i]);
            out.push((key(h, 1), i, i));
            let last = hashes.len().min(i + self.word_ngrams);
            for (j, &next) in hashes.iter().enumerate().take(last).skip(i + 1) {
                h = h.wrapping_mul(NGRAM_MULTIPLIER).wrapping_add(u64::from(next));
                out.push((key(h, j - i + 1), i, j));
            }
        }
        out
    }

    /// The sorted, unique n-gram keys of `text` (what training builds features from).
    pub fn keys(&self, text: &str) -> Vec<u32> {
        let mut keys: Vec<u32> = self.ngrams(&self.words(text)).into_iter().map(|g| g.0).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The sorted, unique feature indices of `text` in `model` (keys it has no weight for are
    /// left out).
    pub fn feature_ids(&self, model: &NbsvmModel, text: &str) -> Vec<u32> {
        feature_ids(&model.keys, &self.keys(text))
    }
}

/// The ranks in `features` (sorted keys) of the sorted `keys` it holds.
pub fn feature_ids(features: &[u32], keys: &[u32]) -> Vec<u32> {
    keys.iter().filter_map(|k| features.binary_search(k).ok().map(|j| j as u32)).collect()
}

/// An n-gram's 32-bit key: its chained hash `h` and its order mixed (so a word and a bigram
/// whose chains meet stay apart), folded to 32 bits.
fn key(h: u64, order: usize) -> u32 {
    let x = (h ^ ((order as u64) << 56)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((x >> 32) ^ x) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn splitter(punctuation: &str, n: usize) -> NgramSplitter {
        let t = tokenizer_for(&TokenizerConfig::default(), punctuation);
        NgramSplitter::with(&t, punctuation, n)
    }

    #[test]
    fn punctuation_becomes_words_and_the_rest_is_filtered() {
        assert_eq!(splitter("!?", 1).words("Great film!! Really?"), ["great", "film", "!", "!", "really", "?"]);
        assert_eq!(splitter("", 1).words("Great film!! Really?"), ["great", "film", "really"]);
    }

    #[test]
    fn ngrams_cover_orders_one_to_n_and_repeats_count_once() {
        let s = splitter("", 3);
        let words: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let spans: Vec<(usize, usize)> = s.ngrams(&words).iter().map(|g| (g.1, g.2)).collect();
        assert_eq!(spans, [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]);
        assert_eq!(s.keys("a b a b").len(), 2 + 2 + 2); // a, b; ab, ba; aba, bab
    }
}
