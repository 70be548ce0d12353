//! What the embedding level costs per batch, apart from the rest of a step: the scatter of the
//! gradient at the embedding output into the table's gradient (and its clearing after the
//! step), on a batch shaped like MR's under the seed's settings — so a change to that scatter
//! can be measured alone, without the LSTM's time around it.
//!
//! The batch: B = 32 texts of T = 100 ids, a share of them padding (id 0; MR's sentences
//! average 21 tokens, so ~79 %), the rest log-uniform over `[1, V)` as word frequencies roughly
//! are; V = 20,000, E = 128, one chunk per thread. The scatter that issue 14 replaced (one
//! add of E values into the table per id occurrence, rows dealt to threads by `id % threads`)
//! is kept here as the baseline, and the two run in alternating rounds so that a busy machine
//! slows both alike. Prints one JSON line: each one's median µs per batch, and the ratio.
//!
//! Usage: embedding_speed [--threads 2] [--batches 500] [--rounds 5] [--padding 0.79]

use std::time::Instant;

use rayon::prelude::*;

use strata_nn::Rng;
use strata_train::embedding_grad::{ChunkGrad, EmbeddingGrad};

const V: usize = 20_000;
const E: usize = 128;
const B: usize = 32;
const T: usize = 100;

/// The scatter before issue 14: every thread walks every occurrence and adds the rows it owns
/// (`id % threads`) straight into the `[V, E]` gradient; `clear_each` zeroes every occurrence's
/// row.
fn scatter_each(grad: &mut [f32], chunks: &[ChunkGrad]) {
    let parts = rayon::current_num_threads();
    owned_rows(grad, parts).into_par_iter().enumerate().for_each(|(p, mut rows)| {
        for c in chunks {
            for (bi, row_ids) in c.ids.chunks_exact(T).enumerate() {
                for (ti, &id) in row_ids.iter().enumerate() {
                    let id = id as usize;
                    if id % parts == p {
                        let at = (ti * c.b + bi) * E;
                        rows[id / parts].iter_mut().zip(&c.demb[at..at + E]).for_each(|(d, s)| *d += s);
                    }
                }
            }
        }
    });
}

fn clear_each(grad: &mut [f32], ids: &[u32]) {
    let parts = rayon::current_num_threads();
    owned_rows(grad, parts).into_par_iter().enumerate().for_each(|(p, mut rows)| {
        for &id in ids.iter().filter(|&&id| id as usize % parts == p) {
            rows[id as usize / parts].fill(0.0);
        }
    });
}

/// The table's rows dealt to `parts` threads: thread p owns rows p, p + parts, …
fn owned_rows(table: &mut [f32], parts: usize) -> Vec<Vec<&mut [f32]>> {
    let mut out: Vec<Vec<&mut [f32]>> = (0..parts).map(|_| Vec::new()).collect();
    for (i, row) in table.chunks_exact_mut(E).enumerate() {
        out[i % parts].push(row);
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: &str| {
        args.iter().position(|a| a == name).map_or(default.to_string(), |i| args[i + 1].clone())
    };
    let threads: usize = flag("--threads", "2").parse().unwrap();
    let batches: usize = flag("--batches", "500").parse().unwrap();
    let rounds: usize = flag("--rounds", "5").parse().unwrap();
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
    let mut sums = EmbeddingGrad::new(V, E, E);
    let batch = |i: usize| {
        let (ids, demb) = &sets[i % sets.len()];
        // one chunk per thread, each with its own `[T, b, E]` slice of the gradient
        let chunks: Vec<ChunkGrad> = (0..B)
            .step_by(per)
            .map(|s| {
                let b = per.min(B - s);
                ChunkGrad { ids: &ids[s * T..(s + b) * T], b, demb: &demb[s * T * E..(s + b) * T * E] }
            })
            .collect();
        (ids, chunks)
    };
    let mut per_id = |n: usize| {
        let started = Instant::now();
        for i in 0..n {
            let (_, chunks) = batch(i);
            sums.sum(T, &chunks);
            sums.scatter_into(&mut grad);
            sums.clear_from(&mut grad);
        }
        started.elapsed().as_secs_f64() * 1e6 / n as f64
    };
    let mut dense = vec![0.0f32; V * E];
    let mut each = |n: usize| {
        let started = Instant::now();
        for i in 0..n {
            let (ids, chunks) = batch(i);
            scatter_each(&mut dense, &chunks);
            clear_each(&mut dense, ids);
        }
        started.elapsed().as_secs_f64() * 1e6 / n as f64
    };
    per_id(batches / 10); // warm-up
    each(batches / 10);
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        before.push(each(batches));
        after.push(per_id(batches));
    }
    let (before, after) = (median(before), median(after));
    println!(
        "{{\"what\": \"embedding gradient scatter + clear, µs per batch (median of {rounds} alternating rounds)\", \"v\": {V}, \"e\": {E}, \"b\": {B}, \"t\": {T}, \"padding\": {padding}, \"threads\": {threads}, \"per_occurrence\": {before:.1}, \"per_unique_id\": {after:.1}, \"speedup\": {:.2}}}",
        before / after
    );
}
