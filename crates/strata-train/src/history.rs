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

/// `v` with 4 decimals where that says it (`0.4211`), in scientific notation with 4 significant
/// digits where it does not (`2.500e28`, `3.000e-6`).
pub fn float(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (1e-4..1e5).contains(&v.abs()) {
        format!("{v:.4}")
    } else {
        format!("{v:.3e}")
    }
}

/// `1234567` as `1,234,567`: counts and rates in progress lines.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
