//! Helpers the golden tests share: reading nested JSON arrays and Keras's batch-major layout.

use serde_json::Value;

/// A nested JSON array of numbers, flattened row-major.
pub fn flat(v: &Value) -> Vec<f32> {
    match v {
        Value::Array(a) => a.iter().flat_map(flat).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap() as f32],
        other => panic!("unexpected {other}"),
    }
}

/// Keras's `[B, T, W]` as strata's time-major `[T, B, W]` (and back: the same permutation
/// with `b` and `t` swapped).
pub fn swap_batch_time(x: &[f32], b: usize, t: usize, w: usize) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    for bi in 0..b {
        for ti in 0..t {
            out[(ti * b + bi) * w..(ti * b + bi + 1) * w].copy_from_slice(&x[(bi * t + ti) * w..(bi * t + ti + 1) * w]);
        }
    }
    out
}

/// Reads a fixture of `tests/fixtures/`.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
