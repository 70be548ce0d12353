//! The per-epoch log of a run: `history.csv` (what was learned) and `timings.csv` (how long it
//! took).
//!
//! Wall time is kept out of `history.csv` on purpose: with the same seed and thread count the
//! history is reproducible byte for byte, so `cmp` or `diff` of two runs' histories is a real
//! check; seconds never are, so they live in a file of their own.

use std::fmt::Write;

use crate::fit::EpochRecord;

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v:.8}"))
}

pub fn history_csv(records: &[EpochRecord]) -> String {
    let mut s = String::from("stage,epoch,loss,accuracy,val_loss,val_accuracy,lr\n");
    for r in records {
        let _ = writeln!(
            s,
            "{},{},{:.8},{:.8},{},{},{}",
            r.stage,
            r.epoch,
            r.loss,
            r.accuracy,
            opt(r.val_loss),
            opt(r.val_accuracy),
            r.lr
        );
    }
    s
}

pub fn timings_csv(records: &[EpochRecord]) -> String {
    let mut s = String::from("stage,epoch,seconds\n");
    for r in records {
        let _ = writeln!(s, "{},{},{:.3}", r.stage, r.epoch, r.seconds);
    }
    s
}

/// Keras's epoch line, prefixed by the stage in multi-stage schedules:
/// `Stage 2/3 [lstm_1 + aux head] Epoch 3/5 - 12.0s - loss: 0.4211 - accuracy: 0.8123 - ...`.
pub fn epoch_line(r: &EpochRecord) -> String {
    let mut s = String::new();
    if r.stages > 1 {
        let _ = write!(s, "Stage {}/{} [{}] ", r.stage, r.stages, r.stage_name);
    }
    let _ = write!(
        s,
        "Epoch {}/{} - {:.1}s - loss: {:.4} - accuracy: {:.4}",
        r.epoch, r.epochs, r.seconds, r.loss, r.accuracy
    );
    if let (Some(l), Some(a)) = (r.val_loss, r.val_accuracy) {
        let _ = write!(s, " - val_loss: {l:.4} - val_accuracy: {a:.4}");
    }
    s
}
