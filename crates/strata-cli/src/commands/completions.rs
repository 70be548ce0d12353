//! `strata completions SHELL`: the shell completion script for every verb, flag and closed set
//! of values, generated from the same clap definitions that parse the command line, so it
//! cannot drift from them.

use anyhow::Result;
use clap::CommandFactory;

use crate::args::{Cli, CompletionsCmd};

pub fn run(a: CompletionsCmd) -> Result<()> {
    // generated into memory first: clap_complete panics on a failed write; stdout's rules then
    // apply (a closed pipe ends quietly, a full disk is one error line)
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), "strata", &mut script);
    print!("{}", String::from_utf8_lossy(&script));
    Ok(())
}
