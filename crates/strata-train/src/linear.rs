//! Training fastText's linear model: SGD on one example at a time, the learning rate falling
//! linearly from `lr` to 0 over all epochs' tokens, the hidden vector the mean of the input
//! rows, the gradient to `input` shared out over those rows (fastText's `Model::update`).
//!
//! Deterministic for a seed and thread count, where fastText's Hogwild threads are not: the
//! examples of an epoch are dealt in rounds; in a round each thread trains on its own slice
//! against the weights as they were when the round began plus its own changes (kept in a
//! sparse per-thread overlay of the rows it touched), and the rounds' changes are merged in
//! thread order. One thread is exactly fastText's sequential SGD.
//!
//! Order: fastText reads its file in the same order every epoch; here the examples are visited
//! in one shuffled order drawn from the seed, kept for every epoch. Shuffled, because a user's
//! file order is arbitrary (sorted by label, it would hurt); once, as fastText's fixed order:
//! drawn anew every epoch the order was one more source of noise — at fastText autotune's SST-2
//! pick (2 epochs, lr 1.43, dim 495) one order gave dev accuracy 0.8002 (sd 0.0055) over
//! seeds 1–24 against 0.7957 (sd 0.0088) reshuffled, +0.0045 paired (issue 13 point 4).
//! The learning rate of each example is `lr·(1 − tokens before it / all epochs' tokens)`
//! (fastText updates it every 100 tokens), whatever the thread count: a thread's slice knows
//! where it starts in the epoch.
//!
//! Per-level heads (`model.levels`, labels in a tree): each step also trains one head per upper
//! level on the same hidden vector (`linear_sgd::step_levels`); the heads' rows are trained as
//! one matrix after the leaf head's (copied out of the model and back every epoch), so rounds
//! merge them as they merge `output`.
//!
//! Rounds: each thread takes [`ROUND_PER_THREAD`] examples per round. Its changes to `input`
//! go to an overlay (a `u32` slot per row, copies of the rows it touched); `output` is copied
//! whole (classes × dim is small). After the round, row ranges are merged in parallel: a row
//! one thread changed takes that thread's copy; a row several changed (frequent words, the
//! output) takes the round's start plus the MEAN of their changes, summed in thread order — so
//! the result depends on the seed and the thread count only. Averaging, not adding: each
//! thread's change to a shared row is a whole SGD trajectory over its slice, and adding two of
//! them overshoots at fastText's lr 1.0 (IMDB, 2 threads, 5 epochs: test accuracy 0.74 summed
//! with rounds of 1024, 0.896 summed with 128, 0.898 averaged with 1024 — one thread: 0.898).

use crate::linear_overlay::{combine, Overlay, OverlayRows, NO_SLOT};
use rayon::prelude::*;
use std::time::Instant;
use strata_model::linear::LinearModel;
use strata_nn::linear_sgd::{self, DenseRows, InputRows, Objective, Scratch};
use strata_nn::Rng;

/// Examples each thread trains on between merges. Larger rounds merge less often (the merge
/// costs about one pass over the rows a round touched) but let threads drift further apart.
pub const ROUND_PER_THREAD: usize = 1024;

/// How the linear model is trained (fastText's `-epoch -lr`, plus the seed of the order).
#[derive(Clone, Debug, PartialEq)]
pub struct LinearFit {
    pub epochs: usize,
    pub lr: f32,
    /// Examples are visited in one order, shuffled from the seed, every epoch.
    pub seed: u64,
    /// Worker threads (rayon's current pool gives the usual one).
    pub threads: usize,
    /// `--class-weight`: an example's SGD step is scaled by the weight of its class (its
    /// gradient times the weight, which for plain SGD is its learning rate times the weight);
    /// `None` is every weight 1.
    pub class_weights: Option<Vec<f32>>,
}

/// One epoch's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearEpoch {
    pub epoch: usize,
    /// Mean training loss over the epoch's examples.
    pub loss: f64,
    /// Fraction of the epoch's examples predicted right just before their own step (Keras's
    /// running training accuracy).
    pub accuracy: f64,
    /// Learning rate at the end of the epoch.
    pub lr: f32,
    /// Tokens (words and `</s>`, as fastText counts them) trained on per second per thread.
    pub words_per_second_per_thread: f64,
    pub seconds: f64,
}

/// Trains `model` on examples given as their input rows (`rows[i]`, from
/// `LinearModel::features`) and classes (`y[i]`); `tokens[i]` is the example's token count
/// for the learning-rate schedule. `on_epoch` sees each epoch as it ends (the caller may
/// evaluate `model` there). Training stops after the first epoch whose mean loss is not finite
/// (NaN or infinite: the weights have diverged), which is then the last of the history.
pub fn fit_linear(
    model: &mut LinearModel,
    rows: &[Vec<u32>],
    tokens: &[usize],
    y: &[usize],
    fit: &LinearFit,
    on_epoch: &mut dyn FnMut(&LinearModel, &LinearEpoch),
) -> Vec<LinearEpoch> {
    fit_targets(model, rows, tokens, Targets::Single(y), fit, on_epoch)
}

/// [`fit_linear`] for examples with several labels each (`y[i]`: class indices), trained
/// one-vs-all as fastText's `-loss ova` does (every class a sigmoid, positive for the
/// example's labels), whatever `model.config.loss` says. The epoch's `accuracy` is precision
/// at 1 (the best-scoring class is one of the example's labels). The model has no per-level
/// heads (a tree's leaves are one label a text).
pub fn fit_linear_multi(
    model: &mut LinearModel,
    rows: &[Vec<u32>],
    tokens: &[usize],
    y: &[Vec<usize>],
    fit: &LinearFit,
    on_epoch: &mut dyn FnMut(&LinearModel, &LinearEpoch),
) -> Vec<LinearEpoch> {
    assert!(model.levels.is_empty(), "fit_linear_multi: per-level heads need one label a text");
    fit_targets(model, rows, tokens, Targets::Multi(y), fit, on_epoch)
}

/// Each example's class, or its classes.
#[derive(Clone, Copy)]
enum Targets<'a> {
    Single(&'a [usize]),
    Multi(&'a [Vec<usize>]),
}

impl Targets<'_> {
    fn len(&self) -> usize {
        match self {
            Targets::Single(y) => y.len(),
            Targets::Multi(y) => y.len(),
        }
    }
}

fn fit_targets(
    model: &mut LinearModel,
    rows: &[Vec<u32>],
    tokens: &[usize],
    y: Targets,
    fit: &LinearFit,
    on_epoch: &mut dyn FnMut(&LinearModel, &LinearEpoch),
) -> Vec<LinearEpoch> {
    assert!(rows.len() == tokens.len() && rows.len() == y.len(), "fit_linear: rows, tokens and y differ in length");
    let threads = fit.threads.max(1);
    let dim = model.config.dim;
    let classes = model.labels.len();
    let objective = model.config.loss;
    let epoch_tokens: usize = tokens.iter().sum();
    let schedule = Schedule { lr: fit.lr, total: (epoch_tokens as f64 * fit.epochs as f64).max(1.0) };
    let levels = model.levels.clone();
    let data = Examples { rows, tokens, y, levels: &levels, objective, class_weights: fit.class_weights.as_deref() };
    // every head's rows, the leaf head's first: what each step updates
    let mut heads: Vec<f32> = model.output.iter().chain(&model.level_output).copied().collect();
    let leaf_len = model.output.len();
    let mut workers: Vec<Worker> = (0..threads)
        .map(|_| Worker {
            overlay: Overlay::default(),
            output: Vec::new(),
            scratch: Scratch::new(dim, classes),
            tally: Tally::default(),
            by_range: Vec::new(),
        })
        .collect();
    if threads > 1 {
        for w in &mut workers {
            w.overlay.slot_of = vec![NO_SLOT; model.rows()];
        }
    }
    let mut history = Vec::with_capacity(fit.epochs);
    // one order for every epoch (see the module doc)
    let mut order: Vec<usize> = (0..rows.len()).collect();
    Rng::derive(fit.seed, 0).shuffle(&mut order);
    for epoch in 0..fit.epochs {
        let start = Instant::now();
        let done_before = epoch_tokens as f64 * epoch as f64;
        let tally = if threads == 1 {
            let mut input = DenseRows { data: &mut model.input, dim };
            let scratch = &mut workers[0].scratch;
            train_slice(&data, &order, done_before, &schedule, &mut input, &mut heads, scratch)
        } else {
            train_rounds(model, &mut heads, &data, &order, done_before, &schedule, &mut workers)
        };
        let (leaf, levels) = heads.split_at(leaf_len);
        model.output.copy_from_slice(leaf);
        model.level_output.copy_from_slice(levels);
        let seconds = start.elapsed().as_secs_f64();
        let record = LinearEpoch {
            epoch: epoch + 1,
            loss: tally.loss / tally.counted.max(1) as f64,
            accuracy: tally.correct as f64 / tally.counted.max(1) as f64,
            lr: schedule.at(done_before + epoch_tokens as f64),
            words_per_second_per_thread: epoch_tokens as f64 / seconds.max(1e-9) / threads as f64,
            seconds,
        };
        on_epoch(model, &record);
        let diverged = !record.loss.is_finite();
        history.push(record);
        if diverged {
            // NaN weights stay NaN: later epochs would only cost time
            break;
        }
    }
    history
}

/// The training examples and the loss they are trained with.
struct Examples<'a> {
    rows: &'a [Vec<u32>],
    tokens: &'a [usize],
    y: Targets<'a>,
    /// Per upper level of a label tree, the node of every class (empty: no level heads).
    levels: &'a [Vec<usize>],
    objective: Objective,
    class_weights: Option<&'a [f32]>,
}

/// The learning rate falls linearly from `lr` to 0 over `total` tokens.
struct Schedule {
    lr: f32,
    total: f64,
}

impl Schedule {
    fn at(&self, done: f64) -> f32 {
        (self.lr as f64 * (1.0 - done / self.total)).max(0.0) as f32
    }
}

/// Summed loss, examples predicted right, examples counted (those with rows).
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    loss: f64,
    correct: usize,
    counted: usize,
}

impl Tally {
    fn add(self, o: Tally) -> Tally {
        Tally { loss: self.loss + o.loss, correct: self.correct + o.correct, counted: self.counted + o.counted }
    }
}

/// One thread's state: its overlay and output copy (rounds only), scratch and tally.
struct Worker {
    overlay: Overlay,
    output: Vec<f32>,
    scratch: Scratch,
    tally: Tally,
    /// Per merged row range, the overlay slots whose rows fall in it.
    by_range: Vec<Vec<u32>>,
}

/// Trains on `order` in sequence, `done` tokens into the whole run; `output` is every head's
/// rows (the leaf head's, then each level's). Returns its tally.
fn train_slice<R: InputRows>(
    data: &Examples,
    order: &[usize],
    mut done: f64,
    schedule: &Schedule,
    input: &mut R,
    output: &mut [f32],
    scratch: &mut Scratch,
) -> Tally {
    let mut tally = Tally::default();
    for &i in order {
        let schedule_lr = schedule.at(done);
        let outcome = match data.y {
            Targets::Single(y) => {
                let weight = data.class_weights.map_or(1.0, |w| w[y[i]]);
                let lr = schedule_lr * weight;
                linear_sgd::step_levels(input, output, &data.rows[i], y[i], data.levels, data.objective, lr, scratch)
                    .map(|o| (o, weight))
            }
            Targets::Multi(y) => {
                linear_sgd::step_multi(input, output, &data.rows[i], &y[i], schedule_lr, scratch).map(|o| (o, 1.0))
            }
        };
        if let Some((o, weight)) = outcome {
            tally.loss += weight as f64 * o.loss as f64;
            tally.correct += usize::from(o.correct);
            tally.counted += 1;
        }
        done += data.tokens[i] as f64;
    }
    tally
}

/// One epoch over `order` with several threads, in rounds (see the module doc), `heads` being
/// every head's rows (trained in place of `model.output`); returns the threads' tallies summed.
fn train_rounds(
    model: &mut LinearModel,
    heads: &mut [f32],
    data: &Examples,
    order: &[usize],
    done_before: f64,
    schedule: &Schedule,
    workers: &mut [Worker],
) -> Tally {
    let threads = workers.len();
    let dim = model.config.dim;
    let rows = model.rows();
    // the row ranges merged in parallel, `span` rows each
    let ranges = threads * 4;
    let span = rows.div_ceil(ranges).max(1);
    for w in workers.iter_mut() {
        w.tally = Tally::default();
        w.by_range = vec![Vec::new(); ranges];
    }
    let mut done = done_before;
    for round in order.chunks(ROUND_PER_THREAD * threads) {
        let per = round.len().div_ceil(threads);
        // where each thread's slice starts, in tokens
        let mut starts = Vec::with_capacity(threads);
        let mut at = done;
        for slice in round.chunks(per) {
            starts.push(at);
            at += slice.iter().map(|&i| data.tokens[i] as f64).sum::<f64>();
        }
        let (input, output) = (&model.input, &*heads);
        workers.par_iter_mut().zip(round.par_chunks(per)).zip(starts.par_iter()).for_each(|((w, slice), &start)| {
            w.output.clear();
            w.output.extend_from_slice(output);
            let mut overlay = std::mem::take(&mut w.overlay);
            let mut view = OverlayRows { base: input, overlay: &mut overlay, dim };
            let mut out = std::mem::take(&mut w.output);
            w.tally = w.tally.add(train_slice(data, slice, start, schedule, &mut view, &mut out, &mut w.scratch));
            for (slot, &r) in overlay.touched.iter().enumerate() {
                w.by_range[r as usize / span].push(slot as u32);
            }
            (w.overlay, w.output) = (overlay, out);
        });
        merge_rows(&mut model.input, dim, span, workers);
        // every thread that trained this round changed the whole output matrix
        let outputs: Vec<&[f32]> = workers.iter().map(|w| w.output.as_slice()).filter(|o| !o.is_empty()).collect();
        let mut orig = Vec::new();
        for (c, row) in heads.chunks_exact_mut(dim).enumerate() {
            let copies: Vec<&[f32]> = outputs.iter().map(|o| &o[c * dim..][..dim]).collect();
            combine(row, &copies, &mut orig);
        }
        for w in workers.iter_mut() {
            w.overlay.reset();
            w.output.clear();
            w.by_range.iter_mut().for_each(Vec::clear);
        }
        done = at;
    }
    workers.iter().fold(Tally::default(), |t, w| t.add(w.tally))
}

/// Merges the threads' changed input rows into `input` ([`combine`] per row); ranges of
/// `span` rows are merged in parallel, each from the slots the threads filed under it.
fn merge_rows(input: &mut [f32], dim: usize, span: usize, workers: &[Worker]) {
    input.par_chunks_mut(span * dim).enumerate().for_each(|(k, chunk)| {
        let lo = k * span;
        let (mut copies, mut orig) = (Vec::with_capacity(workers.len()), Vec::new());
        for (t, w) in workers.iter().enumerate() {
            for &slot in &w.by_range[k] {
                let r = w.overlay.touched[slot as usize] as usize;
                // the first thread that changed the row merges it
                if workers[..t].iter().any(|e| e.overlay.slot_of[r] != NO_SLOT) {
                    continue;
                }
                copies.clear();
                for e in &workers[t..] {
                    let s = e.overlay.slot_of[r];
                    if s != NO_SLOT {
                        copies.push(&e.overlay.copies[s as usize * dim..][..dim]);
                    }
                }
                combine(&mut chunk[(r - lo) * dim..][..dim], &copies, &mut orig);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_data::LabelMap;
    use strata_model::linear::LinearLoss;
    use strata_model::linear::{Dictionary, LinearConfig};
    use strata_nn::skipgram::dot;
    use strata_text::TokenizerConfig;

    const DIM: usize = 16;
    const ROWS: usize = 64;

    /// A model over `ROWS` bucket rows (no dictionary words), input uniform in ±1/dim.
    fn model(classes: usize, loss: LinearLoss) -> LinearModel {
        let config = LinearConfig { dim: DIM, buckets: ROWS, loss, ..LinearConfig::default() };
        let names: Vec<String> = (0..classes).map(|c| format!("c{c}")).collect();
        let mut rng = Rng::new(5);
        LinearModel {
            config,
            tokenizer: TokenizerConfig::default(),
            dict: Dictionary::default(),
            labels: LabelMap::from_vec(names),
            input: (0..ROWS * DIM).map(|_| rng.uniform(-1.0 / DIM as f32, 1.0 / DIM as f32)).collect(),
            output: vec![0.0; classes * DIM],
            structure: Default::default(),
            levels: Vec::new(),
            level_output: Vec::new(),
        }
    }

    /// `n` examples of 3 classes: class c draws 4 rows from its own 8 and 4 from 40 shared ones.
    fn examples(n: usize) -> (Vec<Vec<u32>>, Vec<usize>, Vec<usize>) {
        let mut rng = Rng::new(9);
        let (mut rows, mut tokens, mut y) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..n {
            let c = i % 3;
            let mut r: Vec<u32> = (0..4).map(|_| (c * 8 + rng.below(8)) as u32).collect();
            r.extend((0..4).map(|_| (24 + rng.below(40)) as u32));
            tokens.push(r.len() + 1);
            rows.push(r);
            y.push(c);
        }
        (rows, tokens, y)
    }

    fn accuracy(m: &LinearModel, rows: &[Vec<u32>], y: &[usize]) -> f64 {
        let correct = rows
            .iter()
            .zip(y)
            .filter(|(r, &c)| {
                let mut h = vec![0.0f32; DIM];
                for &i in r.iter() {
                    for (a, &x) in h.iter_mut().zip(&m.input[i as usize * DIM..][..DIM]) {
                        *a += x / r.len() as f32;
                    }
                }
                let scores: Vec<f32> =
                    m.output.chunks_exact(DIM).map(|o| o.iter().zip(&h).map(|(a, b)| a * b).sum()).collect();
                let best = (0..scores.len()).fold(0, |b, k| if scores[k] > scores[b] { k } else { b });
                best == c
            })
            .count();
        correct as f64 / y.len() as f64
    }

    fn run(threads: usize, loss: LinearLoss, n: usize) -> (LinearModel, Vec<LinearEpoch>, f64) {
        let (rows, tokens, y) = examples(n);
        let mut m = model(3, loss);
        let fit = LinearFit { epochs: 5, lr: 0.5, seed: 3, threads, class_weights: None };
        let mut seen = 0;
        let history = fit_linear(&mut m, &rows, &tokens, &y, &fit, &mut |_, _| seen += 1);
        assert_eq!(seen, 5, "on_epoch runs once per epoch");
        let acc = accuracy(&m, &rows, &y);
        (m, history, acc)
    }

    #[test]
    fn learns_separable_classes_with_either_loss_and_thread_count() {
        // 5000 examples: with two threads that is several rounds of ROUND_PER_THREAD
        for loss in [LinearLoss::Softmax, LinearLoss::OneVsAll] {
            for threads in [1, 2] {
                let (_, history, acc) = run(threads, loss, 5000);
                assert!(acc > 0.95, "{loss:?} × {threads} threads: accuracy {acc}");
                assert!(history[4].loss < history[0].loss, "{loss:?} × {threads}: loss did not fall {history:?}");
                assert!(history.iter().all(|e| e.words_per_second_per_thread > 0.0 && e.loss.is_finite()));
                assert!(history[4].accuracy > 0.9 && history[0].accuracy < history[4].accuracy, "{history:?}");
            }
        }
    }

    #[test]
    fn training_stops_after_the_first_epoch_whose_loss_is_not_finite() {
        let (rows, tokens, y) = examples(300);
        for threads in [1, 2] {
            let mut m = model(3, LinearLoss::Softmax);
            let fit = LinearFit { epochs: 20, lr: 1e20, seed: 3, threads, class_weights: None };
            let mut seen = 0;
            let history = fit_linear(&mut m, &rows, &tokens, &y, &fit, &mut |_, _| seen += 1);
            let last = history.last().unwrap();
            assert!(!last.loss.is_finite(), "{threads} threads: {history:?}");
            assert!(history[..history.len() - 1].iter().all(|e| e.loss.is_finite()), "{history:?}");
            assert!(history.len() < 20 && seen == history.len(), "{threads} threads: {} epochs", history.len());
        }
    }

    /// Three labels, each present or not at random: a text holds 3 rows of each of its labels'
    /// own 8 and 3 shared ones. One-vs-all learns every label's presence, with 1 or 2 threads,
    /// and the same seed gives the same bits.
    #[test]
    fn multi_label_examples_learn_each_labels_presence() {
        let mut rng = Rng::new(4);
        let (mut rows, mut tokens, mut y) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..3000 {
            let mut labels: Vec<usize> = (0..3).filter(|_| rng.below(2) == 1).collect();
            if labels.is_empty() {
                labels.push(rng.below(3));
            }
            let mut r: Vec<u32> = labels.iter().flat_map(|&c| (0..3).map(move |_| c)).map(|c| (c * 8) as u32).collect();
            r.iter_mut().for_each(|x| *x += rng.below(8) as u32);
            r.extend((0..3).map(|_| (24 + rng.below(40)) as u32));
            tokens.push(r.len() + 1);
            rows.push(r);
            y.push(labels);
        }
        for threads in [1, 2] {
            let fit = LinearFit { epochs: 5, lr: 0.5, seed: 3, threads, class_weights: None };
            let mut m = model(3, LinearLoss::OneVsAll);
            let history = fit_linear_multi(&mut m, &rows, &tokens, &y, &fit, &mut |_, _| {});
            let mut again = model(3, LinearLoss::OneVsAll);
            fit_linear_multi(&mut again, &rows, &tokens, &y, &fit, &mut |_, _| {});
            assert_eq!((&m.input, &m.output), (&again.input, &again.output), "{threads} threads");
            assert!(history[4].loss < history[0].loss, "{history:?}");
            let exact = rows
                .iter()
                .zip(&y)
                .filter(|(r, labels)| {
                    let p = m.probabilities(r);
                    (0..3).all(|c| (p[c] > 0.5) == labels.contains(&c))
                })
                .count();
            let share = exact as f64 / rows.len() as f64;
            assert!(share > 0.95, "{threads} threads: every label right on {share} of the texts");
        }
    }

    /// Per-level heads: with one thread training is sequential `step_levels` over the leaf
    /// head and the level heads in the seeded order; with two threads the same seed gives the
    /// same bits; either way the level head learns its level, and the heads change what the
    /// shared input rows learn.
    #[test]
    fn per_level_heads_train_with_the_leaf_head_on_the_shared_rows() {
        let (rows, tokens, y) = examples(600);
        // classes 0 and 1 under node 0, class 2 under node 1
        let levels = vec![vec![0, 0, 1]];
        let start = {
            let mut m = model(3, LinearLoss::Softmax);
            m.add_level_heads(&levels);
            m
        };
        let fit = LinearFit { epochs: 2, lr: 0.5, seed: 11, threads: 1, class_weights: None };
        let mut m = start.clone();
        fit_linear(&mut m, &rows, &tokens, &y, &fit, &mut |_, _| {});
        let mut heads: Vec<f32> = start.output.iter().chain(&start.level_output).copied().collect();
        let mut x = start.input.clone();
        let total = tokens.iter().sum::<usize>() as f64 * 2.0;
        let (mut done, mut order) = (0.0, (0..rows.len()).collect::<Vec<usize>>());
        Rng::derive(11, 0).shuffle(&mut order);
        for _ in 0..2 {
            for &i in &order {
                let lr = (0.5 * (1.0 - done / total)) as f32;
                let mut view = DenseRows { data: &mut x, dim: DIM };
                let mut scratch = Scratch::new(DIM, 3);
                linear_sgd::step_levels(
                    &mut view,
                    &mut heads,
                    &rows[i],
                    y[i],
                    &levels,
                    Objective::Softmax,
                    lr,
                    &mut scratch,
                );
                done += tokens[i] as f64;
            }
        }
        assert_eq!(m.input, x);
        assert_eq!([m.output.as_slice(), &m.level_output].concat(), heads);
        let mut flat = model(3, LinearLoss::Softmax);
        fit_linear(&mut flat, &rows, &tokens, &y, &fit, &mut |_, _| {});
        assert_ne!(flat.input, m.input, "the level head's gradient reached the shared rows");

        let fit2 = LinearFit { threads: 2, ..fit };
        let (mut a, mut b) = (start.clone(), start.clone());
        fit_linear(&mut a, &rows, &tokens, &y, &fit2, &mut |_, _| {});
        fit_linear(&mut b, &rows, &tokens, &y, &fit2, &mut |_, _| {});
        assert_eq!((&a.input, &a.output, &a.level_output), (&b.input, &b.output, &b.level_output));
        // the level head tells node 0 from node 1
        let mut hidden = vec![0.0; DIM];
        let right = rows
            .iter()
            .zip(&y)
            .filter(|(r, &c)| {
                a.hidden(r, &mut hidden);
                let score = |k: usize| dot(&a.level_output[k * DIM..][..DIM], &hidden);
                usize::from(score(1) > score(0)) == levels[0][c]
            })
            .count();
        assert!(right as f64 / rows.len() as f64 > 0.9, "level accuracy {right} of {}", rows.len());
    }

    #[test]
    fn lr_falls_linearly_to_zero_over_the_epochs() {
        let (_, history, _) = run(1, LinearLoss::Softmax, 300);
        for (e, record) in history.iter().enumerate() {
            let expected = 0.5 * (1.0 - (e + 1) as f32 / 5.0);
            assert!((record.lr - expected).abs() < 1e-6, "epoch {}: lr {} vs {expected}", e + 1, record.lr);
        }
    }

    #[test]
    fn same_seed_and_threads_give_the_same_bits() {
        for threads in [1, 2, 3] {
            let (a, _, _) = run(threads, LinearLoss::Softmax, 4000);
            let (b, _, _) = run(threads, LinearLoss::Softmax, 4000);
            assert_eq!((a.input, a.output), (b.input, b.output), "{threads} threads");
        }
    }

    /// Two examples, two threads: one round, each thread steps on its example from the same
    /// starting weights; a row one thread changed takes its value, a row both changed (and the
    /// output) the start plus the mean of their changes. (Token counts of 0 keep the learning
    /// rate at `lr` for both.)
    #[test]
    fn a_round_merges_each_threads_change_into_the_start() {
        let rows = vec![vec![1u32, 2, 2, 5], vec![2u32, 7]];
        let y = vec![0, 1];
        let mut start = model(2, LinearLoss::Softmax);
        // a non-zero output, so that the first step reaches the input rows too
        let mut rng = Rng::new(2);
        start.output.iter_mut().for_each(|w| *w = rng.uniform(-0.5, 0.5));
        let mut m = start.clone();
        let fit = LinearFit { epochs: 1, lr: 0.5, seed: 0, threads: 2, class_weights: None };
        fit_linear(&mut m, &rows, &[0, 0], &y, &fit, &mut |_, _| {});
        let (mut input, mut output) = (start.input.clone(), start.output.clone());
        for (r, &c) in rows.iter().zip(&y) {
            let (mut x, mut w) = (start.input.clone(), start.output.clone());
            let mut view = DenseRows { data: &mut x, dim: DIM };
            linear_sgd::step(&mut view, &mut w, r, c, Objective::Softmax, 0.5, &mut Scratch::new(DIM, 2));
            for (i, (t, (&new, &old))) in input.iter_mut().zip(x.iter().zip(&start.input)).enumerate() {
                let shared = i / DIM == 2;
                *t += (new - old) * if shared { 0.5 } else { 1.0 };
            }
            for (t, (&new, &old)) in output.iter_mut().zip(w.iter().zip(&start.output)) {
                *t += (new - old) * 0.5;
            }
        }
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6);
        assert!(close(&m.input, &input) && close(&m.output, &output));
        assert!(m.input[2 * DIM..3 * DIM] != start.input[2 * DIM..3 * DIM], "row 2 moved");
        // rows no example names kept their bits
        assert_eq!(&m.input[0..DIM], &start.input[0..DIM]);
        assert_eq!(&m.input[3 * DIM..5 * DIM], &start.input[3 * DIM..5 * DIM]);
    }

    /// One thread is plain sequential SGD: each example, in the one shuffled order every epoch
    /// keeps (issue 13 point 4: it was drawn anew each epoch), takes a step at
    /// `lr·(1 − tokens before it / all tokens)` on the weights the last one left.
    #[test]
    fn one_thread_is_sequential_sgd_in_the_seeded_order() {
        let (rows, tokens, y) = examples(50);
        let start = model(3, LinearLoss::Softmax);
        let mut m = start.clone();
        let fit = LinearFit { epochs: 2, lr: 0.5, seed: 11, threads: 1, class_weights: None };
        fit_linear(&mut m, &rows, &tokens, &y, &fit, &mut |_, _| {});
        let (mut x, mut w) = (start.input.clone(), start.output.clone());
        let total = tokens.iter().sum::<usize>() as f64 * 2.0;
        let mut done = 0.0;
        let mut order: Vec<usize> = (0..50).collect();
        Rng::derive(11, 0).shuffle(&mut order);
        assert_ne!(order, (0..50).collect::<Vec<usize>>(), "the order is shuffled");
        for _ in 0..2 {
            for &i in &order {
                let lr = (0.5 * (1.0 - done / total)) as f32;
                let mut view = DenseRows { data: &mut x, dim: DIM };
                linear_sgd::step(&mut view, &mut w, &rows[i], y[i], Objective::Softmax, lr, &mut Scratch::new(DIM, 3));
                done += tokens[i] as f64;
            }
        }
        assert_eq!((m.input, m.output), (x, w));
    }

    /// `--class-weight`: an example's step moves every weight by its class's weight times
    /// what the unweighted step moves it (the gradient scaled), in either loss.
    #[test]
    fn a_class_weight_scales_the_examples_step() {
        let (rows, tokens, y) = examples(3);
        for loss in [LinearLoss::Softmax, LinearLoss::OneVsAll] {
            let start = model(3, loss);
            let one = |class_weights: Option<Vec<f32>>| {
                let mut m = start.clone();
                let fit = LinearFit { epochs: 1, lr: 0.5, seed: 1, threads: 1, class_weights };
                // the second example alone (class 1), at the full rate
                fit_linear(&mut m, &rows[1..2], &tokens[1..2], &y[1..2], &fit, &mut |_, _| {});
                let moved = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, s)| x - s).collect::<Vec<f32>>();
                (moved(&m.input, &start.input), moved(&m.output, &start.output))
            };
            let (plain_in, plain_out) = one(None);
            let (heavy_in, heavy_out) = one(Some(vec![0.5, 3.0, 0.25]));
            assert!(plain_out.iter().any(|&d| d != 0.0), "{loss:?}: the step moves the output");
            for (p, h) in plain_in.iter().chain(&plain_out).zip(heavy_in.iter().chain(&heavy_out)) {
                assert!((h - 3.0 * p).abs() <= 1e-6 + 1e-4 * p.abs(), "{loss:?}: moved {h}, not 3 × {p}");
            }
        }
    }
}
