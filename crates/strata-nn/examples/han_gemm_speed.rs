//! Throughput of han's word-level GRU products (issue 14 point 3): one core's chunk of a
//! 32-document batch (16 documents × 15 sentences = 240 rows, 30 words, embedding 128, 50
//! units, 150 gates), under the kernel set this CPU runs best.
//! Usage: cargo run --release -p strata-nn --example han_gemm_speed
mod timing;

use strata_nn::gemm::{gemm, Gemm};
use strata_nn::small_gemm::matmul;

/// Best GFLOP/s of `f` doing `2·m·k·n` FLOP a call, over 5 runs of ~0.2·10^9 FLOP.
fn rate(m: usize, k: usize, n: usize, f: impl FnMut()) -> f64 {
    let reps = (200_000_000 / (m * k * n)).max(1);
    2.0 * (m * k * n) as f64 / 1e9 / timing::best(reps, f)
}

fn main() {
    let fill = |len: usize, r: usize| (0..len).map(|i| (i % r) as f32 * 0.01).collect::<Vec<f32>>();
    let (b, t, e, h) = (240, 30, 128, 50);
    let (g, tb) = (3 * h, t * b);
    for &(name, m, k, n) in &[("h·U", b, h, g), ("dz·Uᵀ", b, g, h)] {
        let (a, bm, mut c) = (fill(m * k, 7), fill(k * n, 5), vec![0f32; m * n]);
        println!("matmul {name} {m}x{k}x{n}: {:.1} GFLOP/s", rate(m, k, n, || matmul(m, k, n, &a, &bm, true, &mut c)));
    }
    let cases = [
        ("x·W", Gemm::new(tb, e, g)),
        ("xᵀ·dz", Gemm::new(e, tb, g).transpose_a().accumulate()),
        ("hᵀ·dz", Gemm::new(h, tb, g).transpose_a().accumulate()),
        ("dz·Wᵀ", Gemm::new(tb, g, e).transpose_b()),
    ];
    for (name, gm) in cases {
        let (a, bm, mut c) = (fill(gm.m * gm.k, 7), fill(gm.k * gm.n, 5), vec![0f32; gm.m * gm.n]);
        println!(
            "gemm {name} {}x{}x{}: {:.1} GFLOP/s",
            gm.m,
            gm.k,
            gm.n,
            rate(gm.m, gm.k, gm.n, || gemm(gm, &a, &bm, &mut c))
        );
    }
}
