//! Inverted dropout: during training each value is kept with probability `1 − rate` and scaled
//! by `1 / (1 − rate)`, so inference (no dropout) needs no rescaling, as in Keras.

use crate::Rng;

/// Applies dropout in place and writes the mask (`0` or `1/(1−rate)`) for backward. With
/// `training == false` (or `rate == 0`) the values pass unchanged.
pub fn forward(x: &mut [f32], mask: &mut Vec<f32>, rate: f32, training: bool, rng: &mut Rng) {
    assert!((0.0..1.0).contains(&rate), "dropout rate must be in [0, 1)");
    mask.clear();
    if !training || rate == 0.0 {
        mask.resize(x.len(), 1.0);
        return;
    }
    let keep = 1.0 / (1.0 - rate);
    mask.extend((0..x.len()).map(|_| if rng.uniform(0.0, 1.0) < rate { 0.0 } else { keep }));
    x.iter_mut().zip(mask.iter()).for_each(|(v, m)| *v *= m);
}

/// `dx = dy ⊙ mask`, in place.
pub fn backward(dy: &mut [f32], mask: &[f32]) {
    dy.iter_mut().zip(mask).for_each(|(g, m)| *g *= m);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;

    #[test]
    fn keeps_the_expected_sum_and_its_gradient_is_the_mask() {
        let mut rng = Rng::new(3);
        let mut x = vec![1.0f32; 100_000];
        let mut mask = Vec::new();
        forward(&mut x, &mut mask, 0.5, true, &mut rng);
        let mean = x.iter().sum::<f32>() / x.len() as f32;
        assert!((mean - 1.0).abs() < 0.02, "inverted dropout keeps the mean: {mean}");
        assert!(x.iter().all(|&v| v == 0.0 || v == 2.0));
        let mut y = vec![0.5f32; 4];
        forward(&mut y, &mut mask, 0.5, false, &mut rng);
        assert_eq!(y, vec![0.5; 4], "off at inference");
        // with a fixed mask, dropout is linear: its gradient is the mask
        let m = vec![0.0, 2.0, 2.0, 0.0];
        let probe = [0.3f32, -1.0, 0.7, 2.0];
        let mut g = probe.to_vec();
        backward(&mut g, &m);
        let p = [0.1f32, 0.2, 0.3, 0.4];
        let worst = check("dropout.input", &p, &g, |v| {
            v.iter().zip(&m).zip(&probe).map(|((a, m), q)| (a * m * q) as f64).sum()
        });
        assert!(worst < 1e-4);
    }
}
