//! The flags of label trees and out-of-scope rejection (issue 15 points 3 and 4), in their own
//! groups so that train, test and predict flatten them without touching each other's flags.

use clap::Args;
use std::path::PathBuf;

use crate::choices;

const DATA: &str = "Data";
const OUTPUT: &str = "Output";

/// Labels written as paths (`train`).
#[derive(Args, Clone, Default)]
pub struct TreeArgs {
    /// Labels are paths in a tree split on SEP (`comp/comp.graphics`; `/` when given without a
    /// value): every label must have the same depth, and the model reports per-level scores
    #[arg(long, value_name = "SEP", num_args = 0..=1, default_missing_value = "/", help_heading = DATA)]
    pub label_path_sep: Option<String>,
    /// A taxonomy of the label paths, parent<TAB>child-path lines (taxonomy.tsv): a label not in
    /// it, or deeper than it, is refused with its line (needs --label-path-sep)
    #[arg(long, value_name = "FILE", requires = "label_path_sep", help_heading = DATA)]
    pub taxonomy: Option<PathBuf>,
    /// flat: one softmax over the leaves; per-level: also one softmax head per upper level of
    /// the tree on the top representation (the linear model's: its averaged word and n-gram
    /// vector), losses summed, the leaf head predicting; top-down: the flat model decoded top node first (by its leaves' summed
    /// probability), then the best child under it. `test` scores flat and top-down decoding of
    /// any tree model (needs --label-path-sep)
    #[arg(long, value_enum, requires = "label_path_sep", help_heading = DATA)]
    pub hierarchy: Option<choices::Hierarchy>,
    /// Store P (0 to 1) in the model's config.json: predict, test and serve then answer "none
    /// of the known labels" when the top probability is below it, unless their own
    /// --reject-below overrides it
    #[arg(long, value_name = "P", help_heading = OUTPUT)]
    pub reject_below: Option<f32>,
}

/// Labels written as paths, compared three ways (`experiment`).
#[derive(Args, Clone, Default)]
pub struct ExperimentTreeArgs {
    /// Labels are paths in a tree split on SEP (`comp/comp.graphics`; `/` when given without a
    /// value): every model is also scored per level, flat against per-level and top-down
    #[arg(long, value_name = "SEP", num_args = 0..=1, default_missing_value = "/", help_heading = DATA)]
    pub label_path_sep: Option<String>,
    /// A taxonomy of the label paths, parent<TAB>child-path lines (needs --label-path-sep)
    #[arg(long, value_name = "FILE", requires = "label_path_sep", help_heading = DATA)]
    pub taxonomy: Option<PathBuf>,
    /// The ways every model (the baseline too) is compared on the same splits, seeds and budget;
    /// default all three. Flat is always trained, as every other way is paired with it;
    /// per-level trains each model again (networks and the linear model) with a head per upper
    /// level; top-down decodes the flat model (needs --label-path-sep)
    #[arg(long, value_enum, value_delimiter = ',', requires = "label_path_sep", help_heading = DATA)]
    pub hierarchies: Vec<choices::Hierarchy>,
}

/// Out-of-scope rejection (`test`).
#[derive(Args, Clone, Default)]
pub struct RejectArgs {
    /// Answer "none of the known labels" when the top probability is below P (0 to 1)
    #[arg(long, value_name = "P", help_heading = OUTPUT)]
    pub reject_below: Option<f32>,
    /// Out-of-scope texts (their labels are ignored): scores in-scope accuracy on --data and
    /// out-of-scope recall on FILE side by side (Larson et al. 2019)
    #[arg(long, value_name = "FILE", help_heading = DATA)]
    pub oos: Option<PathBuf>,
    /// Pick P on --data and --oos (validation files, e.g. clinc150's dev.tsv and oos_dev.tsv)
    /// maximising in-scope accuracy + out-of-scope recall, and print it (needs --oos)
    #[arg(long, requires = "oos", conflicts_with = "reject_below", help_heading = OUTPUT)]
    pub reject_tune: bool,
}
