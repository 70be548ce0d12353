//! Golden test: strata's GRU forward against tf-keras's `GRU` (reset_after=True) with identical
//! weights. Fixture from `tests/reference/make_fixtures.py`:
//! ```python
//! layer = tf.keras.layers.GRU(4, return_sequences=rs)    # rs in (True, False)
//! layer.set_weights([kernel, recurrent_kernel, bias])     # bias [2, 12], random
//! y = layer(x)                                            # x: (3, 5, 6)
//! ```

use serde_json::Value;
use strata_nn::gru::{forward, GruCache, GruDims, GruParams};

fn flat(v: &Value) -> Vec<f32> {
    match v {
        Value::Array(a) => a.iter().flat_map(flat).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap() as f32],
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn gru_forward_matches_tf_keras() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/gru.json");
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let n = |k: &str| fx[k].as_u64().unwrap() as usize;
    let d = GruDims { b: n("B"), t: n("T"), e: n("E"), h: n("H") };
    let x_bte = flat(&fx["input"]);
    let mut x = vec![0.0; x_bte.len()];
    for b in 0..d.b {
        for t in 0..d.t {
            x[(t * d.b + b) * d.e..(t * d.b + b + 1) * d.e]
                .copy_from_slice(&x_bte[(b * d.t + t) * d.e..(b * d.t + t + 1) * d.e]);
        }
    }
    let mut worst = 0.0f32;
    for case in ["seq", "last"] {
        let c = &fx[case];
        let (k, u, bias) = (flat(&c["kernel"]), flat(&c["recurrent_kernel"]), flat(&c["bias"]));
        let mut cache = GruCache::default();
        forward(d, &x, GruParams { kernel: &k, recurrent: &u, bias: &bias }, &mut cache);
        let want = flat(&c["output"]);
        if case == "last" {
            cache.last(d).iter().zip(&want).for_each(|(g, w)| worst = worst.max((g - w).abs()));
        } else {
            let out = cache.outputs(d);
            for b in 0..d.b {
                for t in 0..d.t {
                    for j in 0..d.h {
                        worst = worst.max((out[(t * d.b + b) * d.h + j] - want[(b * d.t + t) * d.h + j]).abs());
                    }
                }
            }
        }
    }
    println!("GRU vs tf-keras: max abs difference {worst:.2e}");
    assert!(worst < 1e-5, "GRU differs from tf-keras by {worst}");
}
