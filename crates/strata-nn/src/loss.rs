//! Sigmoid + binary cross-entropy, computed from logits.
//!
//! tf-keras does the same for `Dense(1, activation='sigmoid')` with `binary_crossentropy`: it
//! recovers the logits behind the sigmoid and calls `sigmoid_cross_entropy_with_logits`, which
//! stays finite where `log(sigmoid(z))` would not.

use crate::activations::sigmoid;

/// Per example: `max(z, 0) − z·y + ln(1 + e^{−|z|})`. Returns the **sum** over the slice and
/// writes `dlogits = (σ(z) − y) · scale` (`scale = 1 / full batch size` for a mean loss).
pub fn bce_with_logits(logits: &[f32], labels: &[f32], scale: f32, dlogits: &mut [f32]) -> f64 {
    let mut total = 0.0f64;
    for ((&z, &y), dz) in logits.iter().zip(labels).zip(dlogits.iter_mut()) {
        total += (z.max(0.0) - z * y) as f64 + (-(z.abs())).exp().ln_1p() as f64;
        *dz = (sigmoid(z) - y) * scale;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;

    #[test]
    fn gradient_matches_finite_differences() {
        let z = [-3.0f32, -0.2, 0.0, 0.7, 4.0];
        let y = [0.0f32, 1.0, 1.0, 0.0, 1.0];
        let mut dz = [0.0; 5];
        bce_with_logits(&z, &y, 1.0, &mut dz);
        let worst = check("bce.logits", &z, &dz, |z| bce_with_logits(z, &y, 1.0, &mut [0.0; 5]));
        assert!(worst < 1e-3, "bce max rel diff {worst}");
    }

    #[test]
    fn matches_the_probability_form() {
        let (z, y) = (0.8f32, 1.0f32);
        let p = sigmoid(z) as f64;
        let want = -(y as f64 * p.ln() + (1.0 - y as f64) * (1.0 - p).ln());
        let got = bce_with_logits(&[z], &[y], 1.0, &mut [0.0]);
        assert!((got - want).abs() < 1e-6);
    }
}

/// Softmax + categorical cross-entropy for `[B, K]` logits and class indices. Returns the sum
/// of `−ln softmax(z)[y]` and writes `dlogits = (softmax(z) − onehot(y)) · scale`.
pub fn softmax_cross_entropy(logits: &[f32], k: usize, labels: &[usize], scale: f32, dlogits: &mut [f32]) -> f64 {
    let mut total = 0.0f64;
    for ((z, &y), dz) in logits.chunks_exact(k).zip(labels).zip(dlogits.chunks_exact_mut(k)) {
        let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let sum: f64 = z.iter().map(|&v| ((v - max) as f64).exp()).sum();
        total += sum.ln() - (z[y] - max) as f64;
        for (j, d) in dz.iter_mut().enumerate() {
            let p = (((z[j] - max) as f64).exp() / sum) as f32;
            *d = (p - if j == y { 1.0 } else { 0.0 }) * scale;
        }
    }
    total
}

#[cfg(test)]
mod softmax_tests {
    use super::*;
    use crate::gradcheck::check;

    #[test]
    fn softmax_gradient_matches_finite_differences() {
        let z = [0.3f32, -1.2, 2.0, 0.1, 0.5, -0.4];
        let y = [2usize, 0];
        let mut dz = [0.0; 6];
        softmax_cross_entropy(&z, 3, &y, 1.0, &mut dz);
        let worst = check("softmax_ce.logits", &z, &dz, |z| softmax_cross_entropy(z, 3, &y, 1.0, &mut [0.0; 6]));
        assert!(worst < 1e-3, "softmax ce max rel diff {worst}");
    }
}
