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

/// The largest difference between strata and tf-keras over a masked fixture's cases (pre- and
/// post-padding, each with a `seq` and a `last` output, as `tests/reference/masked_fixtures.py`
/// writes them). `run(d, x, valid, weights, last)` runs strata's layer on the time-major input
/// `x: [T, B, E]` with `valid: [T, B]` and gives its output batch-major, as Keras's is.
#[allow(dead_code)] // only the masked golden tests read masked fixtures
pub fn masked_worst_difference(
    name: &str,
    run: impl Fn(strata_nn::RnnDims, &[f32], &[bool], &[Vec<f32>], bool) -> Vec<f32>,
) -> f32 {
    let fx = fixture(name);
    let n = |k: &str| fx[k].as_u64().unwrap() as usize;
    let d = strata_nn::RnnDims { b: n("B"), t: n("T"), e: n("E"), h: n("H") };
    let mut worst = 0.0f32;
    for padding in ["pre", "post"] {
        let case = &fx[padding];
        let x = swap_batch_time(&flat(&case["input"]), d.b, d.t, d.e);
        let mask = flat(&case["mask"]); // Keras's [B, T]
        let valid: Vec<bool> = (0..d.t * d.b).map(|i| mask[(i % d.b) * d.t + i / d.b] != 0.0).collect();
        for output in ["seq", "last"] {
            let w: Vec<Vec<f32>> = case[output]["weights"].as_array().unwrap().iter().map(flat).collect();
            let got = run(d, &x, &valid, &w, output == "last");
            let want = flat(&case[output]["output"]);
            assert_eq!(got.len(), want.len(), "{name} {padding} {output}: output size");
            got.iter().zip(want).for_each(|(g, w)| worst = worst.max((g - w).abs()));
        }
    }
    worst
}
