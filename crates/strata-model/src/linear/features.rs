//! A text as the linear model reads it: the rows of `input` to average — each dictionary word,
//! `</s>`, the word n-grams of orders 2..=word_ngrams hashed into buckets (fastText's
//! `addWordNgrams`: over every word's hash, in the dictionary or not), and with `maxn > 0` each
//! word's character n-grams of `<word>` (fastText's `computeSubwords`). Each row remembers the
//! word it starts at, so an explanation can give every word its share.
//!
//! Rows come in fastText's order (per word: its id, then its character n-grams; then the word
//! n-grams), so sums are taken in the order fastText takes them. Prediction reads texts through
//! a [`Scratch`] and a [`Splitter`] made once per call, so a text costs no allocation but its
//! lower-casing when it is not ASCII.

use rayon::prelude::*;
use strata_text::subwords::{char_ngrams, fasttext_hash};
use strata_text::{Segmenter, Tokenizer, TokenizerConfig};

use crate::linear::dictionary::EOS;
use crate::linear::LinearModel;

/// fastText's multiplier for word n-gram hashes (`Dictionary::addWordNgrams`).
const NGRAM_MULTIPLIER: u64 = 116_049_371;

/// `rows[i]` is an input row; `word_of[i]` the index (in `words`) of the word it starts at.
#[derive(Clone, Debug, PartialEq)]
pub struct Features {
    /// The text's words as the tokenizer splits it, then `</s>`.
    pub words: Vec<String>,
    pub rows: Vec<u32>,
    pub word_of: Vec<u32>,
}

impl Features {
    pub fn of(model: &LinearModel, text: &str) -> Features {
        let mut s = Scratch::default();
        s.read(model, &Splitter::new(&model.tokenizer), text);
        let words = s.words().map(str::to_string).collect();
        Features { words, rows: s.rows, word_of: s.word_of }
    }
}

/// Every text's words as the model's tokenizer splits them (what its dictionary is built
/// from), in parallel with one prepared tokenizer.
pub fn words_of(config: &TokenizerConfig, texts: &[&str]) -> Vec<Vec<String>> {
    let splitter = Splitter::new(config);
    texts
        .par_iter()
        .map_init(
            || (String::new(), Vec::new()),
            |(buf, spans), text| {
                splitter.split(text, buf, spans);
                spans.iter().map(|&(a, b)| buf[a..b].to_string()).collect()
            },
        )
        .collect()
}

/// strata's tokenizer, prepared once: Keras's `text_to_word_sequence` with its filters in a
/// table, or (jieba, character level) the tokenizer itself.
pub(crate) struct Splitter {
    keras: Option<KerasSplit>,
    tokenizer: Tokenizer,
}

struct KerasSplit {
    ascii_filter: [bool; 128],
    other_filters: Vec<char>,
    lower: bool,
    split: String,
}

impl Splitter {
    pub(crate) fn new(config: &TokenizerConfig) -> Splitter {
        let keras = (config.segmenter == Segmenter::Keras && !config.char_level).then(|| {
            let mut ascii_filter = [false; 128];
            let mut other_filters = Vec::new();
            for ch in config.filters.chars() {
                match usize::try_from(u32::from(ch)) {
                    Ok(i) if i < 128 => ascii_filter[i] = true,
                    _ => other_filters.push(ch),
                }
            }
            KerasSplit { ascii_filter, other_filters, lower: config.lower, split: config.split.clone() }
        });
        Splitter { keras, tokenizer: Tokenizer::new(config.clone()) }
    }

    /// The words of `text` into `buf`, as byte ranges in `spans` (exactly the tokenizer's).
    pub(crate) fn split(&self, text: &str, buf: &mut String, spans: &mut Vec<(usize, usize)>) {
        buf.clear();
        spans.clear();
        let Some(k) = &self.keras else {
            for t in self.tokenizer.tokens(text) {
                let a = buf.len();
                buf.push_str(&t);
                spans.push((a, buf.len()));
            }
            return;
        };
        // Unicode lower-casing depends on context (Greek final sigma): only ASCII goes per char
        let lowered;
        let text = if k.lower && !text.is_ascii() {
            lowered = text.to_lowercase();
            lowered.as_str()
        } else {
            text
        };
        for ch in text.chars() {
            let ch = if k.lower { ch.to_ascii_lowercase() } else { ch };
            let filtered = match usize::try_from(u32::from(ch)) {
                Ok(i) if i < 128 => k.ascii_filter[i],
                _ => k.other_filters.contains(&ch),
            };
            if filtered {
                buf.push_str(&k.split);
            } else {
                buf.push(ch);
            }
        }
        if k.split.is_empty() {
            // Keras raises on an empty separator; the whole text is one word here
            if !buf.is_empty() {
                spans.push((0, buf.len()));
            }
            return;
        }
        let base = buf.as_ptr() as usize;
        let mut push = |piece: &str| {
            if !piece.is_empty() {
                let a = piece.as_ptr() as usize - base;
                spans.push((a, a + piece.len()));
            }
        };
        match k.split.as_bytes() {
            [b] if b.is_ascii() => buf.split(char::from(*b)).for_each(&mut push),
            _ => buf.split(k.split.as_str()).for_each(&mut push),
        }
    }
}

/// Buffers reused from text to text: the words, their hashes, and the rows they give.
#[derive(Default)]
pub(crate) struct Scratch {
    buf: String,
    spans: Vec<(usize, usize)>,
    hashes: Vec<u32>,
    bow: Vec<u8>,
    pub(crate) rows: Vec<u32>,
    pub(crate) word_of: Vec<u32>,
}

impl Scratch {
    /// Reads `text` into `rows` and `word_of` (and its words into `buf`/`spans`, `</s>` last).
    pub(crate) fn read(&mut self, model: &LinearModel, splitter: &Splitter, text: &str) {
        splitter.split(text, &mut self.buf, &mut self.spans);
        let a = self.buf.len();
        self.buf.push_str(EOS);
        self.spans.push((a, self.buf.len()));
        self.rows.clear();
        self.word_of.clear();
        self.hashes.clear();

        let c = &model.config;
        let nwords = model.dict.len() as u32;
        let buckets = c.buckets as u32;
        let eos = self.spans.len() - 1;
        for (i, &(a, b)) in self.spans.iter().enumerate() {
            let word = &self.buf[a..b];
            let h = fasttext_hash(word);
            self.hashes.push(h);
            if let Some(id) = model.dict.id_hashed(word, h) {
                self.rows.push(id);
                self.word_of.push(i as u32);
            }
            if c.maxn > 0 && buckets > 0 && i != eos {
                let before = self.rows.len();
                char_ngrams(word, c.minn, c.maxn, &mut self.bow, |g| self.rows.push(nwords + g % buckets));
                self.word_of.resize(self.word_of.len() + self.rows.len() - before, i as u32);
            }
        }
        if buckets > 0 {
            let n = self.hashes.len();
            for i in 0..n {
                // fastText keeps hashes as int32_t and widens them to uint64_t: sign extension
                let mut h = self.hashes[i] as i32 as i64 as u64;
                for j in i + 1..n.min(i + c.word_ngrams) {
                    h = h.wrapping_mul(NGRAM_MULTIPLIER).wrapping_add(self.hashes[j] as i32 as i64 as u64);
                    self.rows.push(nwords + (h % u64::from(buckets)) as u32);
                    self.word_of.push(i as u32);
                }
            }
        }
    }

    /// The words of the last text read (`</s>` last).
    pub(crate) fn words(&self) -> impl Iterator<Item = &str> {
        self.spans.iter().map(|&(a, b)| &self.buf[a..b])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear::{Dictionary, LinearConfig};
    use strata_data::LabelMap;

    fn model(dict: &[&str], word_ngrams: usize, minn: usize, maxn: usize) -> LinearModel {
        let words: Vec<String> = dict.iter().map(|w| w.to_string()).collect();
        let counts = vec![1; words.len()];
        let config = LinearConfig { dim: 2, word_ngrams, buckets: 1000, minn, maxn, ..Default::default() };
        let labels = LabelMap::from_vec(vec!["a".into(), "b".into()]);
        LinearModel::new(config, TokenizerConfig::default(), Dictionary::from_words(words, counts), labels, 1)
    }

    #[test]
    fn rows_are_words_then_hashed_word_ngrams_with_sign_extended_hashes() {
        let m = model(&["</s>", "good", "film"], 2, 0, 0);
        let f = m.features("Good, unseen FILM");
        assert_eq!(f.words, ["good", "unseen", "film", "</s>"]);
        let hashes: Vec<u32> = f.words.iter().map(|w| fasttext_hash(w)).collect();
        let bigram = |a: u32, b: u32| {
            let h = (a as i32 as i64 as u64).wrapping_mul(NGRAM_MULTIPLIER).wrapping_add(b as i32 as i64 as u64);
            3 + (h % 1000) as u32
        };
        let want_rows =
            vec![1, 2, 0, bigram(hashes[0], hashes[1]), bigram(hashes[1], hashes[2]), bigram(hashes[2], hashes[3])];
        assert_eq!(f.rows, want_rows);
        assert_eq!(f.word_of, [0, 2, 3, 0, 1, 2]);
    }

    #[test]
    fn oov_words_give_only_char_ngrams_and_eos_none() {
        let m = model(&["</s>", "ab"], 1, 2, 2);
        let f = m.features("ab cd");
        let g = |s: &str| 2 + fasttext_hash(s) % 1000;
        assert_eq!(f.rows, [1, g("<a"), g("ab"), g("b>"), g("<c"), g("cd"), g("d>"), 0]);
        assert_eq!(f.word_of, [0, 0, 0, 0, 1, 1, 1, 2]);
    }

    #[test]
    fn splitter_matches_the_tokenizer() {
        let config = TokenizerConfig::default();
        let s = Splitter::new(&config);
        let t = Tokenizer::new(config);
        for text in ["Hello, World!  tab\there", "ΣΑΣ όδός", "", "a--b", "Ünïcödé  ÀB"] {
            let (mut buf, mut spans) = (String::new(), Vec::new());
            s.split(text, &mut buf, &mut spans);
            let got: Vec<&str> = spans.iter().map(|&(a, b)| &buf[a..b]).collect();
            assert_eq!(got, t.tokens(text), "{text}");
        }
    }
}
