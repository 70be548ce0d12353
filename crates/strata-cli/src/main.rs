//! `strata`: train, test, predict with and cross-validate text classifiers from the command line.
//!
//! A thin layer over the library crates: it parses flags, reads files, prints. Results go to
//! stdout, progress to stderr; any user mistake ends with one line `error: ... (hint: ...)`
//! and exit code 2, never a panic.

#![forbid(unsafe_code)]

mod args;
mod commands;
mod demo_corpus;
mod progress;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cli = match &cli.command {
        Command::Train(t) if t.resume.is_some() => match args::resumed(t.resume.as_deref().unwrap_or(Path::new("."))) {
            Ok(saved) => saved,
            Err(e) => return fail(e),
        },
        _ => cli,
    };
    let result = args::init_threads(cli.threads).and_then(|()| match cli.command {
        Command::Train(a) => commands::train::run(a),
        Command::Test(a) => commands::test::run(a),
        Command::Predict(a) => commands::predict::run(a),
        Command::Cv(a) => commands::cv::run(a),
        Command::Demo(a) => commands::demo::run(a),
        Command::Probe(a) => commands::probe::run(a),
        Command::Experiment(a) => commands::experiment::run_cmd(a),
        Command::Explain(a) => commands::explain::run(a),
        Command::Serve(a) => commands::serve::run(a),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// One line on stderr — the error chain joined, newlines folded — and exit code 2.
fn fail(e: anyhow::Error) -> ExitCode {
    let msg = format!("{e:#}").replace('\n', " ");
    eprintln!("error: {msg}");
    ExitCode::from(2)
}
