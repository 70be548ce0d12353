//! The Keras `Tokenizer` (tf-keras 2.x `keras/preprocessing/text.py`), reimplemented exactly.
//!
//! Every quirk is kept on purpose, because users compare ids with their old Keras pipelines:
//! splitting is on the literal `split` string (not on any whitespace), `filters` characters become
//! `split`, lower-casing is Unicode-aware like Python's `str.lower`, `char_level` keeps every
//! character (spaces included, filters ignored), and `num_words` counts the reserved index 0, so
//! `num_words=10000` keeps ids `1..=9999`.

use std::collections::HashMap;

use rayon::prelude::*;
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
    let mut words = Vec::new();
    for_each_word(text, filters, lower, split, |w| words.push(w.to_string()));
    words
}

/// [`text_to_word_sequence`]'s words, each handed to `f` as a slice instead of a new string.
/// With a one-character `split` (Keras's default `" "`), translating the filters to `split` and
/// splitting on it is cutting at every filter character and every `split`, so the lowered text
/// is cut in place; a longer `split` goes through Keras's translate-then-split as written.
fn for_each_word(text: &str, filters: &str, lower: bool, split: &str, mut f: impl FnMut(&str)) {
    let lowered;
    let text = if lower {
        lowered = text.to_lowercase();
        lowered.as_str()
    } else {
        text
    };
    let mut split_chars = split.chars();
    if let (Some(sep), None) = (split_chars.next(), split_chars.next()) {
        let cuts = Cuts::new(filters, sep);
        let mut start = 0;
        for (i, ch) in text.char_indices() {
            if cuts.at(ch) {
                if i > start {
                    f(&text[start..i]);
                }
                start = i + ch.len_utf8();
            }
        }
        if text.len() > start {
            f(&text[start..]);
        }
        return;
    }
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
        return f(&translated);
    }
    translated.split(split).filter(|w| !w.is_empty()).for_each(f);
}

/// The characters a one-character split cuts at: the filters and the split itself, the ASCII
/// ones in a table (Keras's filters are all ASCII), any others searched in `filters`.
struct Cuts<'a> {
    ascii: [bool; 128],
    filters: &'a str,
    others: bool,
    sep: char,
}

impl<'a> Cuts<'a> {
    fn new(filters: &'a str, sep: char) -> Self {
        let mut ascii = [false; 128];
        for ch in filters.chars().chain([sep]).filter(char::is_ascii) {
            ascii[ch as usize] = true;
        }
        Cuts { ascii, filters, others: !filters.is_ascii(), sep }
    }

    #[inline]
    fn at(&self, ch: char) -> bool {
        if ch.is_ascii() {
            self.ascii[ch as usize]
        } else {
            ch == self.sep || (self.others && self.filters.contains(ch))
        }
    }
}

/// Texts a parallel `fit_on_texts` counts as one block.
const TEXTS_PER_BLOCK: usize = 512;
/// Blocks per thread that `fit_on_texts` counts before merging them.
const BLOCKS_PER_THREAD: usize = 4;

/// Word counts in first-occurrence order (Keras keeps an `OrderedDict`): a tokenizer's, and
/// each block's of a parallel `fit_on_texts`.
#[derive(Clone, Debug, Default)]
pub(crate) struct WordCounts {
    words: Vec<(String, u64)>,
    slot: HashMap<String, usize>,
}

impl WordCounts {
    /// Adds `n` to `w`'s count, a new word going last.
    pub(crate) fn add(&mut self, w: &str, n: u64) {
        if !self.bump(w, n) {
            self.push(w.to_string(), n);
        }
    }

    /// Adds `other`'s counts in its order, its new words going last in that order (moved, not
    /// copied).
    fn merge(&mut self, other: WordCounts) {
        for (w, n) in other.words {
            if !self.bump(&w, n) {
                self.push(w, n);
            }
        }
    }

    /// Adds `n` to `w`'s count if `w` is counted already; whether it was.
    fn bump(&mut self, w: &str, n: u64) -> bool {
        self.slot.get(w).map(|&i| self.words[i].1 += n).is_some()
    }

    fn push(&mut self, w: String, n: u64) {
        self.slot.insert(w.clone(), self.words.len());
        self.words.push((w, n));
    }
}

/// Keras's `texts_to_sequences` rule for a word's id: its index, or the OOV token's (none
/// without one) for a word not in the index or cut by `num_words` (which counts index 0).
struct IdRule {
    oov: Option<u32>,
    num_words: Option<usize>,
}

impl IdRule {
    fn of(&self, word_index: &HashMap<String, u32>, w: &str) -> Option<u32> {
        match word_index.get(w) {
            Some(&i) if self.num_words.is_some_and(|n| i as usize >= n) => self.oov,
            Some(&i) => Some(i),
            None => self.oov,
        }
    }
}

/// A fitted (or empty) Keras tokenizer.
#[derive(Clone, Debug, Default)]
pub struct Tokenizer {
    pub config: TokenizerConfig,
    pub(crate) document_count: u64,
    pub(crate) counts: WordCounts,
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
        let mut out = Vec::new();
        self.for_each_token(text, |w| out.push(w.to_string()));
        out
    }

    /// [`Tokenizer::tokens`], each handed to `f` as a slice: with a one-character split (the
    /// default) nothing is allocated per word.
    fn for_each_token(&self, text: &str, mut f: impl FnMut(&str)) {
        let c = &self.config;
        if c.segmenter == Segmenter::Jieba {
            let t = if c.lower { text.to_lowercase() } else { text.to_string() };
            return jieba()
                .cut(&t, true)
                .into_iter()
                .map(|tok| tok.word)
                .filter(|w| !w.chars().all(|ch| ch.is_whitespace() || c.filters.contains(ch)))
                .for_each(f);
        }
        if c.char_level {
            let t = if c.lower { text.to_lowercase() } else { text.to_string() };
            let mut buf = [0u8; 4];
            t.chars().for_each(|ch| f(ch.encode_utf8(&mut buf)));
        } else {
            for_each_word(text, &c.filters, c.lower, &c.split, f)
        }
    }

    /// `fit_on_texts`: counts words and rebuilds the index. Can be called repeatedly, like Keras.
    /// Blocks of texts are counted in parallel, each in its own first-occurrence order, and
    /// merged in text order, so the counts and their order, and so the index, are the serial
    /// loop's whatever the thread count. A window of a few blocks per thread is counted and
    /// merged at a time, so that the blocks' counts held at once stay bounded however many
    /// texts there are.
    pub fn fit_on_texts<S: AsRef<str> + Sync>(&mut self, texts: &[S]) {
        let window = TEXTS_PER_BLOCK * BLOCKS_PER_THREAD * rayon::current_num_threads();
        for texts in texts.chunks(window) {
            let blocks: Vec<WordCounts> = texts
                .par_chunks(TEXTS_PER_BLOCK)
                .map(|block| {
                    let mut counts = WordCounts::default();
                    for text in block {
                        self.for_each_token(text.as_ref(), |w| counts.add(w, 1));
                    }
                    counts
                })
                .collect();
            blocks.into_iter().for_each(|block| self.counts.merge(block));
        }
        self.document_count += texts.len() as u64;
        self.rebuild_index();
    }

    fn rebuild_index(&mut self) {
        // Python's sort is stable: equal counts keep first-occurrence order.
        let counts = &self.counts.words;
        let mut order: Vec<usize> = (0..counts.len()).collect();
        order.sort_by(|&a, &b| counts[b].1.cmp(&counts[a].1));
        let mut sorted_voc: Vec<&str> = Vec::with_capacity(order.len() + 1);
        if let Some(oov) = &self.config.oov_token {
            sorted_voc.push(oov);
        }
        sorted_voc.extend(order.iter().map(|&i| counts[i].0.as_str()));
        let mut index = HashMap::with_capacity(sorted_voc.len());
        for (i, w) in sorted_voc.iter().enumerate() {
            index.insert(w.to_string(), i as u32 + 1);
        }
        self.word_index = index;
    }

    /// `texts_to_sequences` for one text.
    pub fn text_to_sequence(&self, text: &str) -> Vec<u32> {
        let ids = self.id_rule();
        let mut out = Vec::new();
        self.for_each_token(text, |w| out.extend(ids.of(&self.word_index, w)));
        out
    }

    /// Each token of `text` with the id `text_to_sequence` gives it (`None` where Keras drops
    /// the word: unknown without an OOV token, or beyond `num_words` without one).
    pub fn token_ids(&self, text: &str) -> Vec<(String, Option<u32>)> {
        let ids = self.id_rule();
        self.tokens(text)
            .into_iter()
            .map(|w| {
                let id = ids.of(&self.word_index, &w);
                (w, id)
            })
            .collect()
    }

    fn id_rule(&self) -> IdRule {
        IdRule {
            oov: self.config.oov_token.as_ref().and_then(|t| self.word_index.get(t)).copied(),
            num_words: self.config.num_words.filter(|&n| n > 0),
        }
    }

    /// `texts_to_sequences`, the texts in parallel (the same ids in the same order).
    pub fn texts_to_sequences<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Vec<Vec<u32>> {
        texts.par_iter().map(|t| self.text_to_sequence(t.as_ref())).collect()
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
        &self.counts.words
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

    /// Keras's `text_to_word_sequence` as written: translate the filters to `split`, split on
    /// it, drop empty pieces.
    fn translate_then_split(text: &str, filters: &str, lower: bool, split: &str) -> Vec<String> {
        let text = if lower { text.to_lowercase() } else { text.to_string() };
        let translated: String =
            text.chars().map(|ch| if filters.contains(ch) { split.to_string() } else { ch.to_string() }).collect();
        translated.split(split).filter(|w| !w.is_empty()).map(str::to_string).collect()
    }

    /// Texts of words, spaces, tabs, ASCII and non-ASCII punctuation and letters that lower to
    /// more than one character, from a fixed generator.
    fn mixed_texts(n: usize) -> Vec<String> {
        let pieces =
            ["the", "Film", "ÉTÉ", "İstanbul", "a", "b", " ", "  ", ",", "!", "\t", "，", "·", "—", "x-y", "'s", "ß"];
        let mut state = 7u64;
        (0..n)
            .map(|_| {
                let len = (state >> 60) as usize + 1;
                (0..len * 3)
                    .map(|_| {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        pieces[(state >> 33) as usize % pieces.len()]
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn cutting_in_place_is_translating_then_splitting() {
        let cases = [(KERAS_FILTERS, " "), (KERAS_FILTERS, ","), ("，·", " "), ("ab!", "·"), ("", "—"), ("!", "ab")];
        for text in mixed_texts(300) {
            for (filters, split) in cases {
                for lower in [true, false] {
                    assert_eq!(
                        text_to_word_sequence(&text, filters, lower, split),
                        translate_then_split(&text, filters, lower, split),
                        "{text:?} filters {filters:?} split {split:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn fitting_in_parallel_blocks_is_fitting_text_by_text() {
        // more texts than one window of blocks holds on one thread, words first seen in later
        // blocks and windows, tied counts
        let texts = mixed_texts(2 * TEXTS_PER_BLOCK * BLOCKS_PER_THREAD + 17);
        let fit_on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let mut t = tok(Some("<OOV>"), Some(8));
                t.fit_on_texts(&texts);
                t
            })
        };
        // the serial loop, written out: counts in first-occurrence order
        let (mut serial, mut at) = (Vec::<(String, u64)>::new(), HashMap::new());
        for w in texts.iter().flat_map(|x| tok(None, None).tokens(x)) {
            let i = *at.entry(w.clone()).or_insert_with(|| {
                serial.push((w, 0));
                serial.len() - 1
            });
            serial[i].1 += 1;
        }
        let mut one_by_one = tok(Some("<OOV>"), Some(8));
        for text in &texts {
            one_by_one.fit_on_texts(std::slice::from_ref(text));
        }
        assert_eq!(one_by_one.word_counts(), &serial[..]);
        for threads in [1, 3] {
            let t = fit_on(threads);
            assert_eq!(t.word_counts(), one_by_one.word_counts(), "{threads} threads");
            assert_eq!(t.word_index(), one_by_one.word_index(), "{threads} threads");
            assert_eq!(t.document_count(), texts.len() as u64);
            let serial: Vec<Vec<u32>> = texts.iter().map(|x| one_by_one.text_to_sequence(x)).collect();
            assert_eq!(t.texts_to_sequences(&texts), serial, "{threads} threads");
        }
    }
}
