//! Golden test: strata's GRU forward against tf-keras's `GRU` (reset_after=True) with identical
//! weights. Fixture from `tests/reference/make_fixtures.py`:
//! ```python
//! layer = tf.keras.layers.GRU(4, return_sequences=rs)    # rs in (True, False)
//! layer.set_weights([kernel, recurrent_kernel, bias])     # bias [2, 12], random
//! y = layer(x)                                            # x: (3, 5, 6)
//! ```

mod common;

use common::{fixture, flat, swap_batch_time};
use strata_nn::gru::{forward, GruCache};
use strata_nn::{RnnDims, RnnParams};

#[test]
fn gru_forward_matches_tf_keras() {
    let fx = fixture("gru.json");
    let n = |k: &str| fx[k].as_u64().unwrap() as usize;
    let d = RnnDims { b: n("B"), t: n("T"), e: n("E"), h: n("H") };
    let x = swap_batch_time(&flat(&fx["input"]), d.b, d.t, d.e);
    let mut worst = 0.0f32;
    for case in ["seq", "last"] {
        let c = &fx[case];
        let (k, u, bias) = (flat(&c["kernel"]), flat(&c["recurrent_kernel"]), flat(&c["bias"]));
        let mut cache = GruCache::default();
        forward(d, &x, RnnParams { kernel: &k, recurrent: &u, bias: &bias }, &mut cache);
        let got =
            if case == "last" { cache.last(d).to_vec() } else { swap_batch_time(cache.outputs(d), d.t, d.b, d.h) };
        got.iter().zip(flat(&c["output"])).for_each(|(g, w)| worst = worst.max((g - w).abs()));
    }
    println!("GRU vs tf-keras: max abs difference {worst:.2e}");
    assert!(worst < 1e-5, "GRU differs from tf-keras by {worst}");
}
