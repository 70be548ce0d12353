//! Golden test: strata's LSTM forward against tf-keras's `LSTM` with identical weights.
//!
//! Fixture from `tests/reference/make_fixtures.py`:
//! ```python
//! layer = tf.keras.layers.LSTM(4, return_sequences=rs)   # rs in (True, False)
//! layer.set_weights([kernel, recurrent_kernel, bias])     # bias random, to test gate order
//! y = layer(x)                                            # x: (3, 5, 6)
//! ```

use serde_json::Value;
use strata_nn::lstm::{forward, LstmCache, LstmDims, LstmParams};

fn flat(v: &Value) -> Vec<f32> {
    match v {
        Value::Array(a) => a.iter().flat_map(flat).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap() as f32],
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn lstm_forward_matches_tf_keras() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/lstm.json");
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let n = |k: &str| fx[k].as_u64().unwrap() as usize;
    let d = LstmDims { b: n("B"), t: n("T"), e: n("E"), h: n("H") };
    let x_bte = flat(&fx["input"]);
    // batch-major [B, T, E] → time-major [T, B, E]
    let mut x = vec![0.0; x_bte.len()];
    for b in 0..d.b {
        for t in 0..d.t {
            let src = (b * d.t + t) * d.e;
            let dst = (t * d.b + b) * d.e;
            x[dst..dst + d.e].copy_from_slice(&x_bte[src..src + d.e]);
        }
    }
    let mut worst = 0.0f32;
    for case in ["seq", "last"] {
        let c = &fx[case];
        let (k, u, bias) = (flat(&c["kernel"]), flat(&c["recurrent_kernel"]), flat(&c["bias"]));
        let mut cache = LstmCache::default();
        forward(d, &x, LstmParams { kernel: &k, recurrent: &u, bias: &bias }, &mut cache);
        let want = flat(&c["output"]);
        if case == "last" {
            for (g, w) in cache.last(d).iter().zip(&want) {
                worst = worst.max((g - w).abs());
            }
        } else {
            let out = cache.outputs(d); // [T, B, H]; Keras gives [B, T, H]
            for b in 0..d.b {
                for t in 0..d.t {
                    for j in 0..d.h {
                        let g = out[(t * d.b + b) * d.h + j];
                        let w = want[(b * d.t + t) * d.h + j];
                        worst = worst.max((g - w).abs());
                    }
                }
            }
        }
    }
    println!("LSTM vs tf-keras: max abs difference {worst:.2e}");
    assert!(worst < 1e-5, "LSTM differs from tf-keras by {worst}");
}
