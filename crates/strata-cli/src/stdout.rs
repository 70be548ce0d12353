//! The one place where writing results to stdout can fail, and what a failure means.
//!
//! `println!` panics when stdout is a closed pipe (`strata predict … | head -1`) or a full disk
//! (`> /dev/full`). Here a closed pipe ends the program quietly with exit code 0, as ripgrep
//! and the Unix tools do (the reader has what it wanted), and any other write error is one
//! `error:` line and exit code 2. Commands that write much (predict) write through [`Out`] and
//! return [`StdoutError`]; `main` maps it. Every other `println!`/`print!` in the binary is the
//! macro of the same name in `main.rs`, which comes here through [`print`].

use std::fmt;
use std::io::{self, Write};

/// A failed write to stdout, carried up to `main` through `anyhow`.
#[derive(Debug)]
pub struct StdoutError(pub io::Error);

impl fmt::Display for StdoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write to stdout: {}", self.0)
    }
}

impl std::error::Error for StdoutError {}

impl From<io::Error> for StdoutError {
    fn from(e: io::Error) -> Self {
        StdoutError(e)
    }
}

/// Buffered stdout whose errors are [`StdoutError`]s.
pub struct Out(io::BufWriter<io::StdoutLock<'static>>);

impl Out {
    pub fn new() -> Self {
        Out(io::BufWriter::new(io::stdout().lock()))
    }

    pub fn line(&mut self, line: &str) -> Result<(), StdoutError> {
        self.0.write_all(line.as_bytes())?;
        Ok(self.0.write_all(b"\n")?)
    }

    pub fn flush(&mut self) -> Result<(), StdoutError> {
        Ok(self.0.flush()?)
    }
}

/// What a failed write to stdout ends the program with: a closed pipe is a quiet success;
/// anything else prints its one `error:` line and is exit code 2.
pub fn exit_code(e: &io::Error) -> u8 {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return 0;
    }
    let _ = writeln!(io::stderr(), "error: cannot write to stdout: {e} (hint: check that the disk has space)");
    2
}

/// Set on an MPI job's ranks other than 0, whose results rank 0 prints.
static MUTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Prints nothing more on stdout through [`print`] (a rank other than 0 of an MPI job).
pub fn mute() {
    MUTED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// `print!` that ends the program as [`exit_code`] says when stdout fails (it cannot return the
/// error to the `print!` call sites it replaces). Writes and flushes at once, so the text is out
/// before any later stderr line.
pub fn print(args: fmt::Arguments) {
    if MUTED.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        std::process::exit(exit_code(&e).into());
    }
}

/// `eprintln!`'s replacement: a line on stderr, or nothing if stderr cannot take it. Progress
/// and diagnostics have nowhere else to go, and losing them must not lose the run. The line is
/// formatted first and written in one piece: stderr is unbuffered, so `write_fmt` would make a
/// write for every literal and argument, and under `mpirun` — every rank's stderr forwarded to
/// one terminal — another rank's line could land inside this one.
pub fn diagnostic(args: fmt::Arguments) {
    let line = fmt::format(args);
    let _ = io::stderr().lock().write_all(line.as_bytes());
}
