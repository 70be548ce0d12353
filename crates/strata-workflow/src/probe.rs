//! Linear probes (Alain & Bengio 2016): a logistic regression fitted on one layer's pooled
//! representation of the training texts and scored on held-out texts. A probe's accuracy says
//! how much of the label a level of the model makes linearly readable — what each level has
//! learned, stage by stage.
//!
//! Features are standardised with the training part's mean and deviation; the regression is
//! multinomial (one logit per class, or one sigmoid for two classes), fitted by full-batch Adam
//! with a small L2 penalty from zero weights, so it is deterministic.

use serde::Serialize;
use strata_nn::gemm::{gemm, Gemm};
use strata_nn::optim::{Adam, ParamRange};
use strata_nn::skipgram::dot;

use strata_model::head::Output;
use strata_model::infer::representations;
use strata_model::model::Model;

/// One layer's probe.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ProbeResult {
    pub layer: String,
    pub dim: usize,
    pub train_accuracy: f64,
    pub val_accuracy: f64,
}

const ITERATIONS: usize = 300;
const L2: f32 = 1e-3;

/// Fits a probe on `x_train: [N, D]` and scores it on `x_val: [M, D]`.
pub fn fit_probe(
    x_train: &[f32],
    y_train: &[usize],
    x_val: &[f32],
    y_val: &[usize],
    d: usize,
    classes: usize,
) -> (f64, f64) {
    let n = y_train.len();
    let output = Output::for_classes(classes);
    let k = output.width();
    // standardise with the training statistics
    let mut mean = vec![0.0f64; d];
    let mut var = vec![0.0f64; d];
    for row in x_train.chunks_exact(d) {
        row.iter().zip(&mut mean).for_each(|(v, m)| *m += *v as f64);
    }
    mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
    for row in x_train.chunks_exact(d) {
        row.iter().zip(&mean).zip(&mut var).for_each(|((v, m), s)| *s += (*v as f64 - m).powi(2));
    }
    let std: Vec<f64> = var.iter().map(|v| (v / n.max(1) as f64).sqrt().max(1e-6)).collect();
    let scale = |x: &[f32]| -> Vec<f32> {
        x.chunks_exact(d)
            .flat_map(|row| row.iter().enumerate().map(|(j, v)| ((*v as f64 - mean[j]) / std[j]) as f32))
            .collect()
    };
    let (xt, xv) = (scale(x_train), scale(x_val));
    // parameters: W [D, K] then b [K]
    let mut params = vec![0.0f32; d * k + k];
    let mut grads = vec![0.0f32; params.len()];
    let mut adam = Adam::new(params.len(), 0.05);
    let groups = [ParamRange { range: 0..params.len(), lr_mult: 1.0 }];
    let mut logits = vec![0.0f32; n * k];
    let mut dlogits = vec![0.0f32; n * k];
    for _ in 0..ITERATIONS {
        forward(&xt, &params, n, d, k, &mut logits);
        output.loss(&logits, y_train, 1.0 / n.max(1) as f32, &mut dlogits);
        let (gw, gb) = grads.split_at_mut(d * k);
        weight_gradient(&xt, &dlogits, n, d, k, gw);
        gb.fill(0.0);
        dlogits.chunks_exact(k).for_each(|r| gb.iter_mut().zip(r).for_each(|(g, v)| *g += v));
        gw.iter_mut().zip(&params[..d * k]).for_each(|(g, w)| *g += L2 * w);
        adam.step(&mut params, &grads, &groups);
    }
    let acc = |x: &[f32], y: &[usize]| {
        let mut z = vec![0.0f32; y.len() * k];
        forward(x, &params, y.len(), d, k, &mut z);
        output.correct(&z, y) as f64 / y.len().max(1) as f64
    };
    (acc(&xt, y_train), acc(&xv, y_val))
}

/// `out = b + x·W` for `x: [N, D]`, `W: [D, K]`: `out` is `[N, K]`.
///
/// Two classes make `K = 1`: a dot product a row (skip-gram's, in 16 running sums). `gemm` would hand a width-1 product to
/// `matrixmultiply`, which packs all of `x` again on every call — 600 calls a level, as much
/// memory traffic as arithmetic, 18 % of a one-epoch `strata train --model gru` on MR.
fn forward(x: &[f32], params: &[f32], n: usize, d: usize, k: usize, out: &mut [f32]) {
    let (w, b) = params.split_at(d * k);
    if k == 1 {
        for (o, row) in out[..n].iter_mut().zip(x.chunks_exact(d)) {
            *o = b[0] + dot(row, w);
        }
        return;
    }
    for row in out[..n * k].chunks_exact_mut(k) {
        row.copy_from_slice(b);
    }
    gemm(Gemm::new(n, d, k).accumulate(), x, w, out);
}

/// `gw = xᵀ·dlogits` (`[D, K]`); for `K = 1`, `Σ_i dlogits[i]·x_i`, a row at a time.
fn weight_gradient(x: &[f32], dlogits: &[f32], n: usize, d: usize, k: usize, gw: &mut [f32]) {
    if k == 1 {
        gw.fill(0.0);
        for (row, &g) in x.chunks_exact(d).zip(&dlogits[..n]) {
            gw.iter_mut().zip(row).for_each(|(w, v)| *w += g * v);
        }
        return;
    }
    gemm(Gemm::new(d, n, k).transpose_a(), x, dlogits, gw);
}

/// Probes every level of `model` on `[N, T]` ids: the embedding's mean over real tokens, then
/// each level's summary ([`Model::summary`]: a recurrent layer's last state, else the level's
/// last vector output).
pub fn probe_layers(model: &Model, train: (&[u32], &[usize]), val: (&[u32], &[usize]), t: usize) -> Vec<ProbeResult> {
    let rt = representations(model, train.0, t);
    let rv = representations(model, val.0, t);
    let names = model.config.layer_names();
    rt.iter()
        .zip(&rv)
        .zip(&names)
        .map(|((xt, xv), name)| {
            let d = xt.len() / train.1.len().max(1);
            let (tr, va) = fit_probe(xt, train.1, xv, val.1, d, model.config.num_classes);
            ProbeResult { layer: name.clone(), dim: d, train_accuracy: tr, val_accuracy: va }
        })
        .collect()
}

/// The probes as a table for people.
pub fn probe_table(probes: &[ProbeResult]) -> String {
    let mut s = format!("{:<12} {:>5} {:>10} {:>10}\n", "layer", "dim", "train acc", "val acc");
    for p in probes {
        s.push_str(&format!("{:<12} {:>5} {:>10.4} {:>10.4}\n", p.layer, p.dim, p.train_accuracy, p.val_accuracy));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_reads_a_linear_signal_and_not_noise() {
        let mut rng = strata_nn::Rng::new(1);
        let (n, d) = (400, 5);
        let x: Vec<f32> = (0..n * d).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let y_signal: Vec<usize> = x.chunks(d).map(|r| usize::from(r[2] > 0.0)).collect();
        let y_noise: Vec<usize> = (0..n).map(|_| rng.below(2)).collect();
        let (_, va) = fit_probe(&x[..300 * d], &y_signal[..300], &x[300 * d..], &y_signal[300..], d, 2);
        assert!(va > 0.95, "signal: {va}");
        let (_, va) = fit_probe(&x[..300 * d], &y_noise[..300], &x[300 * d..], &y_noise[300..], d, 2);
        assert!(va < 0.7, "noise: {va}");
        let y3: Vec<usize> = x
            .chunks(d)
            .map(|r| {
                if r[0] < -0.33 {
                    0
                } else if r[0] < 0.33 {
                    1
                } else {
                    2
                }
            })
            .collect();
        let (_, va) = fit_probe(&x[..300 * d], &y3[..300], &x[300 * d..], &y3[300..], d, 3);
        assert!(va > 0.85, "three classes: {va}");
    }

    /// The width-1 products (two classes) against `gemm`, on a width that is not a multiple of
    /// the dot product's 16 running sums.
    #[test]
    fn width_one_products_match_gemm() {
        let mut rng = strata_nn::Rng::new(3);
        let (n, d) = (37, 45);
        let x: Vec<f32> = (0..n * d).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let params: Vec<f32> = (0..d + 1).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let dl: Vec<f32> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let (mut out, mut want) = (vec![0.0f32; n], vec![params[d]; n]);
        forward(&x, &params, n, d, 1, &mut out);
        gemm(Gemm::new(n, d, 1).accumulate(), &x, &params[..d], &mut want);
        let (mut gw, mut want_gw) = (vec![f32::NAN; d], vec![0.0f32; d]);
        weight_gradient(&x, &dl, n, d, 1, &mut gw);
        gemm(Gemm::new(d, n, 1).transpose_a(), &x, &dl, &mut want_gw);
        for (got, want) in out.iter().zip(&want).chain(gw.iter().zip(&want_gw)) {
            assert!((got - want).abs() < 1e-5, "{got} against {want}");
        }
    }
}
