//! The one random number generator strata uses: ChaCha8, seeded, so that the same `--seed`
//! gives the same numbers on every platform and rand version we pin.

use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub struct Rng(ChaCha8Rng);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// An independent stream derived from this seed (for folds, shuffles, init).
    pub fn derive(seed: u64, stream: u64) -> Self {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        r.set_stream(stream);
        Rng(r)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.0.gen::<f32>()
    }

    /// Fills `out` with what `out.len()` calls of [`Self::uniform`] give, in order, bit for
    /// bit, drawing the stream's words a block at a time: rand's `f32` is the word's top 24
    /// bits × 2⁻²⁴, and ChaCha's words come out in the same order whether read one at a time
    /// or filled. Why: the linear model's input matrix (up to 2 GiB) is drawn this way, once
    /// per `tune` trial, where a call per value took a tenth of a search's time.
    pub fn fill_uniform(&mut self, out: &mut [f32], lo: f32, hi: f32) {
        const SCALE: f32 = 1.0 / (1u32 << 24) as f32;
        let mut words = [0u32; 512];
        for chunk in out.chunks_mut(words.len()) {
            let words = &mut words[..chunk.len()];
            self.0.fill(words);
            for (x, &w) in chunk.iter_mut().zip(words.iter()) {
                *x = lo + (hi - lo) * (SCALE * (w >> 8) as f32);
            }
        }
    }

    /// Standard normal (Box–Muller; one value per call for simplicity).
    pub fn normal(&mut self) -> f64 {
        let u1: f64 = 1.0 - self.0.gen::<f64>(); // (0, 1]
        let u2: f64 = self.0.gen::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Uniform integer in `[0, n)`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0.gen_range(0..n)
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    /// `fill_uniform` is `uniform` called once per value, bit for bit, also when the stream
    /// is read from the middle of a block.
    #[test]
    fn fill_uniform_gives_the_bits_of_one_uniform_per_value() {
        for (skip, n) in [(0, 1), (0, 5000), (3, 1537), (17, 64)] {
            let (mut a, mut b) = (Rng::new(7), Rng::new(7));
            for _ in 0..skip {
                assert_eq!(a.uniform(0.0, 1.0).to_bits(), b.uniform(0.0, 1.0).to_bits());
            }
            let one: Vec<u32> = (0..n).map(|_| a.uniform(-0.01, 0.01).to_bits()).collect();
            let mut filled = vec![0.0f32; n];
            b.fill_uniform(&mut filled, -0.01, 0.01);
            assert_eq!(one, filled.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), "skip {skip}, {n} values");
            // and the stream goes on from the same place
            assert_eq!(a.below(1000), b.below(1000));
        }
    }
}
