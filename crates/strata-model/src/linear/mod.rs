//! fastText's supervised model (Joulin et al. 2017, "Bag of Tricks"): a text is the average of
//! the embeddings of its words, its word n-grams (hashed into buckets) and optionally its
//! words' character n-grams; a linear classifier reads that average. It is the baseline every
//! strata comparison is made against, and a model in its own right (`--model linear`).
//!
//! Words come from strata's tokenizers (so Chinese works); [`dictionary`] keeps fastText's
//! dictionary (words by count, `</s>` at the end of every text) and its hashing, [`features`]
//! turns a text into input rows, this file holds the model and runs it, [`folder`] saves and
//! loads it (`format: "strata-linear"`), [`explain`] gives each word's exact contribution.
//! Training is in `strata-train` (`linear.rs`).
//!
//! Shapes: `input` is `[(words + buckets), dim]` (rows `0..words` for words, `words..` for
//! hashed n-grams), `output` is `[classes, dim]`; a text's hidden vector `h` is `[dim]`.
//!
//! Per-level heads (`--hierarchy per-level`, labels in a tree): the averaged `h` is the
//! representation every head shares, so one more softmax per upper level of the tree reads it
//! (`level_output`, `[Σ nodes, dim]`, level after level), trained with the leaf head on the
//! summed loss; the leaf head alone predicts and explains.

pub mod dictionary;
pub mod explain;
pub mod features;
pub mod folder;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use strata_data::LabelMap;
use strata_nn::Rng;
use strata_text::TokenizerConfig;

pub use dictionary::Dictionary;

use crate::head::argmax;
use crate::infer::{Evaluation, Prediction};
use crate::label_structure::LabelStructure;
use strata_nn::linear_sgd::level_nodes;
use strata_nn::skipgram::dot;

pub use crate::folder::LINEAR_FORMAT;
pub const LINEAR_FORMAT_VERSION: u32 = 1;

/// The loss the classifier is trained with: the training step's own enum, so that the config
/// names what the step computes.
pub use strata_nn::linear_sgd::Objective as LinearLoss;

/// What a linear model is, apart from what the data gives (words, labels).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearConfig {
    /// Length of every word and n-gram vector (fastText's `-dim`).
    pub dim: usize,
    /// Longest word n-gram (fastText's `-wordNgrams`; 1 is a bag of words).
    pub word_ngrams: usize,
    /// Hash buckets shared by word and character n-grams (fastText's `-bucket`).
    pub buckets: usize,
    /// Words seen fewer times than this are not in the dictionary (their n-grams still count).
    pub min_count: u64,
    /// Shortest and longest character n-gram of a word (fastText's `-minn/-maxn`; 0 is none).
    pub minn: usize,
    pub maxn: usize,
    pub loss: LinearLoss,
}

impl Default for LinearConfig {
    /// The settings measured as strata's baseline (fastText `-wordNgrams 2 -dim 100`).
    fn default() -> Self {
        LinearConfig {
            dim: 100,
            word_ngrams: 2,
            buckets: 2_000_000,
            min_count: 1,
            minn: 0,
            maxn: 0,
            loss: LinearLoss::Softmax,
        }
    }
}

/// A trained (or freshly initialised) linear model: everything needed to predict.
#[derive(Clone, Debug)]
pub struct LinearModel {
    pub config: LinearConfig,
    /// How text becomes words (only its splitting is used: `num_words` is ignored).
    pub tokenizer: TokenizerConfig,
    pub dict: Dictionary,
    pub labels: LabelMap,
    /// `[(dict.len() + buckets), dim]`
    pub input: Vec<f32>,
    /// `[classes, dim]`
    pub output: Vec<f32>,
    /// One label per text, or several with a threshold each (`config.json`'s
    /// `label_structure`, written only when it is not single).
    pub structure: LabelStructure,
    /// Per-level heads: for each upper level of a label tree, the node of every class at that
    /// level (`config.json`'s `level_heads`); empty for a flat model.
    pub levels: Vec<Vec<usize>>,
    /// `[Σ nodes of each level, dim]`: the level heads' rows, level after level (empty without
    /// levels); they shape training only, as the leaf head predicts.
    pub level_output: Vec<f32>,
}

impl LinearModel {
    /// A model for `dict` and `labels`, initialised as fastText does: `input` uniform in
    /// ±1/dim from `seed`, `output` zero.
    pub fn new(
        config: LinearConfig,
        tokenizer: TokenizerConfig,
        dict: Dictionary,
        labels: LabelMap,
        seed: u64,
    ) -> Self {
        let rows = dict.len() + config.buckets;
        let bound = 1.0 / config.dim.max(1) as f32;
        let mut rng = Rng::new(seed);
        // the bits of one `uniform` a value, drawn a block at a time (a tune trial draws it)
        let mut input = vec![0.0; rows * config.dim];
        rng.fill_uniform(&mut input, -bound, bound);
        let output = vec![0.0; labels.len() * config.dim];
        LinearModel {
            config,
            tokenizer,
            dict,
            labels,
            input,
            output,
            structure: LabelStructure::Single,
            levels: Vec::new(),
            level_output: Vec::new(),
        }
    }

    /// Adds one head per entry of `levels` (each maps every class to its node at that level),
    /// initialised as the leaf head is: zero. Replaces any heads the model had.
    pub fn add_level_heads(&mut self, levels: &[Vec<usize>]) {
        assert!(levels.iter().all(|n| n.len() == self.labels.len()), "one node per class at every level");
        let rows: usize = levels.iter().map(|n| level_nodes(n)).sum();
        self.levels = levels.to_vec();
        self.level_output = vec![0.0; rows * self.config.dim];
    }

    /// Rows of `input` in the model's input.
    pub fn rows(&self) -> usize {
        self.dict.len() + self.config.buckets
    }

    /// The input rows of `text` (words, then n-grams, as [`features::Features`] says).
    pub fn features(&self, text: &str) -> features::Features {
        features::Features::of(self, text)
    }

    /// Class probabilities for a text's input rows (softmax, or one sigmoid per class for
    /// one-vs-all); a text with no rows gets the empty text's.
    pub fn probabilities(&self, rows: &[u32]) -> Vec<f32> {
        let mut hidden = vec![0.0; self.config.dim];
        let mut probs = vec![0.0; self.labels.len()];
        self.forward(rows, &mut hidden, &mut probs);
        probs
    }

    /// Predictions for raw texts (in parallel over texts; the same for any thread count).
    pub fn predict(&self, texts: &[&str]) -> Vec<Prediction> {
        let splitter = features::Splitter::new(&self.tokenizer);
        texts
            .par_iter()
            .map_init(
                || (features::Scratch::default(), vec![0.0; self.config.dim]),
                |(scratch, hidden), text| {
                    scratch.read(self, &splitter, text);
                    let mut probs = vec![0.0; self.labels.len()];
                    self.forward(&scratch.rows, hidden, &mut probs);
                    Prediction { class: argmax(&probs), probs }
                },
            )
            .collect()
    }

    /// Each text's input rows, without the token counts (what scoring reads).
    pub fn encode_rows(&self, texts: &[&str]) -> Vec<Vec<u32>> {
        self.encode(texts).into_iter().map(|(rows, _)| rows).collect()
    }

    /// Each text's input rows and its token count as fastText counts them (its words and
    /// `</s>`), in parallel with one tokenizer for all: what training reads, once.
    pub fn encode(&self, texts: &[&str]) -> Vec<(Vec<u32>, usize)> {
        let splitter = features::Splitter::new(&self.tokenizer);
        texts
            .par_iter()
            .map_init(features::Scratch::default, |scratch, text| {
                scratch.read(self, &splitter, text);
                (scratch.rows.clone(), scratch.words().count())
            })
            .collect()
    }

    /// Mean `−ln p(class)` and accuracy on texts given as their input rows (`encode`).
    pub fn evaluate(&self, rows: &[Vec<u32>], y: &[usize]) -> Evaluation {
        self.evaluate_with_classes(rows, y).0
    }

    /// [`Self::evaluate`] and each row's predicted class, from one pass over the rows.
    pub fn evaluate_with_classes(&self, rows: &[Vec<u32>], y: &[usize]) -> (Evaluation, Vec<usize>) {
        crate::infer::evaluate_probabilities(rows, y, |r| self.probabilities(r))
    }

    /// The hidden vector of `rows` (their mean; zeros for none) into `hidden: [dim]`.
    pub fn hidden(&self, rows: &[u32], hidden: &mut [f32]) {
        let dim = self.config.dim;
        hidden.fill(0.0);
        for &r in rows {
            let row = &self.input[r as usize * dim..][..dim];
            for (h, x) in hidden.iter_mut().zip(row) {
                *h += x;
            }
        }
        if !rows.is_empty() {
            // fastText multiplies by the reciprocal (`hidden.mul(1.0 / input.size())`)
            let inv = 1.0 / rows.len() as f32;
            hidden.iter_mut().for_each(|h| *h *= inv);
        }
    }

    /// The logit of class `c` for a hidden vector.
    pub fn logit(&self, c: usize, hidden: &[f32]) -> f32 {
        let dim = self.config.dim;
        dot(&self.output[c * dim..][..dim], hidden)
    }

    /// Class probabilities of `rows` into `probs: [classes]`, using `hidden: [dim]` as room.
    fn forward(&self, rows: &[u32], hidden: &mut [f32], probs: &mut [f32]) {
        self.hidden(rows, hidden);
        for (c, p) in probs.iter_mut().enumerate() {
            *p = self.logit(c, hidden);
        }
        match self.config.loss {
            LinearLoss::Softmax => {
                let max = probs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut z = 0.0;
                for p in probs.iter_mut() {
                    *p = (*p - max).exp();
                    z += *p;
                }
                probs.iter_mut().for_each(|p| *p /= z);
            }
            LinearLoss::OneVsAll => probs.iter_mut().for_each(|p| *p = 1.0 / (1.0 + (-*p).exp())),
        }
    }
}
