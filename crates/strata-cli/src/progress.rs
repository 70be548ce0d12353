//! Keras-style progress: a live bar per epoch when stderr is a terminal, and one line per
//! finished epoch (`Epoch 3/10 - 4.1s - loss: ... - val_accuracy: ...`) always, on stderr.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use strata_train::history::epoch_line;
use strata_train::{EpochRecord, Progress};

pub struct EpochPrinter {
    bar: Option<ProgressBar>,
    interactive: bool,
    /// Printed before each epoch line (e.g. `Fold 3/10 `).
    pub prefix: String,
}

impl EpochPrinter {
    pub fn new() -> Self {
        EpochPrinter { bar: None, interactive: std::io::stderr().is_terminal(), prefix: String::new() }
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
        eprintln!("{}{}", self.prefix, epoch_line(r));
    }
}
