//! `strata`: train, test, predict with and cross-validate text classifiers from the command line.
//!
//! A thin layer over the library crates: it parses flags, reads files, prints. Results go to
//! stdout, progress to stderr; any user mistake ends with one line `error: ... (hint: ...)`
//! and exit code 2, never a panic. A closed stdout pipe ends quietly and a full disk is one
//! `error:` line (`stdout`); a bug that panics is one `error: internal error …` line and exit
//! code 70 (`panic_report`).

#![forbid(unsafe_code)]

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

/// `eprintln!` through [`stdout::diagnostic`]: a progress or error line that cannot be written
/// (stderr on a full disk, a closed pipe) is dropped, not a panic.
macro_rules! eprintln {
    ($($arg:tt)*) => {
        $crate::stdout::diagnostic(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod args;
mod args_ensemble;
mod args_import_keras;
mod args_linear;
mod args_nbsvm;
mod args_train;
mod args_tree;
mod args_tune;
mod choices;
mod commands;
mod demo_corpus;
#[cfg(feature = "mpi")]
mod mpi_world;
mod output_file;
mod panic_report;
mod progress;
mod run_args;
mod settings;
mod settings_nbsvm;
mod shard_choice;
mod stdout;
mod tree_report;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    // launched by mpirun or srun (and built with `--features mpi`): one rank of a job
    #[cfg(feature = "mpi")]
    let universe = mpi_world::join();
    let code = panic_report::guarded(run);
    #[cfg(feature = "mpi")]
    mpi_world::leave(universe, code);
    ExitCode::from(code)
}

fn run() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help, --version (stdout, exit 0), and `strata` alone (the help, exit 2)
        Err(e) if !e.use_stderr() || e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            e.exit()
        }
        Err(e) => return fail(anyhow::anyhow!(one_line(&e))),
    };
    // -q/-v as typed now, also when --resume replays the run's first command line
    progress::set_verbosity(match (cli.quiet, cli.verbose) {
        (true, _) => progress::Verbosity::Quiet,
        (_, true) => progress::Verbosity::Verbose,
        _ => progress::Verbosity::Normal,
    });
    if !strata_train::ranks::is_root() {
        // rank 0 of an MPI job speaks for it; the others print only their errors
        progress::set_verbosity(progress::Verbosity::Quiet);
        stdout::mute();
    }
    let cli = match &cli.command {
        Command::Train(t) if t.resume.is_some() => {
            match run_args::resumed(t.resume.as_deref().unwrap_or(Path::new("."))) {
                Ok(saved) => saved,
                Err(e) => return fail(e),
            }
        }
        Command::Pretrain(p) if p.resume.is_some() => {
            match run_args::resumed(p.resume.as_deref().unwrap_or(Path::new("."))) {
                Ok(saved) => saved,
                Err(e) => return fail(e),
            }
        }
        _ => cli,
    };
    // STRATA_KERNELS (which vector kernels run) is refused here in one line, not ignored later
    if let Err(e) = strata_nn::kernels::from_env() {
        return fail(e.into());
    }
    let result = settings::init_threads(cli.threads).and_then(|()| match cli.command {
        Command::Train(a) => commands::train::run(a),
        Command::Test(a) => commands::test::run(a),
        Command::Predict(a) => commands::predict::run(a),
        Command::Cv(a) => commands::cv::run(a),
        Command::Demo(a) => commands::demo::run(a),
        Command::Probe(a) => commands::probe::run(a),
        Command::Experiment(a) => commands::experiment::run_cmd(a),
        Command::Report(a) => commands::report::run(a),
        Command::Explain(a) => commands::explain::run(a),
        Command::Serve(a) => commands::serve::run(a),
        Command::Completions(a) => commands::completions::run(a),
        Command::Pretrain(a) => commands::pretrain::run(a),
        Command::Tune(a) => commands::tune::run(a),
        Command::Export(a) => commands::export::run(a),
        Command::ImportKeras(a) => commands::import_keras::run(a),
        Command::Ensemble(a) => commands::ensemble::run(a),
    });
    match result {
        Ok(()) => 0,
        Err(e) => fail(e),
    }
}

/// A clap error (unknown flag, a value outside a closed set, …) as one line: clap's message,
/// with its notes — the possible values, a similar flag — as the hint.
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let message = lines.next().unwrap_or("bad command line").trim_start_matches("error: ").to_string();
    if let Some(head) = message.strip_suffix(':') {
        // "the following required arguments were not provided:" — the lines below are the
        // message's own list (`--out <FILE>`), not notes
        let listed: Vec<&str> = lines.take_while(|l| !l.starts_with("Usage:")).collect();
        return format!("{head}: {} (hint: see --help)", listed.join(", "));
    }
    let notes: Vec<&str> = lines
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(|l| l.trim_start_matches("tip: ").trim_start_matches('[').trim_end_matches(']'))
        .collect();
    match notes.is_empty() {
        true => format!("{message} (hint: see --help)"),
        false => format!("{message} (hint: {})", notes.join("; ")),
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
