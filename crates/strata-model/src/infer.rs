//! Inference: logits, loss/accuracy and pooled layer representations, batch by batch with each
//! batch split across cores (a model that masks padding: batches of similar length, each cut to
//! its real tokens).

use rayon::prelude::*;

use serde::Serialize;

use crate::folded_inputs::{FoldedInputs, FOLD_BYTES};
use crate::folder::SavedModel;
use crate::head::Output;
use crate::model::Model;
use crate::network::{self, Plan, Workspace};
use crate::step_window;

/// Padded ids and class labels: `ids` is `[N, T]`.
#[derive(Clone, Copy)]
pub struct Dataset<'a> {
    pub ids: &'a [u32],
    pub labels: &'a [usize],
    pub t: usize,
}

impl Dataset<'_> {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Batch size used for inference (each batch is split across cores).
pub const INFER_BATCH: usize = 256;

/// At most this many rows (`B·S` sentences of a hierarchical model, else texts) go through one
/// forward: a core's share of a batch is split further, so that han's 256 texts × 15 sentences
/// do not need activations for 3,840 sentence rows at once.
pub const INFER_ROWS: usize = 512;

/// How many texts one forward takes under a cap of `max_rows` rows.
fn texts_per_forward(model: &Model, max_rows: usize) -> usize {
    (max_rows / model.config.sentences().unwrap_or(1)).max(1)
}

/// Splits `n` items into at most `parts` contiguous near-equal ranges.
pub fn chunk_ranges(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let parts = parts.clamp(1, n.max(1));
    let (base, extra) = (n / parts, n % parts);
    let mut start = 0;
    (0..parts)
        .map(|i| {
            let r = start..start + base + usize::from(i < extra);
            start = r.end;
            r
        })
        .filter(|r| !r.is_empty())
        .collect()
}

fn split_rows<'a>(mut buf: &'a mut [f32], ranges: &[std::ops::Range<usize>], k: usize) -> Vec<&'a mut [f32]> {
    let mut v = Vec::with_capacity(ranges.len());
    for r in ranges {
        let (a, b) = std::mem::take(&mut buf).split_at_mut(r.len() * k);
        v.push(a);
        buf = b;
    }
    v
}

/// Runs `plan`'s forward over `ids: [N, T]` and lets `take` copy `width` values per row out of
/// each chunk's workspace into `[N, width]` (the chunk's ids per text are `ws.texts.1`).
///
/// A model that masks padding computes nothing on padded steps, so its rows are taken in order
/// of length into batches, each batch cut to the columns that hold a real token
/// ([`step_window`], when [`step_window::cut_is_exact`]): the same numbers, with little padding
/// computed. The output keeps the rows' order.
fn map_rows(
    model: &Model,
    ids: &[u32],
    t: usize,
    plan: &Plan,
    width: usize,
    take: impl Fn(&mut Workspace, usize, &mut [f32]) + Sync,
) -> Vec<f32> {
    map_rows_with(model, ids, t, plan, width, take, Shape::of(model))
}

/// How [`map_rows_with`] batches: by length (and cut), and how many rows one forward takes;
/// and whether a long call may fold the first layer's input projection per id
/// ([`FoldedInputs`]) into tables of at most `fold` bytes, which leaves the embedding's
/// output uncomputed (a `take` that reads it says `None`).
#[derive(Clone, Copy)]
struct Shape {
    by_length: bool,
    max_rows: usize,
    fold: Option<usize>,
}

impl Shape {
    /// By length when the model masks padding (and the cut is exact), [`INFER_ROWS`] rows a
    /// forward, folding where it pays into at most [`FOLD_BYTES`].
    fn of(model: &Model) -> Shape {
        Shape { by_length: step_window::cut_is_exact(&model.config), max_rows: INFER_ROWS, fold: Some(FOLD_BYTES) }
    }
}

/// [`map_rows`], by length and cut when `by_length`, else in order at full length.
fn map_rows_with(
    model: &Model,
    ids: &[u32],
    t: usize,
    plan: &Plan,
    width: usize,
    take: impl Fn(&mut Workspace, usize, &mut [f32]) + Sync,
    shape: Shape,
) -> Vec<f32> {
    let Shape { by_length, max_rows, fold } = shape;
    let n = ids.len().checked_div(t).unwrap_or(0);
    let mut out = vec![0.0f32; n * width];
    let mut spaces: Vec<Workspace> = (0..rayon::current_num_threads()).map(|_| Workspace::default()).collect();
    let mut folded = fold.and_then(|bytes| FoldedInputs::holding(model, ids, bytes));
    if let Some(f) = folded.as_mut() {
        // the whole call's ids at once when they fit (one product over the rows, and no batch
        // folds more): else the batches fold theirs as they come
        f.add(ids);
    }
    if !by_length {
        for start in (0..n).step_by(INFER_BATCH) {
            let end = (start + INFER_BATCH).min(n);
            let ids = &ids[start * t..end * t];
            let batch = Batch { ids, t, width, max_rows, folded: fold_batch(&mut folded, ids) };
            batch.run(model, plan, &mut spaces, &take, &mut out[start * width..end * width]);
        }
        return out;
    }
    let widths: Vec<usize> =
        ids.chunks_exact(t.max(1)).map(|row| step_window::real_width(&model.config, row)).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| widths[i]);
    // texts without a token come first, in batches of their own and uncut: a layer's fallback
    // for a text with no step to read (pooling's mean of the padding) depends on the length
    let empty = order.partition_point(|&i| widths[i] == 0);
    let batches = order[..empty].chunks(INFER_BATCH).map(|rows| (rows, false));
    let batches = batches.chain(order[empty..].chunks(INFER_BATCH).map(|rows| (rows, true)));
    let (mut gathered, mut cut, mut batch_out) = (Vec::new(), Vec::new(), Vec::new());
    for (rows, cuts) in batches {
        gathered.clear();
        rows.iter().for_each(|&i| gathered.extend_from_slice(&ids[i * t..(i + 1) * t]));
        let (ids, t) = match cuts {
            true => {
                let t = step_window::cut(&model.config, &gathered, t, &mut cut);
                (&cut[..], t)
            }
            false => (&gathered[..], t),
        };
        batch_out.resize(rows.len() * width, 0.0);
        let batch = Batch { ids, t, width, max_rows, folded: fold_batch(&mut folded, ids) };
        batch.run(model, plan, &mut spaces, &take, &mut batch_out);
        for (from, &i) in batch_out.chunks_exact(width.max(1)).zip(rows) {
            out[i * width..(i + 1) * width].copy_from_slice(from);
        }
    }
    out
}

/// The call's folded inputs with the batch's `ids` added, when the call folds and they fit.
fn fold_batch<'f, 'm>(folded: &'f mut Option<FoldedInputs<'m>>, ids: &[u32]) -> Option<&'f FoldedInputs<'m>> {
    let f = folded.as_mut()?;
    f.add(ids).then_some(&*f)
}

/// One inference batch: `ids: [B, t]`, giving `width` values per row.
struct Batch<'a> {
    ids: &'a [u32],
    t: usize,
    width: usize,
    /// rows per forward ([`INFER_ROWS`])
    max_rows: usize,
    /// the call's first-layer input projections, holding every id of `ids`, when it folds
    folded: Option<&'a FoldedInputs<'a>>,
}

impl Batch<'_> {
    /// Forward of the batch split across `spaces` (one chunk per core), through the call's
    /// folded input projections when it has them, `take` filling `out: [B, width]`.
    fn run(
        &self,
        model: &Model,
        plan: &Plan,
        spaces: &mut [Workspace],
        take: &(impl Fn(&mut Workspace, usize, &mut [f32]) + Sync),
        out: &mut [f32],
    ) {
        let (t, b) = (self.t, self.ids.len().checked_div(self.t).unwrap_or(0));
        let ranges = chunk_ranges(b, spaces.len());
        let outs = split_rows(out, &ranges, self.width);
        let per_forward = texts_per_forward(model, self.max_rows);
        spaces.par_iter_mut().zip(ranges.par_iter()).zip(outs).for_each(|((ws, r), o)| {
            for (start, o) in r.clone().step_by(per_forward).zip(o.chunks_mut(per_forward * self.width)) {
                let end = (start + per_forward).min(r.end);
                let ids = &self.ids[start * t..end * t];
                match self.folded {
                    Some(f) => network::infer_folded(model, ids, t, plan, ws, f),
                    None => network::infer(model, ids, t, plan, ws),
                }
                take(ws, end - start, o);
            }
        });
    }
}

/// Logits `[N, K]` of the final head for every row of `ids: [N, T]`.
pub fn predict_logits(model: &Model, ids: &[u32], t: usize) -> Vec<f32> {
    let k = model.config.outputs();
    map_rows(model, ids, t, &Plan::inference(model.config.levels()), k, |ws, b, o| {
        o.copy_from_slice(&ws.logits[..b * k])
    })
}

/// Logits `[N, K]` of the classifier `plan` reports (the final head, or the top computed
/// layer's auxiliary head in a stage without it).
pub fn plan_logits(model: &Model, ids: &[u32], t: usize, plan: &Plan) -> Vec<f32> {
    let k = model.config.outputs();
    let mut eval_plan = plan.clone();
    eval_plan.trainable.values_mut().for_each(|x| *x = false);
    let top = plan.depth - 1;
    let head = plan.reports_head();
    map_rows(model, ids, t, &eval_plan, k, move |ws, b, o| {
        let src = if head { &ws.logits } else { &ws.aux_logits[top] };
        o.copy_from_slice(&src[..b * k]);
    })
}

/// Mean loss and accuracy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    pub loss: f64,
    pub accuracy: f64,
}

/// Mean `−ln p(class)`, accuracy and each text's predicted class, for a model that gives each
/// encoded text's probabilities directly (the linear model and NBSVM): one parallel pass.
pub fn evaluate_probabilities<R: Sync>(
    texts: &[R],
    y: &[usize],
    probabilities: impl Fn(&R) -> Vec<f32> + Sync,
) -> (Evaluation, Vec<usize>) {
    use rayon::prelude::*;
    let scored: Vec<(f64, usize)> = texts
        .par_iter()
        .zip(y.par_iter())
        .map(|(r, &c)| {
            let p = probabilities(r);
            (-(p[c].max(f32::MIN_POSITIVE) as f64).ln(), crate::head::argmax(&p))
        })
        .collect();
    let n = y.len().max(1) as f64;
    let evaluation = Evaluation {
        loss: scored.iter().map(|s| s.0).sum::<f64>() / n,
        accuracy: scored.iter().zip(y).filter(|(s, &c)| s.1 == c).count() as f64 / n,
    };
    (evaluation, scored.into_iter().map(|s| s.1).collect())
}

fn score(logits: &[f32], output: Output, labels: &[usize]) -> Evaluation {
    let mut scratch = Vec::new();
    let loss_sum = output.loss(logits, labels, 1.0, &mut scratch);
    let n = labels.len().max(1) as f64;
    Evaluation { loss: loss_sum / n, accuracy: output.correct(logits, labels) as f64 / n }
}

/// Loss and accuracy of the model's final head on `data`.
pub fn evaluate(model: &Model, data: &Dataset) -> Evaluation {
    score(&predict_logits(model, data.ids, data.t), model.config.output(), data.labels)
}

/// [`evaluate`] and each row's predicted class (as [`predict_padded`] picks it) from one
/// forward pass, for scores that need the predictions too (cv's macro F1).
pub fn evaluate_with_classes(model: &Model, data: &Dataset) -> (Evaluation, Vec<usize>) {
    let logits = predict_logits(model, data.ids, data.t);
    let output = model.config.output();
    let classes = logits.chunks_exact(output.width()).map(|z| output.probabilities(z).1).collect();
    (score(&logits, output, data.labels), classes)
}

/// Loss and accuracy of the classifier a stage's `plan` reports.
pub fn evaluate_plan(model: &Model, data: &Dataset, plan: &Plan) -> Evaluation {
    score(&plan_logits(model, data.ids, data.t, plan), model.config.output(), data.labels)
}

/// [`evaluate_plan`] of a multi-label model (`ModelConfig::multi_label`) against each text's
/// multi-hot row, `targets: [N, K]`: the mean loss is binary cross-entropy summed over the
/// labels, the accuracy is precision at 1 (the most probable label is one of the text's).
pub fn evaluate_plan_multi(model: &Model, data: &Dataset, targets: &[f32], plan: &Plan) -> Evaluation {
    let logits = plan_logits(model, data.ids, data.t, plan);
    let n = (logits.len() / model.config.outputs().max(1)).max(1) as f64;
    let loss = Output::multi_loss(&logits, targets, 1.0, &mut Vec::new());
    Evaluation { loss: loss / n, accuracy: model.config.output().hits_at_1(&logits, targets) as f64 / n }
}

/// Pooled representation of every layer for each row: the mean embedding over non-padding
/// tokens (`[N, C·E]`, both channels of a multichannel model), and each level's summary vector (`[N, D_k]`, see [`Model::summary`]: a
/// recurrent layer's last state, else the level's last vector output), in level order.
pub fn representations(model: &Model, ids: &[u32], t: usize) -> Vec<Vec<f32>> {
    let c = &model.config;
    let (e, l) = (c.input_width(), c.levels());
    let dims: Vec<usize> = std::iter::once(e).chain((0..l).map(|k| model.summary_width(k))).collect();
    let width: usize = dims.iter().sum();
    // the mean embedding reads the embedding's output, which a folded call does not compute
    let shape = Shape { fold: None, ..Shape::of(model) };
    let flat = map_rows_with(
        model,
        ids,
        t,
        &Plan::inference(l),
        width,
        |ws, b, o| {
            // the chunk's own ids per text: a model that masks padding runs batches cut short
            let (n0, t0) = network::word_rows(model, b, ws.texts.1);
            let per_doc = n0 / b.max(1);
            for (bi, row) in o.chunks_exact_mut(width).enumerate().take(b) {
                let emb_mean = &mut row[..e];
                let mut count = 0.0f32;
                for r in bi * per_doc..(bi + 1) * per_doc {
                    for ti in 0..t0 {
                        // padding rows (id 0) are excluded: they say nothing about the text
                        if ws.ids[r * t0 + ti] != 0 {
                            let x = &ws.emb[(ti * n0 + r) * e..(ti * n0 + r + 1) * e];
                            emb_mean.iter_mut().zip(x).for_each(|(m, v)| *m += v);
                            count += 1.0;
                        }
                    }
                }
                emb_mean.iter_mut().for_each(|m| *m /= count.max(1.0));
            }
            let mut at = e;
            for (k, &d) in dims[1..].iter().enumerate() {
                let s = ws.summary(model, b, k);
                for (bi, row) in o.chunks_exact_mut(width).enumerate().take(b) {
                    row[at..at + d].copy_from_slice(&s[bi * d..(bi + 1) * d]);
                }
                at += d;
            }
        },
        shape,
    );
    let n = flat.len() / width.max(1);
    let mut out: Vec<Vec<f32>> = dims.iter().map(|&d| Vec::with_capacity(n * d)).collect();
    for row in flat.chunks_exact(width) {
        let mut at = 0;
        for (k, &d) in dims.iter().enumerate() {
            out[k].extend_from_slice(&row[at..at + d]);
            at += d;
        }
    }
    out
}

/// Predicted class and per-class probabilities.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Prediction {
    pub class: usize,
    pub probs: Vec<f32>,
}

impl Prediction {
    /// The `k` most probable classes, most probable first (ties: lower class first).
    pub fn top_k(&self, k: usize) -> Vec<usize> {
        crate::head::top_k(&self.probs, k)
    }
}

/// Predictions for raw texts with a saved model.
pub fn predict(saved: &SavedModel, texts: &[&str]) -> Vec<Prediction> {
    predict_padded(saved, &saved.encode(texts))
}

/// Predictions for rows already encoded as the model reads them (`[N, ids_per_text]`).
pub fn predict_padded(saved: &SavedModel, ids: &[u32]) -> Vec<Prediction> {
    let logits = predict_logits(&saved.model, ids, saved.encoding().ids_per_text());
    let output = saved.model.config.output();
    logits
        .chunks_exact(output.width())
        .map(|z| {
            let (probs, class) = output.probabilities(z);
            Prediction { class, probs }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::layers::{LayerSpec, LstmConfig, MaxPoolConfig, MeanPoolConfig};
    use crate::model::ModelConfig;

    /// `n` rows of `t` ids, texts of 0 to `t` tokens, pre- or post-padded.
    fn ragged(n: usize, t: usize, post: bool, vocab: usize) -> Vec<u32> {
        let mut ids = vec![0u32; n * t];
        for (i, row) in ids.chunks_exact_mut(t).enumerate() {
            let len = (i * 7 + i / 3) % (t + 1);
            let at = if post { 0 } else { t - len };
            for (k, id) in row[at..at + len].iter_mut().enumerate() {
                *id = 1 + ((i * 13 + k * 5) % (vocab - 1)) as u32;
            }
        }
        ids
    }

    /// Logits of a model that masks padding, by length and cut, and in order at full length,
    /// for pre- and for post-padding; each the same bits whether the call folds its first
    /// layer's input projection per id or not (checked here), into tables that hold every id
    /// of the call or (400 rows) only some batches' (the others run unfolded), so that the
    /// tables also start again and refuse a batch.
    fn both_ways(layers: Vec<LayerSpec>) -> Vec<(Vec<f32>, Vec<f32>)> {
        let config = ModelConfig { embedding_dim: 6, layers, mask_padding: true, ..ModelConfig::seed(600) };
        let model = Model::new(config, 4);
        let (n, t) = (INFER_BATCH * 2 + 37, 19);
        let plan = Plan::inference(model.config.levels());
        let k = model.config.outputs();
        let take = |ws: &mut Workspace, b: usize, o: &mut [f32]| o.copy_from_slice(&ws.logits[..b * k]);
        [false, true]
            .map(|post| {
                let ids = ragged(n, t, post, 600);
                // the shortest batch is cut well short of `t`: the test is of a real cut
                let mut order: Vec<usize> = (0..n).collect();
                order.sort_by_key(|&i| step_window::real_width(&model.config, &ids[i * t..(i + 1) * t]));
                let first: Vec<u32> =
                    order[..INFER_BATCH].iter().flat_map(|&i| ids[i * t..(i + 1) * t].to_vec()).collect();
                assert!(step_window::window(&model.config, &first, t).len() < t / 2);
                let recurrent = matches!(model.placed[0].spec.layer().kind(), "lstm" | "gru" | "bilstm" | "bigru");
                assert_eq!(FoldedInputs::for_call(&model, &ids).is_some(), recurrent, "whether the call folds");
                let logits = |by_length| {
                    let row_bytes = model.placed[0].output.width * 4 * 4; // an LSTM's 4H values
                    let [plain, whole, some] = [None, Some(FOLD_BYTES), Some(400 * row_bytes)].map(|fold| {
                        map_rows_with(&model, &ids, t, &plan, k, take, Shape { by_length, fold, ..Shape::of(&model) })
                    });
                    for (folded, how) in [(&whole, "every id"), (&some, "400 rows")] {
                        let same = plain.iter().zip(folded).all(|(a, b)| a.to_bits() == b.to_bits());
                        assert!(same, "by length {by_length}, post {post}: folding ({how}) changed the logits");
                    }
                    whole
                };
                (logits(true), logits(false))
            })
            .into()
    }

    #[test]
    fn a_masked_model_predicts_the_same_bits_by_length_and_cut() {
        // issue 14 point 3: pooling skips padding whatever the model, so this holds today
        let pools: [LayerSpec; 2] = [MeanPoolConfig {}.into(), MaxPoolConfig {}.into()];
        for pool in pools {
            for (cut, full) in both_ways(vec![pool]) {
                assert!(cut.iter().zip(&full).all(|(a, b)| a.to_bits() == b.to_bits()), "pooling: cut and full differ");
            }
        }
    }

    /// Holds once the recurrent layers skip masked steps (the "mask" part of issue 14): until
    /// then an LSTM computes the padding it is given, and cutting it changes the numbers.
    #[test]
    fn a_masked_lstm_predicts_the_same_bits_by_length_and_cut() {
        for (cut, full) in both_ways(vec![LstmConfig { units: 5, bidirectional: false }.into()]) {
            assert!(cut.iter().zip(&full).all(|(a, b)| a.to_bits() == b.to_bits()), "lstm: cut and full differ");
        }
    }

    /// Issue 14 point 3: han's inference batch goes through forwards of at most
    /// [`INFER_ROWS`] sentence rows, and splitting it so gives the same logits as one forward
    /// per core.
    #[test]
    fn a_hierarchical_batch_is_split_to_bounded_rows_with_the_same_logits() {
        let knobs = crate::zoo::Knobs { units: Some(4), sentences: Some(15), ..Default::default() };
        let config = ModelConfig {
            architecture: "han".into(),
            vocab_size: 30,
            embedding_dim: 4,
            layers: crate::zoo::named_layers("han", knobs).unwrap(),
            num_classes: 3,
            embedding_init: 0.05,
            multichannel: false,
            mask_padding: true,
            multi_label: false,
        };
        let model = Model::new(config, 4);
        let (n, t) = (INFER_BATCH + 9, 15 * 6);
        let ids = ragged(n, t, true, 30);
        let plan = Plan::inference(model.config.levels());
        let k = model.config.outputs();
        let most = std::sync::atomic::AtomicUsize::new(0);
        let take = |ws: &mut Workspace, b: usize, o: &mut [f32]| {
            most.fetch_max(b, std::sync::atomic::Ordering::Relaxed);
            o.copy_from_slice(&ws.logits[..b * k]);
        };
        let bounded = map_rows_with(&model, &ids, t, &plan, k, take, Shape { by_length: true, ..Shape::of(&model) });
        let texts = most.load(std::sync::atomic::Ordering::Relaxed);
        assert!(texts * 15 <= INFER_ROWS, "{texts} texts of 15 sentences in one forward");
        // one forward per core's share, and one per text; folding the word level's input
        // projection per id or not
        for (max_rows, fold) in [(usize::MAX, Some(FOLD_BYTES)), (15, Some(FOLD_BYTES)), (INFER_ROWS, None)] {
            let other = map_rows_with(&model, &ids, t, &plan, k, take, Shape { by_length: true, max_rows, fold });
            let same = bounded.iter().zip(&other).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "forwards of at most {max_rows} rows (fold {fold:?}) give other logits");
        }
    }

    #[test]
    fn chunks_cover_everything_in_order() {
        assert_eq!(chunk_ranges(32, 2), vec![0..16, 16..32]);
        assert_eq!(chunk_ranges(5, 2), vec![0..3, 3..5]);
        assert_eq!(chunk_ranges(1, 4), vec![0..1]);
    }
}
