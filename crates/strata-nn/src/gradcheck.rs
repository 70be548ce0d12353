//! Finite-difference gradient checks for every layer's backward.
//!
//! Central differences in f32 are noisy, so the loss is accumulated in f64 and the relative
//! difference is measured as `|a - n| / max(|a| + |n|, 1e-2)`, which is robust near zero.

/// Compares `analytic` (the gradient backward produced for `params`) with central differences
/// of `loss`, prints the worst relative difference, and returns it.
pub fn check(name: &str, params: &[f32], analytic: &[f32], loss: impl Fn(&[f32]) -> f64) -> f64 {
    check_with_step(name, params, analytic, 1e-2, loss)
}

/// [`check`] with central differences of step `h` — to see whether a difference is the
/// gradient's or the difference's own (a truncation error falls fourfold per halved step).
pub fn check_with_step(name: &str, params: &[f32], analytic: &[f32], h: f32, loss: impl Fn(&[f32]) -> f64) -> f64 {
    assert_eq!(params.len(), analytic.len(), "{name}: gradient has the wrong length");
    let mut p = params.to_vec();
    let mut worst = 0.0f64;
    for i in 0..p.len() {
        let orig = p[i];
        p[i] = orig + h;
        let up = loss(&p);
        p[i] = orig - h;
        let down = loss(&p);
        p[i] = orig;
        let numeric = (up - down) / (2.0 * h as f64);
        let a = analytic[i] as f64;
        let rel = (a - numeric).abs() / (a.abs() + numeric.abs()).max(1e-2);
        worst = worst.max(rel);
    }
    println!("gradcheck {name} (step {h:e}): {} values, max relative difference {worst:.2e}", p.len());
    worst
}
