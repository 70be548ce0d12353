//! Pooling a sequence `[T, B, H]` into one vector per example `[B, H]`: mean over time, and the
//! additive attention of Yang et al. (2016), the pooling of a hierarchical attention network
//! (max over time is in `conv1d`, next to the convolution it follows):
//!
//! ```text
//! u_t = tanh(h_t·W + b)        score_t = u_t · c        α = softmax_t(score)        s = Σ_t α_t h_t
//! ```
//!
//! The attention weights `α` are kept: they are what an explanation shows.
//!
//! Both take an optional `valid: [T, B]` mask: steps that are padding get no weight (a row
//! with no valid step is pooled over all of its steps), as Keras layers do under
//! `mask_zero=True` — otherwise a short text's padding would take most of the attention.

use crate::activations::tanh_in_place;
use crate::gemm::{gemm, Gemm};

/// Each step's share of row `bi`'s pool: `1/count` over its valid steps, 0 elsewhere.
fn shares(t: usize, b: usize, valid: Option<&[bool]>) -> Vec<f32> {
    let mut w = vec![1.0f32; t * b];
    if let Some(v) = valid {
        for bi in 0..b {
            if (0..t).any(|s| v[s * b + bi]) {
                (0..t).for_each(|s| w[s * b + bi] = f32::from(u8::from(v[s * b + bi])));
            }
        }
    }
    for bi in 0..b {
        let n: f32 = (0..t).map(|s| w[s * b + bi]).sum();
        (0..t).for_each(|s| w[s * b + bi] /= n.max(1.0));
    }
    w
}

/// `out[b] = mean over valid t of x[t, b]`.
pub fn mean_forward(t: usize, b: usize, h: usize, x: &[f32], valid: Option<&[bool]>, out: &mut [f32]) {
    let w = shares(t, b, valid);
    out[..b * h].fill(0.0);
    for s in 0..t {
        for bi in 0..b {
            let (ws, src) = (w[s * b + bi], &x[(s * b + bi) * h..(s * b + bi + 1) * h]);
            out[bi * h..(bi + 1) * h].iter_mut().zip(src).for_each(|(o, v)| *o += ws * v);
        }
    }
}

/// `dx[t, b] = dout[b] / count` on valid steps, 0 elsewhere (overwritten).
pub fn mean_backward(t: usize, b: usize, h: usize, dout: &[f32], valid: Option<&[bool]>, dx: &mut [f32]) {
    let w = shares(t, b, valid);
    for s in 0..t {
        for bi in 0..b {
            let ws = w[s * b + bi];
            let dst = &mut dx[(s * b + bi) * h..(s * b + bi + 1) * h];
            dst.iter_mut().zip(&dout[bi * h..(bi + 1) * h]).for_each(|(d, g)| *d = ws * g);
        }
    }
}

/// Attention parameters: `w: [H, A]`, `bias: [A]`, `context: [A]`.
#[derive(Clone, Copy)]
pub struct AttentionParams<'a> {
    pub w: &'a [f32],
    pub bias: &'a [f32],
    pub context: &'a [f32],
}

pub struct AttentionGrads<'a> {
    pub w: &'a mut [f32],
    pub bias: &'a mut [f32],
    pub context: &'a mut [f32],
}

#[derive(Default)]
pub struct AttentionCache {
    /// `[T, B, A]` tanh projections
    u: Vec<f32>,
    /// `[T, B]` attention weights (sum to 1 over t for each b)
    pub alpha: Vec<f32>,
    /// `[B, H]` pooled output
    pub out: Vec<f32>,
    /// `[T, B]` scores (forward's and [`infer`]'s) and [`infer`]'s one block of projections
    scores: Vec<f32>,
    u_block: Vec<f32>,
    /// `[T]` one row's masked scores, then their exponentials (softmax scratch)
    row: Vec<f32>,
    /// backward scratch, kept so that a training step allocates nothing: `[T, B]` d(score),
    /// `[T]` one row's d(alpha); and `[T, B, A]` d(pre-activation of u), taken from the
    /// thread's [`crate::scratch`] pool by each backward and given back before it returns, so
    /// that a model's attention layers do not each hold one between batches (han's peak
    /// memory, issue 14)
    dscore: Vec<f32>,
    dalpha: Vec<f32>,
    dpre: Vec<f32>,
}

/// Sizes of one attention call: `t` steps of `b` rows of width `h` in, an `a`-wide projection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttentionDims {
    pub t: usize,
    pub b: usize,
    pub h: usize,
    pub a: usize,
}

/// Forward of `x: [T, B, H]`; `valid` is the optional `[T, B]` mask of real steps.
pub fn forward(d: AttentionDims, x: &[f32], valid: Option<&[bool]>, p: AttentionParams, cache: &mut AttentionCache) {
    forward_in_build(d, x, valid, p, cache)
}

crate::kernels::compiled_per_kernels!(
    fn forward_in_build / forward_avx2 / forward_avx512 (
        d: AttentionDims,
        x: &[f32],
        valid: Option<&[bool]>,
        p: AttentionParams,
        cache: &mut AttentionCache,
    ) => forward_body
);

#[inline(always)]
fn forward_body(d: AttentionDims, x: &[f32], valid: Option<&[bool]>, p: AttentionParams, cache: &mut AttentionCache) {
    let AttentionDims { t, b, a, .. } = d;
    cache.u.resize(t * b * a, 0.0);
    for row in cache.u.chunks_exact_mut(a) {
        row.copy_from_slice(p.bias);
    }
    gemm(Gemm::new(t * b, d.h, a).accumulate(), x, p.w, &mut cache.u);
    tanh_in_place(&mut cache.u);
    let AttentionCache { u, alpha, out, scores, row, .. } = cache;
    scores.resize(t * b, 0.0);
    scores.iter_mut().zip(u.chunks_exact(a)).for_each(|(s, u)| *s = score(u, p.context));
    softmax_pool(d, x, valid, scores, row, alpha, out);
}

/// Rows of `u` one block of [`infer`] projects at a time.
const INFER_BLOCK_ROWS: usize = 1024;

/// [`forward`] for inference (no backward follows): the same weights and output, with the
/// `tanh` projections `u` computed a block of rows at a time and not kept — only `alpha`,
/// `out` and `[T, B]` scores stay in `cache`.
pub fn infer(d: AttentionDims, x: &[f32], valid: Option<&[bool]>, p: AttentionParams, cache: &mut AttentionCache) {
    infer_in_build(d, x, valid, p, cache)
}

crate::kernels::compiled_per_kernels!(
    fn infer_in_build / infer_avx2 / infer_avx512 (
        d: AttentionDims,
        x: &[f32],
        valid: Option<&[bool]>,
        p: AttentionParams,
        cache: &mut AttentionCache,
    ) => infer_body
);

#[inline(always)]
fn infer_body(d: AttentionDims, x: &[f32], valid: Option<&[bool]>, p: AttentionParams, cache: &mut AttentionCache) {
    let AttentionDims { t, b, h, a } = d;
    let mut scores = std::mem::take(&mut cache.scores);
    scores.resize(t * b, 0.0);
    for (blk, sc) in x.chunks(INFER_BLOCK_ROWS * h).zip(scores.chunks_mut(INFER_BLOCK_ROWS)) {
        let rows = sc.len();
        let u = &mut cache.u_block;
        u.resize(rows * a, 0.0);
        for row in u.chunks_exact_mut(a) {
            row.copy_from_slice(p.bias);
        }
        gemm(Gemm::new(rows, h, a).accumulate(), blk, p.w, &mut u[..rows * a]);
        tanh_in_place(&mut u[..rows * a]);
        sc.iter_mut().zip(u.chunks_exact(a)).for_each(|(s, u)| *s = score(u, p.context));
    }
    softmax_pool(d, x, valid, &scores, &mut cache.row, &mut cache.alpha, &mut cache.out);
    cache.scores = scores;
}

/// One step's score `u · c`.
#[inline(always)]
fn score(u: &[f32], context: &[f32]) -> f32 {
    dot(u, context)
}

/// Partial sums a [`dot`] keeps: one AVX-512 vector, two AVX2 ones.
const DOT_LANES: usize = 16;

/// `x · y` over [`DOT_LANES`] partial sums, added pairwise at the end, then the tail: the
/// same bits in every build (each lane's sum is in order, and Rust does not fuse `a·b + c`),
/// where a sum in one running total is a chain of dependent adds that does not vectorise.
#[inline(always)]
fn dot(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [0.0f32; DOT_LANES];
    let (xs, ys) = (x.chunks_exact(DOT_LANES), y.chunks_exact(DOT_LANES));
    let tail: f32 = xs.remainder().iter().zip(ys.remainder()).map(|(a, b)| a * b).sum();
    for (xa, ya) in xs.zip(ys) {
        for l in 0..DOT_LANES {
            acc[l] += xa[l] * ya[l];
        }
    }
    let mut width = DOT_LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            acc[l] += acc[l + width];
        }
    }
    acc[0] + tail
}

/// `alpha = softmax_t(scores)` per row (padding steps get no weight, unless a row has no real
/// step), and `out = Σ_t α_t x_t`.
#[inline(always)]
fn softmax_pool(
    d: AttentionDims,
    x: &[f32],
    valid: Option<&[bool]>,
    scores: &[f32],
    row: &mut Vec<f32>,
    alpha: &mut Vec<f32>,
    out: &mut Vec<f32>,
) {
    let AttentionDims { t, b, h, .. } = d;
    alpha.resize(t * b, 0.0);
    out.resize(b * h, 0.0);
    row.resize(t, 0.0);
    for bi in 0..b {
        let any_valid = valid.is_none_or(|v| (0..t).any(|s| v[s * b + bi]));
        for (s, r) in row.iter_mut().enumerate() {
            *r = if any_valid && valid.is_some_and(|v| !v[s * b + bi]) {
                f32::NEG_INFINITY // padding: weight 0
            } else {
                scores[s * b + bi]
            };
        }
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        row.iter_mut().for_each(|v| *v = (*v - max).exp());
        let sum: f32 = row.iter().sum();
        for (s, e) in row.iter().enumerate() {
            alpha[s * b + bi] = e / sum;
        }
    }
    out.fill(0.0);
    for s in 0..t {
        for bi in 0..b {
            let al = alpha[s * b + bi];
            let src = &x[(s * b + bi) * h..(s * b + bi + 1) * h];
            out[bi * h..(bi + 1) * h].iter_mut().zip(src).for_each(|(o, v)| *o += al * v);
        }
    }
}

/// Backward from `dout: [B, H]`: accumulates parameter gradients, overwrites `dx: [T, B, H]`.
pub fn backward(
    d: AttentionDims,
    x: &[f32],
    p: AttentionParams,
    cache: &mut AttentionCache,
    dout: &[f32],
    g: AttentionGrads,
    dx: &mut [f32],
) {
    backward_in_build(d, x, p, cache, dout, g, dx)
}

crate::kernels::compiled_per_kernels!(
    fn backward_in_build / backward_avx2 / backward_avx512 (
        d: AttentionDims,
        x: &[f32],
        p: AttentionParams,
        cache: &mut AttentionCache,
        dout: &[f32],
        g: AttentionGrads,
        dx: &mut [f32],
    ) => backward_body
);

#[inline(always)]
fn backward_body(
    d: AttentionDims,
    x: &[f32],
    p: AttentionParams,
    cache: &mut AttentionCache,
    dout: &[f32],
    g: AttentionGrads,
    dx: &mut [f32],
) {
    let AttentionDims { t, b, h, a } = d;
    let AttentionCache { u, alpha, dscore, dalpha, dpre, .. } = cache;
    // dα_t = dout · x_t ; direct path dx_t = α_t dout
    dscore.resize(t * b, 0.0);
    dalpha.resize(t, 0.0);
    for bi in 0..b {
        let d = &dout[bi * h..(bi + 1) * h];
        for (s, da) in dalpha.iter_mut().enumerate() {
            *da = dot(&x[(s * b + bi) * h..(s * b + bi + 1) * h], d);
        }
        let dot: f32 = (0..t).map(|s| alpha[s * b + bi] * dalpha[s]).sum();
        for s in 0..t {
            let al = alpha[s * b + bi];
            dscore[s * b + bi] = al * (dalpha[s] - dot);
            dx[(s * b + bi) * h..(s * b + bi + 1) * h].iter_mut().zip(d).for_each(|(o, g)| *o = al * g);
        }
    }
    // score = u · c ; u = tanh(pre); every value of dpre is written below
    *dpre = crate::scratch::take(t * b * a);
    for i in 0..t * b {
        let u = &u[i * a..(i + 1) * a];
        let ds = dscore[i];
        g.context.iter_mut().zip(u).for_each(|(c, uv)| *c += ds * uv);
        for j in 0..a {
            dpre[i * a + j] = ds * p.context[j] * (1.0 - u[j] * u[j]);
        }
    }
    gemm(Gemm::new(h, t * b, a).transpose_a().accumulate(), x, dpre, g.w);
    dpre.chunks_exact(a).for_each(|r| g.bias.iter_mut().zip(r).for_each(|(bb, v)| *bb += v));
    gemm(Gemm::new(t * b, a, h).transpose_b().accumulate(), dpre, p.w, dx);
    crate::scratch::give(std::mem::take(dpre));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;
    use crate::Rng;

    #[test]
    fn attention_gradient_matches_finite_differences_and_weights_sum_to_one() {
        attention_check(None);
        // padding steps get no weight; a row that is all padding is pooled over every step
        let valid = [false, false, false, false, true, false, true, false];
        let c = attention_check(Some(&valid));
        for (i, v) in valid.iter().enumerate() {
            if !v && i.is_multiple_of(2) {
                assert_eq!(c.alpha[i], 0.0);
            }
        }
        assert!(c.alpha.iter().skip(1).step_by(2).all(|&w| w > 0.0), "an all-padding row keeps its weights");
    }

    /// Backward gives its `[T, B, A]` scratch back to the thread's pool (a second backward on
    /// the same cache gives the same bits from a stale buffer).
    #[test]
    fn backward_keeps_no_projection_gradient_and_repeats_bit_for_bit() {
        let d = AttentionDims { t: 6, b: 4, h: 5, a: 3 };
        let mut rng = Rng::new(8);
        let mut r = |n: usize| (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect::<Vec<f32>>();
        let (x, w, bias, ctx, dout) = (r(d.t * d.b * d.h), r(d.h * d.a), r(d.a), r(d.a), r(d.b * d.h));
        let p = AttentionParams { w: &w, bias: &bias, context: &ctx };
        let mut c = AttentionCache::default();
        forward(d, &x, None, p, &mut c);
        let mut run = || {
            let (mut dw, mut db, mut dc, mut dx) =
                (vec![0.0; w.len()], vec![0.0; d.a], vec![0.0; d.a], vec![0.0; x.len()]);
            backward(d, &x, p, &mut c, &dout, AttentionGrads { w: &mut dw, bias: &mut db, context: &mut dc }, &mut dx);
            assert_eq!(c.dpre.capacity(), 0, "backward kept d(pre-activation)");
            (dw, db, dc, dx)
        };
        let first = run();
        crate::scratch::give(vec![f32::NAN; d.t * d.b * d.a]);
        assert!(first == run(), "a second backward differs");
    }

    /// Inference gives forward's weights and output, bit for bit, over more rows than one of
    /// its blocks, and holds no `[T, B, A]` projection.
    #[test]
    fn inference_matches_forward_and_keeps_no_projections() {
        let d = AttentionDims { t: 50, b: 45, h: 6, a: 7 };
        let mut rng = Rng::new(2);
        let mut r = |n: usize| (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect::<Vec<f32>>();
        let (x, w, bias, ctx) = (r(d.t * d.b * d.h), r(d.h * d.a), r(d.a), r(d.a));
        let valid: Vec<bool> = (0..d.t * d.b).map(|i| !(i / d.b + i % d.b).is_multiple_of(4) && i % d.b != 3).collect();
        let p = AttentionParams { w: &w, bias: &bias, context: &ctx };
        for v in [None, Some(&valid[..])] {
            let (mut trained, mut inferred) = (AttentionCache::default(), AttentionCache::default());
            forward(d, &x, v, p, &mut trained);
            infer(d, &x, v, p, &mut inferred);
            assert_eq!(trained.alpha, inferred.alpha);
            assert_eq!(trained.out, inferred.out);
            assert!(inferred.u.is_empty() && inferred.u_block.len() <= INFER_BLOCK_ROWS * d.a);
        }
    }

    /// The projection runs strata's vectorised tanh (`activations::tanh`), not glibc's scalar
    /// `tanhf`: `u` holds its bits exactly, and the pooled output stays within 1e-6 of the one
    /// libm's tanh gives (what moved the han model's pins: rounding only).
    #[test]
    fn projection_uses_the_vector_tanh_and_stays_within_1e_6_of_libm() {
        let d = AttentionDims { t: 30, b: 8, h: 100, a: 100 };
        let mut rng = Rng::new(7);
        let mut r = |n: usize, s: f32| (0..n).map(|_| rng.uniform(-s, s)).collect::<Vec<f32>>();
        let (x, w, bias, ctx) = (r(d.t * d.b * d.h, 1.0), r(d.h * d.a, 0.3), r(d.a, 0.1), r(d.a, 0.5));
        let p = AttentionParams { w: &w, bias: &bias, context: &ctx };
        let mut c = AttentionCache::default();
        forward(d, &x, None, p, &mut c);
        // the same projection with libm's tanh, and the rest of forward after it
        let mut pre: Vec<f32> = bias.iter().copied().cycle().take(d.t * d.b * d.a).collect();
        gemm(Gemm::new(d.t * d.b, d.h, d.a).accumulate(), &x, &w, &mut pre);
        let want_u: Vec<u32> = pre.iter().map(|&v| crate::activations::tanh(v).to_bits()).collect();
        assert_eq!(c.u.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want_u, "u is not activations::tanh");
        let libm_u: Vec<f32> = pre.iter().map(|v| v.tanh()).collect();
        let scores: Vec<f32> = libm_u.chunks_exact(d.a).map(|u| score(u, &ctx)).collect();
        let (mut alpha, mut out) = (Vec::new(), Vec::new());
        softmax_pool(d, &x, None, &scores, &mut Vec::new(), &mut alpha, &mut out);
        let worst = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
        let (du, da, dout) = (worst(&c.u, &libm_u), worst(&c.alpha, &alpha), worst(&c.out, &out));
        eprintln!("vector tanh against libm: u {du:e}, alpha {da:e}, out {dout:e}");
        assert!(du < 1e-6 && da < 1e-6 && dout < 1e-6, "u {du}, alpha {da}, out {dout}");
    }

    /// The lane-split dot product is a dot product (against f64, lengths with and without a
    /// tail), and attention's forward and backward give the same bits in every build the CPU
    /// has (the pins are compared under AVX2, models run under AVX-512).
    #[test]
    fn dot_is_exact_enough_and_every_build_gives_the_same_bits() {
        let mut rng = Rng::new(3);
        for n in [0, 1, 15, 16, 17, 50, 100, 129] {
            let (x, y): (Vec<f32>, Vec<f32>) = (0..n).map(|_| (rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0))).unzip();
            let want: f64 = x.iter().zip(&y).map(|(a, b)| *a as f64 * *b as f64).sum();
            assert!((dot(&x, &y) as f64 - want).abs() < 1e-5, "n={n}");
        }
        let d = AttentionDims { t: 7, b: 5, h: 37, a: 21 };
        let mut r = |n: usize| (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect::<Vec<f32>>();
        let (x, w, bias, ctx, dout) = (r(d.t * d.b * d.h), r(d.h * d.a), r(d.a), r(d.a), r(d.b * d.h));
        let p = AttentionParams { w: &w, bias: &bias, context: &ctx };
        let run = |build: crate::kernels::Kernels| {
            let mut c = AttentionCache::default();
            let (mut dw, mut db, mut dc, mut dx) =
                (vec![0.0; w.len()], vec![0.0; d.a], vec![0.0; d.a], vec![0.0; x.len()]);
            let g = AttentionGrads { w: &mut dw, bias: &mut db, context: &mut dc };
            match build {
                // SAFETY: the CPU has the build's features (checked by the caller).
                #[cfg(target_arch = "x86_64")]
                crate::kernels::Kernels::Avx512 => unsafe {
                    forward_avx512(d, &x, None, p, &mut c);
                    backward_avx512(d, &x, p, &mut c, &dout, g, &mut dx);
                },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                crate::kernels::Kernels::Avx2 => unsafe {
                    forward_avx2(d, &x, None, p, &mut c);
                    backward_avx2(d, &x, p, &mut c, &dout, g, &mut dx);
                },
                _ => {
                    forward_body(d, &x, None, p, &mut c);
                    backward_body(d, &x, p, &mut c, &dout, g, &mut dx);
                }
            }
            [c.out, c.alpha, dw, db, dc, dx].map(|v| v.iter().map(|f| f.to_bits()).collect::<Vec<u32>>())
        };
        let portable = run(crate::kernels::Kernels::Portable);
        for build in [crate::kernels::Kernels::Avx2, crate::kernels::Kernels::Avx512] {
            if build.supported() {
                assert!(run(build) == portable, "{build:?} differs from the portable build");
            } else {
                eprintln!("skipped {build:?}: not on this CPU");
            }
        }
    }

    fn attention_check(valid: Option<&[bool]>) -> AttentionCache {
        let d = AttentionDims { t: 4, b: 2, h: 3, a: 5 };
        let AttentionDims { t, b, h, a } = d;
        let mut rng = Rng::new(41);
        let mut r = |n: usize| (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect::<Vec<f32>>();
        let (x, w, bias, ctx, probe) = (r(t * b * h), r(h * a), r(a), r(a), r(b * h));
        let loss = |x: &[f32], w: &[f32], bias: &[f32], ctx: &[f32]| {
            let mut c = AttentionCache::default();
            forward(d, x, valid, AttentionParams { w, bias, context: ctx }, &mut c);
            c.out.iter().zip(&probe).map(|(o, p)| (o * p) as f64).sum::<f64>()
        };
        let p = AttentionParams { w: &w, bias: &bias, context: &ctx };
        let mut c = AttentionCache::default();
        forward(d, &x, valid, p, &mut c);
        for bi in 0..b {
            let s: f32 = (0..t).map(|s| c.alpha[s * b + bi]).sum();
            assert!((s - 1.0).abs() < 1e-6);
        }
        let (mut dw, mut db, mut dc, mut dx) = (vec![0.0; w.len()], vec![0.0; a], vec![0.0; a], vec![0.0; x.len()]);
        backward(d, &x, p, &mut c, &probe, AttentionGrads { w: &mut dw, bias: &mut db, context: &mut dc }, &mut dx);
        for worst in [
            check("attention.w", &w, &dw, |v| loss(&x, v, &bias, &ctx)),
            check("attention.bias", &bias, &db, |v| loss(&x, &w, v, &ctx)),
            check("attention.context", &ctx, &dc, |v| loss(&x, &w, &bias, v)),
            check("attention.input", &x, &dx, |v| loss(v, &w, &bias, &ctx)),
        ] {
            assert!(worst < 1e-2, "attention max rel diff {worst}");
        }
        c
    }

    #[test]
    fn mean_pooling_gradient_matches_finite_differences() {
        let (t, b, h) = (3, 2, 2);
        let x: Vec<f32> = (0..t * b * h).map(|i| (i as f32 * 0.37).sin()).collect();
        let probe = [0.5f32, -1.0, 2.0, 0.1];
        for valid in [None, Some(&[true, false, false, false, true, true][..])] {
            let loss = |x: &[f32]| {
                let mut out = vec![0.0; b * h];
                mean_forward(t, b, h, x, valid, &mut out);
                out.iter().zip(&probe).map(|(o, p)| (o * p) as f64).sum::<f64>()
            };
            let mut dx = vec![0.0; x.len()];
            mean_backward(t, b, h, &probe, valid, &mut dx);
            assert!(check("mean_pool.input", &x, &dx, loss) < 1e-3);
        }
    }
}
