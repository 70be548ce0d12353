//! The gate math's AVX-512 builds (LSTM cell forward and backward, GRU forward and backward)
//! against their AVX2 builds, bit for bit: the bodies are lane-wise, so 16 lanes a vector
//! must give what 8 lanes give. This is what lets `STRATA_KERNELS=avx512` run them without
//! moving a model's numbers; `tests/pinned.rs` pins the AVX2 builds' bits.

use crate::gru::{self, GruCache};
use crate::kernels::Kernels;
use crate::lstm;
use crate::rnn::{RnnDims, RnnGrads, RnnOutputGrads, RnnParams};
use crate::Rng;

fn values(rng: &mut Rng, len: usize, scale: f32) -> Vec<f32> {
    (0..len).map(|_| rng.uniform(-scale, scale)).collect()
}

fn same_bits(x: &[f32], y: &[f32]) -> bool {
    x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits())
}

fn both_builds_run() -> bool {
    let ok = Kernels::Avx512.supported();
    if !ok {
        eprintln!("skipped: this CPU has no AVX-512");
    }
    ok
}

/// Odd widths (vector loops' tails) and pre-activations past the saturation of σ and tanh.
#[test]
fn lstm_cell_builds_give_the_same_bits() {
    if !both_builds_run() {
        return;
    }
    let mut rng = Rng::new(31);
    for (b, h) in [(1, 1), (3, 7), (5, 50), (16, 64)] {
        let (z0, c_prev) = (values(&mut rng, b * 4 * h, 12.0), values(&mut rng, b * h, 3.0));
        let forward = |build: Kernels| {
            let (mut z, mut c_next, mut tanh_c, mut h_next) =
                (z0.clone(), vec![0.0; b * h], vec![0.0; b * h], vec![0.0; b * h]);
            // SAFETY: the CPU has AVX-512 F, AVX2 and FMA (checked above).
            unsafe {
                match build {
                    Kernels::Avx512 => {
                        lstm::cell_forward_avx512(&mut z, &c_prev, &mut c_next, &mut tanh_c, &mut h_next, h)
                    }
                    _ => lstm::cell_forward_avx2(&mut z, &c_prev, &mut c_next, &mut tanh_c, &mut h_next, h),
                }
            }
            [z, c_next, tanh_c, h_next]
        };
        let (wide, narrow) = (forward(Kernels::Avx512), forward(Kernels::Avx2));
        for (x, y) in wide.iter().zip(&narrow) {
            assert!(same_bits(x, y), "lstm forward b={b} h={h}");
        }
        let [gates, _, tanh_c, _] = &narrow;
        let (dh, dc0) = (values(&mut rng, b * h, 1.0), values(&mut rng, b * h, 1.0));
        let backward = |build: Kernels| {
            let (mut dc, mut dz) = (dc0.clone(), vec![0.0; b * 4 * h]);
            // SAFETY: as above.
            unsafe {
                match build {
                    Kernels::Avx512 => lstm::cell_backward_avx512(gates, &c_prev, tanh_c, &dh, &mut dc, &mut dz, h),
                    _ => lstm::cell_backward_avx2(gates, &c_prev, tanh_c, &dh, &mut dc, &mut dz, h),
                }
            }
            [dc, dz]
        };
        let (wide, narrow) = (backward(Kernels::Avx512), backward(Kernels::Avx2));
        for (x, y) in wide.iter().zip(&narrow) {
            assert!(same_bits(x, y), "lstm backward b={b} h={h}");
        }
    }
}

/// A GRU of 50 units (the han model's), forward and backward, through both builds.
#[test]
fn gru_builds_give_the_same_bits() {
    if !both_builds_run() {
        return;
    }
    let mut rng = Rng::new(32);
    for d in [RnnDims { b: 5, t: 3, e: 9, h: 50 }, RnnDims { b: 2, t: 4, e: 3, h: 7 }] {
        let (g, n_out) = (3 * d.h, d.t * d.b * d.h);
        let x = values(&mut rng, d.t * d.b * d.e, 2.0);
        let (kernel, recurrent, bias) =
            (values(&mut rng, d.e * g, 0.8), values(&mut rng, d.h * g, 0.8), values(&mut rng, 2 * g, 0.5));
        let dy = values(&mut rng, n_out, 1.0);
        let p = RnnParams { kernel: &kernel, recurrent: &recurrent, bias: &bias };
        let run = |build: Kernels| {
            let mut cache = GruCache::default();
            cache.h.resize((d.t + 1) * d.b * d.h, 0.0);
            let (mut dk, mut du, mut db, mut dx) =
                (vec![0.0; kernel.len()], vec![0.0; recurrent.len()], vec![0.0; bias.len()], vec![0.0; x.len()]);
            let grads = RnnGrads { kernel: &mut dk, recurrent: &mut du, bias: &mut db };
            let dys = RnnOutputGrads { seq: Some(&dy), last: None };
            // SAFETY: the CPU has AVX-512 F, AVX2 and FMA (checked above).
            unsafe {
                match build {
                    Kernels::Avx512 => {
                        gru::forward_avx512(d, &x, p, &mut cache);
                        gru::backward_avx512(
                            d,
                            &x,
                            p,
                            &mut cache,
                            dys,
                            grads,
                            crate::row_groups::InputGrad::Rows(&mut dx),
                        );
                    }
                    _ => {
                        gru::forward_avx2(d, &x, p, &mut cache);
                        gru::backward_avx2(
                            d,
                            &x,
                            p,
                            &mut cache,
                            dys,
                            grads,
                            crate::row_groups::InputGrad::Rows(&mut dx),
                        );
                    }
                }
            }
            [cache.outputs(d).to_vec(), dk, du, db, dx]
        };
        let (wide, narrow) = (run(Kernels::Avx512), run(Kernels::Avx2));
        for (i, (x, y)) in wide.iter().zip(&narrow).enumerate() {
            assert!(same_bits(x, y), "gru {d:?}: output {i}");
        }
    }
}
