//! `strata ensemble`'s flags: the member folders, their weights (given, or tuned on a
//! validation file) and the folder to write.

use std::path::PathBuf;

use clap::Args;

use crate::args_train::ReadArgs;

const DATA: &str = "Data";
const MODEL: &str = "Model";
const OUTPUT: &str = "Output";

#[derive(Args)]
pub struct EnsembleCmd {
    /// A member's model folder (or the run folder holding model/), of any family; once per
    /// member, at least two, all trained on the same labels. Each is copied into the ensemble
    #[arg(long = "member", value_name = "DIR", help_heading = MODEL)]
    pub members: Vec<PathBuf>,
    /// The members' weights in --member order, e.g. 0.6,0.4 (scaled to sum to 1; default:
    /// equal). The ensemble's probabilities are the weighted mean of the members'
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true, conflicts_with = "tune_weights_on", help_heading = MODEL)]
    pub weights: Option<Vec<f32>>,
    /// Choose the weights on this labelled validation file (never the test split): the best
    /// accuracy on a grid of steps of 0.05 over weights summing to 1; ties go to the most even
    #[arg(long, value_name = "FILE", help_heading = DATA)]
    pub tune_weights_on: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Folder to write the ensemble to (it must not exist, or be one strata wrote)
    #[arg(long, value_name = "DIR", help_heading = OUTPUT)]
    pub out: PathBuf,
}
