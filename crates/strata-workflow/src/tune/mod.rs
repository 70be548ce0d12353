//! `strata tune`: hyperparameter search for any model, within a wall-clock budget, scored on a
//! validation part — fastText's `-autotune-validation`, with a method that is known to work:
//! Hyperband (brackets of successive halving, η = 3 by default) over epochs, on random
//! configurations drawn from a seeded RNG, mixed, BOHB-style (Falkner et al., ICML 2018), with
//! configurations drawn around the best trial so far, as fastText's autotune draws all of its.
//!
//! Why the mix: Hyperband's random draws explore the whole space and drop the poor ones
//! after few epochs, but never refine what they found; fastText's autotune takes a Gaussian
//! step from its best configuration every trial, with a step that narrows as the budget is
//! spent, which finds the narrow good region of a linear model (on SST-2 its best trains 2
//! epochs at lr 1.46 with dim 500: the rate and the epochs only work together) but can stay
//! near a poor start. BOHB replaces a share of Hyperband's random configurations with
//! model-based ones and keeps the rest random, so the search keeps Hyperband's guarantees
//! (at worst a constant factor from random search) and gains the model's refinement; here the
//! "model" is fastText's step around the incumbent ([`local`]). A new configuration is a step
//! with probability [`defaults::local_share`] (two thirds for the linear model, none for a
//! network), decided by a coin from the seeded RNG, and trains once at the epochs its step
//! gives; the others are Hyperband's.
//!
//! - [`space`]: what is searched — each parameter a training flag (`lr`, `word-ngrams`,
//!   `batch-size`), so a trial is a `strata train` command; [`defaults`] declares each model's
//!   parameters and default space; [`space_file`] reads `--space FILE.toml` over it;
//!   [`memory_guard`] keeps a linear draw under 2 GiB of weights.
//! - [`halving`]: the brackets, the promotions (ASHA's: a configuration goes up as soon as it
//!   ranks in its rung's top `1/η` so far), the coin between a random draw and a step, and the
//!   budget (a trial that cannot finish in what is left is not started; a network's trial
//!   running past the budget is cut at its next epoch end, and counts as cut only when epochs
//!   were left). A promoted configuration trains again from scratch at `η·r` epochs, since the
//!   linear model's learning rate decays over the total epochs.
//! - [`local`]: the step around the incumbent (of equally accurate trials, the cheapest) and
//!   how it narrows; [`ridge`]: a linear promotion keeps `lr × epochs`.
//! - Trial 1 is the model's defaults (what `strata train` trains with the same flags), outside
//!   the brackets, as fastText's autotune starts from its default arguments: the best trial is
//!   never worse on validation than the untuned model, and it is the first incumbent. The caller
//!   leaves it out when a default lies outside the space (a `--space` file that excludes it),
//!   and says so. It is not held to the memory guard, which bounds the search's draws: it is
//!   trained as `strata train` would train it, and the caller says first what it needs when
//!   that is above the guard.
//! - [`importance`]: which parameter mattered, read from Hyperband's random draws alone; [`trials_csv`]: the record of every trial.
//!
//! Reproducibility: every trial is deterministic for a seed and thread count, and the trials
//! form one sequence the seed and the scores fix, with the steps' width following the share of
//! `--max-trials` run. `--max-trials N` with a budget that is not reached gives the same trials
//! on every run; without it the width follows the clock's share of the budget, as fastText's.
//!
//! [`search`] trains each trial with `pipeline::train` on the caller's split, building its
//! settings with the caller's `settings_for` (the CLI overrides its flags with the trial's
//! values), and keeps the best model: highest validation accuracy, then lowest validation loss,
//! then the earliest trial. A trial whose training diverged (its loss became NaN) failed: it is
//! scored accuracy 0, loss +inf (its `trials.csv` row reads `val_loss inf`), is never the
//! best, and the search goes on.
//!
//! [`search_in_waves`] ([`parallel`]) runs `at_once` trials at a time and, in an MPI job,
//! deals them to the ranks, gathering every score at every rank before the next are chosen:
//! the trials, their scores and the best model are those of one process with the same
//! `at_once` ([`waves`]: how a wave is chosen, and how the budget admits it).

pub mod defaults;
pub mod halving;
pub mod importance;
pub mod local;
pub mod memory_guard;
mod parallel;
pub mod ridge;
pub mod space;
pub mod space_file;
pub mod trials_csv;
pub mod waves;

use std::time::Duration;

use strata_model::Classifier;

use crate::error::WorkflowError;
use crate::pipeline::{TrainData, TrainSettings};
pub use halving::{Hyperband, Limits, Score, Stop, Trial, TrialStatus};
pub use parallel::search_in_waves;
pub use space::{Assignment, Domain, EpochRange, Param, Space};
pub use waves::{WaveScores, Waves};

/// How to search.
#[derive(Clone, Debug)]
pub struct TuneOptions {
    pub space: Space,
    /// Successive halving's reduction factor (keep the best 1/η, train η× longer).
    pub eta: usize,
    /// Seed of the configurations (training takes its seed from the settings).
    pub seed: u64,
    pub limits: Limits,
    /// Trained first, outside the brackets: the model's defaults (see `halving`).
    pub first: Option<Assignment>,
    /// The share of new configurations drawn around the incumbent (see `local`; 0: plain
    /// Hyperband).
    pub local: f64,
    /// Promotions keep `lr × epochs` instead of the rate: the linear model, whose rate decays
    /// to 0 over its epochs (see `ridge`). Networks keep their values.
    pub ridge: bool,
}

/// The best trial's model.
pub struct Best {
    /// Index into `TuneResult::trials`.
    pub trial: usize,
    pub model: Classifier,
    /// Another MPI rank trained it: rank 0 trained it again to hold its model (the same bits).
    pub trained_again: bool,
}

/// What a search did.
pub struct TuneResult {
    pub trials: Vec<Trial>,
    /// `None` only when no trial ran, or on an MPI rank other than 0 (rank 0 writes the model).
    pub best: Option<Best>,
    pub stop: Stop,
    /// Wall-clock seconds the search took.
    pub seconds: f64,
}

impl TuneResult {
    /// The best trial, if any ran.
    pub fn best_trial(&self) -> Option<&Trial> {
        self.best.as_ref().map(|b| &self.trials[b.trial])
    }
}

/// Searches `options.space` on `data` (which must have a validation part: `val_idx` not
/// empty), each trial trained with `settings_for(assignment)`; `on_trial` sees each trial as it
/// ends. Errors are the settings' or training's. One trial at a time: [`search_in_waves`] with
/// `at_once` 1.
pub fn search<E: From<WorkflowError>>(
    data: TrainData,
    options: &TuneOptions,
    settings_for: &dyn Fn(&Assignment) -> Result<TrainSettings, E>,
    on_trial: &mut dyn FnMut(&Trial),
) -> Result<TuneResult, E> {
    search_in_waves(data, options, 1, settings_for, on_trial)
}

/// The longest `--budget`: a year, in seconds.
pub const MAX_BUDGET: f64 = 365.0 * 86400.0;

/// A budget in seconds as a `Duration`; `None` unless it is a positive, finite number of at
/// most a year ([`MAX_BUDGET`] seconds).
pub fn budget(seconds: f64) -> Option<Duration> {
    (seconds.is_finite() && seconds > 0.0 && seconds <= MAX_BUDGET).then(|| Duration::from_secs_f64(seconds))
}
