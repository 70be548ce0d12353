//! Sampled softmax (Jean et al. 2015, as TensorFlow's `sampled_softmax_loss` computes it), so
//! that a language model over a 20,000-word vocabulary scores each position against the true
//! word and `S` sampled words instead of all `V`; and the full softmax over `V` that measures
//! perplexity.
//!
//! One set of `S` distinct negative ids is drawn per batch from the unigram distribution raised
//! to 0.75 (word2vec's), shared by every row, so the sampled logits of a chunk are one GEMM
//! (`[N, H] × [H, S]`). Each logit is corrected by the log of its expected count, as TF does
//! with `unique=True`: a sampler that drew `tries` times until it had `S` distinct ids expects
//! `1 − (1 − p_j)^tries` copies of id `j`, and `logit_j = h·w_j + b_j − ln E_j` (the true
//! class's logit too). A sample equal to a row's target (an "accidental hit") is removed from
//! that row. The loss is the mean cross-entropy over `[true, samples]`.
//!
//! Gradients come out compact: `[S, H]`/`[S]` for the sampled rows and one scalar per row for
//! its target's row; [`SampledGrads::scatter`] adds them into the full `[V, H]`, `[V]`
//! gradients, so parallel chunks can be summed in a fixed order.

use crate::activations::exp;
use crate::gemm::{gemm, Gemm};
use crate::Rng;

/// Draws negative ids from unigram^power, exactly: integer weights and a cumulative table.
#[derive(Clone, Debug)]
pub struct Sampler {
    /// `cumulative[j]` = sum of the weights of ids `0..=j`
    cumulative: Vec<u64>,
    /// each id's probability `p_j`
    probs: Vec<f64>,
}

/// Weight units per count^power: fine enough that rare words keep their relative odds.
const WEIGHT_SCALE: f64 = 64.0;

impl Sampler {
    /// From each id's count in the training text, raised to `power` (0.75: word2vec's). Ids
    /// never seen get the weight of one occurrence, so every id has a finite correction.
    pub fn unigram(counts: &[u64], power: f64) -> Sampler {
        assert!(!counts.is_empty(), "sampler: empty vocabulary");
        let weights: Vec<u64> =
            counts.iter().map(|&c| ((c.max(1) as f64).powf(power) * WEIGHT_SCALE).round().max(1.0) as u64).collect();
        let total: u64 = weights.iter().sum();
        let mut acc = 0u64;
        let cumulative = weights
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        let probs = weights.iter().map(|&w| w as f64 / total as f64).collect();
        Sampler { cumulative, probs }
    }

    pub fn vocab_size(&self) -> usize {
        self.probs.len()
    }

    /// Probability of drawing `id` in one try.
    pub fn prob(&self, id: u32) -> f64 {
        self.probs[id as usize]
    }

    fn draw(&self, rng: &mut Rng) -> u32 {
        let total = *self.cumulative.last().expect("non-empty") as usize;
        let u = rng.below(total) as u64;
        self.cumulative.partition_point(|&c| c <= u) as u32
    }

    /// `s` distinct ids (TF's `unique=True`), drawn until there are `s` of them; with
    /// `s >= V` every id, each expected once (the full softmax less the target).
    pub fn sample(&self, s: usize, rng: &mut Rng) -> Samples {
        let v = self.vocab_size();
        if s >= v {
            return Samples { ids: (0..v as u32).collect(), tries: None };
        }
        let mut seen = vec![false; v];
        let (mut ids, mut tries) = (Vec::with_capacity(s), 0u64);
        while ids.len() < s {
            let id = self.draw(rng);
            tries += 1;
            if !std::mem::replace(&mut seen[id as usize], true) {
                ids.push(id);
            }
        }
        Samples { ids, tries: Some(tries) }
    }

    /// `ln E_j`, the log of the expected count of `id` among `samples`: `ln(1 − (1 − p)^tries)`.
    pub fn log_expected(&self, id: u32, samples: &Samples) -> f32 {
        match samples.tries {
            None => 0.0,
            Some(tries) => {
                let p = self.probs[id as usize];
                (-(tries as f64 * (-p).ln_1p()).exp_m1()).ln() as f32
            }
        }
    }
}

/// One batch's negative ids and how many draws it took to find them.
#[derive(Clone, Debug, PartialEq)]
pub struct Samples {
    pub ids: Vec<u32>,
    /// draws made (`None`: every id, no sampling)
    pub tries: Option<u64>,
}

/// What every chunk of a batch reads: the sampled decoder rows and their corrected biases.
pub struct SampledDecoder {
    pub ids: Vec<u32>,
    /// `[S, H]` decoder rows of the sampled ids
    pub weight: Vec<f32>,
    /// `[S]` `b_j − ln E_j`
    pub bias: Vec<f32>,
    /// `(id, position)` sorted by id, to find a row's accidental hit
    sorted: Vec<(u32, usize)>,
}

impl SampledDecoder {
    /// Gathers the rows of `weight: [V, H]` and `bias: [V]` that `samples` names.
    pub fn gather(samples: &Samples, sampler: &Sampler, weight: &[f32], bias: &[f32], h: usize) -> SampledDecoder {
        let mut w = Vec::with_capacity(samples.ids.len() * h);
        for &id in &samples.ids {
            w.extend_from_slice(&weight[id as usize * h..(id as usize + 1) * h]);
        }
        let b = samples.ids.iter().map(|&id| bias[id as usize] - sampler.log_expected(id, samples)).collect();
        let mut sorted: Vec<(u32, usize)> = samples.ids.iter().enumerate().map(|(j, &id)| (id, j)).collect();
        sorted.sort_unstable();
        SampledDecoder { ids: samples.ids.clone(), weight: w, bias: b, sorted }
    }

    /// Where `id` is among the samples (they are distinct: at most one place).
    pub fn position(&self, id: u32) -> Option<usize> {
        self.sorted.binary_search_by_key(&id, |&(i, _)| i).ok().map(|k| self.sorted[k].1)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// One chunk's gradients, compact; and its scratch space.
#[derive(Default)]
pub struct SampledGrads {
    /// `[S, H]` gradient of the sampled decoder rows (accumulated)
    pub weight: Vec<f32>,
    /// `[S]` (accumulated)
    pub bias: Vec<f32>,
    /// `[N]` gradient of each row's true logit
    pub d_true: Vec<f32>,
    /// `[N, S]` logits, then their gradients
    logits: Vec<f32>,
}

impl SampledGrads {
    /// Zeroes the accumulated gradients for `s` samples and `h` units.
    pub fn reset(&mut self, s: usize, h: usize) {
        self.weight.clear();
        self.weight.resize(s * h, 0.0);
        self.bias.clear();
        self.bias.resize(s, 0.0);
    }

    /// Adds these gradients into the full `dweight: [V, H]`, `dbias: [V]`; `x` and `targets`
    /// are the rows this chunk's loss read.
    pub fn scatter(&self, ids: &[u32], x: &[f32], targets: &[u32], h: usize, dweight: &mut [f32], dbias: &mut [f32]) {
        for (j, &id) in ids.iter().enumerate() {
            let row = &mut dweight[id as usize * h..(id as usize + 1) * h];
            row.iter_mut().zip(&self.weight[j * h..(j + 1) * h]).for_each(|(a, g)| *a += g);
            dbias[id as usize] += self.bias[j];
        }
        for ((&t, &d), xr) in targets.iter().zip(&self.d_true).zip(x.chunks_exact(h)) {
            let row = &mut dweight[t as usize * h..(t as usize + 1) * h];
            row.iter_mut().zip(xr).for_each(|(a, v)| *a += d * v);
            dbias[t as usize] += d;
        }
    }
}

/// The inputs of one chunk's loss: `x: [N, H]` rows (the top level's outputs), their `targets`,
/// and the full decoder (`weight: [V, H]`, `bias: [V]`) for the true logits.
#[derive(Clone, Copy)]
pub struct Rows<'a> {
    pub x: &'a [f32],
    pub targets: &'a [u32],
    pub h: usize,
    pub weight: &'a [f32],
    pub bias: &'a [f32],
}

/// The sampled-softmax loss of `rows` (the **sum** over rows; gradients scaled by `scale`, e.g.
/// one over the batch's rows for a mean): writes `dx: [N, H]` (overwritten) and accumulates
/// the decoder's gradients into `grads`.
pub fn loss_and_grads(
    rows: Rows,
    dec: &SampledDecoder,
    sampler: &Sampler,
    samples: &Samples,
    scale: f32,
    grads: &mut SampledGrads,
    dx: &mut [f32],
) -> f64 {
    let (n, h, s) = (rows.targets.len(), rows.h, dec.len());
    assert_eq!(rows.x.len(), n * h, "sampled softmax: x is not [N, H]");
    let logits = &mut grads.logits;
    logits.resize(n * s, 0.0);
    grads.d_true.resize(n, 0.0);
    // sampled logits, one GEMM: [N, H] × [S, H]ᵀ
    gemm(Gemm::new(n, h, s).transpose_b(), rows.x, &dec.weight, logits);
    let mut total = 0.0f64;
    for (i, (row, &t)) in logits.chunks_exact_mut(s).zip(rows.targets).enumerate() {
        let xr = &rows.x[i * h..(i + 1) * h];
        let wt = &rows.weight[t as usize * h..(t as usize + 1) * h];
        let true_logit = xr.iter().zip(wt).map(|(a, b)| a * b).sum::<f32>() + rows.bias[t as usize]
            - sampler.log_expected(t, samples);
        row.iter_mut().zip(&dec.bias).for_each(|(l, b)| *l += b);
        // accidental hits leave the row: masked before the max, zeroed after the exponentials
        let hit = dec.position(t);
        if let Some(j) = hit {
            row[j] = f32::NEG_INFINITY;
        }
        let max = row_max(row, true_logit);
        let sum = exp_shifted(row, max, hit.as_slice()) + exp(true_logit - max);
        let lse = max + sum.ln();
        total += (lse - true_logit) as f64;
        let inv = scale / sum;
        row.iter_mut().for_each(|p| *p *= inv);
        grads.d_true[i] = (exp(true_logit - lse) - 1.0) * scale;
    }
    // dx = dlogits · W_s + d_true ⊗ w_target
    gemm(Gemm::new(n, s, h), logits, &dec.weight, dx);
    for (i, &t) in rows.targets.iter().enumerate() {
        let wt = &rows.weight[t as usize * h..(t as usize + 1) * h];
        let d = grads.d_true[i];
        dx[i * h..(i + 1) * h].iter_mut().zip(wt).for_each(|(a, w)| *a += d * w);
    }
    // dW_s += dlogitsᵀ · x: [S, N] × [N, H]
    gemm(Gemm::new(s, n, h).transpose_a().accumulate(), logits, rows.x, &mut grads.weight);
    for row in logits.chunks_exact(s) {
        grads.bias.iter_mut().zip(row).for_each(|(a, g)| *a += g);
    }
    total
}

/// `row[j] = e^(row[j] − max)`, with every `skip[k]`-th entry then set to 0 (the accidental
/// hits, whose logits were −∞); returns the sum. The max comes in, the exponentials and the sum
/// run in eight lanes (a plain running sum would not vectorise: float addition does not
/// reassociate).
fn exp_shifted(row: &mut [f32], max: f32, skip: &[usize]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if crate::activations::has_avx2() {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { exp_shifted_avx2(row, max, skip) };
    }
    exp_shifted_body(row, max, skip)
}

const LANES: usize = 8;

#[inline(always)]
fn exp_shifted_body(row: &mut [f32], max: f32, skip: &[usize]) -> f32 {
    row.iter_mut().for_each(|v| *v = exp(*v - max));
    skip.iter().for_each(|&k| row[k] = 0.0);
    lane_sum(row)
}

/// Sum in eight lanes, then across them.
#[inline(always)]
fn lane_sum(row: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let mut chunks = row.chunks_exact(LANES);
    for c in &mut chunks {
        for l in 0..LANES {
            acc[l] += c[l];
        }
    }
    acc.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>()
}

/// Max in eight lanes, then across them, and `init`.
#[inline(always)]
fn lane_max(row: &[f32], init: f32) -> f32 {
    let mut acc = [init; LANES];
    let mut chunks = row.chunks_exact(LANES);
    for c in &mut chunks {
        for l in 0..LANES {
            acc[l] = if c[l] > acc[l] { c[l] } else { acc[l] };
        }
    }
    chunks.remainder().iter().chain(&acc).copied().fold(init, f32::max)
}

/// [`exp_shifted_body`] compiled for AVX2 and FMA.
///
/// # Safety
///
/// The CPU must have AVX2 and FMA (`activations::has_avx2`). The body is safe code; only the
/// instructions it is compiled to need the check.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn exp_shifted_avx2(row: &mut [f32], max: f32, skip: &[usize]) -> f32 {
    exp_shifted_body(row, max, skip)
}

/// [`lane_max`], compiled for AVX2 where the CPU has it.
fn row_max(row: &[f32], init: f32) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if crate::activations::has_avx2() {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { row_max_avx2(row, init) };
    }
    lane_max(row, init)
}

/// [`lane_max`] compiled for AVX2 and FMA.
///
/// # Safety
///
/// The CPU must have AVX2 and FMA (`activations::has_avx2`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn row_max_avx2(row: &[f32], init: f32) -> f32 {
    lane_max(row, init)
}

/// Rows per block of the full softmax, so that `[rows, V]` logits stay a few MB.
const FULL_BLOCK: usize = 128;

/// The full softmax's cross-entropy over all `V` ids, summed over the rows (for perplexity).
pub fn full_softmax_loss(rows: Rows) -> f64 {
    let (n, h) = (rows.targets.len(), rows.h);
    let v = rows.bias.len();
    assert_eq!(rows.x.len(), n * h, "full softmax: x is not [N, H]");
    let mut logits = vec![0.0f32; FULL_BLOCK.min(n) * v];
    let mut total = 0.0f64;
    for start in (0..n).step_by(FULL_BLOCK) {
        let m = FULL_BLOCK.min(n - start);
        let block = &mut logits[..m * v];
        gemm(Gemm::new(m, h, v).transpose_b(), &rows.x[start * h..(start + m) * h], rows.weight, block);
        for (row, &t) in block.chunks_exact_mut(v).zip(&rows.targets[start..start + m]) {
            row.iter_mut().zip(rows.bias).for_each(|(l, b)| *l += b);
            let target = row[t as usize];
            let max = row_max(row, f32::NEG_INFINITY);
            let sum = exp_shifted(row, max, &[]);
            total += (max + sum.ln() - target) as f64;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;

    fn rand_vec(n: usize, scale: f32, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| rng.uniform(-scale, scale)).collect()
    }

    /// The loss straight from its definition, in f64, with none of the fast path's tricks.
    fn reference_loss(
        x: &[f32],
        targets: &[u32],
        h: usize,
        w: &[f32],
        b: &[f32],
        sampler: &Sampler,
        s: &Samples,
    ) -> f64 {
        let logit = |i: usize, id: u32| {
            let dot: f64 = (0..h).map(|k| x[i * h + k] as f64 * w[id as usize * h + k] as f64).sum();
            dot + b[id as usize] as f64 - sampler.log_expected(id, s) as f64
        };
        let mut total = 0.0;
        for (i, &t) in targets.iter().enumerate() {
            let mut ls = vec![logit(i, t)];
            ls.extend(s.ids.iter().filter(|&&id| id != t).map(|&id| logit(i, id)));
            let max = ls.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = max + ls.iter().map(|l| (l - max).exp()).sum::<f64>().ln();
            total += lse - ls[0];
        }
        total / targets.len() as f64
    }

    #[test]
    fn loss_and_every_gradient_match_the_definition_and_finite_differences() {
        let (v, h, n) = (9usize, 4usize, 5usize);
        let mut rng = Rng::new(5);
        let counts: Vec<u64> = (0..v as u64).map(|i| 1 + 3 * (v as u64 - i)).collect();
        let sampler = Sampler::unigram(&counts, 0.75);
        let samples = sampler.sample(4, &mut Rng::new(2));
        // the test must cover an accidental hit: make row 0's target the first sample
        let mut targets: Vec<u32> = (0..n).map(|i| ((i * 5 + 1) % v) as u32).collect();
        targets[0] = samples.ids[0];
        let (x, w, b) = (rand_vec(n * h, 1.0, &mut rng), rand_vec(v * h, 0.8, &mut rng), rand_vec(v, 0.5, &mut rng));
        let scale = 1.0 / n as f32;
        let loss = |x: &[f32], w: &[f32], b: &[f32], dw: &mut Vec<f32>, db: &mut Vec<f32>, dx: &mut Vec<f32>| {
            let dec = SampledDecoder::gather(&samples, &sampler, w, b, h);
            let mut g = SampledGrads::default();
            g.reset(dec.len(), h);
            dx.resize(n * h, 0.0);
            let rows = Rows { x, targets: &targets, h, weight: w, bias: b };
            let l = loss_and_grads(rows, &dec, &sampler, &samples, scale, &mut g, dx);
            dw.clear();
            dw.resize(v * h, 0.0);
            db.clear();
            db.resize(v, 0.0);
            g.scatter(&dec.ids, x, &targets, h, dw, db);
            l / n as f64
        };
        let (mut dw, mut db, mut dx) = (Vec::new(), Vec::new(), Vec::new());
        let got = loss(&x, &w, &b, &mut dw, &mut db, &mut dx);
        let want = reference_loss(&x, &targets, h, &w, &b, &sampler, &samples);
        assert!((got - want).abs() < 1e-5, "loss {got} vs definition {want}");
        let f = |x: &[f32], w: &[f32], b: &[f32]| loss(x, w, b, &mut Vec::new(), &mut Vec::new(), &mut Vec::new());
        for worst in [
            check("sampled_softmax.x", &x, &dx, |p| f(p, &w, &b)),
            check("sampled_softmax.weight", &w, &dw, |p| f(&x, p, &b)),
            check("sampled_softmax.bias", &b, &db, |p| f(&x, &w, p)),
        ] {
            assert!(worst < 1e-2, "sampled softmax max rel diff {worst}");
        }
    }

    #[test]
    fn samples_are_distinct_follow_the_counts_and_their_correction_is_tfs() {
        let counts = [0u64, 1000, 100, 10, 1];
        let sampler = Sampler::unigram(&counts, 0.75);
        let mut rng = Rng::new(1);
        let mut hits = [0usize; 5];
        for _ in 0..2000 {
            let s = sampler.sample(2, &mut rng);
            let mut ids = s.ids.clone();
            ids.dedup();
            assert_eq!(ids.len(), 2, "{:?} not distinct", s.ids);
            s.ids.iter().for_each(|&id| hits[id as usize] += 1);
        }
        assert!(hits[1] > hits[2] && hits[2] > hits[3] && hits[3] > hits[4], "{hits:?}");
        // the expected count of TF's unique sampler: 1 − (1 − p)^tries
        let s = Samples { ids: vec![1, 2], tries: Some(3) };
        let p = sampler.prob(2);
        let want = (1.0 - (1.0 - p).powi(3)).ln();
        assert!((sampler.log_expected(2, &s) as f64 - want).abs() < 1e-6);
        assert_eq!(sampler.sample(9, &mut rng), Samples { ids: vec![0, 1, 2, 3, 4], tries: None });
    }

    #[test]
    fn sampling_every_id_gives_the_full_softmax_without_the_target() {
        // with S >= V no correction applies; the loss is log-sum-exp over all V (the target
        // counted once, as the true class), i.e. the full softmax's
        let (v, h, n) = (6usize, 3usize, 4usize);
        let mut rng = Rng::new(8);
        let (x, w, b) = (rand_vec(n * h, 1.0, &mut rng), rand_vec(v * h, 1.0, &mut rng), rand_vec(v, 1.0, &mut rng));
        let targets = [0u32, 5, 2, 2];
        let sampler = Sampler::unigram(&[1; 6], 0.75);
        let samples = sampler.sample(v, &mut rng);
        let dec = SampledDecoder::gather(&samples, &sampler, &w, &b, h);
        let mut g = SampledGrads::default();
        g.reset(v, h);
        let rows = Rows { x: &x, targets: &targets, h, weight: &w, bias: &b };
        let sampled = loss_and_grads(rows, &dec, &sampler, &samples, 1.0, &mut g, &mut vec![0.0; n * h]);
        let full = full_softmax_loss(rows);
        assert!((sampled - full).abs() < 1e-5, "{sampled} vs {full}");
        let mut probs = vec![0.0f32; n * v];
        let mut want = 0.0f64;
        for i in 0..n {
            for j in 0..v {
                probs[i * v + j] = (0..h).map(|k| x[i * h + k] * w[j * h + k]).sum::<f32>() + b[j];
            }
            let labels = [targets[i] as usize];
            want += crate::loss::softmax_cross_entropy(&probs[i * v..(i + 1) * v], v, &labels, 1.0, &mut [0.0; 6]);
        }
        assert!((full - want).abs() < 1e-5, "full {full} vs softmax_cross_entropy {want}");
    }
}
