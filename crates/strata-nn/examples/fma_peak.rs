//! This CPU's single-precision FMA peak, the ceiling strata's kernels are measured against.
//!
//! Each thread runs `CHAINS` independent FMA chains (`acc = acc·m + a`, one vector register
//! each), more than FMA latency × FMA pipes on any current x86 core, so the loop is bound by
//! FMA throughput alone. AVX-512 where the CPU has it, AVX2+FMA always; on one core and on all
//! cores (one thread per core: the physical cores of /proc/cpuinfo, else the logical ones).
//! Prints one JSON line:
//! `{"isa": "avx512"|"avx2", "gflops_one_core": x, "gflops_all_cores": y, "avx2_gflops_one_core": z}`
//! (`gflops_*` use `isa`; a FLOP is one multiply or one add, so an FMA lane is 2).
//!
//! Usage: cargo run --release -p strata-nn --example fma_peak

use std::time::Instant;

/// Independent accumulators per thread (Zen 5: latency 4 × 2 pipes = 8 needed; 12 to spare).
const CHAINS: usize = 12;
/// Inner iterations between clock reads.
const ITERS: u64 = 1 << 22;
/// Timed runs per measurement (each ~6 ms on one core at 4 GHz); the best is kept: on a
/// shared machine most runs share a core with another process, and the all-cores figure needs
/// a moment when every core is free.
const RUNS: usize = 60;

#[derive(Clone, Copy, PartialEq)]
enum Isa {
    Avx512,
    Avx2,
}

#[cfg(target_arch = "x86_64")]
mod probe {
    use std::arch::x86_64::*;

    use super::{CHAINS, ITERS};

    /// `ITERS · CHAINS` AVX-512 FMAs; returns a value derived from all chains so none is dead.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX-512 F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn avx512(seed: f32) -> f32 {
        let (m, a) = (_mm512_set1_ps(0.999_999_9), _mm512_set1_ps(1e-7));
        let mut acc = [_mm512_set1_ps(seed); CHAINS];
        for _ in 0..ITERS {
            for v in acc.iter_mut() {
                *v = _mm512_fmadd_ps(*v, m, a);
            }
        }
        let sum = acc.iter().fold(_mm512_setzero_ps(), |s, v| _mm512_add_ps(s, *v));
        _mm512_reduce_add_ps(sum)
    }

    /// `ITERS · CHAINS` AVX2 FMAs.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn avx2(seed: f32) -> f32 {
        let (m, a) = (_mm256_set1_ps(0.999_999_9), _mm256_set1_ps(1e-7));
        let mut acc = [_mm256_set1_ps(seed); CHAINS];
        for _ in 0..ITERS {
            for v in acc.iter_mut() {
                *v = _mm256_fmadd_ps(*v, m, a);
            }
        }
        let sum = acc.iter().fold(_mm256_setzero_ps(), |s, v| _mm256_add_ps(s, *v));
        let mut out = [0f32; 8];
        _mm256_storeu_ps(out.as_mut_ptr(), sum);
        out.iter().sum()
    }
}

/// GFLOP/s of `threads` threads each running one probe call, best of `RUNS`.
#[cfg(target_arch = "x86_64")]
fn measure(isa: Isa, threads: usize) -> f64 {
    let lanes = match isa {
        Isa::Avx512 => 16,
        Isa::Avx2 => 8,
    };
    let flops = (2 * lanes * CHAINS) as f64 * ITERS as f64 * threads as f64;
    let run = move |i: usize| {
        let seed = std::hint::black_box(1.0 + i as f32);
        // SAFETY: main only asks for an ISA the CPU has.
        let r = unsafe {
            match isa {
                Isa::Avx512 => probe::avx512(seed),
                Isa::Avx2 => probe::avx2(seed),
            }
        };
        std::hint::black_box(r);
    };
    run(0); // warm up: clocks, page faults
    let mut best = 0.0f64;
    for _ in 0..RUNS {
        let start = Instant::now();
        std::thread::scope(|s| {
            for t in 0..threads {
                s.spawn(move || run(t));
            }
        });
        best = best.max(flops / start.elapsed().as_secs_f64() / 1e9);
    }
    best
}

/// Physical cores: distinct (physical id, core id) pairs in /proc/cpuinfo, else logical CPUs.
fn cores() -> usize {
    let logical = std::thread::available_parallelism().map_or(1, |n| n.get());
    let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else { return logical };
    let mut seen = std::collections::BTreeSet::new();
    let (mut phys, mut core) = (None, None);
    for line in info.lines().chain(std::iter::once("")) {
        let value = || line.split(':').nth(1).map(|v| v.trim().to_string());
        if line.starts_with("physical id") {
            phys = value();
        } else if line.starts_with("core id") {
            core = value();
        } else if line.trim().is_empty() {
            if let (Some(p), Some(c)) = (phys.take(), core.take()) {
                seen.insert((p, c));
            }
        }
    }
    if seen.is_empty() {
        logical
    } else {
        seen.len().min(logical)
    }
}

#[cfg(target_arch = "x86_64")]
fn main() {
    if !(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")) {
        eprintln!("error: this CPU has no AVX2+FMA (hint: the probe measures x86-64 vector units only)");
        std::process::exit(2);
    }
    let isa = if std::is_x86_feature_detected!("avx512f") { Isa::Avx512 } else { Isa::Avx2 };
    let one = measure(isa, 1);
    let all = measure(isa, cores());
    let avx2 = if isa == Isa::Avx2 { one } else { measure(Isa::Avx2, 1) };
    let name = if isa == Isa::Avx512 { "avx512" } else { "avx2" };
    println!(
        "{{\"isa\": \"{name}\", \"gflops_one_core\": {one:.1}, \"gflops_all_cores\": {all:.1}, \"avx2_gflops_one_core\": {avx2:.1}}}"
    );
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    let _ = (cores(), Isa::Avx2, CHAINS, ITERS, RUNS, Instant::now());
    eprintln!("error: this probe measures x86-64 vector units only (hint: run it on an x86-64 CPU)");
    std::process::exit(2);
}
