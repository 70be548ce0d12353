//! Optimizers over the flat parameter buffer: plain gradient descent, Adam and Adadelta (Keras
//! defaults), and Keras's `MaxNorm` weight constraint.
//!
//! An optimizer updates only the ranges it is given, each with its own learning-rate
//! multiplier: that is how frozen layers and per-layer learning rates work without rebuilding
//! anything. Adam is the tf-keras formulation (`epsilon_hat`): `α_t = lr·√(1−β2^t)/(1−β1^t)`,
//! `θ −= α_t·m/(√v + ε)` with ε = 1e-7. Embedding rows that got no gradient still have their
//! moments decayed and are still moved by their momentum, exactly as tf-keras's Adam does with
//! its sparse (IndexedSlices) embedding gradients.
//!
//! The lazy forms ([`Adam::step_lazy`], [`sgd_step_lazy`]) take a table's gradient as the rows
//! a step used ([`TableRows`]) and update only those rows — PyTorch's `SparseAdam`, TF-Addons'
//! `LazyAdam`: the step count (and so the bias correction) stays global, and rows a step did
//! not use keep their moments undecayed. Each row gets the very update the dense loop gives it,
//! so on a step that uses every row the two are bit-identical.

use std::ops::Range;

use rayon::prelude::*;

/// A parameter range to update and its learning-rate multiplier.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamRange {
    pub range: Range<usize>,
    pub lr_mult: f32,
}

/// Elements per parallel work item: large enough to amortise rayon, small enough to split the
/// embedding table across cores.
const PAR_CHUNK: usize = 1 << 15;

/// A `[V, E]` table's gradient as the rows a step used: the table sits at `table` in the
/// parameter buffer, `ids` are the rows (sorted, each once) and `grads` their gradients
/// (`[U, E]`, in `ids`' order); every other row's gradient is zero.
#[derive(Clone, Copy, Debug)]
pub struct TableRows<'a> {
    pub table: &'a Range<usize>,
    /// E: values per row.
    pub width: usize,
    pub ids: &'a [u32],
    pub grads: &'a [f32],
    /// `true`: the step updates these rows alone (LazyAdam, `--sparse-embedding-updates`);
    /// `false`: every row, the others with a zero gradient — the dense step, bit for bit,
    /// without a `[V, E]` gradient table (see [`dense_table_step`]).
    pub lazy: bool,
}

impl TableRows<'_> {
    /// Whether `gr` is this table's group (updated row by row, not as a range).
    fn is(&self, gr: &ParamRange) -> bool {
        gr.range == *self.table
    }
}

/// The rows `sorted_ids` of a table of `width`-long rows, each borrowed once: what lets the lazy
/// updates (and the embedding's scatter) work on a step's rows in parallel without touching the
/// rest. Panics if the ids are not strictly increasing or run past the table — a broken
/// invariant of the caller, whose ids come from the tokenizer's vocabulary.
pub fn table_rows_mut<'a>(table: &'a mut [f32], width: usize, sorted_ids: &[u32]) -> Vec<&'a mut [f32]> {
    let mut out = Vec::with_capacity(sorted_ids.len());
    let (mut rest, mut at) = (table, 0usize);
    for &id in sorted_ids {
        let start = id as usize * width;
        assert!(start >= at, "table rows must be sorted and distinct (row {id})");
        let (_, tail) = std::mem::take(&mut rest).split_at_mut(start - at);
        let (row, tail) = tail.split_at_mut(width);
        out.push(row);
        (rest, at) = (tail, start + width);
    }
    out
}

/// Rows per parallel work item of a lazy update (of 128 values each, ~64 KB).
const PAR_ROWS: usize = 128;

/// Where a step's gradient of `params` starts: `grads` holds the last `grads.len()` of them —
/// the whole buffer, or all but a table whose gradient comes as [`TableRows`]. Panics if a
/// group other than that table's starts before it (a broken invariant of the caller).
fn grads_start(params: &[f32], grads: &[f32], groups: &[ParamRange], rows: Option<TableRows>) -> usize {
    assert!(grads.len() <= params.len(), "a gradient longer than the parameters");
    let from = params.len() - grads.len();
    for gr in groups.iter().filter(|gr| !rows.is_some_and(|r| r.is(gr))) {
        assert!(gr.range.start >= from, "group {:?} has no gradient (it starts at {from})", gr.range);
    }
    from
}

/// The gradient of the range `r` of the parameters, in a gradient that starts at `from`.
fn grad_of<'g>(grads: &'g [f32], from: usize, r: &Range<usize>) -> &'g [f32] {
    &grads[r.start - from..r.end - from]
}

/// Values of zero gradient read at a time for the rows a step did not use, by an update with no
/// zero-gradient form ([`with_zeros`]: Adadelta's).
const ZERO_RUN: usize = 4096;
static ZEROS: [f32; ZERO_RUN] = [0.0; ZERO_RUN];

/// `update(p, g, s1, s2)` over a span of zero gradient, with `g` read from [`ZEROS`] a run at a
/// time: for an update with no zero-gradient form of its own.
fn with_zeros<F>(p: &mut [f32], s1: &mut [f32], s2: &mut [f32], update: F)
where
    F: Fn(&mut [f32], &[f32], &mut [f32], &mut [f32]),
{
    let mut i = 0;
    while i < p.len() {
        let j = (i + ZERO_RUN).min(p.len());
        update(&mut p[i..j], &ZEROS[..j - i], &mut s1[i..j], &mut s2[i..j]);
        i = j;
    }
}

/// The dense step of a `[V, E]` table whose gradient is `rows` (zero at every other row),
/// without a `[V, E]` gradient table: `update(p, g, s1, s2)` runs over every row of the table
/// `p` and its two state tables `s1`, `s2` (Adam's moments, Adadelta's averages), with the used
/// rows' gradients (`Some`) and, for the runs of rows between them, `None`: a zero gradient,
/// which the update need not read (Adam's [`adam_update_zero`]; [`with_zeros`] reads zeros).
/// The updates are elementwise, so each value gets the very update the dense loop over a
/// zero-filled gradient table gives it — the same bits — and the table's gradient, as large as
/// the table, is never held.
fn dense_table_step<F>(p: &mut [f32], s1: &mut [f32], s2: &mut [f32], rows: &TableRows, update: F)
where
    F: Fn(&mut [f32], Option<&[f32]>, &mut [f32], &mut [f32]) + Sync,
{
    let w = rows.width;
    assert!(w > 0 && p.len().is_multiple_of(w), "a table of {} values is not rows of {w}", p.len());
    let block = (PAR_CHUNK / w).max(1) * w;
    let zeros = |p: &mut [f32], s1: &mut [f32], s2: &mut [f32], span: Range<usize>| {
        if !span.is_empty() {
            update(&mut p[span.clone()], None, &mut s1[span.clone()], &mut s2[span]);
        }
    };
    p.par_chunks_mut(block).zip(s1.par_chunks_mut(block)).zip(s2.par_chunks_mut(block)).enumerate().for_each(
        |(bi, ((p, s1), s2))| {
            let first = bi * block / w;
            let last = first + p.len() / w;
            let lo = rows.ids.partition_point(|&id| (id as usize) < first);
            let hi = rows.ids.partition_point(|&id| (id as usize) < last);
            let mut at = 0;
            for (u, &id) in rows.ids.iter().enumerate().take(hi).skip(lo) {
                let start = (id as usize - first) * w;
                zeros(p, s1, s2, at..start);
                let g = &rows.grads[u * w..(u + 1) * w];
                update(&mut p[start..start + w], Some(g), &mut s1[start..start + w], &mut s2[start..start + w]);
                at = start + w;
            }
            zeros(p, s1, s2, at..p.len());
        },
    );
}

/// θ ← θ − α∇L.
pub fn sgd_step(params: &mut [f32], grads: &[f32], groups: &[ParamRange], lr: f32) {
    sgd_step_lazy(params, grads, groups, lr, None)
}

/// [`sgd_step`], with `rows`' table (if its group is among `groups`) updated only at its rows,
/// lazy or not: plain gradient descent moves nothing without a gradient, so this gives the
/// dense step's numbers, bit for bit, and skips the rest of the table. `grads` is the gradient
/// of the last `grads.len()` parameters (all of them, or all but `rows`' table).
pub fn sgd_step_lazy(params: &mut [f32], grads: &[f32], groups: &[ParamRange], lr: f32, rows: Option<TableRows>) {
    let from = grads_start(params, grads, groups, rows);
    for gr in groups {
        let a = lr * gr.lr_mult;
        if let Some(rows) = rows.filter(|r| r.is(gr)) {
            table_rows_mut(&mut params[gr.range.clone()], rows.width, rows.ids)
                .into_par_iter()
                .zip(rows.grads.par_chunks(rows.width))
                .with_min_len(PAR_ROWS)
                .for_each(|(p, g)| p.iter_mut().zip(g).for_each(|(p, g)| *p -= a * g));
            continue;
        }
        params[gr.range.clone()]
            .par_chunks_mut(PAR_CHUNK)
            .zip(grad_of(grads, from, &gr.range).par_chunks(PAR_CHUNK))
            .for_each(|(p, g)| p.iter_mut().zip(g).for_each(|(p, g)| *p -= a * g));
    }
}

/// Adam's settings and state (moments in the parameter layout).
#[derive(Clone, Debug)]
pub struct Adam {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub epsilon: f32,
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    /// Number of steps taken so far.
    pub t: u64,
}

impl Adam {
    /// Keras defaults: lr 1e-3, β1 0.9, β2 0.999, ε 1e-7.
    pub fn keras(n_params: usize) -> Self {
        Adam::new(n_params, 1e-3)
    }

    pub fn new(n_params: usize, lr: f32) -> Self {
        Adam { lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, m: vec![0.0; n_params], v: vec![0.0; n_params], t: 0 }
    }

    pub fn step(&mut self, params: &mut [f32], grads: &[f32], groups: &[ParamRange]) {
        self.step_lazy(params, grads, groups, None)
    }

    /// [`Adam::step`], with `rows`' table (if its group is among `groups`) read as its rows:
    /// updated only at them when `rows.lazy` (LazyAdam), else at every row as the dense step
    /// does. One step of the global count either way. `grads` is the gradient of the last
    /// `grads.len()` parameters (all of them, or all but `rows`' table).
    pub fn step_lazy(&mut self, params: &mut [f32], grads: &[f32], groups: &[ParamRange], rows: Option<TableRows>) {
        let from = grads_start(params, grads, groups, rows);
        self.t += 1;
        let t = self.t as i32;
        let (b1, b2, eps) = (self.beta1, self.beta2, self.epsilon);
        let alpha = self.lr * (1.0 - b2.powi(t)).sqrt() / (1.0 - b1.powi(t));
        for gr in groups {
            let c = AdamCoefs { alpha: alpha * gr.lr_mult, beta1: b1, beta2: b2, epsilon: eps };
            let r = gr.range.clone();
            if let Some(rows) = rows.filter(|rows| rows.is(gr) && !rows.lazy) {
                let (m, v) = (&mut self.m[r.clone()], &mut self.v[r.clone()]);
                dense_table_step(&mut params[r], m, v, &rows, |p, g, m, v| match g {
                    Some(g) => adam_update(p, g, m, v, c),
                    None => adam_update_zero(p, m, v, c),
                });
                continue;
            }
            if let Some(rows) = rows.filter(|rows| rows.is(gr)) {
                let w = rows.width;
                table_rows_mut(&mut params[r.clone()], w, rows.ids)
                    .into_par_iter()
                    .zip(rows.grads.par_chunks(w))
                    .zip(table_rows_mut(&mut self.m[r.clone()], w, rows.ids))
                    .zip(table_rows_mut(&mut self.v[r], w, rows.ids))
                    .with_min_len(PAR_ROWS)
                    .for_each(|(((p, g), m), v)| adam_update(p, g, m, v, c));
                continue;
            }
            params[r.clone()]
                .par_chunks_mut(PAR_CHUNK)
                .zip(grad_of(grads, from, &r).par_chunks(PAR_CHUNK))
                .zip(self.m[r.clone()].par_chunks_mut(PAR_CHUNK))
                .zip(self.v[r].par_chunks_mut(PAR_CHUNK))
                .for_each(|(((p, g), m), v)| adam_update(p, g, m, v, c));
        }
    }
}

/// One Adam step's scalars, the same for every element of a group.
#[derive(Clone, Copy)]
struct AdamCoefs {
    /// this step's rate: `α_t` times the group's multiplier
    alpha: f32,
    beta1: f32,
    beta2: f32,
    epsilon: f32,
}

/// One Adam update over a block: `m += (g − m)(1 − β1)`, `v += (g² − v)(1 − β2)`,
/// `p −= α·m / (√v + ε)`. Memory-bound with a square root and a division per element, so it
/// gets an AVX2 build (8 lanes instead of SSE2's 4) chosen at run time.
#[inline(always)]
fn adam_body(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: AdamCoefs) {
    for i in 0..p.len().min(g.len()).min(m.len()).min(v.len()) {
        m[i] += (g[i] - m[i]) * (1.0 - c.beta1);
        v[i] += (g[i] * g[i] - v[i]) * (1.0 - c.beta2);
        p[i] -= c.alpha * m[i] / (v[i].sqrt() + c.epsilon);
    }
}

/// [`adam_body`] compiled for AVX2 and FMA.
///
/// # Safety
///
/// The CPU must have AVX2 and FMA (`activations::has_avx2`). The body is safe code; only the
/// instructions it is compiled to need the check.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn adam_avx2(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: AdamCoefs) {
    adam_body(p, g, m, v, c)
}

fn adam_update(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: AdamCoefs) {
    #[cfg(target_arch = "x86_64")]
    if crate::activations::has_avx2() {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { adam_avx2(p, g, m, v, c) };
    }
    adam_body(p, g, m, v, c)
}

/// [`adam_body`] at a zero gradient, the update of a table's rows a step did not use (most of
/// them): the same operations on the literal `0.0` (Rust keeps `0.0 − m` a subtraction), so the
/// same bits, without reading a gradient — one stream fewer through a loop that memory bounds.
#[inline(always)]
fn adam_zero_body(p: &mut [f32], m: &mut [f32], v: &mut [f32], c: AdamCoefs) {
    let g = 0.0f32;
    for i in 0..p.len().min(m.len()).min(v.len()) {
        m[i] += (g - m[i]) * (1.0 - c.beta1);
        v[i] += (g * g - v[i]) * (1.0 - c.beta2);
        p[i] -= c.alpha * m[i] / (v[i].sqrt() + c.epsilon);
    }
}

/// [`adam_zero_body`] compiled for AVX2 and FMA.
///
/// # Safety
///
/// The CPU must have AVX2 and FMA (`activations::has_avx2`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn adam_zero_avx2(p: &mut [f32], m: &mut [f32], v: &mut [f32], c: AdamCoefs) {
    adam_zero_body(p, m, v, c)
}

fn adam_update_zero(p: &mut [f32], m: &mut [f32], v: &mut [f32], c: AdamCoefs) {
    #[cfg(target_arch = "x86_64")]
    if crate::activations::has_avx2() {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { adam_zero_avx2(p, m, v, c) };
    }
    adam_zero_body(p, m, v, c)
}

/// Adadelta (Zeiler 2012) as tf-keras writes it — the optimiser of Kim's (2014) CNN:
/// `a_g ← ρ·a_g + (1−ρ)·g²`, `u = g·√(a_u + ε)/√(a_g + ε)`, `a_u ← ρ·a_u + (1−ρ)·u²`,
/// `θ −= lr·u`. Keras's defaults are ρ 0.95, ε 1e-7 (Kim: lr 1.0, ε 1e-6).
#[derive(Clone, Debug)]
pub struct Adadelta {
    pub lr: f32,
    pub rho: f32,
    pub epsilon: f32,
    /// running averages of squared gradients and of squared updates
    pub acc_grad: Vec<f32>,
    pub acc_update: Vec<f32>,
}

impl Adadelta {
    pub fn new(n_params: usize, lr: f32) -> Self {
        Adadelta { lr, rho: 0.95, epsilon: 1e-7, acc_grad: vec![0.0; n_params], acc_update: vec![0.0; n_params] }
    }

    pub fn step(&mut self, params: &mut [f32], grads: &[f32], groups: &[ParamRange]) {
        self.step_rows(params, grads, groups, None)
    }

    /// [`Adadelta::step`], with `rows`' table (if its group is among `groups`) given as the
    /// rows a step used, every row updated (Adadelta has no lazy form: panics if `rows.lazy`).
    /// `grads` is the gradient of the last `grads.len()` parameters (all, or all but the table).
    pub fn step_rows(&mut self, params: &mut [f32], grads: &[f32], groups: &[ParamRange], rows: Option<TableRows>) {
        assert!(!rows.is_some_and(|r| r.lazy), "Adadelta has no lazy form");
        let from = grads_start(params, grads, groups, rows);
        let (rho, eps) = (self.rho, self.epsilon);
        for gr in groups {
            let lr = self.lr * gr.lr_mult;
            let r = gr.range.clone();
            let step = |p: &mut [f32], g: &[f32], ag: &mut [f32], au: &mut [f32]| {
                for i in 0..p.len() {
                    ag[i] = rho * ag[i] + (1.0 - rho) * g[i] * g[i];
                    let u = g[i] * (au[i] + eps).sqrt() / (ag[i] + eps).sqrt();
                    au[i] = rho * au[i] + (1.0 - rho) * u * u;
                    p[i] -= lr * u;
                }
            };
            let (ag, au) = (&mut self.acc_grad[r.clone()], &mut self.acc_update[r.clone()]);
            if let Some(rows) = rows.filter(|rows| rows.is(gr)) {
                dense_table_step(&mut params[r], ag, au, &rows, |p, g, ag, au| match g {
                    Some(g) => step(p, g, ag, au),
                    None => with_zeros(p, ag, au, step),
                });
                continue;
            }
            params[r.clone()]
                .par_chunks_mut(PAR_CHUNK)
                .zip(grad_of(grads, from, &r).par_chunks(PAR_CHUNK))
                .zip(ag.par_chunks_mut(PAR_CHUNK))
                .zip(au.par_chunks_mut(PAR_CHUNK))
                .for_each(|(((p, g), ag), au)| step(p, g, ag, au));
        }
    }
}

/// Keras's `MaxNorm(max)` on a `[I, O]` kernel: each output unit's incoming weights (a column)
/// are rescaled to an L2 norm of at most `max` (Kim's constraint, s = 3).
pub fn max_norm(kernel: &mut [f32], inputs: usize, outputs: usize, max: f32) {
    for o in 0..outputs {
        let norm = (0..inputs).map(|i| kernel[i * outputs + o].powi(2)).sum::<f32>().sqrt();
        if norm > max {
            // Keras: w · clip(norm, 0, max) / (ε + norm)
            let scale = max / (1e-7 + norm);
            (0..inputs).for_each(|i| kernel[i * outputs + o] *= scale);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adadelta_matches_its_formula_over_two_steps() {
        let (mut p, g) = (vec![1.0f32, -2.0], vec![0.5f32, -4.0]);
        let mut opt = Adadelta { epsilon: 1e-6, ..Adadelta::new(2, 1.0) };
        let groups = [ParamRange { range: 0..2, lr_mult: 1.0 }];
        let (mut want, mut ag, mut au) = (vec![1.0f64, -2.0], [0.0f64; 2], [0.0f64; 2]);
        for _ in 0..2 {
            opt.step(&mut p, &g, &groups);
            for i in 0..2 {
                let gi = g[i] as f64;
                ag[i] = 0.95 * ag[i] + 0.05 * gi * gi;
                let u = gi * (au[i] + 1e-6).sqrt() / (ag[i] + 1e-6).sqrt();
                au[i] = 0.95 * au[i] + 0.05 * u * u;
                want[i] -= u;
            }
        }
        for i in 0..2 {
            assert!((p[i] as f64 - want[i]).abs() < 1e-6, "{} vs {}", p[i], want[i]);
        }
    }

    #[test]
    fn max_norm_rescales_only_long_columns() {
        // [I=2, O=2]: column 0 = (3, 4) has norm 5, column 1 = (0.3, 0.4) norm 0.5
        let mut k = vec![3.0f32, 0.3, 4.0, 0.4];
        max_norm(&mut k, 2, 2, 3.0);
        assert!((k[0] - 1.8).abs() < 1e-5 && (k[2] - 2.4).abs() < 1e-5, "{k:?}");
        assert_eq!((k[1], k[3]), (0.3, 0.4));
    }

    #[test]
    fn adam_first_step_moves_by_lr_times_sign() {
        // With m = (1-β1)g, v = (1-β2)g², α = lr·√(1-β2)/(1-β1): the step is ≈ lr·sign(g).
        let mut p = vec![1.0f32, -2.0, 3.0];
        let g = vec![0.5f32, -4.0, 0.0];
        let mut adam = Adam::keras(3);
        adam.step(&mut p, &g, &[ParamRange { range: 0..3, lr_mult: 1.0 }]);
        assert!((p[0] - (1.0 - 1e-3)).abs() < 1e-6, "{}", p[0]);
        assert!((p[1] - (-2.0 + 1e-3)).abs() < 1e-6, "{}", p[1]);
        assert_eq!(p[2], 3.0);
    }

    /// A `[V=5, E=3]` table after a 2-value dense group, with warm moments (so decay shows):
    /// params, dense gradients (zero off the used rows), and the used rows' gradients.
    fn lazy_case(used: &[u32]) -> (Vec<f32>, Vec<f32>, Vec<f32>, Adam) {
        let (v, e) = (5, 3);
        let n = 2 + v * e;
        let params: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut grads = vec![0.0f32; n];
        grads[0] = 0.25;
        grads[1] = -0.5;
        let mut rows = Vec::new();
        for &id in used {
            let g: Vec<f32> = (0..e).map(|k| (id as f32 + 1.0) * 0.1 - k as f32 * 0.07).collect();
            grads[2 + id as usize * e..2 + (id as usize + 1) * e].copy_from_slice(&g);
            rows.extend(g);
        }
        let mut adam = Adam::new(n, 0.01);
        adam.m = (0..n).map(|i| 0.01 * i as f32).collect();
        adam.v = (0..n).map(|i| 0.001 * (i + 1) as f32).collect();
        adam.t = 4;
        (params, grads, rows, adam)
    }

    const LAZY_GROUPS: [ParamRange; 2] =
        [ParamRange { range: 0..2, lr_mult: 1.0 }, ParamRange { range: 2..17, lr_mult: 0.5 }];

    #[test]
    fn lazy_adam_leaves_unused_rows_and_their_moments_bit_identical() {
        let used = [1u32, 3];
        let (mut p, grads, rows, mut adam) = lazy_case(&used);
        let (p0, m0, v0) = (p.clone(), adam.m.clone(), adam.v.clone());
        let table = 2..17;
        let sparse = TableRows { table: &table, width: 3, ids: &used, grads: &rows, lazy: true };
        adam.step_lazy(&mut p, &grads, &LAZY_GROUPS, Some(sparse));
        assert_eq!(adam.t, 5, "the step count is global");
        for row in [0usize, 2, 4] {
            let r = 2 + row * 3..2 + (row + 1) * 3;
            assert_eq!(p[r.clone()], p0[r.clone()], "row {row}'s weights");
            assert_eq!(adam.m[r.clone()], m0[r.clone()], "row {row}'s first moment is not decayed");
            assert_eq!(adam.v[r.clone()], v0[r], "row {row}'s second moment");
        }
        // the used rows and the dense group move exactly as dense Adam moves them
        let mut dense = lazy_case(&used).3;
        let mut pd = p0.clone();
        dense.step(&mut pd, &grads, &LAZY_GROUPS);
        for i in (0..2).chain(5..8).chain(11..14) {
            assert_eq!((p[i], adam.m[i], adam.v[i]), (pd[i], dense.m[i], dense.v[i]), "element {i}");
            assert_ne!(p[i], p0[i], "element {i} moved");
        }
    }

    #[test]
    fn lazy_adam_on_a_step_that_uses_every_row_is_dense_adam() {
        let used = [0u32, 1, 2, 3, 4];
        let (p0, grads, rows, adam) = lazy_case(&used);
        let table = 2..17;
        let (mut lazy, mut dense) = (adam.clone(), adam);
        let (mut pl, mut pd) = (p0.clone(), p0);
        for _ in 0..3 {
            lazy.step_lazy(
                &mut pl,
                &grads,
                &LAZY_GROUPS,
                Some(TableRows { table: &table, width: 3, ids: &used, grads: &rows, lazy: true }),
            );
            dense.step(&mut pd, &grads, &LAZY_GROUPS);
        }
        let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&pl), bits(&pd));
        assert_eq!((bits(&lazy.m), bits(&lazy.v), lazy.t), (bits(&dense.m), bits(&dense.v), dense.t));
    }

    #[test]
    fn lazy_sgd_is_dense_sgd() {
        let used = [0u32, 4];
        let (p0, grads, rows, _) = lazy_case(&used);
        let table = 2..17;
        let (mut pl, mut pd) = (p0.clone(), p0.clone());
        sgd_step_lazy(
            &mut pl,
            &grads,
            &LAZY_GROUPS,
            0.1,
            Some(TableRows { table: &table, width: 3, ids: &used, grads: &rows, lazy: true }),
        );
        sgd_step(&mut pd, &grads, &LAZY_GROUPS, 0.1);
        assert_eq!(pl, pd);
        assert_ne!(pl, p0);
    }

    /// A `[V, E]` table, with more values than a parallel block and a run of zeros, after a
    /// dense group of 3, with warm optimizer state; its dense gradient (zero but at `used`), and
    /// the same as the used rows plus the gradient of the parameters after the table.
    fn big_table_case(used: &[u32]) -> (usize, usize, Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
        let (v, e) = (6000, 7);
        let n = v * e + 3;
        let mut rng = crate::Rng::new(11);
        let params: Vec<f32> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let mut grads = vec![0.0f32; n];
        let mut rows = Vec::new();
        for &id in used {
            let g: Vec<f32> = (0..e).map(|_| rng.uniform(-1.0, 1.0)).collect();
            grads[id as usize * e..(id as usize + 1) * e].copy_from_slice(&g);
            rows.extend(g);
        }
        grads[v * e..].copy_from_slice(&[0.5, -0.25, 2.0]);
        let state: Vec<f32> = (0..n).map(|_| rng.uniform(0.0, 0.01)).collect();
        (v, e, params, grads, rows, state)
    }

    /// Rows at both ends of the table, on both sides of a block's edge, and none for long runs.
    const BIG_USED: [u32; 6] = [0, 1, 17, 4680, 4681, 5999];

    #[test]
    fn dense_adam_from_rows_is_dense_adam_from_the_gradient_table_bit_for_bit() {
        let (v, e, p0, grads, rows, state) = big_table_case(&BIG_USED);
        let table = 0..v * e;
        let groups =
            [ParamRange { range: table.clone(), lr_mult: 0.5 }, ParamRange { range: v * e..v * e + 3, lr_mult: 1.0 }];
        let warm =
            Adam { m: state.clone(), v: state.iter().map(|x| x * x).collect(), t: 3, ..Adam::new(p0.len(), 0.01) };
        let (mut full, mut from_rows) = (warm.clone(), warm);
        let (mut pf, mut pr) = (p0.clone(), p0.clone());
        for _ in 0..2 {
            full.step(&mut pf, &grads, &groups);
            let r = TableRows { table: &table, width: e, ids: &BIG_USED, grads: &rows, lazy: false };
            // the gradient of the parameters after the table only
            from_rows.step_lazy(&mut pr, &grads[v * e..], &groups, Some(r));
        }
        let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&pr), bits(&pf));
        assert_eq!((bits(&from_rows.m), bits(&from_rows.v)), (bits(&full.m), bits(&full.v)));
        assert_ne!(pr[2 * e], p0[2 * e], "an unused row still moves by its momentum");
    }

    /// The zero-gradient update gives the bits of the update reading zeros, at the values where
    /// `0 − m` and `−m` differ (signed zeros), fresh moments, denormals and large ones.
    #[test]
    fn adams_zero_gradient_update_is_the_update_at_zero_bit_for_bit() {
        let special = [0.0f32, -0.0, 1e-40, -1e-40, 1e-3, -2.5, 3e30, f32::MIN_POSITIVE];
        let (mut m, mut v) = (Vec::new(), Vec::new());
        for &a in &special {
            for &b in &special {
                m.push(a);
                v.push(b.abs());
            }
        }
        let p: Vec<f32> = (0..m.len()).map(|i| (i as f32 * 0.7).cos()).collect();
        let c = AdamCoefs { alpha: 0.003, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
        let (mut pz, mut mz, mut vz) = (p.clone(), m.clone(), v.clone());
        let (mut pg, mut mg, mut vg) = (p, m, v);
        for _ in 0..3 {
            adam_update_zero(&mut pz, &mut mz, &mut vz, c);
            let n = pg.len();
            adam_update(&mut pg, &ZEROS[..n], &mut mg, &mut vg, c);
        }
        let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!((bits(&pz), bits(&mz), bits(&vz)), (bits(&pg), bits(&mg), bits(&vg)));
    }

    #[test]
    fn dense_adadelta_from_rows_is_dense_adadelta_from_the_gradient_table_bit_for_bit() {
        let (v, e, p0, grads, rows, state) = big_table_case(&BIG_USED);
        let table = 0..v * e;
        let groups =
            [ParamRange { range: table.clone(), lr_mult: 1.0 }, ParamRange { range: v * e..v * e + 3, lr_mult: 1.0 }];
        let warm = Adadelta { acc_grad: state.clone(), acc_update: state, ..Adadelta::new(p0.len(), 1.0) };
        let (mut full, mut from_rows) = (warm.clone(), warm);
        let (mut pf, mut pr) = (p0.clone(), p0.clone());
        full.step(&mut pf, &grads, &groups);
        let r = TableRows { table: &table, width: e, ids: &BIG_USED, grads: &rows, lazy: false };
        from_rows.step_rows(&mut pr, &grads[v * e..], &groups, Some(r));
        let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&pr), bits(&pf));
        assert_eq!(bits(&from_rows.acc_grad), bits(&full.acc_grad));
        assert_eq!(bits(&from_rows.acc_update), bits(&full.acc_update));
    }

    #[test]
    #[should_panic(expected = "has no gradient")]
    fn a_group_below_a_short_gradient_is_refused() {
        let mut p = vec![1.0f32; 4];
        sgd_step(&mut p, &[1.0, 1.0], &[ParamRange { range: 1..3, lr_mult: 1.0 }], 0.1);
    }

    #[test]
    fn table_rows_are_the_named_rows() {
        let mut t: Vec<f32> = (0..12).map(|i| i as f32).collect();
        let rows = table_rows_mut(&mut t, 3, &[0, 2, 3]);
        let got: Vec<Vec<f32>> = rows.into_iter().map(|r| r.to_vec()).collect();
        assert_eq!(got, vec![vec![0.0, 1.0, 2.0], vec![6.0, 7.0, 8.0], vec![9.0, 10.0, 11.0]]);
    }

    #[test]
    #[should_panic(expected = "sorted and distinct")]
    fn table_rows_refuse_a_repeated_row() {
        table_rows_mut(&mut [0.0; 6], 3, &[1, 1]);
    }

    #[test]
    fn ranges_outside_the_groups_are_untouched() {
        let mut p = vec![1.0f32; 4];
        let g = vec![1.0f32; 4];
        sgd_step(&mut p, &g, &[ParamRange { range: 1..3, lr_mult: 2.0 }], 0.1);
        assert_eq!(p, vec![1.0, 0.8, 0.8, 1.0]);
    }
}
