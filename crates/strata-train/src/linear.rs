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
//! Order: fastText reads its file in order every epoch; here each epoch visits the examples in
//! a shuffled order drawn from the seed and the epoch, so that sorted input does not hurt.
//! The learning rate of each example is `lr·(1 − tokens before it / all epochs' tokens)`
//! (fastText updates it every 100 tokens), whatever the thread count: a thread's slice knows
//! where it starts in the epoch.
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

use rayon::prelude::*;
use std::time::Instant;
use strata_model::linear::LinearModel;
use strata_nn::linear_sgd::{self, DenseRows, InputRows, Objective, Scratch};
use strata_nn::Rng;

/// Examples each thread trains on between merges. Larger rounds merge less often (the merge
/// costs about one pass over the rows a round touched) but let threads drift further apart.
pub const ROUND_PER_THREAD: usize = 1024;

/// A row no overlay slot holds.
const NO_SLOT: u32 = u32::MAX;

/// How the linear model is trained (fastText's `-epoch -lr`, plus the seed of the order).
#[derive(Clone, Debug, PartialEq)]
pub struct LinearFit {
    pub epochs: usize,
    pub lr: f32,
    /// Examples are visited in a seeded shuffled order each epoch.
    pub seed: u64,
    /// Worker threads (rayon's current pool gives the usual one).
    pub threads: usize,
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
    assert!(rows.len() == tokens.len() && rows.len() == y.len(), "fit_linear: rows, tokens and y differ in length");
    let threads = fit.threads.max(1);
    let dim = model.config.dim;
    let classes = model.labels.len();
    let objective = model.config.loss;
    let epoch_tokens: usize = tokens.iter().sum();
    let schedule = Schedule { lr: fit.lr, total: (epoch_tokens as f64 * fit.epochs as f64).max(1.0) };
    let data = Examples { rows, tokens, y, objective };
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
    let mut order: Vec<usize> = (0..rows.len()).collect();
    for epoch in 0..fit.epochs {
        let start = Instant::now();
        Rng::derive(fit.seed, epoch as u64).shuffle(&mut order);
        let done_before = epoch_tokens as f64 * epoch as f64;
        let tally = if threads == 1 {
            let mut input = DenseRows { data: &mut model.input, dim };
            let scratch = &mut workers[0].scratch;
            train_slice(&data, &order, done_before, &schedule, &mut input, &mut model.output, scratch)
        } else {
            train_rounds(model, &data, &order, done_before, &schedule, &mut workers)
        };
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
    y: &'a [usize],
    objective: Objective,
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

/// Trains on `order` in sequence, `done` tokens into the whole run; returns its tally.
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
        let lr = schedule.at(done);
        if let Some(o) = linear_sgd::step(input, output, &data.rows[i], data.y[i], data.objective, lr, scratch) {
            tally.loss += o.loss as f64;
            tally.correct += usize::from(o.correct);
            tally.counted += 1;
        }
        done += data.tokens[i] as f64;
    }
    tally
}

/// One epoch over `order` with several threads, in rounds (see the module doc); returns the
/// threads' tallies summed.
fn train_rounds(
    model: &mut LinearModel,
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
        let (input, output) = (&model.input, &model.output);
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
        for (c, row) in model.output.chunks_exact_mut(dim).enumerate() {
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

/// Sets `row` from the copies the threads that changed it made, in thread order: one copy
/// is taken as it is; several give `row + mean(copy − row)`.
fn combine(row: &mut [f32], copies: &[&[f32]], orig: &mut Vec<f32>) {
    match copies {
        [] => {}
        [only] => row.copy_from_slice(only),
        _ => {
            orig.clear();
            orig.extend_from_slice(row);
            row.fill(0.0);
            for copy in copies {
                for ((x, &c), &o) in row.iter_mut().zip(*copy).zip(orig.iter()) {
                    *x += c - o;
                }
            }
            let k = 1.0 / copies.len() as f32;
            for (x, &o) in row.iter_mut().zip(orig.iter()) {
                *x = o + *x * k;
            }
        }
    }
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

/// A thread's private copies of the input rows it changed this round.
#[derive(Default)]
struct Overlay {
    /// Per input row, its slot in `copies`, or [`NO_SLOT`].
    slot_of: Vec<u32>,
    /// `[touched, dim]`: the rows as this thread changed them.
    copies: Vec<f32>,
    /// The rows in slot order.
    touched: Vec<u32>,
}

impl Overlay {
    fn reset(&mut self) {
        for &r in &self.touched {
            self.slot_of[r as usize] = NO_SLOT;
        }
        self.touched.clear();
        self.copies.clear();
    }
}

/// The round's starting weights seen through one thread's overlay.
struct OverlayRows<'a> {
    base: &'a [f32],
    overlay: &'a mut Overlay,
    dim: usize,
}

impl InputRows for OverlayRows<'_> {
    #[inline(always)]
    fn row(&self, r: u32) -> &[f32] {
        match self.overlay.slot_of[r as usize] {
            NO_SLOT => &self.base[r as usize * self.dim..][..self.dim],
            s => &self.overlay.copies[s as usize * self.dim..][..self.dim],
        }
    }

    #[inline(always)]
    fn row_mut(&mut self, r: u32) -> &mut [f32] {
        let d = self.dim;
        let mut s = self.overlay.slot_of[r as usize];
        if s == NO_SLOT {
            s = self.overlay.touched.len() as u32;
            self.overlay.slot_of[r as usize] = s;
            self.overlay.touched.push(r);
            self.overlay.copies.extend_from_slice(&self.base[r as usize * d..][..d]);
        }
        &mut self.overlay.copies[s as usize * d..][..d]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_data::LabelMap;
    use strata_model::linear::LinearLoss;
    use strata_model::linear::{Dictionary, LinearConfig};
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
        let fit = LinearFit { epochs: 5, lr: 0.5, seed: 3, threads };
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
            let fit = LinearFit { epochs: 20, lr: 1e20, seed: 3, threads };
            let mut seen = 0;
            let history = fit_linear(&mut m, &rows, &tokens, &y, &fit, &mut |_, _| seen += 1);
            let last = history.last().unwrap();
            assert!(!last.loss.is_finite(), "{threads} threads: {history:?}");
            assert!(history[..history.len() - 1].iter().all(|e| e.loss.is_finite()), "{history:?}");
            assert!(history.len() < 20 && seen == history.len(), "{threads} threads: {} epochs", history.len());
        }
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
        let fit = LinearFit { epochs: 1, lr: 0.5, seed: 0, threads: 2 };
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

    /// One thread is plain sequential SGD: each example, in the epoch's shuffled order, takes
    /// a step at `lr·(1 − tokens before it / all tokens)` on the weights the last one left.
    #[test]
    fn one_thread_is_sequential_sgd_in_the_seeded_order() {
        let (rows, tokens, y) = examples(50);
        let start = model(3, LinearLoss::Softmax);
        let mut m = start.clone();
        let fit = LinearFit { epochs: 2, lr: 0.5, seed: 11, threads: 1 };
        fit_linear(&mut m, &rows, &tokens, &y, &fit, &mut |_, _| {});
        let (mut x, mut w) = (start.input.clone(), start.output.clone());
        let total = tokens.iter().sum::<usize>() as f64 * 2.0;
        let mut done = 0.0;
        let mut order: Vec<usize> = (0..50).collect();
        for epoch in 0..2u64 {
            Rng::derive(11, epoch).shuffle(&mut order);
            for &i in &order {
                let lr = (0.5 * (1.0 - done / total)) as f32;
                let mut view = DenseRows { data: &mut x, dim: DIM };
                linear_sgd::step(&mut view, &mut w, &rows[i], y[i], Objective::Softmax, lr, &mut Scratch::new(DIM, 3));
                done += tokens[i] as f64;
            }
        }
        assert_eq!((m.input, m.output), (x, w));
    }
}
