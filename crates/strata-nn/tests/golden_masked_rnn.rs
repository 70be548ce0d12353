//! Golden test of `--mask-padding`: strata's masked LSTM and GRU (`RnnCache::forward_masked`)
//! against tf-keras's `Embedding(mask_zero=True) -> LSTM / GRU`, return_sequences true and
//! false, on pre- and post-padded ids with a row of no token at all. The fixtures hold the
//! embedding's output (padding rows included, which are not zero), the mask and the weights;
//! `tests/reference/masked_fixtures.py` wrote them.

mod common;

use common::{masked_worst_difference, swap_batch_time};
use strata_nn::{Cell, RnnCache, RnnParams};

/// The largest difference between strata and tf-keras over both paddings and both output kinds.
fn worst_difference(cell: Cell, name: &str) -> f32 {
    masked_worst_difference(name, |d, x, valid, w, last| {
        let mut cache = RnnCache::new(cell);
        cache.forward_masked(d, x, RnnParams { kernel: &w[0], recurrent: &w[1], bias: &w[2] }, valid);
        if last {
            cache.last(d).to_vec()
        } else {
            swap_batch_time(cache.outputs(d), d.t, d.b, d.h)
        }
    })
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
