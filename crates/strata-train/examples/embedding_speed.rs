//! What the embedding level costs per batch, apart from the rest of a step: the scatter of the
//! gradient at the embedding output into the table's gradient (and its clearing after the
//! step), on a batch shaped like MR's under the seed's settings — so a change to that scatter
//! can be measured alone, without the LSTM's time around it.
//!
//! The batch: B = 32 texts of T = 100 ids, a share of them padding (id 0; MR's sentences
//! average 21 tokens, so ~79 %), the rest log-uniform over `[1, V)` as word frequencies roughly
//! are; V = 20,000, E = 128, one chunk per thread. Prints one JSON line (µs per batch).
//!
//! Usage: embedding_speed [--threads 2] [--batches 2000] [--padding 0.79]

use std::time::Instant;

use strata_nn::Rng;
use strata_train::embedding_grad::{self, ChunkGrad};

const V: usize = 20_000;
const E: usize = 128;
const B: usize = 32;
const T: usize = 100;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: &str| {
        args.iter().position(|a| a == name).map_or(default.to_string(), |i| args[i + 1].clone())
    };
    let threads: usize = flag("--threads", "2").parse().unwrap();
    let batches: usize = flag("--batches", "2000").parse().unwrap();
    let padding: f32 = flag("--padding", "0.79").parse().unwrap();
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().unwrap();
    let mut rng = Rng::new(7);
    // a few distinct batches, cycled, so the timing is not one batch's cache state
    let sets: Vec<(Vec<u32>, Vec<f32>)> = (0..8)
        .map(|_| {
            let ids = (0..B * T)
                .map(|_| {
                    if rng.uniform(0.0, 1.0) < padding {
                        0
                    } else {
                        ((V as f32).powf(rng.uniform(0.0, 1.0)) as usize).clamp(1, V - 1) as u32
                    }
                })
                .collect();
            let demb = (0..T * B * E).map(|_| rng.uniform(-1.0, 1.0)).collect();
            (ids, demb)
        })
        .collect();
    let per = B.div_ceil(threads);
    let mut grad = vec![0.0f32; V * E];
    let mut run = |n: usize| {
        let started = Instant::now();
        for i in 0..n {
            let (ids, demb) = &sets[i % sets.len()];
            // one chunk per thread, each with its own `[T, b, E]` slice of the gradient
            let chunks: Vec<ChunkGrad> = (0..B)
                .step_by(per)
                .map(|s| {
                    let b = per.min(B - s);
                    ChunkGrad { ids: &ids[s * T..(s + b) * T], b, demb: &demb[s * T * E..(s + b) * T * E] }
                })
                .collect();
            embedding_grad::scatter(&mut grad, E, T, &chunks);
            embedding_grad::clear(&mut grad, E, ids);
        }
        started.elapsed().as_secs_f64()
    };
    run(batches / 10); // warm-up
    let seconds = run(batches);
    println!(
        "{{\"what\": \"embedding scatter + clear\", \"v\": {V}, \"e\": {E}, \"b\": {B}, \"t\": {T}, \"padding\": {padding}, \"threads\": {threads}, \"batches\": {batches}, \"us_per_batch\": {:.1}}}",
        seconds * 1e6 / batches as f64
    );
}
