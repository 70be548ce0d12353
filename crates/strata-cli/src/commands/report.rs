//! `strata report RUN`: makes a finished experiment's report.md and report/index.html again
//! from its results.json, so that an experiment run by an earlier strata gets today's page.
//! results.json itself is only read.

use anyhow::{anyhow, Result};
use strata_report::results::ExperimentResults;

use super::experiment::write_pages;
use crate::args::ReportCmd;

pub fn run(a: ReportCmd) -> Result<()> {
    let path = a.run.join("results.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        anyhow!("{}: cannot read: {e} (hint: give the folder `strata experiment --out` wrote)", path.display())
    })?;
    let results: ExperimentResults = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "{}:{}: not an experiment's results: {e} (hint: results.json is written by `strata experiment`)",
            path.display(),
            e.line()
        )
    })?;
    write_pages(&a.run, &results)?;
    println!("report: {}", a.run.join("report/index.html").display());
    Ok(())
}
