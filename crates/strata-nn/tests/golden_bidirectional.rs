//! Golden test: strata's bidirectional LSTM against tf-keras's
//! `Bidirectional(LSTM(3, return_sequences=rs), merge_mode="concat")` with identical weights.

mod common;

use common::{fixture, flat, swap_batch_time};
use strata_nn::bidirectional::{forward, BiCache, BiParams};
use strata_nn::Cell;

use strata_nn::{RnnDims, RnnParams};

#[test]
fn bidirectional_lstm_matches_tf_keras() {
    let fx = fixture("bidirectional.json");
    let n = |k: &str| fx[k].as_u64().unwrap() as usize;
    let d = RnnDims { b: n("B"), t: n("T"), e: n("E"), h: n("H") };
    let x = swap_batch_time(&flat(&fx["input"]), d.b, d.t, d.e);
    let mut worst = 0.0f32;
    for case in ["seq", "last"] {
        let w: Vec<Vec<f32>> = fx[case]["weights"].as_array().unwrap().iter().map(flat).collect();
        let p = BiParams {
            forward: RnnParams { kernel: &w[0], recurrent: &w[1], bias: &w[2] },
            backward: RnnParams { kernel: &w[3], recurrent: &w[4], bias: &w[5] },
        };
        let mut cache = BiCache::new(Cell::Lstm);
        forward(d, &x, p, &mut cache);
        let got = if case == "last" { cache.last.clone() } else { swap_batch_time(&cache.seq, d.t, d.b, 2 * d.h) };
        got.iter().zip(flat(&fx[case]["output"])).for_each(|(g, w)| worst = worst.max((g - w).abs()));
    }
    println!("Bidirectional(LSTM) vs tf-keras: max abs difference {worst:.2e}");
    assert!(worst < 1e-5, "bidirectional LSTM differs from tf-keras by {worst}");
}
