//! The skip-gram negative-sampling objective (word2vec, Mikolov et al. 2013) for one centre
//! word: its loss, and the update word2vec.c makes, side by side. The trainer that walks a
//! corpus (subsampling, windows, the noise table, threads) lives in `strata-train`; this file is
//! only the math, so that its finite-difference check sits next to it like every other layer's.
//!
//! # Shapes
//! - `D` vector width; `input` is the centre word's input vector `v_c`, `[D]`;
//! - `output` is the output (context) matrix `U`, `[V, D]`, rows addressed by id;
//! - `contexts` `[C]` ids of the window's words; `negatives` `[C, K]` noise ids, `K` per context.
//!
//! For one centre word the loss is, summed over its contexts `o`,
//! `−ln σ(u_o·v_c) − Σ_k ln σ(−u_k·v_c)`, where a noise id equal to its context is skipped
//! (word2vec.c's `if (target == word) continue`). The update is word2vec.c's: each target's
//! `g = (label − σ(u·v_c))·lr` is added to `neu1e += g·u` (with `u` before its own update) and
//! then to the output row in place, `u += g·v_c`; `v_c += neu1e` once at the end. With distinct
//! rows this is exactly one SGD step on the centre word's loss; a row that occurs twice (a
//! repeated context or noise word) sees its first update on the second visit, as in word2vec.c.
//! (word2vec.c applies `neu1e` after every context and uses the context's vector as input; this
//! is the paper's form, centre as input, which is the same objective summed over the window.)
//!
//! # Subwords (fastText, Bojanowski et al. 2017)
//!
//! With subwords the centre word's input vector is the mean of several rows of the input
//! matrix — its own row and its character n-grams' bucket rows, `rows` `[n]` (repeats count
//! twice, as in fastText) — `h = (1/n)·Σ_r W_r`. [`step_subwords`] forms `h`, makes the step
//! above on it, and adds the change of `h`, `neu1e`, to every one of the rows, as fastText's
//! `Model::update` does for skip-gram (it divides by `n` only for the supervised model). Each
//! row thus moves by `−lr·∂L/∂h = −lr·n·∂L/∂W_r` (per occurrence): one SGD step with rate
//! `lr·n` on the input rows and `lr` on the output rows. ([`loss_subwords`] is the reference.)
//! fastText makes that update once per context, forming the mean anew each time; here it is
//! made once per centre word over its window, as the plain step is: the same objective, and
//! the mean of ~20 rows is formed once instead of once per context.

use crate::activations::exp;

/// `u·v` is clipped to ±30 before the sigmoid: beyond it `σ` is 1 or 0 to 1e-13, and the
/// noise word's `e^{u·v}` stays finite. (word2vec.c clips at ±6 with a 1000-entry table.)
const MAX_DOT: f32 = 30.0;

/// Below this the running product of likelihoods is folded into a sum of logs (one `ln` per
/// centre word instead of one per target, without underflow).
const FOLD_BELOW: f64 = 1e-200;

/// The objective of one centre word, computed independently of [`step`] in f64 (the reference
/// the finite-difference test differentiates).
pub fn loss(input: &[f32], output: &[f32], contexts: &[u32], negatives: &[u32]) -> f64 {
    let input: Vec<f64> = input.iter().map(|&x| x as f64).collect();
    loss_f64(&input, output, contexts, negatives)
}

/// [`loss`] for an input vector held in f64.
fn loss_f64(input: &[f64], output: &[f32], contexts: &[u32], negatives: &[u32]) -> f64 {
    let d = input.len();
    let k = per_context(contexts, negatives);
    let dot = |id: u32| -> f64 {
        let u = &output[id as usize * d..][..d];
        u.iter().zip(input).map(|(&a, &b)| a as f64 * b).sum()
    };
    let softplus = |x: f64| x.max(0.0) + (-x.abs()).exp().ln_1p(); // −ln σ(−x)
    let mut total = 0.0;
    for (c, &ctx) in contexts.iter().enumerate() {
        total += softplus(-dot(ctx));
        for &n in negatives[c * k..(c + 1) * k].iter().filter(|&&n| n != ctx) {
            total += softplus(dot(n));
        }
    }
    total
}

/// One SGD step of [`loss`] for one centre word at learning rate `lr`, word2vec.c's way (see
/// the module doc). Updates `input` and the target rows of `output` in place; `neu1e` `[D]` is
/// scratch. Returns the loss before the step.
pub fn step(
    input: &mut [f32],
    output: &mut [f32],
    contexts: &[u32],
    negatives: &[u32],
    lr: f32,
    neu1e: &mut [f32],
) -> f64 {
    assert_eq!(neu1e.len(), input.len(), "skipgram::step: neu1e must be as wide as the input vector");
    #[cfg(target_arch = "x86_64")]
    if crate::activations::has_avx2() {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { step_avx2(input, output, contexts, negatives, lr, neu1e) };
    }
    step_body(input, output, contexts, negatives, lr, neu1e)
}

/// [`step_body`] compiled for AVX2 (eight lanes instead of SSE2's four). No `mul_add` is used,
/// so both builds round identically and give the same bits.
///
/// # Safety
///
/// The CPU must have AVX2 and FMA (`activations::has_avx2`). The body is safe code; only the
/// instructions it is compiled to need the check.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn step_avx2(
    input: &mut [f32],
    output: &mut [f32],
    contexts: &[u32],
    negatives: &[u32],
    lr: f32,
    neu1e: &mut [f32],
) -> f64 {
    step_body(input, output, contexts, negatives, lr, neu1e)
}

#[inline(always)]
fn step_body(
    input: &mut [f32],
    output: &mut [f32],
    contexts: &[u32],
    negatives: &[u32],
    lr: f32,
    neu1e: &mut [f32],
) -> f64 {
    let d = input.len();
    let k = per_context(contexts, negatives);
    neu1e.fill(0.0);
    let (mut likelihood, mut log_sum) = (1.0f64, 0.0f64);
    for (c, &ctx) in contexts.iter().enumerate() {
        let noise = negatives[c * k..(c + 1) * k].iter().filter(|&&n| n != ctx);
        for (target, positive) in std::iter::once((ctx, true)).chain(noise.map(|&n| (n, false))) {
            let u = &mut output[target as usize * d..][..d];
            let f = dot(input, u).clamp(-MAX_DOT, MAX_DOT);
            // σ(f) = 1/(1+e) and σ(−f) = e/(1+e) from one e = exp(−f), both without cancellation.
            let e = exp(-f);
            let sigma = 1.0 / (1.0 + e);
            let (g, p) = if positive { ((1.0 - sigma) * lr, sigma) } else { (-sigma * lr, e * sigma) };
            likelihood *= p as f64;
            if likelihood < FOLD_BELOW {
                log_sum += likelihood.ln();
                likelihood = 1.0;
            }
            for ((n, u), &v) in neu1e.iter_mut().zip(u.iter_mut()).zip(input.iter()) {
                *n += g * *u;
                *u += g * v;
            }
        }
    }
    for (v, &n) in input.iter_mut().zip(neu1e.iter()) {
        *v += n;
    }
    -(log_sum + likelihood.ln())
}

/// [`loss`] with the centre word's input vector the mean of `rows` of `input` `[R, D]` (see
/// the module doc), rows `dim` wide, in f64 throughout.
pub fn loss_subwords(
    input: &[f32],
    dim: usize,
    rows: &[u32],
    output: &[f32],
    contexts: &[u32],
    negatives: &[u32],
) -> f64 {
    let d = dim;
    let mut h = vec![0.0f64; d];
    for &r in rows {
        for (m, &w) in h.iter_mut().zip(&input[r as usize * d..][..d]) {
            *m += w as f64;
        }
    }
    h.iter_mut().for_each(|m| *m /= rows.len() as f64);
    loss_f64(&h, output, contexts, negatives)
}

/// One [`step`] for a centre word whose input vector is the mean of `rows` of `input` `[R, D]`,
/// fastText's way (see the module doc): every row gets the change of the mean. `hidden` and
/// `neu1e` `[D]` are scratch. Returns the loss before the step.
#[allow(clippy::too_many_arguments)]
pub fn step_subwords(
    input: &mut [f32],
    rows: &[u32],
    output: &mut [f32],
    contexts: &[u32],
    negatives: &[u32],
    lr: f32,
    hidden: &mut [f32],
    neu1e: &mut [f32],
) -> f64 {
    assert!(!rows.is_empty(), "skipgram::step_subwords: a centre word has at least its own row");
    let d = hidden.len();
    hidden.fill(0.0);
    for &r in rows {
        add(hidden, &input[r as usize * d..][..d]);
    }
    // fastText's `hidden.mul(1.0 / input.size())`
    let scale = 1.0 / rows.len() as f32;
    hidden.iter_mut().for_each(|h| *h *= scale);
    let l = step(hidden, output, contexts, negatives, lr, neu1e);
    for &r in rows {
        add(&mut input[r as usize * d..][..d], neu1e);
    }
    l
}

/// `a += b`, element-wise (no FMA: the same bits in every build).
#[inline(always)]
fn add(a: &mut [f32], b: &[f32]) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// Noise ids per context, `K`.
fn per_context(contexts: &[u32], negatives: &[u32]) -> usize {
    if contexts.is_empty() {
        return 0;
    }
    assert_eq!(negatives.len() % contexts.len(), 0, "skipgram: negatives must be [contexts, K]");
    negatives.len() / contexts.len()
}

/// `a·b` with sixteen independent partial sums (two AVX2 registers, four SSE ones), so the
/// loop vectorises and is not bound by the latency of one running sum. Written as a zip over
/// the accumulator array: indexing it (`acc[i] += x[i] * y[i]`) made LLVM split the sums into
/// 2-lane pieces, half the speed of this form under AVX2.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    const L: usize = 16;
    let mut acc = [0.0f32; L];
    let (a_chunks, b_chunks) = (a.chunks_exact(L), b.chunks_exact(L));
    let tail: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for ((s, &p), &q) in acc.iter_mut().zip(x).zip(y) {
            *s += p * q;
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;
    use crate::Rng;

    fn random(n: usize, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| rng.uniform(-0.5, 0.5)).collect()
    }

    /// Width 19 exercises both the 16-lane loop and its tail.
    const D: usize = 19;
    /// Two contexts (rows 1, 2) with two noise words each; context 1's list holds 1 itself,
    /// which must be skipped by both the loss and the step.
    const CONTEXTS: [u32; 2] = [1, 2];
    const NEGATIVES: [u32; 4] = [3, 1, 4, 5];

    #[test]
    fn step_is_an_sgd_step_on_the_loss() {
        let mut rng = Rng::new(11);
        let (v, u) = (random(D, &mut rng), random(6 * D, &mut rng));
        let lr = 0.5f32;
        let (mut v1, mut u1, mut neu1e) = (v.clone(), u.clone(), vec![0.0; D]);
        let reported = step(&mut v1, &mut u1, &CONTEXTS, &NEGATIVES, lr, &mut neu1e);
        let reference = loss(&v, &u, &CONTEXTS, &NEGATIVES);
        assert!((reported - reference).abs() < 1e-5 * reference, "step's loss {reported} vs {reference}");
        // The step moved each value by −lr·∂L/∂value; recover the gradient it used.
        let grad = |before: &[f32], after: &[f32]| -> Vec<f32> {
            before.iter().zip(after).map(|(&b, &a)| ((b as f64 - a as f64) / lr as f64) as f32).collect()
        };
        for worst in [
            check("skipgram.input", &v, &grad(&v, &v1), |p| loss(p, &u, &CONTEXTS, &NEGATIVES)),
            check("skipgram.output", &u, &grad(&u, &u1), |p| loss(&v, p, &CONTEXTS, &NEGATIVES)),
        ] {
            assert!(worst < 1e-2, "skipgram max rel diff {worst}");
        }
        // Row 0 is in no list: untouched.
        assert_eq!(&u1[..D], &u[..D]);
    }

    /// The centre word is input rows 0 (its own), 2 and 3, with 2 twice (a repeated n-gram);
    /// row 1 belongs to another word.
    const ROWS: [u32; 4] = [0, 2, 3, 2];

    #[test]
    fn subword_step_is_an_sgd_step_on_the_mean_of_its_rows() {
        let mut rng = Rng::new(12);
        let (w, u) = (random(4 * D, &mut rng), random(6 * D, &mut rng));
        let lr = 0.5f32;
        let (mut w1, mut u1) = (w.clone(), u.clone());
        let (mut hidden, mut neu1e) = (vec![0.0; D], vec![0.0; D]);
        let reported = step_subwords(&mut w1, &ROWS, &mut u1, &CONTEXTS, &NEGATIVES, lr, &mut hidden, &mut neu1e);
        let reference = loss_subwords(&w, D, &ROWS, &u, &CONTEXTS, &NEGATIVES);
        assert!((reported - reference).abs() < 1e-5 * reference, "step's loss {reported} vs {reference}");
        // Each input row moved by −lr·n·∂L/∂row (fastText gives every row the mean's change),
        // each output row by −lr·∂L/∂row.
        let n = ROWS.len() as f64;
        let grad = |before: &[f32], after: &[f32], rate: f64| -> Vec<f32> {
            before.iter().zip(after).map(|(&b, &a)| ((b as f64 - a as f64) / rate) as f32).collect()
        };
        for worst in [
            check("skipgram.subword_rows", &w, &grad(&w, &w1, lr as f64 * n), |p| {
                loss_subwords(p, D, &ROWS, &u, &CONTEXTS, &NEGATIVES)
            }),
            check("skipgram.output", &u, &grad(&u, &u1, lr as f64), |p| {
                loss_subwords(&w, D, &ROWS, p, &CONTEXTS, &NEGATIVES)
            }),
        ] {
            assert!(worst < 1e-2, "subword skipgram max rel diff {worst}");
        }
        // Row 1 is not the centre word's: untouched; its rows moved; and a single row is the
        // plain step.
        assert_eq!(&w1[D..2 * D], &w[D..2 * D]);
        assert!(ROWS.iter().all(|&r| w1[r as usize * D..][..D] != w[r as usize * D..][..D]));
        let (mut alone, mut u2, mut v) = (w.clone(), u.clone(), w[..D].to_vec());
        step_subwords(&mut alone, &[0], &mut u2, &CONTEXTS, &NEGATIVES, lr, &mut hidden, &mut neu1e);
        let mut u3 = u.clone();
        step(&mut v, &mut u3, &CONTEXTS, &NEGATIVES, lr, &mut neu1e);
        assert_eq!((&alone[..D], &u2), (&v[..], &u3));
    }

    #[test]
    fn saturated_pairs_give_finite_loss_and_no_nan() {
        let (mut v, mut u, mut neu1e) = (vec![10.0f32; D], vec![10.0f32; 6 * D], vec![0.0; D]);
        let l = step(&mut v, &mut u, &CONTEXTS, &NEGATIVES, 0.1, &mut neu1e);
        // Every noise word's u·v is ~1900 (clipped to 30): loss ≈ 30 per noise word kept (3).
        assert!((l - 90.0).abs() < 1e-3, "loss {l}");
        assert!(v.iter().chain(&u).all(|x| x.is_finite()));
    }

    #[test]
    fn vector_build_matches_portable_build_bit_for_bit() {
        let mut rng = Rng::new(3);
        let (v, u) = (random(128, &mut rng), random(6 * 128, &mut rng));
        let (mut v1, mut u1, mut n1) = (v.clone(), u.clone(), vec![0.0; 128]);
        let (mut v2, mut u2, mut n2) = (v.clone(), u.clone(), vec![0.0; 128]);
        let l1 = step(&mut v1, &mut u1, &CONTEXTS, &NEGATIVES, 0.025, &mut n1);
        let l2 = step_body(&mut v2, &mut u2, &CONTEXTS, &NEGATIVES, 0.025, &mut n2);
        assert_eq!(l1.to_bits(), l2.to_bits());
        assert_eq!(v1, v2);
        assert_eq!(u1, u2);
    }
}
