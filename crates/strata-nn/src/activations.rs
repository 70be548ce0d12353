//! Element-wise activations used inside the recurrence, vectorised.
//!
//! glibc's `tanhf`/`expf` are scalar calls and took ~40% of LSTM training time in a profile.
//! Here `exp` is computed branch-free (range reduction to `2^k · e^r`, a degree-6 polynomial
//! for `e^r`, the exponent written into the float's bits) and all three are `inline(always)`,
//! so the loops that call them (the LSTM's and the GRU's gate math) auto-vectorise; on x86-64
//! those loops are compiled a second time for AVX2 and chosen at run time (`has_avx2`, which
//! honours `STRATA_KERNELS`).
//! Accuracy is within a few ulp of the correctly rounded result (tested against f64 below),
//! which keeps strata within 1e-5 of tf-keras's LSTM.

const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;
/// Adding and subtracting 1.5·2^23 rounds to the nearest integer without a call.
const ROUND_MAGIC: f32 = 12_582_912.0;

/// `e^x` for finite x, branch-free; saturates to 0 below −87 and to ~2^127 above 88.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // k = round(x / ln 2), both as a float and, from the same sum's bits, as an integer: the
    // float `k + 1.5·2^23` stores k in its low mantissa bits. (A plain `k as i32` is a
    // saturating cast that LLVM does not vectorise.)
    let shifted = x * LOG2E + ROUND_MAGIC;
    let k = shifted - ROUND_MAGIC;
    let k_int = shifted.to_bits().wrapping_sub(ROUND_MAGIC.to_bits());
    let r = x - k * LN2_HI - k * LN2_LO;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let scale = f32::from_bits(k_int.wrapping_add(127) << 23);
    p * scale
}

#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `tanh(x) = 1 − 2 / (e^{2x} + 1)`; exact enough near 0 through the `x·(…)` form below.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    // For |x| < 0.005 use the odd series (avoids cancellation in 1 − 2/(e^{2x}+1)).
    let small = x * (1.0 - x * x * (1.0 / 3.0));
    let big = 1.0 - 2.0 / (exp(2.0 * x) + 1.0);
    if x.abs() < 0.005 {
        small
    } else {
        big
    }
}

/// `xs[i] = tanh(xs[i])` over a slice, in the build `kernels::active` chose: the loop is
/// lane-wise, so every build gives the same bits (attention's projection calls it; glibc's
/// scalar `tanhf` was 11–14 % of the han model's training).
#[inline(always)]
fn tanh_in_place_body(xs: &mut [f32]) {
    xs.iter_mut().for_each(|v| *v = tanh(*v));
}

crate::kernels::compiled_per_kernels!(
    pub fn tanh_in_place / tanh_in_place_avx2 / tanh_in_place_avx512 (xs: &mut [f32]) => tanh_in_place_body
);

/// Whether the hot loops run their AVX2+FMA builds: the CPU has them and `STRATA_KERNELS`
/// does not ask for `portable` ([`crate::kernels::active`], read once). True under AVX-512 too.
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn has_avx2() -> bool {
    crate::kernels::active() >= crate::kernels::Kernels::Avx2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_to_f64_over_the_useful_range() {
        let mut worst = (0.0f64, 0.0f64, 0.0f64);
        for i in -20_000..=20_000 {
            let x = i as f32 * 1e-3; // [-20, 20]
            let e = (exp(x) as f64 - (x as f64).exp()).abs() / (x as f64).exp();
            let s = (sigmoid(x) as f64 - 1.0 / (1.0 + (-(x as f64)).exp())).abs();
            let t = (tanh(x) as f64 - (x as f64).tanh()).abs();
            worst = (worst.0.max(e), worst.1.max(s), worst.2.max(t));
        }
        assert!(worst.0 < 5e-7, "exp rel err {}", worst.0);
        assert!(worst.1 < 2e-7, "sigmoid abs err {}", worst.1);
        assert!(worst.2 < 3e-7, "tanh abs err {}", worst.2);
        assert!((0.0..1e-37).contains(&exp(-200.0)));
        assert!(sigmoid(-100.0) >= 0.0 && sigmoid(100.0) <= 1.0 && tanh(50.0) == 1.0);
    }

    /// The slice form gives the scalar form's bits in every build the CPU has (vector bodies
    /// and their scalar tails alike), so a model's numbers do not depend on the build.
    #[test]
    fn tanh_in_place_is_the_scalar_tanh_in_every_build() {
        let xs: Vec<f32> = (0..1037).map(|i| (i as f32 - 518.0) * 0.021).collect();
        let want: Vec<u32> = xs.iter().map(|&x| tanh(x).to_bits()).collect();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
        let mut got = xs.clone();
        tanh_in_place_body(&mut got);
        assert_eq!(bits(&got), want, "portable");
        #[cfg(target_arch = "x86_64")]
        for build in [crate::kernels::Kernels::Avx2, crate::kernels::Kernels::Avx512] {
            if !build.supported() {
                eprintln!("skipped {build:?}: not on this CPU");
                continue;
            }
            let mut got = xs.clone();
            // SAFETY: the CPU has the build's features (checked just above).
            unsafe {
                match build {
                    crate::kernels::Kernels::Avx512 => tanh_in_place_avx512(&mut got),
                    _ => tanh_in_place_avx2(&mut got),
                }
            }
            assert_eq!(bits(&got), want, "{build:?}");
        }
    }
}
