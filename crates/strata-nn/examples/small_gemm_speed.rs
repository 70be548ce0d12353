//! Throughput of the seed LSTM's products under each kernel set this CPU runs: the per-step
//! recurrent products (`matmul`) and the big GEMMs of a 16-row chunk over 100 steps (`gemm`:
//! the input projection, the two weight gradients, and `dx`).
//! Usage: cargo run --release -p strata-nn --example small_gemm_speed
use std::time::Instant;
use strata_nn::gemm::{gemm_with, Gemm};
use strata_nn::kernels::Kernels;
use strata_nn::small_gemm::matmul_with;

/// GFLOP/s of `f` doing `2·m·k·n` FLOP a call, over ~2·10^9 FLOP.
fn rate(m: usize, k: usize, n: usize, mut f: impl FnMut()) -> f64 {
    let reps = (1_000_000_000 / (m * k * n)).max(1);
    f();
    let t = Instant::now();
    for _ in 0..reps {
        f();
    }
    2.0 * (m * k * n) as f64 * reps as f64 / 1e9 / t.elapsed().as_secs_f64()
}

fn main() {
    let fill = |len: usize, r: usize| (0..len).map(|i| (i % r) as f32 * 0.01).collect::<Vec<f32>>();
    for &(m, k, n) in &[(16, 64, 256), (16, 256, 64), (128, 64, 256)] {
        let (a, b, mut c) = (fill(m * k, 7), fill(k * n, 5), vec![0f32; m * n]);
        let line: Vec<String> = Kernels::available()
            .map(|ks| format!("{ks} {:.1}", rate(m, k, n, || matmul_with(ks, (m, k, n), &a, &b, true, &mut c))))
            .collect();
        println!("matmul {m}x{k}x{n}: {} GFLOP/s", line.join(", "));
    }
    let (tb, e, g) = (1600, 128, 256);
    let cases = [
        ("x·W", Gemm::new(tb, e, g)),
        ("xᵀ·dz", Gemm::new(e, tb, g).transpose_a().accumulate()),
        ("hᵀ·dz", Gemm::new(g / 4, tb, g).transpose_a().accumulate()),
        ("dz·Wᵀ", Gemm::new(tb, g, e).transpose_b()),
    ];
    for (name, gm) in cases {
        let (a, b, mut c) = (fill(gm.m * gm.k, 7), fill(gm.k * gm.n, 5), vec![0f32; gm.m * gm.n]);
        let line: Vec<String> = Kernels::available()
            .map(|ks| format!("{ks} {:.1}", rate(gm.m, gm.k, gm.n, || gemm_with(ks, gm, &a, &b, &mut c))))
            .collect();
        println!("gemm {name} {}x{}x{}: {} GFLOP/s", gm.m, gm.k, gm.n, line.join(", "));
    }
}
