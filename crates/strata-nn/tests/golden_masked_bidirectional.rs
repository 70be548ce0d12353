//! Golden test of `--mask-padding` for the bidirectional wrapper: strata's
//! `bidirectional::forward_masked` against tf-keras's `Embedding(mask_zero=True) ->
//! Bidirectional(LSTM or GRU, merge_mode="concat")`, return_sequences true (zeros at masked
//! steps, both halves) and false, on pre- and post-padded ids with a row of no token at all.
//! `tests/reference/masked_fixtures.py` wrote the fixtures.

mod common;

use common::{masked_worst_difference, swap_batch_time};
use strata_nn::bidirectional::{forward_masked, BiCache, BiParams};
use strata_nn::{Cell, RnnParams};

/// The largest difference between strata and tf-keras over both paddings and both output kinds.
fn worst_difference(cell: Cell, name: &str) -> f32 {
    masked_worst_difference(name, |d, x, valid, w, last| {
        let p = BiParams {
            forward: RnnParams { kernel: &w[0], recurrent: &w[1], bias: &w[2] },
            backward: RnnParams { kernel: &w[3], recurrent: &w[4], bias: &w[5] },
        };
        let mut cache = BiCache::new(cell);
        forward_masked(d, x, p, valid, &mut cache);
        if last {
            cache.last.clone()
        } else {
            swap_batch_time(&cache.seq, d.t, d.b, 2 * d.h)
        }
    })
}

#[test]
fn masked_bidirectional_lstm_matches_tf_keras() {
    let worst = worst_difference(Cell::Lstm, "masked_bilstm.json");
    println!("Bidirectional(LSTM) with mask_zero=True vs tf-keras: max abs difference {worst:.2e}");
    assert!(worst < 1e-5, "masked bidirectional LSTM differs from tf-keras by {worst}");
}

#[test]
fn masked_bidirectional_gru_matches_tf_keras() {
    let worst = worst_difference(Cell::Gru, "masked_bigru.json");
    println!("Bidirectional(GRU) with mask_zero=True vs tf-keras: max abs difference {worst:.2e}");
    assert!(worst < 1e-5, "masked bidirectional GRU differs from tf-keras by {worst}");
}
