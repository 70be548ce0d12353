//! `strata tune`'s flags: what to tune on, how long, over which space, where the best run goes.
//! The model and every flag not searched come from the usual training flags (`TrainArgs`).

use std::path::PathBuf;

use clap::Args;

use crate::args_train::{ReadArgs, TrainArgs};

const DATA: &str = "Data";
const TUNE: &str = "Tuning";
const OUTPUT: &str = "Output";

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
    /// Wall-clock budget in seconds (fastText's -autotune-duration)
    #[arg(long, default_value_t = 300.0, help_heading = TUNE)]
    pub budget: f64,
    /// A TOML file that replaces the model's search space, parameter by parameter
    #[arg(long, value_name = "FILE", help_heading = TUNE)]
    pub space: Option<PathBuf>,
    /// Run folder for trials.csv and the best run (its model/, args, metrics)
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
