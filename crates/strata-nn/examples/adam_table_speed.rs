//! What Keras's dense Adam step of a big embedding table costs alone, against what memory
//! allows: bilstm's `[20000, 300]` table with the ~1,830 rows a batch of 32 × 60 uniform ids
//! uses, on one thread. Prints, per step (median and min of 40): the dense step; a loop that only
//! scales the weights and both moments (the same 24 bytes a value read and written, no square
//! root or division: the memory floor); and the dense step over a table small enough for L2,
//! scaled to the table's size (the arithmetic floor). What any rework of the table's step can
//! win without changing its numbers: the distance from the dense step down to the larger floor
//! (every row's square root and division stay).
//!
//! Usage: cargo run --release -p strata-nn --example adam_table_speed [V] [E] [USED]
use std::time::Instant;

use strata_nn::optim::{Adam, ParamRange, TableRows};
use strata_nn::Rng;

/// Median and min µs of `f` over 40 runs.
fn time(mut f: impl FnMut()) -> (f64, f64) {
    let mut us: Vec<f64> = (0..40)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    us.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (us[us.len() / 2], us[0])
}

/// µs per dense step of a `[v, e]` table with `used` rows drawn at random for each step.
fn dense_step(v: usize, e: usize, used: usize) -> (f64, f64) {
    let mut rng = Rng::new(5);
    let batches: Vec<Vec<u32>> = (0..41)
        .map(|_| {
            let mut ids: Vec<u32> = (0..used).map(|_| rng.below(v) as u32).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        })
        .collect();
    let grads: Vec<f32> = (0..used * e).map(|_| rng.uniform(-1e-3, 1e-3)).collect();
    let mut params: Vec<f32> = (0..v * e).map(|_| rng.uniform(-0.05, 0.05)).collect();
    let mut adam = Adam::new(params.len(), 3e-4);
    // moments written once, as after a first step (a fresh zeroed allocation would fault its
    // pages in during the first timed step)
    adam.m.fill(1e-4);
    adam.v.fill(1e-6);
    let table = 0..v * e;
    let groups = [ParamRange { range: table.clone(), lr_mult: 1.0 }];
    let mut step = 0;
    time(|| {
        let ids = &batches[step];
        step += 1;
        let rows = TableRows { table: &table, width: e, ids, grads: &grads[..ids.len() * e], lazy: false };
        adam.step_lazy(&mut params, &[], &groups, Some(rows));
    })
}

fn main() {
    let arg = |i: usize, d: usize| std::env::args().nth(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (v, e, used) = (arg(1, 20_000), arg(2, 300), arg(3, 1_830));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    pool.install(|| {
        let dense = dense_step(v, e, used);
        let (mut p, mut m, mut s) = (vec![0.01f32; v * e], vec![0.02f32; v * e], vec![0.03f32; v * e]);
        let memory = time(|| {
            for ((p, m), s) in p.iter_mut().zip(&mut m).zip(&mut s) {
                *m *= 0.9;
                *s *= 0.999;
                *p -= *m * *s;
            }
        });
        // 2,000 rows of 300 values: 7 MB of state, in L2 and L3 rather than memory
        let small_v = (600_000 / e).max(1);
        let small = dense_step(small_v, e, used * small_v / v);
        let scale = v as f64 / small_v as f64;
        println!(
            "{{\"v\":{v},\"e\":{e},\"dense_us\":[{:.0},{:.0}],\"memory_floor_us\":[{:.0},{:.0}],\"arithmetic_floor_us\":[{:.0},{:.0}]}}",
            dense.0,
            dense.1,
            memory.0,
            memory.1,
            small.0 * scale,
            small.1 * scale
        );
    });
}
