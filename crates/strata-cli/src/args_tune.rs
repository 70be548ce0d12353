//! `strata tune`'s flags: what to tune on, how long, over which space, where the best run goes.
//! The model and every flag not searched come from the usual training flags (`TrainArgs`).

use std::path::PathBuf;

use clap::Args;

use crate::args_train::{ReadArgs, TrainArgs};

const DATA: &str = "Data";
const TUNE: &str = "Tuning";
const OUTPUT: &str = "Output";

/// `--space`'s long help: the file's form and each model family's default space.
const SPACE_HELP: &str = "A TOML file that replaces the model's search space, parameter by parameter. One table per \
training flag (without --), with one of values = [a, b, ...], log_uniform = [lo, hi] or uniform = [lo, hi]; [epochs] \
takes min and max (successive halving's range). Parameters not in the file keep their default domain; a flag given \
on the command line is fixed, not searched. Defaults: linear searches lr log-uniform in [0.01, 5], dim log-uniform in \
[10, 1000], word-ngrams 1-5, min-count, minn/maxn and buckets log-uniform in [10k, 10M] (at most 2 GiB of weights: a \
draw over it takes fewer buckets; trial 1, the defaults, trains as given and tune says first what it needs when that \
is more) over 1-100 epochs (fastText's autotune ranges), two thirds of its new configurations \
a Gaussian step around the best trial so far, as fastText's autotune draws them; a network searches lr from a \
quarter to 4x its recipe's, batch-size, maxlen, embedding-dim and units around its recipe, over up to twice its \
recipe's epochs. Trials run at Hyperband's rungs (max/ETA^s epochs, rounded), so the first rung can be above [epochs] \
min; tune's first line names the epochs they run. Trial 1 is the model's defaults when every one lies in the space; \
otherwise tune says so and starts with Hyperband's trials. Example:\n  [lr]\n  log_uniform = [0.05, 2.0]\n  [word-ngrams]\n  values = [1, 2, 3]\n  \
[epochs]\n  max = 50";

#[derive(Args)]
pub struct TuneCmd {
    /// Labelled training data
    #[arg(long, help_heading = DATA)]
    pub data: PathBuf,
    /// Labelled validation data the trials are scored on (else --validation-split of --data)
    #[arg(long, help_heading = DATA)]
    pub validation_data: Option<PathBuf>,
    /// Fraction of --data held out (stratified, seeded) to score the trials on
    #[arg(long, default_value_t = 0.1, help_heading = DATA)]
    pub validation_split: f64,
    /// Wall-clock budget in seconds (fastText's -autotune-duration). It bounds when trials
    /// start: none starts unless its estimated time fits in what is left. A trial under way
    /// finishes (a network's stops at its first epoch end past the budget, a linear one runs
    /// all its epochs), so the run can end a little after the budget. How many trials fit
    /// depends on the machine; see --max-trials
    #[arg(long, default_value_t = 300.0, help_heading = TUNE)]
    pub budget: f64,
    /// Stop after N trials: with a budget that is not reached, the same --seed and --threads
    /// give the same trials and the same best model on every run
    #[arg(long, value_name = "N", help_heading = TUNE)]
    pub max_trials: Option<usize>,
    /// Trials chosen at a time (a wave), each wave from the scores of the trials before it;
    /// under `mpirun -n N` trial j of a wave runs on rank j mod N. The trials depend on this
    /// number, not on N: the same command line gives the same trials, best.json and best
    /// model with any N or without MPI. What it costs: a wave's trials are chosen before any
    /// of them is scored, so a new best is stepped around and a promotion made up to K-1
    /// trials later than one at a time (1); more ranks than K leave ranks idle [default: 4]
    #[arg(long, value_name = "K", help_heading = TUNE)]
    pub trials_at_once: Option<usize>,
    /// Successive halving's factor: each rung keeps the best 1/ETA configurations and trains
    /// them again, from scratch, for ETA times the epochs (Hyperband, Li et al. 2018)
    #[arg(long, default_value_t = 3, help_heading = TUNE)]
    pub eta: usize,
    /// A TOML file that replaces the model's search space, parameter by parameter: a table per
    /// training flag, e.g. [lr] log_uniform = [0.05, 2.0], [word-ngrams] values = [1, 2, 3],
    /// [epochs] max = 50 (uniform = [lo, hi] too). A flag given on the command line is not
    /// searched
    #[arg(long, value_name = "FILE", long_help = SPACE_HELP, help_heading = TUNE)]
    pub space: Option<PathBuf>,
    /// Run folder: trials.csv (a row per trial), best.json (the best trial's values and score,
    /// the strata train flags that repeat it, which parameter mattered) and model/ (the best
    /// trial's model)
    #[arg(short = 'o', long, help_heading = OUTPUT)]
    pub out: PathBuf,
    /// Replace an earlier tune run in --out (strata replaces only what it wrote there)
    #[arg(long, help_heading = OUTPUT)]
    pub overwrite: bool,
    /// Print the result as JSON on stdout
    #[arg(long, help_heading = OUTPUT)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub train: TrainArgs,
}
