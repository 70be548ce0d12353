//! Forward and backward of a whole model over one chunk of a batch, as a stage plans it.
//!
//! Training splits each batch into one chunk per core; each chunk runs here in its own
//! `Workspace` with no synchronisation, writing its gradients into its own buffer, and the fit
//! loop sums them afterwards in a fixed order (so results depend only on seed and thread count).
//!
//! A [`Plan`] says what one training stage computes: how many LSTM layers (layers above are
//! absent), which classifiers give a loss (the final head, auxiliary heads on layers' last
//! states) with what weights, and which parameter groups train. Backward runs from the top
//! computed layer down and **stops at the lowest trainable layer**: a frozen lower part of the
//! model costs a forward pass only.

use strata_nn::gru::{self, GruCache};
use strata_nn::lstm::{self, LstmCache};
use strata_nn::{dense, embedding, loss};
use strata_nn::{RnnDims, RnnGrads, RnnParams};

use crate::model::{Cell, Model};

/// What one stage computes and trains. Group order everywhere:
/// `[embedding, lstm_0 … lstm_{L-1}, head, aux_0 … aux_{L-1}]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// LSTM layers computed, `1..=L`; the layers above are absent.
    pub depth: usize,
    /// Loss weight of the final head; 0 leaves it out (it needs `depth == L`).
    pub head_weight: f32,
    /// Loss weight of an auxiliary classifier on each LSTM layer's last state; 0 = none.
    pub aux_weights: Vec<f32>,
    /// Which groups train.
    pub trainable: Vec<bool>,
}

impl Plan {
    /// Every layer, the final head, no auxiliary heads: the seed's end-to-end training.
    pub fn end_to_end(layers: usize) -> Plan {
        let mut trainable = vec![true; layers + 2];
        trainable.extend(vec![false; layers]);
        Plan { depth: layers, head_weight: 1.0, aux_weights: vec![0.0; layers], trainable }
    }

    /// Prediction only: the final head on all layers.
    pub fn inference(layers: usize) -> Plan {
        Plan { trainable: vec![false; 2 * layers + 2], ..Plan::end_to_end(layers) }
    }

    /// Index (in group order) of the lowest trainable embedding/LSTM layer; heads need no
    /// backward through the layers below them.
    pub fn lowest_trainable_layer(&self) -> Option<usize> {
        (0..=self.depth).find(|&g| self.trainable[g])
    }

    /// The classifier whose accuracy is reported: the final head if it is on, else the
    /// auxiliary head of the top computed layer.
    pub fn reports_head(&self) -> bool {
        self.head_weight > 0.0
    }
}

/// Per-chunk activations, scratch and gradients, reused from batch to batch.
#[derive(Default)]
pub struct Workspace {
    /// `[B, T]` the chunk's ids, as last given to `forward`
    pub ids: Vec<u32>,
    /// `[T, B, E]` embedding output
    pub emb: Vec<f32>,
    /// Recurrent layers' activations: `lstm` or `gru`, whichever the model's cell is.
    pub lstm: Vec<LstmCache>,
    pub gru: Vec<GruCache>,
    /// `[B, K]` final head output (logits)
    pub logits: Vec<f32>,
    /// `[L][B, K]` auxiliary heads' logits (empty where there is no aux head)
    pub aux_logits: Vec<Vec<f32>>,
    /// `[B, K]` scratch for a head's loss gradient
    dlogits: Vec<f32>,
    /// `[L][B, H]` gradient at each LSTM layer's last state (from the heads)
    dlast: Vec<Vec<f32>>,
    /// `[B, H]` scratch: one head's gradient at its state, before it is added to `dlast`
    dstate: Vec<f32>,
    /// `[T, B, H]` gradients at a lower LSTM's output sequence (two, used alternately)
    dseq: [Vec<f32>; 2],
    /// `[T, B, E]` gradient at the embedding output
    pub demb: Vec<f32>,
    /// Gradients of every parameter after the embedding (`[P − V·E]`); the embedding's are
    /// sparse and come from `demb`.
    pub grads: Vec<f32>,
    /// How many times each recurrent layer's backward ran (for tests and reports).
    pub rnn_backward_calls: Vec<usize>,
}

impl Workspace {
    /// Recurrent layer `k`'s last state `[B, H]` after `forward`.
    pub fn rnn_last(&self, model: &Model, b: usize, t: usize, k: usize) -> &[f32] {
        rnn_last(&self.lstm, &self.gru, model, b, t, k)
    }

    /// Recurrent layer `k`'s output sequence `[T, B, H]` after `forward`.
    pub fn rnn_outputs(&self, model: &Model, b: usize, t: usize, k: usize) -> &[f32] {
        match model.config.cell {
            Cell::Lstm => self.lstm[k].outputs(dims(model, b, t, k)),
            Cell::Gru => self.gru[k].outputs(dims(model, b, t, k)),
        }
    }
}

/// Layer `k`'s last state from whichever caches the model's cell fills (a free function, so the
/// caller can borrow other workspace fields mutably at the same time).
fn rnn_last<'a>(lstm: &'a [LstmCache], gru: &'a [GruCache], model: &Model, b: usize, t: usize, k: usize) -> &'a [f32] {
    match model.config.cell {
        Cell::Lstm => lstm[k].last(dims(model, b, t, k)),
        Cell::Gru => gru[k].last(dims(model, b, t, k)),
    }
}

/// Result of a chunk's loss: summed (weighted) loss and correct predictions of the reported
/// classifier.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChunkStats {
    pub loss_sum: f64,
    pub correct: usize,
}

/// Recurrent layer `k`'s parameters, borrowed from the model's flat store.
fn rnn_params(model: &Model, k: usize) -> RnnParams<'_> {
    let (l, p) = (&model.layout.rnn[k], &model.params.data);
    RnnParams { kernel: &p[l.kernel.clone()], recurrent: &p[l.recurrent.clone()], bias: &p[l.bias.clone()] }
}

pub(crate) fn dims(model: &Model, b: usize, t: usize, k: usize) -> RnnDims {
    RnnDims { b, t, e: model.config.rnn_input(k), h: model.config.units }
}

/// Forward of `ids: [B, T]` through the layers and heads `plan` computes.
pub fn forward(model: &Model, ids: &[u32], b: usize, t: usize, plan: &Plan, ws: &mut Workspace) {
    let c = &model.config;
    let (e, h, k_out) = (c.embedding_dim, c.units, c.outputs());
    let p = &model.params.data;
    ws.ids.clear();
    ws.ids.extend_from_slice(ids);
    ws.emb.resize(t * b * e, 0.0);
    embedding::forward(ids, b, t, &p[model.layout.embedding.clone()], e, &mut ws.emb);
    match c.cell {
        Cell::Lstm => ws.lstm.resize_with(c.layers, LstmCache::default),
        Cell::Gru => ws.gru.resize_with(c.layers, GruCache::default),
    }
    for k in 0..plan.depth {
        let (d, params) = (dims(model, b, t, k), rnn_params(model, k));
        match c.cell {
            Cell::Lstm => {
                let (below, this) = ws.lstm.split_at_mut(k);
                let x = if k == 0 { &ws.emb[..] } else { below[k - 1].outputs(dims(model, b, t, k - 1)) };
                lstm::forward(d, x, params, &mut this[0]);
            }
            Cell::Gru => {
                let (below, this) = ws.gru.split_at_mut(k);
                let x = if k == 0 { &ws.emb[..] } else { below[k - 1].outputs(dims(model, b, t, k - 1)) };
                gru::forward(d, x, params, &mut this[0]);
            }
        }
    }
    if plan.head_weight > 0.0 {
        let top = rnn_last(&ws.lstm, &ws.gru, model, b, t, plan.depth - 1);
        ws.logits.resize(b * k_out, 0.0);
        let (hk, hb) = (&p[model.layout.head_kernel.clone()], &p[model.layout.head_bias.clone()]);
        dense::forward(b, h, k_out, top, hk, hb, &mut ws.logits);
    }
    ws.aux_logits.resize_with(c.layers, Vec::new);
    for k in 0..plan.depth {
        if plan.aux_weights[k] > 0.0 {
            let (ak, ab) = model.layout.aux[k].clone();
            let state = rnn_last(&ws.lstm, &ws.gru, model, b, t, k);
            ws.aux_logits[k].resize(b * k_out, 0.0);
            dense::forward(b, h, k_out, state, &p[ak], &p[ab], &mut ws.aux_logits[k]);
        }
    }
}

/// Counts correct predictions among `logits: [B, K]`.
pub fn count_correct(logits: &[f32], k_out: usize, labels: &[usize]) -> usize {
    if k_out == 1 {
        logits.iter().zip(labels).filter(|(&z, &y)| (z > 0.0) == (y == 1)).count()
    } else {
        logits.chunks_exact(k_out).zip(labels).filter(|(z, &y)| argmax(z) == y).count()
    }
}

pub fn argmax(z: &[f32]) -> usize {
    z.iter().enumerate().fold(0, |best, (i, &v)| if v > z[best] { i } else { best })
}

/// Summed loss of `logits` and its gradient (× `scale`) into `dlogits`.
fn head_loss(logits: &[f32], k_out: usize, labels: &[usize], scale: f32, dlogits: &mut Vec<f32>) -> f64 {
    dlogits.resize(logits.len(), 0.0);
    if k_out == 1 {
        let y: Vec<f32> = labels.iter().map(|&l| l as f32).collect();
        loss::bce_with_logits(logits, &y, scale, dlogits)
    } else {
        loss::softmax_cross_entropy(logits, k_out, labels, scale, dlogits)
    }
}

/// The chunk's loss after `forward`, and backward through what `plan` trains. `scale` is
/// `1 / full batch size`, so that summing chunks gives the batch-mean gradient. Gradients are
/// accumulated into `ws.grads` and `ws.demb` (the latter only if the embedding trains).
#[allow(clippy::too_many_arguments)]
pub fn backward(
    model: &Model,
    labels: &[usize],
    b: usize,
    t: usize,
    scale: f32,
    plan: &Plan,
    ws: &mut Workspace,
) -> ChunkStats {
    let c = &model.config;
    let (e, h, k_out, n_l) = (c.embedding_dim, c.units, c.outputs(), c.layers);
    let p = &model.params.data;
    let off = model.layout.embedding.end; // ws.grads starts here
    let local = |r: &std::ops::Range<usize>| r.start - off..r.end - off;
    let lowest = plan.lowest_trainable_layer();
    ws.dlast.resize_with(n_l, Vec::new);
    ws.rnn_backward_calls.resize(n_l, 0);
    for d in ws.dlast.iter_mut() {
        d.clear();
        d.resize(b * h, 0.0);
    }
    let mut stats = ChunkStats::default();

    // Heads: their loss, their weights' gradients, and the gradient at their layer's state.
    let mut heads: Vec<(usize, f32, std::ops::Range<usize>, std::ops::Range<usize>)> = Vec::new();
    if plan.head_weight > 0.0 {
        heads.push((n_l, plan.head_weight, model.layout.head_kernel.clone(), model.layout.head_bias.clone()));
    }
    for k in 0..plan.depth {
        if plan.aux_weights[k] > 0.0 {
            let (ak, ab) = model.layout.aux[k].clone();
            heads.push((k, plan.aux_weights[k], ak, ab));
        }
    }
    let reported = if plan.reports_head() { n_l } else { plan.depth - 1 };
    for (which, weight, kr, br) in heads {
        let (layer, logits) = if which == n_l { (n_l - 1, &ws.logits) } else { (which, &ws.aux_logits[which]) };
        let sum = head_loss(logits, k_out, labels, scale * weight, &mut ws.dlogits);
        stats.loss_sum += weight as f64 * sum;
        if which == reported {
            stats.correct = count_correct(logits, k_out, labels);
        }
        let state = rnn_last(&ws.lstm, &ws.gru, model, b, t, layer);
        let (gk, gb) = ws.grads[local(&kr).start..local(&br).end].split_at_mut(kr.len());
        if lowest.is_some_and(|lo| lo <= layer + 1) {
            // dense::backward overwrites dx; a state can have two heads (deep supervision's aux
            // head and the final head on the top layer), so go through a scratch and add.
            ws.dstate.resize(b * h, 0.0);
            dense::backward(b, h, k_out, state, &p[kr.clone()], &ws.dlogits, gk, gb, Some(&mut ws.dstate));
            ws.dlast[layer].iter_mut().zip(&ws.dstate).for_each(|(a, v)| *a += v);
        } else {
            dense::backward(b, h, k_out, state, &p[kr.clone()], &ws.dlogits, gk, gb, None);
        }
    }
    let Some(lowest) = lowest else { return stats };

    // LSTMs, top computed layer down to the lowest trainable one; layer k is group k + 1.
    for k in (0..plan.depth).rev() {
        if lowest > k + 1 {
            break;
        }
        ws.rnn_backward_calls[k] += 1;
        let d = dims(model, b, t, k);
        let l = &model.layout.rnn[k];
        let params = rnn_params(model, k);
        let (gr_k, gr_u, gr_b) = (local(&l.kernel), local(&l.recurrent), local(&l.bias));
        let (gk, rest) = ws.grads[gr_k.start..gr_b.end].split_at_mut(gr_k.len());
        let (gu, gb) = rest.split_at_mut(gr_u.len());
        let grads = RnnGrads { kernel: gk, recurrent: gu, bias: gb };
        let need_dx = lowest < k + 1;
        let [dseq_a, dseq_b] = &mut ws.dseq;
        // The layer above wrote its input gradient into dseq[(k + 1) % 2].
        let (dh_in, dx_out) = if (k + 1) % 2 == 0 { (&*dseq_a, dseq_b) } else { (&*dseq_b, dseq_a) };
        let dh_seq = (k + 1 < plan.depth).then_some(&dh_in[..]);
        let dh_last = Some(&ws.dlast[k][..]);
        let dx = if !need_dx {
            None
        } else if k == 0 {
            ws.demb.resize(t * b * e, 0.0);
            Some(&mut ws.demb[..])
        } else {
            dx_out.resize(t * b * h, 0.0);
            Some(&mut dx_out[..])
        };
        match c.cell {
            Cell::Lstm => {
                let (below, this) = ws.lstm.split_at_mut(k);
                let x = if k == 0 { &ws.emb[..] } else { below[k - 1].outputs(dims(model, b, t, k - 1)) };
                lstm::backward(d, x, params, &mut this[0], dh_seq, dh_last, grads, dx);
            }
            Cell::Gru => {
                let (below, this) = ws.gru.split_at_mut(k);
                let x = if k == 0 { &ws.emb[..] } else { below[k - 1].outputs(dims(model, b, t, k - 1)) };
                gru::backward(d, x, params, &this[0], dh_seq, dh_last, grads, dx);
            }
        }
    }
    stats
}
