//! Throughput of the per-step recurrent product, the strata kernel against matrixmultiply.
//! Usage: cargo run --release -p strata-nn --example small_gemm_speed
use std::time::Instant;
use strata_nn::gemm::{gemm, Gemm};
use strata_nn::small_gemm::matmul;

fn main() {
    for &(m, k, n) in &[(16, 64, 256), (16, 256, 64), (128, 64, 256)] {
        let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 * 0.01).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.01).collect();
        let mut c = vec![0f32; m * n];
        let reps = 20_000_000 / (m * k * n / 64);
        let flops = 2.0 * (m * k * n) as f64 * reps as f64 / 1e9;
        let t = Instant::now();
        for _ in 0..reps {
            matmul(m, k, n, &a, &b, true, &mut c);
        }
        let ours = flops / t.elapsed().as_secs_f64();
        let t = Instant::now();
        for _ in 0..reps {
            gemm(Gemm::new(m, k, n).accumulate(), &a, &b, &mut c);
        }
        let mm = flops / t.elapsed().as_secs_f64();
        println!("{m}x{k}x{n}: strata kernel {ours:.1} GFLOP/s, matrixmultiply {mm:.1} GFLOP/s");
    }
}
