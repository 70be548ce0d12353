//! Forward + backward (with `dx`) of the seed model's LSTM on one thread's chunk: B = 16 texts,
//! T = 100 steps, E = 128, H = 64 (`model_speed --model e2e --threads 2`), repeated `REPS`
//! times (argument; 200 by default). Time it with `/usr/bin/time -f %U`: user time per rep
//! moves less with load than wall time does.
//! Usage: cargo run --release -p strata-nn --example lstm_layer_speed [REPS]
use std::time::Instant;

use strata_nn::{Cell, Rng, RnnCache, RnnDims, RnnGrads, RnnOutputGrads, RnnParams};

fn main() {
    let reps: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let d = RnnDims { b: 16, t: 100, e: 128, h: 64 };
    let mut rng = Rng::new(1);
    let mut r = |n: usize, s: f32| (0..n).map(|_| rng.uniform(-s, s)).collect::<Vec<f32>>();
    let x = r(d.t * d.b * d.e, 1.0);
    let dlast = r(d.b * d.h, 1.0);
    let g = 4 * d.h;
    let (k, u, bias) = (r(d.e * g, 0.1), r(d.h * g, 0.1), r(g, 0.1));
    let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
    let (mut dk, mut du, mut db, mut dx) =
        (vec![0.0; k.len()], vec![0.0; u.len()], vec![0.0; bias.len()], vec![0.0; x.len()]);
    let mut cache = RnnCache::new(Cell::Lstm);
    let start = Instant::now();
    for _ in 0..reps {
        cache.forward(d, &x, p);
        let dy = RnnOutputGrads { seq: None, last: Some(&dlast) };
        let grads = RnnGrads { kernel: &mut dk, recurrent: &mut du, bias: &mut db };
        cache.backward(d, &x, p, dy, grads, Some(&mut dx));
    }
    let ms = start.elapsed().as_secs_f64() * 1e3 / reps as f64;
    println!("lstm 16x100 e128 h64: {ms:.3} ms a forward + backward (wall), checksum {}", dx[7] + du[3]);
}
