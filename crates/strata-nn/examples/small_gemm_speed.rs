//! Throughput of the seed LSTM's products under each kernel set this CPU runs: the per-step
//! recurrent products (`matmul`) and the big GEMMs of a 16-row chunk over 100 steps (`gemm`:
//! the input projection, the two weight gradients, and `dx`).
//! Usage: cargo run --release -p strata-nn --example small_gemm_speed [CASE]
//!
//! Wall-clock rates mean little on a loaded machine; with `CASE` (a substring of a line's name,
//! e.g. `16x64x256`) only the matching products run, under the one kernel set `STRATA_KERNELS`
//! picks (all sets otherwise), and each line also gives the FLOP done, so that
//! `perf stat -e cycles:u` over the run gives FLOP per cycle, which load does not move
//! (peak on a Zen 4 core: 32, one 512-bit FMA a cycle).
use std::time::Instant;
use strata_nn::gemm::{gemm_with, Gemm};
use strata_nn::kernels::Kernels;
use strata_nn::small_gemm::matmul_with;

/// GFLOP/s of `f` doing `2·m·k·n` FLOP a call, over ~`2·10^9·scale` FLOP; and the FLOP done.
fn rate(m: usize, k: usize, n: usize, scale: usize, mut f: impl FnMut()) -> (f64, f64) {
    let reps = (scale * 1_000_000_000 / (m * k * n)).max(1);
    f();
    let t = Instant::now();
    for _ in 0..reps {
        f();
    }
    let flop = 2.0 * (m * k * n) as f64 * (reps + 1) as f64;
    (flop * reps as f64 / (reps + 1) as f64 / 1e9 / t.elapsed().as_secs_f64(), flop)
}

fn main() {
    let only = std::env::args().nth(1);
    // with a case, the one set STRATA_KERNELS picks, so that a perf count is of one kernel
    let sets: Vec<Kernels> = match only {
        Some(_) => vec![strata_nn::kernels::active()],
        None => Kernels::available().collect(),
    };
    // one case does 5·10^10 FLOP (~0.5 s on one core), long enough for user time's 10 ms resolution
    let scale = if only.is_some() { 25 } else { 1 };
    let wanted = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    let line = |name: &str, (m, k, n): (usize, usize, usize), run: &mut dyn FnMut(Kernels)| {
        let mut flop = 0.0;
        let rates: Vec<String> = sets
            .iter()
            .map(|&ks| {
                let (r, f) = rate(m, k, n, scale, || run(ks));
                flop += f;
                format!("{ks} {r:.1}")
            })
            .collect();
        println!("{name}: {} GFLOP/s ({flop:.3e} FLOP)", rates.join(", "));
    };
    let fill = |len: usize, r: usize| (0..len).map(|i| (i % r) as f32 * 0.01).collect::<Vec<f32>>();
    for &(m, k, n) in &[(16, 64, 256), (16, 256, 64), (128, 64, 256)] {
        let name = format!("matmul {m}x{k}x{n}");
        if !wanted(&name) {
            continue;
        }
        let (a, b, mut c) = (fill(m * k, 7), fill(k * n, 5), vec![0f32; m * n]);
        line(&name, (m, k, n), &mut |ks| matmul_with(ks, (m, k, n), &a, &b, true, &mut c));
    }
    let (tb, e, g) = (1600, 128, 256);
    let cases = [
        ("x·W", Gemm::new(tb, e, g)),
        ("xᵀ·dz", Gemm::new(e, tb, g).transpose_a().accumulate()),
        ("hᵀ·dz", Gemm::new(g / 4, tb, g).transpose_a().accumulate()),
        ("dz·Wᵀ", Gemm::new(tb, g, e).transpose_b()),
    ];
    for (what, gm) in cases {
        let name = format!("gemm {what} {}x{}x{}", gm.m, gm.k, gm.n);
        if !wanted(&name) {
            continue;
        }
        let (a, b, mut c) = (fill(gm.m * gm.k, 7), fill(gm.k * gm.n, 5), vec![0f32; gm.m * gm.n]);
        line(&name, (gm.m, gm.k, gm.n), &mut |ks| gemm_with(ks, gm, &a, &b, &mut c));
    }
}
