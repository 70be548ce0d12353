//! One SGD step of fastText's supervised model on one example, and its loss, side by side: the
//! hot loop of `strata-train`'s linear trainer lives here because it wants AVX2+FMA code
//! (runtime-dispatched, with a portable build that gives the same bits) and `strata-train`
//! forbids `unsafe`. The trainer decides the order, the learning rate and where rows live;
//! this file is only the math, with its finite-difference check next to it.
//!
//! # Shapes
//! - `D` vector width; the input matrix has `[rows, D]` rows reached through [`InputRows`]
//!   (the weights themselves, or a thread's overlay of them);
//! - `output` is `[C, D]`, one row per class; an example is its input row ids `[n]` (a row may
//!   occur more than once) and its class.
//!
//! The hidden vector is `h = Σ rows / n`; the scores `s = output·h`. With softmax the loss is
//! `−ln softmax(s)[target]`; with one-vs-all it is `Σ_c −ln σ(±s_c)` (+ for the target, or for each of an example's
//! several labels: [`step_multi`]). The
//! step is fastText's (`Loss::forward`, `Model::update`): for each class `c`,
//! `α = lr·(label_c − p_c)`, `grad += α·output_c` (the row before its own update), then
//! `output_c += α·h`; finally each input row `+= grad / n`. With distinct rows that is exactly
//! `−lr·∂loss` for every value; a repeated row gets its share once per occurrence, which is its
//! gradient too.
//!
//! Per-level heads ([`step_levels`], issue 15 point 3): with labels in a tree, one more head
//! per upper level reads the same `h` (its rows after the leaf head's in `output`), each with
//! the leaf's ancestor at its level as target; the loss is the heads' sum, every head's
//! gradient at `h` is added into the one shared out to the input rows, and the leaf head alone
//! says whether the example was right.

use crate::activations::exp;

/// Which loss the classes share (fastText's `-loss`; the linear model's `loss`, saved in its
/// `config.json` as `softmax` or `one-vs-all`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// One softmax over the classes (fastText's `softmax`).
    #[default]
    Softmax,
    /// One sigmoid per class, each a binary problem (fastText's `ova`; what several labels
    /// per text need).
    OneVsAll,
}

/// Where the input rows live: the step reads each example's rows, then adds to them.
pub trait InputRows {
    fn row(&self, r: u32) -> &[f32];
    fn row_mut(&mut self, r: u32) -> &mut [f32];
}

/// The input matrix itself, `[rows, dim]`, written in place.
pub struct DenseRows<'a> {
    pub data: &'a mut [f32],
    pub dim: usize,
}

impl InputRows for DenseRows<'_> {
    #[inline(always)]
    fn row(&self, r: u32) -> &[f32] {
        &self.data[r as usize * self.dim..][..self.dim]
    }

    #[inline(always)]
    fn row_mut(&mut self, r: u32) -> &mut [f32] {
        &mut self.data[r as usize * self.dim..][..self.dim]
    }
}

/// Buffers one thread reuses across examples (`hidden` and `grad` `[D]`, `scores` `[C]`, and
/// `level_scores` as wide as the widest level head).
#[derive(Clone, Debug)]
pub struct Scratch {
    hidden: Vec<f32>,
    grad: Vec<f32>,
    scores: Vec<f32>,
    level_scores: Vec<f32>,
}

impl Scratch {
    pub fn new(dim: usize, classes: usize) -> Self {
        Scratch { hidden: vec![0.0; dim], grad: vec![0.0; dim], scores: vec![0.0; classes], level_scores: Vec::new() }
    }
}

/// Nodes of one upper level of a label tree: one more than the highest node any leaf class maps to.
pub fn level_nodes(node: &[usize]) -> usize {
    node.iter().max().map_or(0, |m| m + 1)
}

/// What the model made of an example before its step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    pub loss: f32,
    /// The target had the highest score (the lowest class wins a tie), as Keras counts a
    /// batch's accuracy before its update.
    pub correct: bool,
}

/// One SGD step on the example (`rows`, `target`) at learning rate `lr`; returns its loss and
/// whether it was predicted right before the step, or `None` (and changes nothing) when it has
/// no rows, as fastText skips such a line.
pub fn step<R: InputRows>(
    input: &mut R,
    output: &mut [f32],
    rows: &[u32],
    target: usize,
    objective: Objective,
    lr: f32,
    scratch: &mut Scratch,
) -> Option<Outcome> {
    #[cfg(target_arch = "x86_64")]
    if crate::activations::has_avx2() {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { step_avx2(input, output, rows, std::slice::from_ref(&target), &[], objective, lr, scratch) };
    }
    step_body(input, output, rows, std::slice::from_ref(&target), &[], objective, lr, scratch)
}

/// [`step`] with one head per upper level of a label tree beside the leaf head: `output` is
/// `[C + Σ nodes, D]`, the leaf head's `C` rows first, then each level's rows in the order of
/// `levels` (each maps every leaf class to its node at that level, see [`level_nodes`]). The
/// loss is the heads' sum (each with `objective`), `correct` is the leaf head's. With no
/// levels it is [`step`], bit for bit.
#[allow(clippy::too_many_arguments)]
pub fn step_levels<R: InputRows>(
    input: &mut R,
    output: &mut [f32],
    rows: &[u32],
    target: usize,
    levels: &[Vec<usize>],
    objective: Objective,
    lr: f32,
    scratch: &mut Scratch,
) -> Option<Outcome> {
    #[cfg(target_arch = "x86_64")]
    if crate::activations::has_avx2() {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe {
            step_avx2(input, output, rows, std::slice::from_ref(&target), levels, objective, lr, scratch)
        };
    }
    step_body(input, output, rows, std::slice::from_ref(&target), levels, objective, lr, scratch)
}

/// One one-vs-all SGD step on an example with several labels (`targets`, each a class index;
/// fastText's `-loss ova` on a line with several `__label__`s): every class is its own binary
/// problem, positive when it is one of `targets`. The loss is `Σ_c −ln σ(±s_c)`; the returned
/// outcome is `correct` when the best-scoring class is one of `targets` (precision at 1).
/// Same bits as [`step`] for one target.
pub fn step_multi<R: InputRows>(
    input: &mut R,
    output: &mut [f32],
    rows: &[u32],
    targets: &[usize],
    lr: f32,
    scratch: &mut Scratch,
) -> Option<Outcome> {
    #[cfg(target_arch = "x86_64")]
    if crate::activations::has_avx2() {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { step_avx2(input, output, rows, targets, &[], Objective::OneVsAll, lr, scratch) };
    }
    step_body(input, output, rows, targets, &[], Objective::OneVsAll, lr, scratch)
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
#[allow(clippy::too_many_arguments)]
unsafe fn step_avx2<R: InputRows>(
    input: &mut R,
    output: &mut [f32],
    rows: &[u32],
    targets: &[usize],
    levels: &[Vec<usize>],
    objective: Objective,
    lr: f32,
    scratch: &mut Scratch,
) -> Option<Outcome> {
    step_body(input, output, rows, targets, levels, objective, lr, scratch)
}

/// The step for one target (softmax reads `targets[0]`) or several (one-vs-all only), with
/// the level heads of `levels` after the leaf head in `output` (one target only).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn step_body<R: InputRows>(
    input: &mut R,
    output: &mut [f32],
    rows: &[u32],
    targets: &[usize],
    levels: &[Vec<usize>],
    objective: Objective,
    lr: f32,
    scratch: &mut Scratch,
) -> Option<Outcome> {
    if rows.is_empty() {
        return None;
    }
    let Scratch { hidden, grad, scores, level_scores } = scratch;
    let d = hidden.len();
    hidden.fill(0.0);
    for &r in rows {
        add(hidden, input.row(r));
    }
    let inv_n = 1.0 / rows.len() as f32;
    scale(hidden, inv_n);
    grad.fill(0.0);
    let (leaf, mut upper) = output.split_at_mut(scores.len() * d);
    let (mut loss, best) = head_step(leaf, hidden, grad, scores, targets, objective, lr);
    for node in levels {
        let k = level_nodes(node);
        let (head, rest) = std::mem::take(&mut upper).split_at_mut(k * d);
        level_scores.resize(k, 0.0);
        let target = node[targets[0]];
        loss += head_step(head, hidden, grad, level_scores, std::slice::from_ref(&target), objective, lr).0;
        upper = rest;
    }
    scale(grad, inv_n);
    for &r in rows {
        add(input.row_mut(r), grad);
    }
    Some(Outcome { loss, correct: targets.contains(&best) })
}

/// One head's part of a step: its scores of `hidden` into `scores` (then its probabilities),
/// its SGD update of `output` (`[scores.len(), D]`), and `lr·(label − p)·row` (the row
/// before its update) added to `grad` for every class; returns its loss and its best class.
#[inline(always)]
fn head_step(
    output: &mut [f32],
    hidden: &[f32],
    grad: &mut [f32],
    scores: &mut [f32],
    targets: &[usize],
    objective: Objective,
    lr: f32,
) -> (f32, usize) {
    let d = hidden.len();
    for (s, o) in scores.iter_mut().zip(output.chunks_exact(d)) {
        *s = crate::skipgram::dot(o, hidden);
    }
    let best = (0..scores.len()).fold(0, |b, c| if scores[c] > scores[b] { c } else { b });
    let loss = match objective {
        Objective::Softmax => {
            let max = scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
            let shifted_target = scores[targets[0]] - max;
            let mut sum = 0.0f32;
            for s in scores.iter_mut() {
                *s = exp(*s - max);
                sum += *s;
            }
            for s in scores.iter_mut() {
                *s /= sum;
            }
            // −ln p = ln Σ e^(s−max) − (s_target − max): finite however small p is
            sum.ln() - shifted_target
        }
        Objective::OneVsAll => {
            let mut loss = 0.0f32;
            for (c, s) in scores.iter_mut().enumerate() {
                let x = if targets.contains(&c) { *s } else { -*s };
                loss += softplus(-x);
                *s = 1.0 / (1.0 + exp(-*s));
            }
            loss
        }
    };
    for (c, (&p, o)) in scores.iter().zip(output.chunks_exact_mut(d)).enumerate() {
        let label = if targets.contains(&c) { 1.0 } else { 0.0 };
        let alpha = lr * (label - p);
        axpy(grad, alpha, o);
        axpy(o, alpha, hidden);
    }
    (loss, best)
}

/// The example's loss in f64, computed apart from [`step`] (what the finite-difference test
/// differentiates). `input` is `[rows, D]` with `D = output.len() / classes`.
pub fn loss(input: &[f32], output: &[f32], classes: usize, rows: &[u32], target: usize, objective: Objective) -> f64 {
    let d = output.len() / classes;
    let mut h = vec![0.0f64; d];
    for &r in rows {
        for (a, &x) in h.iter_mut().zip(&input[r as usize * d..][..d]) {
            *a += x as f64 / rows.len() as f64;
        }
    }
    let s: Vec<f64> = output.chunks_exact(d).map(|o| o.iter().zip(&h).map(|(&w, &x)| w as f64 * x).sum()).collect();
    let softplus = |x: f64| x.max(0.0) + (-x.abs()).exp().ln_1p(); // −ln σ(−x)
    match objective {
        Objective::Softmax => {
            let max = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = max + s.iter().map(|&v| (v - max).exp()).sum::<f64>().ln();
            lse - s[target]
        }
        Objective::OneVsAll => {
            s.iter().enumerate().map(|(c, &v)| if c == target { softplus(-v) } else { softplus(v) }).sum()
        }
    }
}

/// The summed loss of the leaf head and the level heads of `levels` ([`step_levels`]'s, in
/// f64, what its finite-difference test differentiates): `output` is `[classes + Σ nodes, D]`.
pub fn loss_levels(
    input: &[f32],
    output: &[f32],
    classes: usize,
    levels: &[Vec<usize>],
    rows: &[u32],
    target: usize,
    objective: Objective,
) -> f64 {
    let d = output.len() / (classes + levels.iter().map(|n| level_nodes(n)).sum::<usize>());
    let (leaf, mut upper) = output.split_at(classes * d);
    let mut total = loss(input, leaf, classes, rows, target, objective);
    for node in levels {
        let k = level_nodes(node);
        let (head, rest) = upper.split_at(k * d);
        total += loss(input, head, k, rows, node[target], objective);
        upper = rest;
    }
    total
}

/// The one-vs-all loss of an example with several labels, in f64 ([`step_multi`]'s, what its
/// finite-difference test differentiates).
pub fn loss_multi(input: &[f32], output: &[f32], classes: usize, rows: &[u32], targets: &[usize]) -> f64 {
    let d = output.len() / classes;
    let mut h = vec![0.0f64; d];
    for &r in rows {
        for (a, &x) in h.iter_mut().zip(&input[r as usize * d..][..d]) {
            *a += x as f64 / rows.len() as f64;
        }
    }
    let softplus = |x: f64| x.max(0.0) + (-x.abs()).exp().ln_1p();
    output
        .chunks_exact(d)
        .enumerate()
        .map(|(c, o)| {
            let s: f64 = o.iter().zip(&h).map(|(&w, &x)| w as f64 * x).sum();
            if targets.contains(&c) {
                softplus(-s)
            } else {
                softplus(s)
            }
        })
        .sum()
}

/// `−ln σ(x)` without overflow.
#[inline(always)]
fn softplus(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// `a += b`
#[inline(always)]
fn add(a: &mut [f32], b: &[f32]) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// `a += k·b`
#[inline(always)]
fn axpy(a: &mut [f32], k: f32, b: &[f32]) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x += k * y;
    }
}

#[inline(always)]
fn scale(a: &mut [f32], k: f32) {
    for x in a.iter_mut() {
        *x *= k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::check;
    use crate::Rng;

    /// The gradient an SGD step at rate `lr` followed, read back from the weights it moved.
    fn sgd_gradient(before: &[f32], after: &[f32], lr: f32) -> Vec<f32> {
        before.iter().zip(after).map(|(&b, &a)| ((b as f64 - a as f64) / lr as f64) as f32).collect()
    }

    fn random(n: usize, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| rng.uniform(-0.5, 0.5)).collect()
    }

    /// Width 19 exercises both the 16-lane loop and its tail; row 2 occurs twice, row 0 never.
    const D: usize = 19;
    const C: usize = 3;
    const ROWS: [u32; 4] = [1, 2, 4, 2];

    /// The step moved each value by −lr·∂L/∂value: recover the gradient it used and compare
    /// it with central differences of [`loss`], for the input rows and the output matrix.
    fn check_objective(objective: Objective) {
        let mut rng = Rng::new(7);
        let (x, w) = (random(5 * D, &mut rng), random(C * D, &mut rng));
        let lr = 0.25f32;
        let (mut x1, mut w1, mut scratch) = (x.clone(), w.clone(), Scratch::new(D, C));
        let outcome =
            step(&mut DenseRows { data: &mut x1, dim: D }, &mut w1, &ROWS, 1, objective, lr, &mut scratch).unwrap();
        let reported = outcome.loss;
        let reference = loss(&x, &w, C, &ROWS, 1, objective);
        assert!((reported as f64 - reference).abs() < 1e-5 * reference.max(1.0), "{reported} vs {reference}");
        let grad = |before: &[f32], after: &[f32]| sgd_gradient(before, after, lr);
        for worst in [
            check("linear.input", &x, &grad(&x, &x1), |p| loss(p, &w, C, &ROWS, 1, objective)),
            check("linear.output", &w, &grad(&w, &w1), |p| loss(&x, p, C, &ROWS, 1, objective)),
        ] {
            assert!(worst < 1e-2, "{objective:?} max rel diff {worst}");
        }
        assert_eq!(&x1[..D], &x[..D], "row 0 is in no example");
        assert_eq!(&x1[3 * D..4 * D], &x[3 * D..4 * D], "row 3 is in no example");
    }

    #[test]
    fn softmax_step_is_an_sgd_step_on_the_loss() {
        check_objective(Objective::Softmax);
    }

    #[test]
    fn one_vs_all_step_is_an_sgd_step_on_the_loss() {
        check_objective(Objective::OneVsAll);
    }

    /// [`step_multi`] is an SGD step on [`loss_multi`] (two positive classes of three), and
    /// with one target it is [`step`]'s one-vs-all step, bit for bit.
    #[test]
    fn multi_label_step_is_an_sgd_step_on_the_summed_binary_losses() {
        let mut rng = Rng::new(9);
        let (x, w) = (random(5 * D, &mut rng), random(C * D, &mut rng));
        let (lr, targets) = (0.25f32, [0usize, 2]);
        let (mut x1, mut w1) = (x.clone(), w.clone());
        let outcome =
            step_multi(&mut DenseRows { data: &mut x1, dim: D }, &mut w1, &ROWS, &targets, lr, &mut Scratch::new(D, C))
                .unwrap();
        let reference = loss_multi(&x, &w, C, &ROWS, &targets);
        assert!((outcome.loss as f64 - reference).abs() < 1e-5 * reference.max(1.0), "{} vs {reference}", outcome.loss);
        let grad = |before: &[f32], after: &[f32]| sgd_gradient(before, after, lr);
        for worst in [
            check("linear.input", &x, &grad(&x, &x1), |p| loss_multi(p, &w, C, &ROWS, &targets)),
            check("linear.output", &w, &grad(&w, &w1), |p| loss_multi(&x, p, C, &ROWS, &targets)),
        ] {
            assert!(worst < 1e-2, "multi-label max rel diff {worst}");
        }
        // the loss differs from one target's: the second positive class counts
        assert!((reference - loss(&x, &w, C, &ROWS, 0, Objective::OneVsAll)).abs() > 1e-3);
        let (mut x2, mut w2, mut x3, mut w3) = (x.clone(), w.clone(), x.clone(), w.clone());
        let a = step_multi(&mut DenseRows { data: &mut x2, dim: D }, &mut w2, &ROWS, &[1], lr, &mut Scratch::new(D, C));
        let b = step(
            &mut DenseRows { data: &mut x3, dim: D },
            &mut w3,
            &ROWS,
            1,
            Objective::OneVsAll,
            lr,
            &mut Scratch::new(D, C),
        );
        assert_eq!(a.map(|o| o.loss.to_bits()), b.map(|o| o.loss.to_bits()));
        assert_eq!((x2, w2), (x3, w3));
    }

    /// Two upper levels over the three leaf classes: level 0 puts leaves 0 and 1 under node 0,
    /// leaf 2 under node 1; level 1 gives each leaf a node of its own among four (node 2 has
    /// no leaf).
    fn levels() -> Vec<Vec<usize>> {
        vec![vec![0, 0, 1], vec![3, 0, 1]]
    }

    /// [`step_levels`] is an SGD step on [`loss_levels`], the leaf head's loss plus each level
    /// head's: central differences agree with the gradient the step used for the input rows,
    /// every head's rows, and the hidden vector they all share (the step's `grad` before it is
    /// shared out over the rows is `−lr·∂L/∂h`, times `1/n`).
    fn check_levels(objective: Objective) {
        let levels = levels();
        let heads = C + 2 + 4;
        let mut rng = Rng::new(11);
        let (x, w) = (random(5 * D, &mut rng), random(heads * D, &mut rng));
        let lr = 0.25f32;
        let (mut x1, mut w1, mut scratch) = (x.clone(), w.clone(), Scratch::new(D, C));
        let target = 1;
        let outcome = step_levels(
            &mut DenseRows { data: &mut x1, dim: D },
            &mut w1,
            &ROWS,
            target,
            &levels,
            objective,
            lr,
            &mut scratch,
        )
        .unwrap();
        let reference = loss_levels(&x, &w, C, &levels, &ROWS, target, objective);
        assert!((outcome.loss as f64 - reference).abs() < 1e-5 * reference.max(1.0), "{} vs {reference}", outcome.loss);
        let leaf_only = loss(&x, &w[..C * D], C, &ROWS, target, objective);
        assert!(reference - leaf_only > 1e-3, "the level heads add their losses: {reference} vs {leaf_only}");
        let grad = |before: &[f32], after: &[f32]| sgd_gradient(before, after, lr);
        // ∂L/∂h from the step's own buffer: grad = −lr·∂L/∂h / n
        let n = ROWS.len() as f32;
        let dh: Vec<f32> = scratch.grad.iter().map(|&g| -g * n / lr).collect();
        let mut h = vec![0.0f32; D];
        for &r in &ROWS {
            add(&mut h, &x[r as usize * D..][..D]);
        }
        scale(&mut h, 1.0 / n);
        for worst in [
            check("levels.input", &x, &grad(&x, &x1), |p| loss_levels(p, &w, C, &levels, &ROWS, target, objective)),
            check("levels.heads", &w, &grad(&w, &w1), |p| loss_levels(&x, p, C, &levels, &ROWS, target, objective)),
            // the loss as a function of h alone: a text whose only row is h
            check("levels.hidden", &h, &dh, |p| loss_levels(p, &w, C, &levels, &[0], target, objective)),
        ] {
            assert!(worst < 1e-2, "{objective:?} max rel diff {worst}");
        }
        // every head moved: the leaf's, level 0's and level 1's rows
        for (name, range) in [("leaf", 0..C * D), ("level 0", C * D..(C + 2) * D), ("level 1", (C + 2) * D..heads * D)]
        {
            assert_ne!(&w1[range.clone()], &w[range], "{name} head");
        }
    }

    #[test]
    fn per_level_softmax_step_is_an_sgd_step_on_the_summed_loss() {
        check_levels(Objective::Softmax);
    }

    #[test]
    fn per_level_one_vs_all_step_is_an_sgd_step_on_the_summed_loss() {
        check_levels(Objective::OneVsAll);
    }

    /// With no levels, [`step_levels`] is [`step`] bit for bit (a flat model trains as before).
    #[test]
    fn no_levels_is_the_flat_step() {
        let mut rng = Rng::new(5);
        let (x, w) = (random(5 * D, &mut rng), random(C * D, &mut rng));
        let (mut x1, mut w1, mut x2, mut w2) = (x.clone(), w.clone(), x.clone(), w.clone());
        let a = step(
            &mut DenseRows { data: &mut x1, dim: D },
            &mut w1,
            &ROWS,
            2,
            Objective::Softmax,
            0.3,
            &mut Scratch::new(D, C),
        );
        let b = step_levels(
            &mut DenseRows { data: &mut x2, dim: D },
            &mut w2,
            &ROWS,
            2,
            &[],
            Objective::Softmax,
            0.3,
            &mut Scratch::new(D, C),
        );
        assert_eq!(a.map(|o| o.loss.to_bits()), b.map(|o| o.loss.to_bits()));
        assert_eq!((x1, w1), (x2, w2));
    }

    #[test]
    fn an_example_with_no_rows_changes_nothing() {
        let mut rng = Rng::new(1);
        let (mut x, mut w) = (random(2 * D, &mut rng), random(C * D, &mut rng));
        let (x0, w0) = (x.clone(), w.clone());
        let got = step(
            &mut DenseRows { data: &mut x, dim: D },
            &mut w,
            &[],
            0,
            Objective::Softmax,
            0.5,
            &mut Scratch::new(D, C),
        );
        assert_eq!(got, None);
        assert_eq!((x, w), (x0, w0));
    }

    #[test]
    fn saturated_scores_give_finite_loss_and_no_nan() {
        for objective in [Objective::Softmax, Objective::OneVsAll] {
            let (mut x, mut w) = (vec![10.0f32; 5 * D], vec![0.0f32; C * D]);
            w[..D].fill(10.0); // class 0 scores 1900, the target (1) scores 0
            let l = step(
                &mut DenseRows { data: &mut x, dim: D },
                &mut w,
                &ROWS,
                1,
                objective,
                0.1,
                &mut Scratch::new(D, C),
            );
            let Outcome { loss: l, correct } = l.unwrap();
            assert!(l.is_finite() && l > 1000.0, "{objective:?}: loss {l}");
            assert!(!correct, "class 0 scored highest, the target is 1");
            assert!(x.iter().chain(&w).all(|v| v.is_finite()));
        }
    }

    #[test]
    fn vector_build_matches_portable_build_bit_for_bit() {
        let mut rng = Rng::new(3);
        let (x, w) = (random(5 * 100, &mut rng), random(C * 100, &mut rng));
        for objective in [Objective::Softmax, Objective::OneVsAll] {
            let (mut x1, mut w1, mut s1) = (x.clone(), w.clone(), Scratch::new(100, C));
            let (mut x2, mut w2, mut s2) = (x.clone(), w.clone(), Scratch::new(100, C));
            let l1 = step(&mut DenseRows { data: &mut x1, dim: 100 }, &mut w1, &ROWS, 2, objective, 0.1, &mut s1);
            let l2 = step_body(
                &mut DenseRows { data: &mut x2, dim: 100 },
                &mut w2,
                &ROWS,
                &[2],
                &[],
                objective,
                0.1,
                &mut s2,
            );
            assert_eq!(l1.map(|o| o.loss.to_bits()), l2.map(|o| o.loss.to_bits()));
            assert_eq!((x1, w1), (x2, w2));
            // and with level heads after the leaf head
            let heads = random((C + 2 + 4) * 100, &mut rng);
            let (mut x1, mut w1, mut s1) = (x.clone(), heads.clone(), Scratch::new(100, C));
            let (mut x2, mut w2, mut s2) = (x.clone(), heads, Scratch::new(100, C));
            let l1 = step_levels(
                &mut DenseRows { data: &mut x1, dim: 100 },
                &mut w1,
                &ROWS,
                2,
                &levels(),
                objective,
                0.1,
                &mut s1,
            );
            let l2 = step_body(
                &mut DenseRows { data: &mut x2, dim: 100 },
                &mut w2,
                &ROWS,
                &[2],
                &levels(),
                objective,
                0.1,
                &mut s2,
            );
            assert_eq!(l1.map(|o| o.loss.to_bits()), l2.map(|o| o.loss.to_bits()));
            assert_eq!((x1, w1), (x2, w2));
        }
    }
}
