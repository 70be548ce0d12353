//! Keras-style progress: a live bar per epoch when stderr is a terminal, and one line per
//! finished epoch (`Epoch 3/10 - 4.1s - loss: 0.4211 - val_accuracy: ...`), on stderr — none
//! under `-q`, and with the learning rate under `-v`. The level is the process's (set once in
//! `main` from the global flags), so every verb's progress obeys it without threading it through.
//!
//! Every float a line prints goes through [`float`], so a diverging loss prints as `2.500e28`,
//! not as a 29-digit number. In cross-validation and experiments a prefix says which fold (and
//! schedule) the epoch belongs to.

use std::fmt::Display;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
pub use strata_train::history::{epoch_line, float};
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

    fn on_note(&mut self, line: &str) {
        note(format_args!("{}{line}", self.prefix));
    }

    fn on_warning(&mut self, line: &str) {
        // under mpirun, rank 0 speaks for the job (every rank trains on the same data)
        if strata_train::ranks::is_root() {
            eprintln!("warning: {}{line}", self.prefix);
        }
    }

    fn on_epoch(&mut self, r: &EpochRecord) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        if verbosity() >= Verbosity::Verbose {
            note(format_args!("{}{} - lr: {}", self.prefix, epoch_line(r), float(f64::from(r.lr))));
        } else {
            note(format_args!("{}{}", self.prefix, epoch_line(r)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_rounded_however_large_or_small() {
        // issue 11 point 11: a loss of 2.5e28 printed as a 29-digit number
        assert_eq!(float(2.5e28), "2.500e28");
        assert_eq!(float(0.42114), "0.4211");
        assert_eq!(float(3e-6), "3.000e-6");
        assert_eq!(float(0.0), "0.0000");
        assert_eq!(float(f64::NAN), "NaN");
        let r = EpochRecord {
            stage: 1,
            stage_name: "all".into(),
            stages: 1,
            epoch: 1,
            epochs: 2,
            loss: 2.5e28,
            accuracy: 0.5,
            val_loss: Some(1e30),
            val_accuracy: Some(0.5),
            lr: 1e-3,
            seconds: 1.0,
        };
        let line = epoch_line(&r);
        assert!(line.len() < 100, "{line}");
        assert!(line.contains("loss: 2.500e28") && line.contains("val_loss: 1.000e30"), "{line}");
    }
}
