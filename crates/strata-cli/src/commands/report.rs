//! `strata report RUN`: makes a finished experiment's report.md and report/index.html again
//! from its results.json, so that an experiment run by an earlier strata gets today's page.
//! results.json itself is only read.

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use strata_model::atomic::write_atomic;
use strata_model::owned::{is_owned, Owned, MARKER};
use strata_report::results::ExperimentResults;

use super::experiment::write_pages;
use crate::args::ReportCmd;

/// The pages are replaced only in strata's experiment folder: one carrying the `.strata`
/// marker of an experiment, or one with no report.md or report/ to lose (a user's own report.md
/// beside a results.json is theirs).
fn check_ours(dir: &Path) -> Result<()> {
    let marked = dir.join(MARKER).is_file();
    let nothing_to_replace = !dir.join("report.md").exists() && !dir.join("report").exists();
    if is_owned(dir, Owned::Experiment) && (marked || nothing_to_replace) {
        return Ok(());
    }
    bail!(
        "{}: not a folder `strata experiment` wrote; its report.md would be replaced (hint: report rewrites \
         the pages only in a folder with strata's {MARKER} marker, or one with no report.md or report/)",
        dir.display()
    )
}

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
    check_ours(&a.run)?;
    write_pages(&a.run, &results)?;
    // a folder holding only results.json becomes strata's, so that the next `report` may replace
    // the pages this one wrote
    write_atomic(&a.run.join(MARKER), &Owned::Experiment.marker())?;
    println!("report: {}", a.run.join("report/index.html").display());
    Ok(())
}
