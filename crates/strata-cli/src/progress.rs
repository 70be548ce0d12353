//! Keras-style progress: a live bar per epoch when stderr is a terminal, and one line per
//! finished epoch (`Epoch 3/10 - 4.1s - loss: 0.4211 - val_accuracy: ...`) always, on stderr.
//!
//! Every float a line prints goes through [`float`], so a diverging loss prints as `2.500e28`,
//! not as a 29-digit number. In cross-validation and experiments a prefix says which fold (and
//! schedule) the epoch belongs to.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
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

/// `v` with 4 decimals where that says it (`0.4211`), in scientific notation with 4 significant
/// digits where it does not (`2.500e28`, `3.000e-6`).
pub fn float(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (1e-4..1e5).contains(&v.abs()) {
        format!("{v:.4}")
    } else {
        format!("{v:.3e}")
    }
}

/// Keras's epoch line, prefixed by the stage in multi-stage schedules:
/// `Stage 2/3 [lstm_1 + aux head] Epoch 3/5 - 12.0s - loss: 0.4211 - accuracy: 0.8123 - ...`.
pub fn epoch_line(r: &EpochRecord) -> String {
    let mut s = String::new();
    if r.stages > 1 {
        s += &format!("Stage {}/{} [{}] ", r.stage, r.stages, r.stage_name);
    }
    s += &format!(
        "Epoch {}/{} - {:.1}s - loss: {} - accuracy: {}",
        r.epoch,
        r.epochs,
        r.seconds,
        float(r.loss),
        float(r.accuracy)
    );
    if let (Some(l), Some(a)) = (r.val_loss, r.val_accuracy) {
        s += &format!(" - val_loss: {} - val_accuracy: {}", float(l), float(a));
    }
    s
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
