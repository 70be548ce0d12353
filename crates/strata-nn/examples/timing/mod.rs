//! The timing loop the kernel examples share (kim_bank_speed, han_gemm_speed): one warm-up
//! call, then the best of 5 runs of `reps` calls, so that a loaded machine's slow runs drop out.

use std::time::Instant;

/// Best seconds per call of `f` over 5 runs of `reps` calls, after one warm-up call.
pub fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        best = best.min(t.elapsed().as_secs_f64() / reps as f64);
    }
    best
}
