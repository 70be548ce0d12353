//! INTERFACE STUB (issue 12): the skip-gram helper replaces this file. Signatures here are the
//! contract the CLI and workflow code call.

use super::corpus::Corpus;

/// word2vec's knobs, with word2vec's defaults where they serve short-text classifiers.
#[derive(Clone, Debug, PartialEq)]
pub struct SkipGramConfig {
    /// Vector width (the embedding level's width).
    pub dim: usize,
    /// Largest distance between centre and context word (word2vec `-window`, dynamic: a
    /// window of 1..=window is drawn per centre word).
    pub window: usize,
    /// Negative samples per positive pair (`-negative`), drawn from unigram^0.75.
    pub negatives: usize,
    /// Words seen fewer times are not trained (`-min-count`); their rows keep their init.
    pub min_count: u64,
    pub epochs: usize,
    /// Subsampling threshold of frequent words (`-sample`); 0 turns it off.
    pub sample: f64,
    /// Starting learning rate, decayed linearly to ~0 over all epochs (`-alpha`).
    pub lr: f32,
    pub seed: u64,
    pub threads: usize,
}

/// One finished epoch, for a Keras-style line.
#[derive(Clone, Debug, PartialEq)]
pub struct SkipGramEpoch {
    pub epoch: usize,
    pub epochs: usize,
    /// Mean negative-sampling loss per positive pair this epoch.
    pub loss: f64,
    pub words_per_sec: f64,
    pub seconds: f64,
}

/// Trains input vectors in place: `vectors` is `[corpus.vocab_size, cfg.dim]`, already
/// initialised by the caller (Keras's uniform init); rows of words below `min_count` (and
/// padding, id 0) are left as they are. `on_epoch` is called after every epoch.
pub fn train(
    corpus: &Corpus,
    vectors: &mut [f32],
    cfg: &SkipGramConfig,
    on_epoch: &mut dyn FnMut(&SkipGramEpoch),
) -> Vec<SkipGramEpoch> {
    let _ = (corpus, vectors, cfg, on_epoch);
    unimplemented!("skip-gram arrives with the skip-gram helper's branch")
}
