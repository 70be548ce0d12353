//! A text as the linear model reads it: the rows of `input` to average — each dictionary word,
//! `</s>`, the word n-grams of orders 2..=word_ngrams hashed into buckets (fastText's
//! `addWordNgrams`: over every word's hash, in the dictionary or not), and with `maxn > 0` each
//! word's character n-grams of `<word>` (fastText's `computeSubwords`). Each row remembers the
//! word it starts at, so an explanation can give every word its share.

use crate::linear::LinearModel;

/// `rows[i]` is an input row; `word_of[i]` the index (in `words`) of the word it starts at.
#[derive(Clone, Debug, PartialEq)]
pub struct Features {
    pub words: Vec<String>,
    pub rows: Vec<u32>,
    pub word_of: Vec<u32>,
}

impl Features {
    pub fn of(model: &LinearModel, text: &str) -> Features {
        let _ = (model, text);
        todo!("linear: features")
    }
}
