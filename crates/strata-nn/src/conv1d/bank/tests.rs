//! Tests of the convolution bank: against each width convolved alone and the single-width
//! backward, finite differences, the blocked forward and one text spread over the cores against
//! the plain bits, inference against forward, every kernel build of the backward against the
//! portable bits, and the zero-gradient skip against every axpy written out. Their own file so
//! that `bank.rs` holds the bank alone.

use super::*;
use crate::conv1d::{self, ConvCache, ConvDims, ConvGrads};
use crate::gemm::{gemm, Gemm};
use crate::gradcheck::check;
use crate::kernels::Kernels;
use crate::params::Values;
use crate::Rng;

const E: usize = 3;
const F: usize = 4;
const N: usize = 2;

fn random(rng: &mut Rng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect()
}

/// Random kernels `[w·e, f]` of every width, then random biases `[f]` of every width.
fn filters(rng: &mut Rng, e: usize, f: usize, widths: &[usize]) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let ks = widths.iter().map(|w| random(rng, w * e * f)).collect();
    let bs = widths.iter().map(|_| random(rng, f)).collect();
    (ks, bs)
}

/// Each width's tensor borrowed, as the bank takes them.
fn views(v: &[Vec<f32>]) -> Vec<&[f32]> {
    v.iter().map(|k| &k[..]).collect()
}

/// Each width's gradient borrowed mutably, as `BankGrads` takes them.
fn views_mut(v: &mut [Vec<f32>]) -> Vec<&mut [f32]> {
    v.iter_mut().map(|k| &mut k[..]).collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
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
    // [2, 3, 5]: the shifts' products; [3, 4, 5]: Winograd's F(2, r), an odd and an even
    // number of output steps
    for (t, widths) in
        [(4, vec![2, 3, 5]), (7, vec![2, 3, 5]), (4, vec![3, 4, 5]), (7, vec![3, 4, 5]), (8, vec![3, 4, 5])]
    {
        let x = random(&mut rng, t * N * E);
        let (ks, bs) = filters(&mut rng, E, F, &widths);
        let mut bank = ConvBank::new(E, F, widths.clone());
        let kr = views(&ks);
        let br = views(&bs);
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

/// The forward as it was before `Y` was blocked: the whole `Y = x · K_all` in one GEMM,
/// then every width's steps folded into the max in order. Pooled `[N, widths·F]` after ReLU,
/// and the winning steps.
fn unblocked(
    x: &[f32],
    (n, t): (usize, usize),
    (e, f): (usize, usize),
    widths: &[usize],
    ks: &[Vec<f32>],
    bs: &[Vec<f32>],
) -> (Vec<f32>, Vec<usize>) {
    let s: usize = widths.iter().map(|w| w * f).sum();
    let starts: Vec<usize> = widths.iter().scan(0, |at, &w| Some(std::mem::replace(at, *at + w * f))).collect();
    let mut k_all = vec![0.0; e * s];
    for (i, &w) in widths.iter().enumerate() {
        for j in 0..w {
            for ei in 0..e {
                let col = ei * s + starts[i] + j * f;
                k_all[col..col + f].copy_from_slice(&ks[i][(j * e + ei) * f..][..f]);
            }
        }
    }
    let mut y = vec![0.0; t * n * s];
    gemm(Gemm::new(t * n, e, s), x, &k_all, &mut y);
    let wf = widths.len() * f;
    let (mut pooled, mut argmax) = (vec![0.0f32; n * wf], vec![0usize; n * wf]);
    for (i, &w) in widths.iter().enumerate() {
        let t_out = (t + 1).saturating_sub(w);
        if t_out == 0 {
            continue;
        }
        pooled.chunks_exact_mut(wf).for_each(|r| r[i * f..(i + 1) * f].fill(f32::NEG_INFINITY));
        for step in 0..t_out {
            for text in 0..n {
                let mut pre = bs[i].clone();
                for j in 0..w {
                    let at = ((step + j) * n + text) * s + starts[i] + j * f;
                    pre.iter_mut().zip(&y[at..at + f]).for_each(|(a, v)| *a += v);
                }
                for (fi, &v) in pre.iter().enumerate() {
                    let at = text * wf + i * f + fi;
                    if v > pooled[at] {
                        (pooled[at], argmax[at]) = (v, step);
                    }
                }
            }
        }
        pooled.chunks_exact_mut(wf).for_each(|r| r[i * f..(i + 1) * f].iter_mut().for_each(|v| *v = v.max(0.0)));
    }
    (pooled, argmax)
}

#[test]
fn blocked_y_stays_small_and_gives_the_unblocked_bits() {
    // Kim's filters and widths over 70 texts (three groups, the last short) of 60 steps:
    // the whole Y would be 60·70·1200 values (20 MB); and a text shorter than width 5
    // [3, 4, 5] runs Winograd's F(2, r); [2, 4, 5] the shifts' blocked products
    let e = 8;
    let mut rng = Rng::new(29);
    for (n, t, f, widths) in [
        (70, 60, 100, vec![3, 4, 5]),
        (3, 4, 100, vec![3, 4, 5]),
        (GROUP_TEXTS, 9, 100, vec![3, 4, 5]),
        (70, 60, 100, vec![2, 4, 5]),
        (3, 4, 100, vec![2, 4, 5]),
    ] {
        let x = random(&mut rng, t * n * e);
        let (ks, bs) = filters(&mut rng, e, f, &widths);
        let mut bank = ConvBank::new(e, f, widths.clone());
        let kr = views(&ks);
        let br = views(&bs);
        bank.forward(&x, n, t, &kr, &br);
        let (want, won) = unblocked(&x, (n, t), (e, f), &widths, &ks, &bs);
        assert_matches_direct(&bank, (&want, &won), &format!("n {n} t {t}"));
        assert!(bank.y.len() * 4 <= 2 * Y_BYTES, "n {n} t {t}: Y holds {} bytes", bank.y.len() * 4);
    }
}

/// A generation no kernels have had: the key of kernels that are never written.
fn new_generation() -> u64 {
    Values::default().generation()
}

/// The kernels `[w, E, F]` of every width, one after another in `store`.
fn kernel_views<'s>(store: &'s [f32], widths: &[usize]) -> Vec<&'s [f32]> {
    let mut at = 0;
    widths
        .iter()
        .map(|w| {
            at += w * E * F;
            &store[at - w * E * F..at]
        })
        .collect()
}

/// This thread's count of packings for inference.
fn packs() -> usize {
    INFERENCE_CACHE.with_borrow(|c| c.packs)
}

#[test]
fn inference_gives_forward_bits_and_packs_again_after_every_write_of_the_kernels() {
    // several texts and one (whose products go to every core); [2, 3]: the shifts' packing,
    // [3, 4]: Winograd's transformed kernels
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    for (n, widths) in [(N, vec![2, 3]), (1, vec![2, 3]), (N, vec![3, 4]), (1, vec![3, 4])] {
        let t = 6;
        let mut rng = Rng::new(31);
        let x = random(&mut rng, t * n * E);
        let len: usize = widths.iter().map(|w| w * E * F).sum();
        let mut store = Values::from(random(&mut rng, len));
        let bs: Vec<Vec<f32>> = widths.iter().map(|_| random(&mut rng, F)).collect();
        let br = views(&bs);
        // one weight of width 1 changes, then only its sign of zero, then one more; every write
        // gives the store a new generation, so each must be seen
        let first = widths[0] * E * F;
        for change in
            [None, Some((first + 7, 1.5f32)), Some((first + 7, 0.0)), Some((first + 7, -0.0)), Some((len - 1, 3.0))]
        {
            if let Some((at, v)) = change {
                store[at] = v;
            }
            let kr = kernel_views(&store, &widths);
            pool.install(|| {
                let mut trained = ConvBank::new(E, F, widths.clone());
                trained.forward(&x, n, t, &kr, &br);
                let before = packs();
                for call in 0..2 {
                    // a new layer per call, as predicting one text at a time builds
                    let mut served = ConvBank::new(E, F, widths.clone());
                    served.infer(&x, n, t, (&kr, store.generation()), &br);
                    assert_eq!(bits(served.output()), bits(trained.output()), "{n} texts, after {change:?}");
                    assert_eq!(packs(), before + 1, "{n} texts, after {change:?}: packed at call {call}");
                    if served.winograd.is_none() {
                        INFERENCE_CACHE.with_borrow(|c| assert!(served.layout.holds(&kr, &c.packed), "{n} texts"));
                    }
                }
            });
        }
    }
}

#[test]
fn the_kept_packing_is_keyed_by_generation_and_place_not_by_bits() {
    // two banks over different kernels of one store (one generation): each packs its own; a
    // kept packing serves kernels of its generation and place without reading them, and
    // anything else — another place, layout or generation — is packed again
    let widths = vec![3, 4];
    let (n, t) = (2, 7);
    let mut rng = Rng::new(37);
    let x = random(&mut rng, t * n * E);
    let len: usize = widths.iter().map(|w| w * E * F).sum();
    let store = Values::from(random(&mut rng, 2 * len));
    let bs: Vec<Vec<f32>> = widths.iter().map(|_| random(&mut rng, F)).collect();
    let br = views(&bs);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    pool.install(|| {
        let infer = |kr: &[&[f32]], generation: u64| {
            let mut bank = ConvBank::new(E, F, widths.clone());
            bank.infer(&x, n, t, (kr, generation), &br);
            bits(bank.output())
        };
        let (one, two) = (kernel_views(&store[..len], &widths), kernel_views(&store[len..], &widths));
        let g = store.generation();
        let (out_one, out_two) = (infer(&one, g), infer(&two, g));
        assert_ne!(out_one, out_two, "the second bank read the first one's packing");
        assert_eq!(packs(), 2);
        assert_eq!(infer(&two, g), out_two);
        assert_eq!(packs(), 2, "the same kernels were packed again");
        // the same bits elsewhere under the same generation: packed again (the place differs)
        let copy: Vec<f32> = store[len..].to_vec();
        assert_eq!(infer(&kernel_views(&copy, &widths), g), out_two);
        assert_eq!(packs(), 3);
        // another bank's layout over the same kernels and generation: packed again
        let mut other = ConvBank::new(E, F, vec![3, 5]);
        let wider = [one[0], &store[len..len + 5 * E * F]];
        other.infer(&x, n, t, (&wider, g), &br);
        assert_eq!(packs(), 4);
        // bits written without a new generation (a caller breaking the store's contract,
        // which the store itself cannot): the kept packing still serves, unread
        let mut behind = store[len..].to_vec();
        let kept = new_generation();
        assert_eq!(infer(&kernel_views(&behind, &widths), kept), out_two);
        assert_eq!(packs(), 5);
        behind[3] += 1.0;
        assert_eq!(infer(&kernel_views(&behind, &widths), kept), out_two, "the kernels' bits were read");
        assert_eq!(packs(), 5);
        // the same bits under a new generation: packed again, and the change seen
        assert_ne!(infer(&kernel_views(&behind, &widths), new_generation()), out_two);
        assert_eq!(packs(), 6, "a new generation was not packed again");
    });
}

#[test]
fn one_text_spread_over_the_cores_gives_the_bits_of_one_core() {
    // one text of 60 steps at Kim's sizes: its products go to several threads when there are;
    // Kim's widths (Winograd's products dealt to the cores) and [2, 4, 5] (the shifts')
    for widths in [vec![3, 4, 5], vec![2, 4, 5]] {
        one_text_spread(widths);
    }
}

fn one_text_spread(widths: Vec<usize>) {
    let (e, f, t) = (300, 100, 60);
    let mut rng = Rng::new(41);
    let x = random(&mut rng, t * e);
    let (ks, bs) = filters(&mut rng, e, f, &widths);
    let (kr, br) = (views(&ks), views(&bs));
    let generation = new_generation();
    let pooled = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut bank = ConvBank::new(e, f, widths.clone());
            bank.infer(&x, 1, t, (&kr, generation), &br);
            (bits(bank.output()), bank.argmax.iter().map(|&s| s as usize).collect::<Vec<usize>>())
        })
    };
    let one = pooled(1);
    assert_eq!(pooled(2), one);
    assert_eq!(pooled(3), one);
    let (want, won) = unblocked(&x, (1, t), (e, f), &widths, &ks, &bs);
    let bank = ConvBank {
        pooled: one.0.iter().map(|&b| f32::from_bits(b)).collect(),
        argmax: one.1.iter().map(|&s| s as u32).collect(),
        ..ConvBank::new(e, f, widths)
    };
    assert_matches_direct(&bank, (&want, &won), "one text");
}

/// A bank's output against [`unblocked`]'s: the same bits where the shifts' products ran; where
/// Winograd's `F(2, r)` did (every width 3 to 5), within 1e-6 of the largest value (another
/// rounding of the same sums) — and, for random values, the same winning steps.
fn assert_matches_direct(bank: &ConvBank, (want, won): (&[f32], &[usize]), what: &str) {
    if bank.winograd.is_none() {
        assert_eq!(bits(bank.output()), bits(want), "{what}");
        assert_eq!(bank.argmax.iter().map(|&s| s as usize).collect::<Vec<_>>(), won, "{what}");
        return;
    }
    let scale = want.iter().fold(1.0f32, |a, v| a.max(v.abs()));
    for (i, (a, b)) in bank.output().iter().zip(want).enumerate() {
        assert!((a - b).abs() <= 1e-6 * scale, "{what}: value {i}: {a} against the direct {b}");
    }
    if !bank.argmax.is_empty() {
        assert_eq!(bank.argmax.iter().map(|&s| s as usize).collect::<Vec<_>>(), won, "{what}");
    }
}

#[test]
fn winograd_gives_each_text_the_bits_it_gets_alone_at_any_thread_count() {
    // 37 texts (two groups: 32 texts in blocks of 6 pairs, then 5) against each text alone, whose
    // pairs are shared among the cores; the numbers depend on neither
    let (e, f, t, widths) = (24, 20, 20, vec![3, 4, 5]);
    let mut rng = Rng::new(43);
    let n = 37;
    let x = random(&mut rng, t * n * e);
    let (ks, bs) = filters(&mut rng, e, f, &widths);
    let (kr, br) = (views(&ks), views(&bs));
    let generation = new_generation();
    let mut bank = ConvBank::new(e, f, widths.clone());
    assert!(bank.winograd.is_some());
    bank.forward(&x, n, t, &kr, &br);
    let wf = widths.len() * f;
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        for text in [0, 17, 36] {
            let one: Vec<f32> = (0..t).flat_map(|step| x[(step * n + text) * e..][..e].to_vec()).collect();
            let (got, won) = pool.install(|| {
                let mut alone = ConvBank::new(e, f, widths.clone());
                alone.infer(&one, 1, t, (&kr, generation), &br);
                (bits(alone.output()), alone.argmax.clone())
            });
            assert_eq!(got, bits(&bank.output()[text * wf..(text + 1) * wf]), "text {text}, {threads} threads");
            assert_eq!(won, bank.argmax[text * wf..(text + 1) * wf], "text {text}, {threads} threads");
        }
    }
}

#[test]
fn every_build_of_the_backward_gives_the_portable_bits() {
    // the blocked forward is checked against `unblocked` (scalar) in the active build above
    let (e, f, t, n, widths) = (21, 19, 9, 5, vec![2, 3, 5]);
    let mut rng = Rng::new(3);
    let (x, dy) = (random(&mut rng, t * n * e), random(&mut rng, n * widths.len() * f));
    let (ks, bs) = filters(&mut rng, e, f, &widths);
    let (kr, br) = (views(&ks), views(&bs));
    let run = |build: Kernels| {
        let mut bank = ConvBank::new(e, f, widths.clone());
        bank.forward(&x, n, t, &kr, &br);
        let mut dk: Vec<Vec<f32>> = ks.iter().map(|k| vec![0.25; k.len()]).collect();
        let mut db: Vec<Vec<f32>> = bs.iter().map(|b| vec![0.5; b.len()]).collect();
        let mut dx = vec![0.0; x.len()];
        let (mut dkr, mut dbr) = (views_mut(&mut dk), views_mut(&mut db));
        let grads = BankGrads { kernels: &mut dkr, biases: &mut dbr, dx: Some(&mut dx) };
        backward_with(build, &mut bank, &x, &kr, &dy, grads);
        (dk.iter().map(|k| bits(k)).collect::<Vec<_>>(), db.iter().map(|b| bits(b)).collect::<Vec<_>>(), bits(&dx))
    };
    let portable = run(Kernels::Portable);
    for build in Kernels::available() {
        assert_eq!(run(build), portable, "{}", build.name());
    }
}

#[test]
fn zero_gradients_skipped_give_the_bits_of_every_axpy_taken() {
    // dropout's zeros, of both signs, and a −0 input: the backward skips their axpys; the
    // loops written out take every one, in the backward's order
    let (t, n, widths) = (7, 5, vec![2, 3]);
    let mut rng = Rng::new(43);
    let mut x = random(&mut rng, t * n * E);
    x[4] = -0.0;
    let (ks, bs) = filters(&mut rng, E, F, &widths);
    let mut dy = random(&mut rng, n * widths.len() * F);
    for (k, g) in dy.iter_mut().enumerate() {
        if k % 3 != 1 {
            *g = if k % 2 == 0 { 0.0 } else { -0.0 };
        }
    }
    let (kr, br) = (views(&ks), views(&bs));
    let mut bank = ConvBank::new(E, F, widths.clone());
    bank.forward(&x, n, t, &kr, &br);
    let mut dk: Vec<Vec<f32>> = ks.iter().map(|k| vec![0.0; k.len()]).collect();
    let mut db: Vec<Vec<f32>> = bs.iter().map(|b| vec![0.0; b.len()]).collect();
    let mut dx = vec![1.0; x.len()];
    let (mut dkr, mut dbr) = (views_mut(&mut dk), views_mut(&mut db));
    bank.backward(&x, &kr, &dy, BankGrads { kernels: &mut dkr, biases: &mut dbr, dx: Some(&mut dx) });
    let wf = widths.len() * F;
    let mut want_dx = vec![0.0f32; x.len()];
    for (i, &w) in widths.iter().enumerate() {
        let mut sum = vec![0.0f32; w * E * F];
        for fi in 0..F {
            for text in 0..n {
                let at = text * wf + i * F + fi;
                if bank.pooled[at] <= 0.0 {
                    continue;
                }
                let (g, step) = (dy[at], bank.argmax[at] as usize);
                for j in 0..w {
                    for ei in 0..E {
                        let row = ((step + j) * n + text) * E + ei;
                        sum[(j * E + ei) * F + fi] += g * x[row];
                        want_dx[row] += g * ks[i][(j * E + ei) * F + fi];
                    }
                }
            }
        }
        let want: Vec<f32> = sum.iter().map(|s| 0.0 + s).collect();
        assert_eq!(bits(&dk[i]), bits(&want), "width {w}");
    }
    assert_eq!(bits(&dx), bits(&want_dx));
    assert!(dx.iter().any(|&v| v != 0.0) && dk.iter().flatten().any(|&v| v != 0.0));
}

#[test]
fn the_bank_gradient_matches_finite_differences() {
    for widths in [vec![1, 3], vec![3, 4]] {
        bank_gradient_matches_finite_differences(widths);
    }
}

/// The sparse backward against finite differences of the forward (Winograd's for `[3, 4]`).
fn bank_gradient_matches_finite_differences(widths: Vec<usize>) {
    let t = 6;
    let mut rng = Rng::new(17);
    let x = random(&mut rng, t * N * E);
    let ks: Vec<Vec<f32>> = widths.iter().map(|w| random(&mut rng, w * E * F)).collect();
    // one bias high, one low: the ReLU passes some filters and stops others
    let bs: Vec<Vec<f32>> = vec![vec![0.5, -0.2, 0.1, -9.0]; widths.len()];
    let probe = random(&mut rng, N * widths.len() * F);
    let loss = |x: &[f32], ks: &[Vec<f32>], bs: &[Vec<f32>]| {
        let mut bank = ConvBank::new(E, F, widths.clone());
        let kr = views(ks);
        let br = views(bs);
        bank.forward(x, N, t, &kr, &br);
        bank.output().iter().zip(&probe).map(|(a, p)| (a * p) as f64).sum::<f64>()
    };
    let mut bank = ConvBank::new(E, F, widths.clone());
    let kr = views(&ks);
    let br = views(&bs);
    bank.forward(&x, N, t, &kr, &br);
    let mut dk: Vec<Vec<f32>> = ks.iter().map(|k| vec![0.0; k.len()]).collect();
    let mut db: Vec<Vec<f32>> = bs.iter().map(|b| vec![0.0; b.len()]).collect();
    let mut dx = vec![0.0; x.len()];
    let (mut dkr, mut dbr) = (views_mut(&mut dk), views_mut(&mut db));
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
    bank.backward(&x, &[&k], &probe, BankGrads { kernels: &mut [&mut dk_bank], biases: &mut [&mut db_bank], dx: None });
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
