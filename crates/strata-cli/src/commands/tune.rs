//! `strata tune`: hyperparameter search for any model on a validation split, within a budget.

use anyhow::Result;

use crate::args_tune::TuneCmd;

pub fn run(a: TuneCmd) -> Result<()> {
    let _ = a;
    anyhow::bail!("strata tune is not built yet")
}
