//! `strata`: train, test, predict with and cross-validate text classifiers from the command line.
//!
//! A thin layer over the library crates: it parses flags, reads files, prints. Results go to
//! stdout, progress to stderr; any user mistake ends with one line `error: ... (hint: ...)`
//! and exit code 2, never a panic. A closed stdout pipe ends quietly and a full disk is one
//! `error:` line (`stdout`); a bug that panics is one `error: internal error …` line and exit
//! code 70 (`panic_report`).

/// `println!` through [`stdout::print`], so that no command's printing can panic on a closed or
/// full stdout. Declared before the modules so that it shadows std's in all of them.
macro_rules! println {
    () => {
        $crate::stdout::print(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::stdout::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` through [`stdout::print`], as `println!` above.
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::stdout::print(format_args!($($arg)*))
    };
}

mod args;
mod commands;
mod demo_corpus;
mod output_file;
mod panic_report;
mod progress;
mod stdout;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    ExitCode::from(panic_report::guarded(run))
}

fn run() -> u8 {
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
        Ok(()) => 0,
        Err(e) => fail(e),
    }
}

/// One line on stderr — the error chain joined, newlines folded — and exit code 2; a failed
/// write to stdout is `stdout`'s to answer (a closed pipe is no error).
fn fail(e: anyhow::Error) -> u8 {
    if let Some(stdout::StdoutError(io)) = e.downcast_ref() {
        return stdout::exit_code(io);
    }
    let msg = format!("{e:#}").replace('\n', " ");
    eprintln!("error: {msg}");
    2
}
