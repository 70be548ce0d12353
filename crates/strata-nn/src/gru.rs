//! GRU with Keras's default semantics (`reset_after=True`, the cuDNN-compatible form): gates
//! stacked `(z, r, h)` in a `[E, 3H]` kernel and a `[H, 3H]` recurrent kernel, and two biases
//! (`[2, 3H]`: input, recurrent), because the reset gate multiplies the recurrent projection
//! *after* its bias:
//!
//! ```text
//! z = σ(x·Wz + bz + h·Uz + b'z)      r = σ(x·Wr + br + h·Ur + b'r)
//! n = tanh(x·Wh + bh + r ⊙ (h·Uh + b'h))      h' = z ⊙ h + (1 − z) ⊙ n
//! ```
//!
//! As in the LSTM, the input projection of all steps is one GEMM and each step multiplies only
//! the small state by the recurrent kernel. strata-model's recurrent layer type runs it, alone or
//! inside the bidirectional wrapper: the `gru` and `han` named models, and `type = "gru"` in a
//! model file.

use crate::activations::{sigmoid, tanh};
use crate::gemm::{gemm, Gemm};
use crate::small_gemm::matmul;

use crate::rnn::{RnnDims, RnnGrads, RnnOutputGrads, RnnParams};

/// Activations saved for backward, and backward's scratch.
#[derive(Default)]
pub struct GruCache {
    /// `[T, B, 3H]` x·W + b_in for all steps
    xp: Vec<f32>,
    /// `[T, B, 3H]` z, r, n after their nonlinearity
    gates: Vec<f32>,
    /// `[T, B, H]` the candidate's recurrent part h·Uh + b'h (before the reset gate)
    rec_h: Vec<f32>,
    /// `[T+1, B, H]` states, `h[0] = 0`
    pub h: Vec<f32>,
    /// `[B, 3H]` one step's recurrent projection
    hp: Vec<f32>,
}

impl GruCache {
    pub fn outputs(&self, d: RnnDims) -> &[f32] {
        &self.h[d.b * d.h..(d.t + 1) * d.b * d.h]
    }

    pub fn last(&self, d: RnnDims) -> &[f32] {
        &self.h[d.t * d.b * d.h..(d.t + 1) * d.b * d.h]
    }
}

/// Forward over a time-major input `x: [T, B, E]`. The gate loop is compiled a second time for
/// AVX2 (chosen at run time), as the LSTM's cell is.
pub fn forward(d: RnnDims, x: &[f32], p: RnnParams, cache: &mut GruCache) {
    cache.h.resize((d.t + 1) * d.b * d.h, 0.0);
    cache.h[..d.b * d.h].fill(0.0);
    run_steps(d, x, p, cache)
}

/// [`forward`] from a given state `h0: [B, H]`, as a language model carries it across
/// segments; `backward` gives no gradient for `h0` (truncated BPTT). The final state is
/// [`GruCache::last`].
pub fn forward_from(d: RnnDims, x: &[f32], p: RnnParams, h0: &[f32], cache: &mut GruCache) {
    assert_eq!(h0.len(), d.b * d.h, "gru: initial state is not [B, H]");
    cache.h.resize((d.t + 1) * d.b * d.h, 0.0);
    cache.h[..d.b * d.h].copy_from_slice(h0);
    run_steps(d, x, p, cache)
}

/// The steps of forward, from the state already in `cache.h[0]`.
fn run_steps(d: RnnDims, x: &[f32], p: RnnParams, cache: &mut GruCache) {
    #[cfg(target_arch = "x86_64")]
    if crate::activations::has_avx2() {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { forward_avx2(d, x, p, cache) };
    }
    forward_body(d, x, p, cache)
}

/// [`forward_body`] compiled for AVX2 and FMA.
///
/// # Safety
///
/// The CPU must have AVX2 and FMA (`activations::has_avx2`). The body is safe code; only the
/// instructions it is compiled to need the check.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn forward_avx2(d: RnnDims, x: &[f32], p: RnnParams, cache: &mut GruCache) {
    forward_body(d, x, p, cache)
}

#[inline(always)]
fn forward_body(d: RnnDims, x: &[f32], p: RnnParams, cache: &mut GruCache) {
    let (b, h, g) = (d.b, d.h, 3 * d.h);
    assert_eq!(x.len(), d.t * b * d.e, "gru: input is not [T, B, E]");
    let tb = d.t * b;
    cache.xp.resize(tb * g, 0.0);
    cache.gates.resize(tb * g, 0.0);
    cache.rec_h.resize(tb * h, 0.0);
    cache.h.resize((d.t + 1) * b * h, 0.0);
    cache.hp.resize(b * g, 0.0);
    gemm(Gemm::new(tb, d.e, g), x, p.kernel, &mut cache.xp);
    let (b_in, b_rec) = p.bias.split_at(g);
    cache.xp.chunks_exact_mut(g).for_each(|row| row.iter_mut().zip(b_in).for_each(|(v, bias)| *v += bias));
    for t in 0..d.t {
        let (h_prev, h_next) = cache.h[t * b * h..(t + 2) * b * h].split_at_mut(b * h);
        for row in cache.hp.chunks_exact_mut(g) {
            row.copy_from_slice(b_rec);
        }
        matmul(b, h, g, h_prev, p.recurrent, true, &mut cache.hp);
        for bi in 0..b {
            let xp = &cache.xp[(t * b + bi) * g..(t * b + bi + 1) * g];
            let hp = &cache.hp[bi * g..(bi + 1) * g];
            let gates = &mut cache.gates[(t * b + bi) * g..(t * b + bi + 1) * g];
            let rec_h = &mut cache.rec_h[(t * b + bi) * h..(t * b + bi + 1) * h];
            for j in 0..h {
                let z = sigmoid(xp[j] + hp[j]);
                let r = sigmoid(xp[h + j] + hp[h + j]);
                let n = tanh(xp[2 * h + j] + r * hp[2 * h + j]);
                gates[j] = z;
                gates[h + j] = r;
                gates[2 * h + j] = n;
                rec_h[j] = hp[2 * h + j];
                h_next[bi * h + j] = z * h_prev[bi * h + j] + (1.0 - z) * n;
            }
        }
    }
}

/// Backward; same contract as `lstm::backward`.
pub fn backward(
    d: RnnDims,
    x: &[f32],
    p: RnnParams,
    cache: &GruCache,
    dy: RnnOutputGrads,
    grads: RnnGrads,
    dx: Option<&mut [f32]>,
) {
    let (b, h, g, tb) = (d.b, d.h, 3 * d.h, d.t * d.b);
    let mut dxp = vec![0.0f32; tb * g]; // d(x·W + b_in)
    let mut dhp = vec![0.0f32; tb * g]; // d(h·U + b_rec)
    let mut dh = dy.last.map_or_else(|| vec![0.0; b * h], <[f32]>::to_vec);
    let mut recurrent_t = vec![0.0f32; g * h]; // Uᵀ: [3H, H]
    for r in 0..h {
        for c in 0..g {
            recurrent_t[c * h + r] = p.recurrent[r * g + c];
        }
    }
    let mut dh_prev = vec![0.0f32; b * h];
    for t in (0..d.t).rev() {
        if let Some(seq) = dy.seq {
            dh.iter_mut().zip(&seq[t * b * h..(t + 1) * b * h]).for_each(|(a, s)| *a += s);
        }
        let h_prev = &cache.h[t * b * h..(t + 1) * b * h];
        for bi in 0..b {
            let gates = &cache.gates[(t * b + bi) * g..(t * b + bi + 1) * g];
            let rec_h = &cache.rec_h[(t * b + bi) * h..(t * b + bi + 1) * h];
            let dxr = &mut dxp[(t * b + bi) * g..(t * b + bi + 1) * g];
            let dhr = &mut dhp[(t * b + bi) * g..(t * b + bi + 1) * g];
            for j in 0..h {
                let (z, r, n) = (gates[j], gates[h + j], gates[2 * h + j]);
                let dhj = dh[bi * h + j];
                let dn_pre = dhj * (1.0 - z) * (1.0 - n * n);
                let dz_pre = dhj * (h_prev[bi * h + j] - n) * z * (1.0 - z);
                let dr_pre = dn_pre * rec_h[j] * r * (1.0 - r);
                dxr[j] = dz_pre;
                dxr[h + j] = dr_pre;
                dxr[2 * h + j] = dn_pre;
                dhr[j] = dz_pre;
                dhr[h + j] = dr_pre;
                dhr[2 * h + j] = dn_pre * r;
                dh_prev[bi * h + j] = dhj * z;
            }
        }
        // dh_{t-1} = dh ⊙ z + dHp_t · Uᵀ
        matmul(b, g, h, &dhp[t * b * g..(t + 1) * b * g], &recurrent_t, true, &mut dh_prev);
        std::mem::swap(&mut dh, &mut dh_prev);
    }
    gemm(Gemm::new(h, tb, g).transpose_a().accumulate(), &cache.h[..tb * h], &dhp, grads.recurrent);
    gemm(Gemm::new(d.e, tb, g).transpose_a().accumulate(), x, &dxp, grads.kernel);
    let (gb_in, gb_rec) = grads.bias.split_at_mut(g);
    dxp.chunks_exact(g).for_each(|row| gb_in.iter_mut().zip(row).for_each(|(a, v)| *a += v));
    dhp.chunks_exact(g).for_each(|row| gb_rec.iter_mut().zip(row).for_each(|(a, v)| *a += v));
    if let Some(dx) = dx {
        gemm(Gemm::new(tb, g, d.e).transpose_b(), &dxp, p.kernel, dx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;
    use crate::Rng;

    fn run_check(return_sequences: bool) {
        let d = RnnDims { b: 2, t: 4, e: 3, h: 3 };
        let mut rng = Rng::new(21);
        let mut r = |n: usize, s: f32| (0..n).map(|_| rng.uniform(-s, s)).collect::<Vec<f32>>();
        let (x, k, u, bias) = (r(d.t * d.b * d.e, 1.0), r(d.e * 3 * d.h, 0.6), r(d.h * 3 * d.h, 0.6), r(6 * d.h, 0.5));
        let n_out = if return_sequences { d.t * d.b * d.h } else { d.b * d.h };
        let probe = r(n_out, 1.0);
        let loss = |x: &[f32], k: &[f32], u: &[f32], bias: &[f32]| {
            let mut c = GruCache::default();
            forward(d, x, RnnParams { kernel: k, recurrent: u, bias }, &mut c);
            let out = if return_sequences { c.outputs(d) } else { c.last(d) };
            out.iter().zip(&probe).map(|(o, p)| (o * p) as f64).sum::<f64>()
        };
        let mut c = GruCache::default();
        let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
        forward(d, &x, p, &mut c);
        let (mut dk, mut du, mut db, mut dx) =
            (vec![0.0; k.len()], vec![0.0; u.len()], vec![0.0; bias.len()], vec![0.0; x.len()]);
        let (seq, last) = if return_sequences { (Some(&probe[..]), None) } else { (None, Some(&probe[..])) };
        let grads = RnnGrads { kernel: &mut dk, recurrent: &mut du, bias: &mut db };
        backward(d, &x, p, &c, RnnOutputGrads { seq, last }, grads, Some(&mut dx));
        let tag = if return_sequences { "seq" } else { "last" };
        for worst in [
            check(&format!("gru({tag}).kernel"), &k, &dk, |v| loss(&x, v, &u, &bias)),
            check(&format!("gru({tag}).recurrent_kernel"), &u, &du, |v| loss(&x, &k, v, &bias)),
            check(&format!("gru({tag}).bias"), &bias, &db, |v| loss(&x, &k, &u, v)),
            check(&format!("gru({tag}).input"), &x, &dx, |v| loss(v, &k, &u, &bias)),
        ] {
            assert!(worst < 1e-2, "gru {tag}: max rel diff {worst}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences_last_state() {
        run_check(false);
    }

    #[test]
    fn gradient_matches_finite_differences_all_states() {
        run_check(true);
    }
}
