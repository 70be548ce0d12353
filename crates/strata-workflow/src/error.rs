//! The workflows' one error type: what stops a run from training, with the data the CLI
//! needs for its one line `error: … (hint: …)`. It wraps the lower crates' errors unchanged, so
//! their messages read the same.

use strata_model::error::ModelError;
use strata_train::error::ResumeError;

/// Why a workflow could not train.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum WorkflowError {
    /// The model cannot be built for this data (too few classes, too short a `maxlen`, …).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A data file (the pretrained word vectors) is unreadable or malformed.
    #[error(transparent)]
    Data(#[from] strata_data::DataError),
    /// The checkpoint to continue from does not fit the run.
    #[error(transparent)]
    Resume(#[from] ResumeError),
    /// A run whose loss diverged (NaN or infinite): its accuracy would read as a result.
    /// `run` names it (`fold 2`, `layerwise, fold 1, seed 3`).
    #[error("{run}: {why} (hint: lower --lr, or check the data)")]
    Diverged { run: String, why: String },
    /// An experiment given no schedules to compare.
    #[error("no schedules")]
    NoSchedules,
    /// A schedule that fine-tunes a pretrained language model (ulmfit) without `--init-from`.
    #[error("schedule {schedule} fine-tunes a pretrained language model and no --init-from folder gives one (hint: pretrain one with `strata pretrain` and add --init-from DIR, or choose another schedule)")]
    NoLanguageModel { schedule: String },
    /// `--multi-label` with a network and something its multi-label training does not build.
    #[error("--multi-label with a network does not train {what} (hint: {hint})")]
    MultiLabelRefused { what: &'static str, hint: &'static str },
    /// A linear model whose dictionary would be empty: no word reaches `--min-count`.
    #[error("no word of the {texts} training texts occurs --min-count {min_count} times (hint: lower --min-count)")]
    EmptyDictionary { texts: usize, min_count: u64 },
    /// A linear model given no training text (every text went to validation).
    #[error("no text is left to train the linear model on: all {texts} texts are held out for validation (hint: lower --validation-split)")]
    NoTrainingTexts { texts: usize },
    /// An NBSVM model whose training texts have no word at all (`--model nbsvm`).
    #[error(
        "none of the {texts} training texts has a word the tokenizer keeps (hint: check --tokenizer and --filters)"
    )]
    NoNgrams { texts: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_error_reads_as_itself_and_once() {
        let inner = ModelError::TooFewClasses { classes: 1 };
        let e = WorkflowError::from(inner.clone());
        assert_eq!(e.to_string(), inner.to_string());
        // the CLI prints the error chain; the wrapper must not add the message a second time
        assert!(std::error::Error::source(&e).is_none());
        let e = WorkflowError::from(ResumeError::Params { saved: 3, model: 2 });
        assert_eq!(e.to_string(), "the checkpoint does not match this model: it holds 3 parameters, the model has 2");
        assert!(std::error::Error::source(&e).is_none());
    }
}
