//! fastText's dictionary for the supervised model: the words of the training texts with at
//! least `min_count` occurrences, most frequent first (ties in first-seen order), with `</s>`
//! counted once per text as fastText counts its end-of-line; and fastText's string hash
//! (FNV-1a over the UTF-8 bytes, each byte sign-extended as fastText's `int8_t` cast does),
//! which its word n-gram and character n-gram buckets are built from.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// fastText's end-of-text word, appended to every text.
pub const EOS: &str = "</s>";

/// fastText's `Dictionary::hash`.
pub fn fasttext_hash(word: &str) -> u32 {
    let _ = word;
    todo!("linear: hash")
}

/// Words and their counts, most frequent first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dictionary {
    pub words: Vec<String>,
    pub counts: Vec<u64>,
    #[serde(skip)]
    index: HashMap<String, u32>,
}

impl Dictionary {
    /// The dictionary of `texts` (each already split into words, without `</s>`).
    pub fn build<S: AsRef<str>>(texts: &[Vec<S>], min_count: u64) -> Self {
        let _ = (texts, min_count);
        todo!("linear: dictionary")
    }

    /// Rebuilds the lookup after deserialising.
    pub fn from_words(words: Vec<String>, counts: Vec<u64>) -> Self {
        let _ = (words, counts);
        todo!("linear: dictionary")
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The word's row, if it is in the dictionary.
    pub fn id(&self, word: &str) -> Option<u32> {
        self.index.get(word).copied()
    }
}
