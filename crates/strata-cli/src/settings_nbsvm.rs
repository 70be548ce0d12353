//! From flags to settings for `--model nbsvm`: the NBSVM flags (`args_nbsvm.rs`) and
//! `--word-ngrams` checked, every flag NBSVM does not read refused rather than ignored (the
//! networks' through `refuse_network_flags`, the linear model's, `--epochs`, `--lr` and
//! `--class-weight` here), and the `TrainSettings` the workflow runs (`strata_workflow::nbsvm`).

use anyhow::{bail, Result};
use strata_model::nbsvm::NbsvmConfig;
use strata_model::zoo::Knobs;
use strata_text::{PadSequences, TokenizerConfig};
use strata_train::schedule::Schedule;
use strata_train::FitOptions;
use strata_workflow::nbsvm::NbsvmSettings;
use strata_workflow::pipeline::{ModelSettings, Probes, TextSettings, TrainSettings};

use crate::args::TrainArgs;

/// Longest n-gram `--word-ngrams` takes with NBSVM: every order adds a text's length in
/// features, and orders past 5 add nothing measurable on sentiment data.
pub(crate) const MAX_NBSVM_NGRAMS: usize = 10;

impl TrainArgs {
    /// An NBSVM flag given with another model is refused: it would change nothing.
    pub(crate) fn nbsvm_flags_refused(&self, model: &str) -> Result<()> {
        if let Some(flag) = self.nbsvm.first_given() {
            bail!("{flag} is for --model nbsvm, not --model {model} (hint: add --model nbsvm, or leave out {flag})");
        }
        Ok(())
    }

    /// `--model nbsvm`: NB-LR over binarized word n-grams 1..=`--word-ngrams` of the text
    /// flags' tokens, with `--nb-alpha`, `--nb-beta`, `--nb-c` and `--nb-punctuation`.
    pub(crate) fn nbsvm_settings(&self, validation_split: f64, schedule: Option<&str>) -> Result<TrainSettings> {
        self.refuse_network_flags(schedule, "nbsvm")?;
        let l = &self.linear;
        let not_read = [
            (l.dim.is_some(), "--dim"),
            (l.buckets.is_some(), "--buckets"),
            (l.min_count.is_some(), "--min-count"),
            (l.minn.is_some(), "--minn"),
            (l.maxn.is_some(), "--maxn"),
            (l.loss.is_some(), "--loss"),
            (self.epochs.is_some(), "--epochs"),
            (self.lr.is_some(), "--lr"),
            (self.class_weight.is_some(), "--class-weight"),
        ];
        if let Some((_, flag)) = not_read.iter().find(|(given, _)| *given) {
            let hint = match *flag {
                "--epochs" | "--lr" => "NBSVM's regression is solved to convergence; --nb-c sets its regularisation",
                "--class-weight" => "NBSVM trains without class weights; leave it out",
                _ => "it is --model linear's; NBSVM keeps every n-gram of the training texts",
            };
            bail!("{flag} is not read by --model nbsvm (hint: {hint})");
        }
        let d = NbsvmConfig::default();
        let a = &self.nbsvm;
        let config = NbsvmConfig {
            word_ngrams: l.word_ngrams.unwrap_or(d.word_ngrams),
            alpha: a.nb_alpha.unwrap_or(d.alpha),
            beta: a.nb_beta.unwrap_or(d.beta),
            c: a.nb_c.unwrap_or(d.c),
            punctuation: a.nb_punctuation.clone().unwrap_or(d.punctuation),
        };
        if config.word_ngrams == 0 {
            bail!("--word-ngrams must be at least 1 (hint: 1 is a bag of words; NBSVM uses 2)");
        }
        if config.word_ngrams > MAX_NBSVM_NGRAMS {
            bail!(
                "--word-ngrams {} is more than {MAX_NBSVM_NGRAMS} (hint: Wang & Manning use 2, Mesnil et al. 3)",
                config.word_ngrams
            );
        }
        if !(config.alpha > 0.0 && config.alpha.is_finite()) {
            bail!("--nb-alpha must be a positive number (hint: 1 is Laplace smoothing, Wang & Manning's)");
        }
        if !(0.0..=1.0).contains(&config.beta) {
            bail!("--nb-beta must be in [0, 1] (hint: Wang & Manning use 0.25; 1 keeps the regression's weights)");
        }
        if !(config.c > 0.0 && config.c.is_finite()) {
            bail!("--nb-c must be a positive number (hint: 1 is liblinear's default)");
        }
        if !(0.0..1.0).contains(&validation_split) {
            bail!("--validation-split must be in [0, 1) (hint: 0.1 holds out a tenth)");
        }
        // the network fields are unused with `nbsvm` set (pipeline.rs)
        let model = ModelSettings::named("seed", 1, Knobs::default())?;
        let tokenizer = TokenizerConfig { num_words: None, ..self.text.config(2) };
        Ok(TrainSettings {
            text: TextSettings { tokenizer, pad: PadSequences::keras(1) },
            schedule: Schedule::end_to_end(1, 1),
            model,
            fit: FitOptions { epochs: 1, seed: self.seed, ..FitOptions::default() },
            validation_split,
            probes: Probes::Off,
            embeddings: None,
            init_from: None,
            linear: None,
            level_heads: Vec::new(),
            nbsvm: Some(NbsvmSettings { config }),
        })
    }
}
