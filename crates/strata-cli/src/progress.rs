//! Keras-style progress: a live bar per epoch when stderr is a terminal, and one line per
//! finished epoch (`Epoch 3/10 - 4.1s - loss: ... - val_accuracy: ...`), on stderr — none
//! under `-q`, and with the learning rate under `-v`. The level is the process's (set once in
//! `main` from the global flags), so every verb's progress obeys it without threading it through.

use std::fmt::Display;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use strata_train::history::epoch_line;
use strata_train::{EpochRecord, Progress};

/// How much progress goes to stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// `-q`: no progress lines (results, warnings and errors still print).
    Quiet = 0,
    Normal = 1,
    /// `-v`: more detail.
    Verbose = 2,
}

static VERBOSITY: AtomicU8 = AtomicU8::new(Verbosity::Normal as u8);

pub fn set_verbosity(v: Verbosity) {
    VERBOSITY.store(v as u8, Ordering::Relaxed);
}

pub fn verbosity() -> Verbosity {
    match VERBOSITY.load(Ordering::Relaxed) {
        0 => Verbosity::Quiet,
        1 => Verbosity::Normal,
        _ => Verbosity::Verbose,
    }
}

/// A progress line on stderr, unless `-q`.
pub fn note(line: impl Display) {
    if verbosity() > Verbosity::Quiet {
        eprintln!("{line}");
    }
}

/// A detail line on stderr, only under `-v`.
pub fn detail(line: impl Display) {
    if verbosity() >= Verbosity::Verbose {
        eprintln!("{line}");
    }
}

pub struct EpochPrinter {
    bar: Option<ProgressBar>,
    interactive: bool,
    /// Printed before each epoch line (e.g. `Fold 3/10 `).
    pub prefix: String,
}

impl EpochPrinter {
    pub fn new() -> Self {
        let interactive = std::io::stderr().is_terminal() && verbosity() > Verbosity::Quiet;
        EpochPrinter { bar: None, interactive, prefix: String::new() }
    }
}

impl Progress for EpochPrinter {
    fn on_batch(&mut self, done: usize, total: usize) {
        if !self.interactive {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let b = ProgressBar::new(total as u64);
            b.set_style(
                ProgressStyle::with_template("{pos}/{len} [{bar:30}] {elapsed} eta {eta}")
                    .expect("template")
                    .progress_chars("=> "),
            );
            b
        });
        bar.set_position(done as u64);
    }

    fn on_epoch(&mut self, r: &EpochRecord) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        if verbosity() >= Verbosity::Verbose {
            note(format_args!("{}{} - lr: {:.3e}", self.prefix, epoch_line(r), r.lr));
        } else {
            note(format_args!("{}{}", self.prefix, epoch_line(r)));
        }
    }
}
