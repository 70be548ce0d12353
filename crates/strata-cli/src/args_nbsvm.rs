//! NBSVM's flags (`--model nbsvm`), under their own heading. `--word-ngrams` is shared with the
//! linear model (`args_linear.rs`); a flag left out takes
//! `strata_model::nbsvm::NbsvmConfig::default()`; given with any other `--model`, each is
//! refused (`settings_nbsvm.rs`).

use clap::Args;

const NBSVM: &str = "NBSVM model";

#[derive(Args, Clone, Debug, Default)]
pub struct NbsvmArgs {
    /// Naive-Bayes smoothing α added to every n-gram's count before the log-count ratios
    /// (Wang & Manning's α). Default 1
    #[arg(long, help_heading = NBSVM)]
    pub nb_alpha: Option<f32>,
    /// Interpolation β in [0, 1]: weights (1−β)·mean|w| + β·w (Wang & Manning's β; 1 keeps the
    /// regression's weights, measured best for NB-LR; W&M's SVM used 0.25). Default 1
    #[arg(long, help_heading = NBSVM)]
    pub nb_beta: Option<f32>,
    /// Inverse L2 strength C of the logistic regression (liblinear's -c). Default 1
    #[arg(long, help_heading = NBSVM)]
    pub nb_c: Option<f32>,
    /// Characters made tokens of their own instead of separators (e.g. '!?'); "" for none.
    /// Default: none
    #[arg(long, help_heading = NBSVM)]
    pub nb_punctuation: Option<String>,
}

impl NbsvmArgs {
    /// The first NBSVM flag given, if any.
    pub fn first_given(&self) -> Option<&'static str> {
        let given = [
            (self.nb_alpha.is_some(), "--nb-alpha"),
            (self.nb_beta.is_some(), "--nb-beta"),
            (self.nb_c.is_some(), "--nb-c"),
            (self.nb_punctuation.is_some(), "--nb-punctuation"),
        ];
        given.into_iter().find_map(|(g, flag)| g.then_some(flag))
    }
}
