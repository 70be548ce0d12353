//! The Keras `Tokenizer` (tf-keras 2.x `keras/preprocessing/text.py`), reimplemented exactly.
//!
//! Every quirk is kept on purpose, because users compare ids with their old Keras pipelines:
//! splitting is on the literal `split` string (not on any whitespace), `filters` characters become
//! `split`, lower-casing is Unicode-aware like Python's `str.lower`, `char_level` keeps every
//! character (spaces included, filters ignored), and `num_words` counts the reserved index 0, so
//! `num_words=10000` keeps ids `1..=9999`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Keras's default `filters`: ASCII punctuation plus tab and newline (not `'`).
pub const KERAS_FILTERS: &str = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";

/// The constructor arguments of `keras.preprocessing.text.Tokenizer`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenizerConfig {
    /// Keep only the `num_words - 1` most frequent words (index 0 counts). `None` keeps all.
    pub num_words: Option<usize>,
    pub filters: String,
    pub lower: bool,
    pub split: String,
    pub char_level: bool,
    pub oov_token: Option<String>,
    /// How text is cut into words before lookup: Keras's split (the default), or jieba's
    /// Chinese word segmentation. Not a Keras argument; absent in older vocabulary files.
    #[serde(default, skip_serializing_if = "Segmenter::is_keras")]
    pub segmenter: Segmenter,
}

/// Word segmentation before the vocabulary lookup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Segmenter {
    /// Keras's `text_to_word_sequence` (or characters with `char_level`).
    #[default]
    Keras,
    /// jieba-rs with its embedded dictionary and HMM for unknown words (nothing downloaded);
    /// pieces that are only whitespace or filter characters are dropped.
    Jieba,
}

impl Segmenter {
    fn is_keras(&self) -> bool {
        *self == Segmenter::Keras
    }
}

/// jieba's dictionary takes ~0.4 s to load, so it is loaded once per process.
fn jieba() -> &'static jieba_rs::Jieba {
    static JIEBA: std::sync::OnceLock<jieba_rs::Jieba> = std::sync::OnceLock::new();
    JIEBA.get_or_init(jieba_rs::Jieba::new)
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            num_words: None,
            filters: KERAS_FILTERS.to_string(),
            lower: true,
            split: " ".to_string(),
            char_level: false,
            oov_token: None,
            segmenter: Segmenter::Keras,
        }
    }
}

/// Keras's `text_to_word_sequence`: lower, replace filter characters by `split`, split, drop
/// empty pieces.
pub fn text_to_word_sequence(text: &str, filters: &str, lower: bool, split: &str) -> Vec<String> {
    let lowered;
    let text = if lower {
        lowered = text.to_lowercase();
        lowered.as_str()
    } else {
        text
    };
    let mut translated = String::with_capacity(text.len());
    for ch in text.chars() {
        if filters.contains(ch) {
            translated.push_str(split);
        } else {
            translated.push(ch);
        }
    }
    if split.is_empty() {
        // Python raises "empty separator"; the config check rejects this earlier.
        return vec![translated];
    }
    translated.split(split).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// A fitted (or empty) Keras tokenizer.
#[derive(Clone, Debug, Default)]
pub struct Tokenizer {
    pub config: TokenizerConfig,
    pub(crate) document_count: u64,
    /// Word counts in first-occurrence order (Keras keeps an `OrderedDict`).
    pub(crate) word_counts: Vec<(String, u64)>,
    pub(crate) count_slot: HashMap<String, usize>,
    /// word → index, from 1. Built like Keras's `dict(zip(sorted_voc, range(1, ...)))`, so a
    /// word equal to the OOV token overwrites the OOV entry, as in Keras.
    pub(crate) word_index: HashMap<String, u32>,
}

impl Tokenizer {
    pub fn new(config: TokenizerConfig) -> Self {
        Tokenizer { config, ..Default::default() }
    }

    /// The tokens of one text, as Keras sees them before lookup.
    pub fn tokens(&self, text: &str) -> Vec<String> {
        let c = &self.config;
        if c.segmenter == Segmenter::Jieba {
            let t = if c.lower { text.to_lowercase() } else { text.to_string() };
            return jieba()
                .cut(&t, true)
                .into_iter()
                .map(|tok| tok.word)
                .filter(|w| !w.chars().all(|ch| ch.is_whitespace() || c.filters.contains(ch)))
                .map(str::to_string)
                .collect();
        }
        if c.char_level {
            let t = if c.lower { text.to_lowercase() } else { text.to_string() };
            t.chars().map(String::from).collect()
        } else {
            text_to_word_sequence(text, &c.filters, c.lower, &c.split)
        }
    }

    /// `fit_on_texts`: counts words and rebuilds the index. Can be called repeatedly, like Keras.
    pub fn fit_on_texts<S: AsRef<str>>(&mut self, texts: &[S]) {
        for text in texts {
            self.document_count += 1;
            for w in self.tokens(text.as_ref()) {
                match self.count_slot.get(&w) {
                    Some(&slot) => self.word_counts[slot].1 += 1,
                    None => {
                        self.count_slot.insert(w.clone(), self.word_counts.len());
                        self.word_counts.push((w, 1));
                    }
                }
            }
        }
        self.rebuild_index();
    }

    fn rebuild_index(&mut self) {
        // Python's sort is stable: equal counts keep first-occurrence order.
        let mut order: Vec<usize> = (0..self.word_counts.len()).collect();
        order.sort_by(|&a, &b| self.word_counts[b].1.cmp(&self.word_counts[a].1));
        let mut sorted_voc: Vec<&str> = Vec::with_capacity(order.len() + 1);
        if let Some(oov) = &self.config.oov_token {
            sorted_voc.push(oov);
        }
        sorted_voc.extend(order.iter().map(|&i| self.word_counts[i].0.as_str()));
        let mut index = HashMap::with_capacity(sorted_voc.len());
        for (i, w) in sorted_voc.iter().enumerate() {
            index.insert(w.to_string(), i as u32 + 1);
        }
        self.word_index = index;
    }

    /// `texts_to_sequences` for one text.
    pub fn text_to_sequence(&self, text: &str) -> Vec<u32> {
        let oov_index = self.config.oov_token.as_ref().and_then(|t| self.word_index.get(t)).copied();
        let num_words = self.config.num_words.filter(|&n| n > 0);
        let mut out = Vec::new();
        for w in self.tokens(text) {
            match self.word_index.get(&w) {
                Some(&i) if num_words.is_some_and(|n| i as usize >= n) => out.extend(oov_index),
                Some(&i) => out.push(i),
                None if self.config.oov_token.is_some() => out.extend(oov_index),
                None => {}
            }
        }
        out
    }

    /// Each token of `text` with the id `text_to_sequence` gives it (`None` where Keras drops
    /// the word: unknown without an OOV token, or beyond `num_words` without one).
    pub fn token_ids(&self, text: &str) -> Vec<(String, Option<u32>)> {
        let oov_index = self.config.oov_token.as_ref().and_then(|t| self.word_index.get(t)).copied();
        let num_words = self.config.num_words.filter(|&n| n > 0);
        self.tokens(text)
            .into_iter()
            .map(|w| {
                let id = match self.word_index.get(&w) {
                    Some(&i) if num_words.is_some_and(|n| i as usize >= n) => oov_index,
                    Some(&i) => Some(i),
                    None => oov_index,
                };
                (w, id)
            })
            .collect()
    }

    pub fn texts_to_sequences<S: AsRef<str>>(&self, texts: &[S]) -> Vec<Vec<u32>> {
        texts.iter().map(|t| self.text_to_sequence(t.as_ref())).collect()
    }

    /// The full word index (all words seen, not cut by `num_words`, as in Keras).
    pub fn word_index(&self) -> &HashMap<String, u32> {
        &self.word_index
    }

    /// Number of ids a model's embedding needs: `num_words` when set, else the index size + 1.
    pub fn vocab_size(&self) -> usize {
        match self.config.num_words.filter(|&n| n > 0) {
            Some(n) => n,
            None => self.word_index.values().copied().max().unwrap_or(0) as usize + 1,
        }
    }

    pub fn document_count(&self) -> u64 {
        self.document_count
    }

    /// Word counts in first-occurrence order.
    pub fn word_counts(&self) -> &[(String, u64)] {
        &self.word_counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(oov: Option<&str>, num_words: Option<usize>) -> Tokenizer {
        Tokenizer::new(TokenizerConfig { oov_token: oov.map(str::to_string), num_words, ..Default::default() })
    }

    #[test]
    fn ties_are_broken_by_first_occurrence_and_oov_is_one() {
        let mut t = tok(Some("<OOV>"), None);
        t.fit_on_texts(&["b a", "a c b"]);
        // counts: b 2, a 2, c 1 → b first (seen first)
        assert_eq!(t.word_index()["<OOV>"], 1);
        assert_eq!(t.word_index()["b"], 2);
        assert_eq!(t.word_index()["a"], 3);
        assert_eq!(t.word_index()["c"], 4);
        assert_eq!(t.text_to_sequence("C, d!"), vec![4, 1]);
    }

    #[test]
    fn num_words_counts_index_zero() {
        let mut t = tok(None, Some(3));
        t.fit_on_texts(&["x x x y y z"]);
        assert_eq!(t.text_to_sequence("x y z"), vec![1, 2]);
        let mut t = tok(Some("?"), Some(3));
        t.fit_on_texts(&["x x x y y z"]);
        // "?" is index 1, x 2, y 3 (cut), z 4 (cut)
        assert_eq!(t.text_to_sequence("x y z w"), vec![2, 1, 1, 1]);
    }

    #[test]
    fn split_is_literal_and_filters_become_separators() {
        let w = text_to_word_sequence("Hello,World\u{a0}x  y\tz", KERAS_FILTERS, true, " ");
        assert_eq!(w, vec!["hello", "world\u{a0}x", "y", "z"]);
    }

    #[test]
    fn jieba_segments_chinese_words() {
        let mut t = Tokenizer::new(TokenizerConfig { segmenter: Segmenter::Jieba, ..Default::default() });
        assert_eq!(t.tokens("我来到北京清华大学。"), vec!["我", "来到", "北京", "清华大学", "。"]);
        assert_eq!(t.tokens("Good 酒店, 很好!"), vec!["good", "酒店", "很", "好"]);
        t.fit_on_texts(&["酒店很好", "酒店不好"]);
        assert_eq!(t.word_index()["酒店"], 1);
    }

    #[test]
    fn char_level_keeps_spaces_and_punctuation() {
        let mut t = Tokenizer::new(TokenizerConfig { char_level: true, ..Default::default() });
        t.fit_on_texts(&["ab a!"]);
        assert_eq!(t.word_index()["a"], 1);
        assert!(t.word_index().contains_key(" "));
        assert!(t.word_index().contains_key("!"));
    }
}
