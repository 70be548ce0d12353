//! What `--mask-padding` saves in the recurrent kernels: forward + backward of one chunk
//! (B = 16 texts, T = 100 steps, E = 128, H = 128), unmasked, masked with every step real
//! (the packing's overhead) and masked with 80 % padding (real data's share), for both cells.
//! Usage: cargo run --release -p strata-nn --example masked_rnn_speed
use std::time::Instant;

use strata_nn::{Cell, Rng, RnnCache, RnnDims, RnnGrads, RnnOutputGrads, RnnParams};

fn main() {
    let d = RnnDims { b: 16, t: 100, e: 128, h: 128 };
    let mut rng = Rng::new(1);
    let mut r = |n: usize, s: f32| (0..n).map(|_| rng.uniform(-s, s)).collect::<Vec<f32>>();
    let x = r(d.t * d.b * d.e, 1.0);
    let dlast = r(d.b * d.h, 1.0);
    let all_real = vec![true; d.t * d.b];
    // pre-padded texts of 20 real steps: the last 20 steps of each row
    let fifth: Vec<bool> = (0..d.t * d.b).map(|i| i / d.b >= d.t - d.t / 5).collect();
    for cell in [Cell::Lstm, Cell::Gru] {
        let g = cell.gates() * d.h;
        let (k, u) = (r(d.e * g, 0.1), r(d.h * g, 0.1));
        let bias = r(cell.bias_shape(d.h).iter().product(), 0.1);
        let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
        let (mut dk, mut du, mut db, mut dx) =
            (vec![0.0; k.len()], vec![0.0; u.len()], vec![0.0; bias.len()], vec![0.0; x.len()]);
        let mut cache = RnnCache::new(cell);
        let mut time = |valid: Option<&[bool]>| {
            let reps = 40;
            let start = Instant::now();
            for _ in 0..reps {
                match valid {
                    Some(v) => cache.forward_masked(d, &x, p, v),
                    None => cache.forward(d, &x, p),
                }
                let grads = RnnGrads { kernel: &mut dk, recurrent: &mut du, bias: &mut db };
                cache.backward(d, &x, p, RnnOutputGrads { seq: None, last: Some(&dlast) }, grads, Some(&mut dx));
            }
            start.elapsed().as_secs_f64() * 1e3 / reps as f64
        };
        let (plain, real, padded) = (time(None), time(Some(&all_real)), time(Some(&fifth)));
        println!(
            "{cell:?}: unmasked {plain:.2} ms, masked all real {real:.2} ms, masked 80% padding {padded:.2} ms \
             (forward + backward of one [{}, {}] chunk)",
            d.t, d.b
        );
    }
}
