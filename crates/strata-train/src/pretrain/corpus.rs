//! What the pretraining objectives read: every document as token ids, in file order, with the
//! vocabulary's size. The ids are the tokenizer's (Keras: index 0 is padding and never occurs,
//! `<OOV>` is 1 where set, words past `num_words` are dropped or become `<OOV>`), so the learned
//! rows line up with the classifier's embedding rows.

/// Documents as token ids; `vocab_size` is the embedding's row count (`num_words`, or the
/// fitted vocabulary plus padding when smaller).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Corpus {
    pub docs: Vec<Vec<u32>>,
    pub vocab_size: usize,
}

impl Corpus {
    /// Tokens in all documents.
    pub fn tokens(&self) -> usize {
        self.docs.iter().map(Vec::len).sum()
    }

    /// How often each id occurs, `[vocab_size]`.
    pub fn counts(&self) -> Vec<u64> {
        let mut counts = vec![0u64; self.vocab_size];
        for &id in self.docs.iter().flatten() {
            counts[id as usize] += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_occurrence() {
        let c = Corpus { docs: vec![vec![2, 3, 2], vec![], vec![4]], vocab_size: 5 };
        assert_eq!(c.tokens(), 4);
        assert_eq!(c.counts(), vec![0, 0, 2, 1, 1]);
    }
}
