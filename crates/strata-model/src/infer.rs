//! Inference: logits, loss/accuracy and pooled layer representations, batch by batch with each
//! batch split across cores.

use rayon::prelude::*;

use serde::Serialize;

use crate::folder::SavedModel;
use crate::head::Output;
use crate::model::Model;
use crate::network::{self, Plan, Workspace};

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
/// each chunk's workspace into `[N, width]`.
fn map_rows(
    model: &Model,
    ids: &[u32],
    t: usize,
    plan: &Plan,
    width: usize,
    take: impl Fn(&mut Workspace, usize, &mut [f32]) + Sync,
) -> Vec<f32> {
    let n = ids.len().checked_div(t).unwrap_or(0);
    let mut out = vec![0.0f32; n * width];
    let threads = rayon::current_num_threads();
    let mut spaces: Vec<Workspace> = (0..threads).map(|_| Workspace::default()).collect();
    for start in (0..n).step_by(INFER_BATCH) {
        let end = (start + INFER_BATCH).min(n);
        let ranges = chunk_ranges(end - start, threads);
        let outs = split_rows(&mut out[start * width..end * width], &ranges, width);
        spaces.par_iter_mut().zip(ranges.par_iter()).zip(outs).for_each(|((ws, r), o)| {
            let rows = &ids[(start + r.start) * t..(start + r.end) * t];
            network::forward(model, rows, t, plan, ws);
            take(ws, r.len(), o);
        });
    }
    out
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

/// Loss and accuracy of the classifier a stage's `plan` reports.
pub fn evaluate_plan(model: &Model, data: &Dataset, plan: &Plan) -> Evaluation {
    score(&plan_logits(model, data.ids, data.t, plan), model.config.output(), data.labels)
}

/// Pooled representation of every layer for each row: the mean embedding over non-padding
/// tokens (`[N, C·E]`, both channels of a multichannel model), and each level's summary vector (`[N, D_k]`, see [`Model::summary`]: a
/// recurrent layer's last state, else the level's last vector output), in level order.
pub fn representations(model: &Model, ids: &[u32], t: usize) -> Vec<Vec<f32>> {
    let c = &model.config;
    let (e, l) = (c.input_width(), c.levels());
    let dims: Vec<usize> = std::iter::once(e).chain((0..l).map(|k| model.summary_width(k))).collect();
    let width: usize = dims.iter().sum();
    let flat = map_rows(model, ids, t, &Plan::inference(l), width, |ws, b, o| {
        let (n0, t0) = network::word_rows(model, b, t);
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
    });
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

    #[test]
    fn chunks_cover_everything_in_order() {
        assert_eq!(chunk_ranges(32, 2), vec![0..16, 16..32]);
        assert_eq!(chunk_ranges(5, 2), vec![0..3, 3..5]);
        assert_eq!(chunk_ranges(1, 4), vec![0..1]);
    }
}
