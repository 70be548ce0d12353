//! Kim's block of convolutions — one ReLU `Conv1D(F, w)` per width `w`, each max-pooled over
//! time — computed together, because that is where kim-cnn spends its time.
//!
//! Forward is one GEMM for every width and shift, `Y = x · K_all` (`[T·N, E] · [E, S]`,
//! `S = Σ_w w·F`, `K_all`'s columns the kernels' `K_j` side by side), then shifted adds
//! `pre[t] = bias + Σ_{j<w} Y[t+j, (w, j)]` folded straight into the max over time, so no
//! `[T', N, F]` output is kept: only the pooled `[N, widths·F]` and which step won. One wide
//! GEMM packs the input once instead of once per shift and width, and its `S` columns keep the
//! kernel busy where `F` alone (100) would not.
//!
//! Backward uses the max pool's sparsity: the gradient reaches one step per (text, filter), so
//! `dK_j[:, f] += g · x[t*+j]` and `dx[t*+j] += g · K_j[:, f]` are `N·F·Σw` axpys of length `E`
//! — a fiftieth of the dense products' work at Kim's sizes — and exact, not an approximation.
//!
//! # Shapes
//! input `x: [T, N, E]` (time-major); kernel per width `[w, E, F]` (Keras's layout), bias
//! `[F]`; output `[N, widths·F]`, width `i`'s filters at columns `i·F .. (i+1)·F`.

use crate::gemm::{gemm, Gemm};

/// The convolutions of one block and their forward state.
pub struct ConvBank {
    e: usize,
    f: usize,
    widths: Vec<usize>,
    /// column of `K_all` / `Y` where width `i`'s shift 0 starts; shift `j` is `f·j` further
    starts: Vec<usize>,
    /// `S = Σ_w w·F`
    s: usize,
    n: usize,
    t: usize,
    /// `[E, S]`
    k_all: Vec<f32>,
    /// `[T·N, S]`
    y: Vec<f32>,
    /// `[F]` one output row before the max
    pre: Vec<f32>,
    /// `[N, widths·F]` after ReLU (0 where the text is shorter than the width)
    pooled: Vec<f32>,
    /// `[N, widths·F]` the step that won the max
    argmax: Vec<usize>,
    /// backward scratch for one width: its kernel and kernel gradient as `[w, F, E]`
    kt: Vec<f32>,
    dkt: Vec<f32>,
}

/// Where [`ConvBank::backward`] writes: per width the kernel's and bias's gradients (added
/// into), and the input's (overwritten) when given.
pub struct BankGrads<'a, 'g> {
    pub kernels: &'a mut [&'g mut [f32]],
    pub biases: &'a mut [&'g mut [f32]],
    pub dx: Option<&'a mut [f32]>,
}

impl ConvBank {
    pub fn new(e: usize, f: usize, widths: Vec<usize>) -> ConvBank {
        let starts = widths.iter().scan(0, |at, &w| Some(std::mem::replace(at, *at + w * f))).collect();
        let s = widths.iter().map(|w| w * f).sum();
        ConvBank {
            e,
            f,
            widths,
            starts,
            s,
            n: 0,
            t: 0,
            k_all: Vec::new(),
            y: Vec::new(),
            pre: Vec::new(),
            pooled: Vec::new(),
            argmax: Vec::new(),
            kt: Vec::new(),
            dkt: Vec::new(),
        }
    }

    /// Output steps of width `i` (0 when the text is shorter than it).
    fn t_out(&self, i: usize) -> usize {
        (self.t + 1).saturating_sub(self.widths[i])
    }

    /// `[N, widths·F]`: the max over time of each width's ReLU convolution.
    pub fn output(&self) -> &[f32] {
        &self.pooled
    }

    /// Forward over `x: [T, N, E]`; `kernels[i]`, `biases[i]` are width `i`'s.
    pub fn forward(&mut self, x: &[f32], n: usize, t: usize, kernels: &[&[f32]], biases: &[&[f32]]) {
        let (e, f, s) = (self.e, self.f, self.s);
        assert_eq!(x.len(), t * n * e, "conv bank: input is not [T, N, E]");
        (self.n, self.t) = (n, t);
        self.k_all.resize(e * s, 0.0);
        for (i, &w) in self.widths.iter().enumerate() {
            for j in 0..w {
                for ei in 0..e {
                    let col = ei * s + self.starts[i] + j * f;
                    self.k_all[col..col + f].copy_from_slice(&kernels[i][(j * e + ei) * f..][..f]);
                }
            }
        }
        self.y.resize(t * n * s, 0.0);
        gemm(Gemm::new(t * n, e, s), x, &self.k_all, &mut self.y);
        let wf = self.widths.len() * f;
        self.pooled.clear();
        self.pooled.resize(n * wf, 0.0);
        self.argmax.clear();
        self.argmax.resize(n * wf, 0);
        self.pre.resize(f, 0.0);
        for (i, &w) in self.widths.iter().enumerate() {
            let t_out = self.t_out(i);
            if t_out == 0 {
                continue; // shorter than the kernel: nothing to pool, the features stay 0
            }
            for row in self.pooled.chunks_exact_mut(wf) {
                row[i * f..(i + 1) * f].fill(f32::NEG_INFINITY);
            }
            for step in 0..t_out {
                for text in 0..n {
                    self.pre.copy_from_slice(biases[i]);
                    for j in 0..w {
                        let at = ((step + j) * n + text) * s + self.starts[i] + j * f;
                        self.pre.iter_mut().zip(&self.y[at..at + f]).for_each(|(a, v)| *a += v);
                    }
                    let at = text * wf + i * f;
                    let (best, won) = (&mut self.pooled[at..at + f], &mut self.argmax[at..at + f]);
                    for ((b, a), &v) in best.iter_mut().zip(won).zip(&self.pre) {
                        // strict: the first step wins a tie, as in `max_over_time`
                        if v > *b {
                            (*b, *a) = (v, step);
                        }
                    }
                }
            }
            // ReLU after the max is the max after ReLU (both keep the order of positive values)
            for row in self.pooled.chunks_exact_mut(wf) {
                row[i * f..(i + 1) * f].iter_mut().for_each(|v| *v = v.max(0.0));
            }
        }
    }

    /// Backward from `dy: [N, widths·F]` over the forward's input `x` and kernels.
    pub fn backward(&mut self, x: &[f32], kernels: &[&[f32]], dy: &[f32], grads: BankGrads<'_, '_>) {
        let BankGrads { kernels: dkernels, biases: dbiases, mut dx } = grads;
        let (n, e, f) = (self.n, self.e, self.f);
        let wf = self.widths.len() * f;
        if let Some(dx) = dx.as_deref_mut() {
            dx.fill(0.0);
        }
        for (i, &w) in self.widths.iter().enumerate() {
            if self.t_out(i) == 0 {
                continue;
            }
            // [w, E, F] → [w, F, E], so that a filter's column is a contiguous row
            self.kt.resize(w * f * e, 0.0);
            self.dkt.clear();
            self.dkt.resize(w * f * e, 0.0);
            for j in 0..w {
                for ei in 0..e {
                    for fi in 0..f {
                        self.kt[(j * f + fi) * e + ei] = kernels[i][(j * e + ei) * f + fi];
                    }
                }
            }
            for text in 0..n {
                for (fi, db) in dbiases[i].iter_mut().enumerate() {
                    let at = text * wf + i * f + fi;
                    // the ReLU passes nothing where the winner was ≤ 0
                    if self.pooled[at] <= 0.0 {
                        continue;
                    }
                    let (g, step) = (dy[at], self.argmax[at]);
                    *db += g;
                    for j in 0..w {
                        let row = ((step + j) * n + text) * e;
                        let col = (j * f + fi) * e;
                        let xr = &x[row..row + e];
                        self.dkt[col..col + e].iter_mut().zip(xr).for_each(|(a, v)| *a += g * v);
                        if let Some(dx) = dx.as_deref_mut() {
                            let kr = &self.kt[col..col + e];
                            dx[row..row + e].iter_mut().zip(kr).for_each(|(a, v)| *a += g * v);
                        }
                    }
                }
            }
            for j in 0..w {
                for ei in 0..e {
                    for fi in 0..f {
                        dkernels[i][(j * e + ei) * f + fi] += self.dkt[(j * f + fi) * e + ei];
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conv1d::{self, ConvCache, ConvDims, ConvGrads};
    use crate::gradcheck::check;
    use crate::Rng;

    const E: usize = 3;
    const F: usize = 4;
    const N: usize = 2;

    fn random(rng: &mut Rng, len: usize) -> Vec<f32> {
        (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect()
    }

    /// One width's `[N, F]` by the single convolution and `max_over_time`, for comparison.
    fn one_width(t: usize, w: usize, x: &[f32], k: &[f32], b: &[f32]) -> Vec<f32> {
        let d = ConvDims { b: N, t, e: E, w, f: F };
        let (mut c, mut out, mut arg) = (ConvCache::default(), vec![0.0; N * F], vec![0; N * F]);
        if d.t_out() > 0 {
            conv1d::forward(d, x, k, b, &mut c);
            conv1d::max_over_time(d.t_out(), N, F, &c.out, &mut out, &mut arg);
        }
        out
    }

    #[test]
    fn the_bank_equals_each_width_convolved_and_pooled_alone() {
        let mut rng = Rng::new(5);
        // t = 4 leaves width 5 without an output step: its features stay 0
        for t in [4, 7] {
            let widths = vec![2, 3, 5];
            let x = random(&mut rng, t * N * E);
            let ks: Vec<Vec<f32>> = widths.iter().map(|w| random(&mut rng, w * E * F)).collect();
            let bs: Vec<Vec<f32>> = widths.iter().map(|_| random(&mut rng, F)).collect();
            let mut bank = ConvBank::new(E, F, widths.clone());
            let kr: Vec<&[f32]> = ks.iter().map(|k| &k[..]).collect();
            let br: Vec<&[f32]> = bs.iter().map(|b| &b[..]).collect();
            bank.forward(&x, N, t, &kr, &br);
            for (i, &w) in widths.iter().enumerate() {
                let alone = one_width(t, w, &x, &ks[i], &bs[i]);
                for text in 0..N {
                    let got = &bank.output()[text * 3 * F + i * F..][..F];
                    for (a, b) in got.iter().zip(&alone[text * F..(text + 1) * F]) {
                        assert!((a - b).abs() < 1e-5, "t {t} width {w}: {a} vs {b}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_bank_gradient_matches_finite_differences() {
        let (t, widths) = (6, vec![1, 3]);
        let mut rng = Rng::new(17);
        let x = random(&mut rng, t * N * E);
        let ks: Vec<Vec<f32>> = widths.iter().map(|w| random(&mut rng, w * E * F)).collect();
        // one bias high, one low: the ReLU passes some filters and stops others
        let bs: Vec<Vec<f32>> = vec![vec![0.5, -0.2, 0.1, -9.0]; widths.len()];
        let probe = random(&mut rng, N * widths.len() * F);
        let loss = |x: &[f32], ks: &[Vec<f32>], bs: &[Vec<f32>]| {
            let mut bank = ConvBank::new(E, F, widths.clone());
            let kr: Vec<&[f32]> = ks.iter().map(|k| &k[..]).collect();
            let br: Vec<&[f32]> = bs.iter().map(|b| &b[..]).collect();
            bank.forward(x, N, t, &kr, &br);
            bank.output().iter().zip(&probe).map(|(a, p)| (a * p) as f64).sum::<f64>()
        };
        let mut bank = ConvBank::new(E, F, widths.clone());
        let kr: Vec<&[f32]> = ks.iter().map(|k| &k[..]).collect();
        let br: Vec<&[f32]> = bs.iter().map(|b| &b[..]).collect();
        bank.forward(&x, N, t, &kr, &br);
        let mut dk: Vec<Vec<f32>> = ks.iter().map(|k| vec![0.0; k.len()]).collect();
        let mut db: Vec<Vec<f32>> = bs.iter().map(|b| vec![0.0; b.len()]).collect();
        let mut dx = vec![0.0; x.len()];
        let (mut dkr, mut dbr): (Vec<&mut [f32]>, Vec<&mut [f32]>) =
            (dk.iter_mut().map(|v| &mut v[..]).collect(), db.iter_mut().map(|v| &mut v[..]).collect());
        bank.backward(&x, &kr, &probe, BankGrads { kernels: &mut dkr, biases: &mut dbr, dx: Some(&mut dx) });
        let mut worst = check("bank.input", &x, &dx, |v| loss(v, &ks, &bs));
        for i in 0..widths.len() {
            let with = |i: usize, v: &[f32], of: &[Vec<f32>]| {
                let mut of = of.to_vec();
                of[i] = v.to_vec();
                of
            };
            worst = worst.max(check("bank.kernel", &ks[i], &dk[i], |v| loss(&x, &with(i, v, &ks), &bs)));
            worst = worst.max(check("bank.bias", &bs[i], &db[i], |v| loss(&x, &ks, &with(i, v, &bs))));
        }
        assert!(worst < 1e-2, "conv bank max rel diff {worst}");
        // the filter with bias −9 stays below zero everywhere and learns nothing
        assert!(db.iter().all(|g| g[3] == 0.0));
        assert!(db.iter().any(|g| g[0] != 0.0));
    }

    #[test]
    fn the_single_width_backward_agrees_with_the_bank() {
        // the dense shifted-GEMM backward and the sparse one give the same kernel gradient
        let (t, w) = (5, 2);
        let mut rng = Rng::new(23);
        let (x, k, b) = (random(&mut rng, t * N * E), random(&mut rng, w * E * F), random(&mut rng, F));
        let probe = random(&mut rng, N * F);
        let mut bank = ConvBank::new(E, F, vec![w]);
        bank.forward(&x, N, t, &[&k], &[&b]);
        let (mut dk_bank, mut db_bank) = (vec![0.0; k.len()], vec![0.0; F]);
        bank.backward(
            &x,
            &[&k],
            &probe,
            BankGrads { kernels: &mut [&mut dk_bank], biases: &mut [&mut db_bank], dx: None },
        );
        let d = ConvDims { b: N, t, e: E, w, f: F };
        let mut c = ConvCache::default();
        conv1d::forward(d, &x, &k, &b, &mut c);
        let (mut pooled, mut arg) = (vec![0.0; N * F], vec![0; N * F]);
        conv1d::max_over_time(d.t_out(), N, F, &c.out, &mut pooled, &mut arg);
        let mut dconv = vec![0.0; d.t_out() * N * F];
        conv1d::max_over_time_backward(N, F, &probe, &arg, &mut dconv);
        let (mut dk, mut db) = (vec![0.0; k.len()], vec![0.0; F]);
        conv1d::backward(d, &x, &k, &c, &dconv, ConvGrads { dkernel: &mut dk, dbias: &mut db, dx: None });
        for (a, b) in dk.iter().zip(&dk_bank).chain(db.iter().zip(&db_bank)) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}
