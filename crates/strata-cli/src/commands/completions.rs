//! `strata completions SHELL`: the shell completion script for every verb, flag and closed set
//! of values, generated from the same clap definitions that parse the command line, so it
//! cannot drift from them.

use std::io::Write;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::args::{Cli, CompletionsCmd};

pub fn run(a: CompletionsCmd) -> Result<()> {
    // generated into memory first: clap_complete panics on a failed write, and a closed pipe
    // should be an error line, not a panic
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), "strata", &mut script);
    std::io::stdout().write_all(&script).context("writing the completion script to stdout")
}
