//! The linear model's flags (`--model linear`): fastText's names and meanings, under their own
//! heading. A flag left out takes `strata_model::linear::LinearConfig::default()`; given with
//! any other `--model`, each is refused (`settings.rs`).

use clap::Args;

use crate::choices;

const LINEAR: &str = "Linear model";

#[derive(Args, Clone, Debug, Default)]
pub struct LinearArgs {
    /// Longest word n-gram (fastText's -wordNgrams; 1 is a bag of words; also --model nbsvm's). Default 2
    #[arg(long, help_heading = LINEAR)]
    pub word_ngrams: Option<usize>,
    /// Length of every word and n-gram vector (fastText's -dim). Default 100
    #[arg(long, help_heading = LINEAR)]
    pub dim: Option<usize>,
    /// Hash buckets for word and character n-grams (fastText's -bucket). Default 2000000
    #[arg(long, help_heading = LINEAR)]
    pub buckets: Option<usize>,
    /// Words seen fewer times are left out of the dictionary (fastText's -minCount). Default 1
    #[arg(long, help_heading = LINEAR)]
    pub min_count: Option<u64>,
    /// Shortest character n-gram of a word (fastText's -minn; 0: none). Default 0
    #[arg(long, help_heading = LINEAR)]
    pub minn: Option<usize>,
    /// Longest character n-gram of a word (fastText's -maxn; 0: none). Default 0
    #[arg(long, help_heading = LINEAR)]
    pub maxn: Option<usize>,
    /// Loss: one softmax, or one-vs-all sigmoids (fastText's -loss). Default softmax
    #[arg(long, value_enum, help_heading = LINEAR)]
    pub loss: Option<choices::LinearLoss>,
}

impl LinearArgs {
    /// The first linear-model flag given (`--word-ngrams`, `--dim`, …), if any.
    pub fn first_given(&self) -> Option<&'static str> {
        let given = [
            (self.word_ngrams.is_some(), "--word-ngrams"),
            (self.dim.is_some(), "--dim"),
            (self.buckets.is_some(), "--buckets"),
            (self.min_count.is_some(), "--min-count"),
            (self.minn.is_some(), "--minn"),
            (self.maxn.is_some(), "--maxn"),
            (self.loss.is_some(), "--loss"),
        ];
        given.into_iter().find_map(|(g, flag)| g.then_some(flag))
    }
}
