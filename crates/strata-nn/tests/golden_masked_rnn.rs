//! Golden test of `--mask-padding`: strata's masked LSTM and GRU (`RnnCache::forward_masked`)
//! against tf-keras's `Embedding(mask_zero=True) -> LSTM / GRU`, return_sequences true and
//! false, on pre- and post-padded ids with a row of no token at all. The fixtures hold the
//! embedding's output (padding rows included, which are not zero), the mask and the weights;
//! `tests/reference/masked_fixtures.py` wrote them.

mod common;

use common::{fixture, flat, swap_batch_time};
use serde_json::Value;
use strata_nn::{Cell, RnnCache, RnnDims, RnnParams};

/// Keras's `[B, T]` 0/1 mask as strata's time-major `[T, B]` validity.
fn validity(mask: &Value, b: usize, t: usize) -> Vec<bool> {
    let m = flat(mask);
    (0..t * b).map(|i| m[(i % b) * t + i / b] != 0.0).collect()
}

/// The largest difference between strata and tf-keras over both paddings and both output kinds.
fn worst_difference(cell: Cell, name: &str) -> f32 {
    let fx = fixture(name);
    let n = |k: &str| fx[k].as_u64().unwrap() as usize;
    let d = RnnDims { b: n("B"), t: n("T"), e: n("E"), h: n("H") };
    let mut worst = 0.0f32;
    for padding in ["pre", "post"] {
        let case = &fx[padding];
        let x = swap_batch_time(&flat(&case["input"]), d.b, d.t, d.e);
        let valid = validity(&case["mask"], d.b, d.t);
        for output in ["seq", "last"] {
            let w: Vec<Vec<f32>> = case[output]["weights"].as_array().unwrap().iter().map(flat).collect();
            let mut cache = RnnCache::new(cell);
            cache.forward_masked(d, &x, RnnParams { kernel: &w[0], recurrent: &w[1], bias: &w[2] }, &valid);
            let got = if output == "last" {
                cache.last(d).to_vec()
            } else {
                swap_batch_time(cache.outputs(d), d.t, d.b, d.h)
            };
            let want = flat(&case[output]["output"]);
            assert_eq!(got.len(), want.len(), "{name} {padding} {output}: output size");
            got.iter().zip(want).for_each(|(g, w)| worst = worst.max((g - w).abs()));
        }
    }
    worst
}

#[test]
fn masked_lstm_matches_tf_keras() {
    let worst = worst_difference(Cell::Lstm, "masked_lstm.json");
    println!("LSTM with mask_zero=True vs tf-keras: max abs difference {worst:.2e}");
    assert!(worst < 1e-5, "masked LSTM differs from tf-keras by {worst}");
}

#[test]
fn masked_gru_matches_tf_keras() {
    let worst = worst_difference(Cell::Gru, "masked_gru.json");
    println!("GRU with mask_zero=True vs tf-keras: max abs difference {worst:.2e}");
    assert!(worst < 1e-5, "masked GRU differs from tf-keras by {worst}");
}
