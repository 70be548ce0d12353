//! fastText's dictionary for the supervised model: the words of the training texts with at
//! least `min_count` occurrences, most frequent first (ties in first-seen order), with `</s>`
//! counted once per text as fastText counts its end-of-line. fastText's string hash, which its
//! word n-gram and character n-gram buckets are built from, is `strata_text::subwords`'s
//! (shared with the skip-gram's subwords) and re-exported here.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// fastText's end-of-text word, appended to every text.
pub const EOS: &str = "</s>";

pub use strata_text::subwords::fasttext_hash;

/// No word in this slot of the lookup table.
const EMPTY: u32 = u32::MAX;

/// Words and their counts, most frequent first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dictionary {
    pub words: Vec<String>,
    pub counts: Vec<u64>,
    /// Open addressing on [`fasttext_hash`] (as fastText's `word2int`): the hash a text's
    /// words need anyway finds them, with no second hash. A power-of-two size, at most half full.
    #[serde(skip)]
    index: Vec<u32>,
}

impl Dictionary {
    /// The dictionary of `texts` (each already split into words, without `</s>`).
    pub fn build<S: AsRef<str>>(texts: &[Vec<S>], min_count: u64) -> Self {
        let mut slot: HashMap<&str, usize> = HashMap::new();
        let mut seen: Vec<(&str, u64)> = Vec::new();
        for text in texts {
            for w in text.iter().map(AsRef::as_ref).chain(std::iter::once(EOS)) {
                match slot.get(w) {
                    Some(&i) => seen[i].1 += 1,
                    None => {
                        slot.insert(w, seen.len());
                        seen.push((w, 1));
                    }
                }
            }
        }
        // a stable sort: equal counts keep first-seen order (fastText's own order is unspecified)
        seen.sort_by_key(|&(_, c)| std::cmp::Reverse(c));
        let (words, counts) =
            seen.into_iter().filter(|&(_, c)| c >= min_count).map(|(w, c)| (w.to_string(), c)).unzip();
        Dictionary::from_words(words, counts)
    }

    /// Rebuilds the lookup after deserialising.
    pub fn from_words(words: Vec<String>, counts: Vec<u64>) -> Self {
        let size = (words.len() * 2).next_power_of_two();
        let mut index = vec![EMPTY; size];
        let mask = size - 1;
        for (i, w) in words.iter().enumerate() {
            let mut slot = fasttext_hash(w) as usize & mask;
            while index[slot] != EMPTY {
                slot = (slot + 1) & mask;
            }
            index[slot] = i as u32;
        }
        Dictionary { words, counts, index }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The word's row, if it is in the dictionary.
    pub fn id(&self, word: &str) -> Option<u32> {
        self.id_hashed(word, fasttext_hash(word))
    }

    /// [`Dictionary::id`] for a word whose [`fasttext_hash`] is `hash`.
    #[inline]
    pub fn id_hashed(&self, word: &str, hash: u32) -> Option<u32> {
        if self.index.is_empty() {
            return None;
        }
        let mask = self.index.len() - 1;
        let mut slot = hash as usize & mask;
        loop {
            let e = self.index[slot];
            if e == EMPTY {
                return None;
            }
            if self.words[e as usize] == word {
                return Some(e);
            }
            slot = (slot + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_counts_eos_per_text_sorts_stably_and_cuts_at_min_count() {
        let texts = vec![vec!["b", "a"], vec!["a", "c", "b"], vec!["d"]];
        let d = Dictionary::build(&texts, 1);
        assert_eq!(d.words, ["</s>", "b", "a", "c", "d"]);
        assert_eq!(d.counts, [3, 2, 2, 1, 1]);
        assert_eq!(d.id("a"), Some(2));
        assert_eq!(d.id("zzz"), None);
        let d2 = Dictionary::build(&texts, 2);
        assert_eq!(d2.words, ["</s>", "b", "a"]);
        let back = Dictionary::from_words(d.words.clone(), d.counts.clone());
        assert_eq!(back, d);
        assert_eq!(back.id("d"), Some(4));
    }
}
