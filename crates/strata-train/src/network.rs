//! Forward and backward of a whole model over one chunk of a batch.
//!
//! Training splits each batch into one chunk per core; each chunk runs here in its own
//! `Workspace` with no synchronisation, writing its gradients into its own buffer, and the fit
//! loop sums them afterwards in a fixed order (so results depend only on seed and thread count).
//! Backward runs from the head down and **stops at the lowest trainable layer**: a frozen lower
//! part of the model costs a forward pass only.

use strata_nn::lstm::{self, LstmCache, LstmDims, LstmGrads, LstmParams};
use strata_nn::{dense, embedding, loss};

use crate::model::Model;

/// Per-chunk activations, scratch and gradients, reused from batch to batch.
#[derive(Default)]
pub struct Workspace {
    /// `[T, B, E]` embedding output
    pub emb: Vec<f32>,
    pub lstm: Vec<LstmCache>,
    /// `[B, K]` head output (logits)
    pub logits: Vec<f32>,
    /// `[B, K]`
    dlogits: Vec<f32>,
    /// `[B, H]` gradient at the top LSTM's last state
    dfeat: Vec<f32>,
    /// `[T, B, H]` gradients at a lower LSTM's output sequence (two, used alternately)
    dseq: [Vec<f32>; 2],
    /// `[T, B, E]` gradient at the embedding output
    pub demb: Vec<f32>,
    /// Gradients of every parameter after the embedding (`[P − V·E]`); the embedding's are
    /// sparse and come from `demb`.
    pub grads: Vec<f32>,
}

/// Which layers train, bottom to top: `[embedding, lstm_0, …, head]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trainable(pub Vec<bool>);

impl Trainable {
    pub fn all(model: &Model) -> Self {
        Trainable(vec![true; model.config.layers + 2])
    }

    /// Index of the lowest trainable layer (`None` if nothing trains).
    pub fn lowest(&self) -> Option<usize> {
        self.0.iter().position(|&t| t)
    }
}

/// Result of a chunk's loss: summed loss and number of correct predictions.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChunkStats {
    pub loss_sum: f64,
    pub correct: usize,
}

fn dims(model: &Model, b: usize, t: usize, k: usize) -> LstmDims {
    LstmDims {
        b,
        t,
        e: model.config.lstm_input(k),
        h: model.config.units,
    }
}

/// Forward of `ids: [B, T]`; logits land in `ws.logits` (`[B, K]`).
pub fn forward(model: &Model, ids: &[u32], b: usize, t: usize, ws: &mut Workspace) {
    let c = &model.config;
    let (e, h, k_out) = (c.embedding_dim, c.units, c.outputs());
    let p = &model.params.data;
    ws.emb.resize(t * b * e, 0.0);
    embedding::forward(
        ids,
        b,
        t,
        &p[model.layout.embedding.clone()],
        e,
        &mut ws.emb,
    );
    ws.lstm.resize_with(c.layers, LstmCache::default);
    for (k, l) in model.layout.lstm.iter().enumerate() {
        let (below, this) = ws.lstm.split_at_mut(k);
        let x = if k == 0 {
            &ws.emb[..]
        } else {
            below[k - 1].outputs(dims(model, b, t, k - 1))
        };
        let params = LstmParams {
            kernel: &p[l.kernel.clone()],
            recurrent: &p[l.recurrent.clone()],
            bias: &p[l.bias.clone()],
        };
        lstm::forward(dims(model, b, t, k), x, params, &mut this[0]);
    }
    let top = ws.lstm[c.layers - 1].last(dims(model, b, t, c.layers - 1));
    ws.logits.resize(b * k_out, 0.0);
    let (hk, hb) = (
        &p[model.layout.head_kernel.clone()],
        &p[model.layout.head_bias.clone()],
    );
    dense::forward(b, h, k_out, top, hk, hb, &mut ws.logits);
}

/// Counts correct predictions among `logits: [B, K]`.
pub fn count_correct(logits: &[f32], k_out: usize, labels: &[usize]) -> usize {
    if k_out == 1 {
        logits
            .iter()
            .zip(labels)
            .filter(|(&z, &y)| (z > 0.0) == (y == 1))
            .count()
    } else {
        logits
            .chunks_exact(k_out)
            .zip(labels)
            .filter(|(z, &y)| argmax(z) == y)
            .count()
    }
}

pub fn argmax(z: &[f32]) -> usize {
    z.iter()
        .enumerate()
        .fold(0, |best, (i, &v)| if v > z[best] { i } else { best })
}

/// Loss of the chunk after `forward`, and backward through the trainable part. `scale` is
/// `1 / full batch size`, so that summing chunks gives the batch-mean gradient. Gradients are
/// accumulated into `ws.grads` and `ws.demb` (the latter only if the embedding trains).
pub fn backward(
    model: &Model,
    labels: &[usize],
    b: usize,
    t: usize,
    scale: f32,
    train: &Trainable,
    ws: &mut Workspace,
) -> ChunkStats {
    let c = &model.config;
    let (e, h, k_out, n_l) = (c.embedding_dim, c.units, c.outputs(), c.layers);
    let p = &model.params.data;
    let off = model.layout.embedding.end; // ws.grads starts here
    let local = |r: &std::ops::Range<usize>| r.start - off..r.end - off;

    ws.dlogits.resize(b * k_out, 0.0);
    let loss_sum = if k_out == 1 {
        let y: Vec<f32> = labels.iter().map(|&l| l as f32).collect();
        loss::bce_with_logits(&ws.logits, &y, scale, &mut ws.dlogits)
    } else {
        loss::softmax_cross_entropy(&ws.logits, k_out, labels, scale, &mut ws.dlogits)
    };
    let stats = ChunkStats {
        loss_sum,
        correct: count_correct(&ws.logits, k_out, labels),
    };
    let Some(lowest) = train.lowest() else {
        return stats;
    };
    let head_idx = n_l + 1;

    // head
    ws.dfeat.resize(b * h, 0.0);
    let top = ws.lstm[n_l - 1].last(dims(model, b, t, n_l - 1));
    let (hk, hb) = (
        local(&model.layout.head_kernel),
        local(&model.layout.head_bias),
    );
    let (gk, gb) = ws.grads[hk.start..hb.end].split_at_mut(hk.len());
    let dfeat = (lowest < head_idx).then_some(&mut ws.dfeat[..]);
    dense::backward(
        b,
        h,
        k_out,
        top,
        &p[model.layout.head_kernel.clone()],
        &ws.dlogits,
        gk,
        gb,
        dfeat,
    );
    if lowest == head_idx {
        return stats;
    }

    // LSTMs, top down; layer k has index k + 1 in `train`.
    for k in (0..n_l).rev() {
        if lowest > k + 1 {
            break;
        }
        let d = dims(model, b, t, k);
        let l = &model.layout.lstm[k];
        let params = LstmParams {
            kernel: &p[l.kernel.clone()],
            recurrent: &p[l.recurrent.clone()],
            bias: &p[l.bias.clone()],
        };
        let (gr_k, gr_u, gr_b) = (local(&l.kernel), local(&l.recurrent), local(&l.bias));
        let (gk, rest) = ws.grads[gr_k.start..gr_b.end].split_at_mut(gr_k.len());
        let (gu, gb) = rest.split_at_mut(gr_u.len());
        let grads = LstmGrads {
            kernel: gk,
            recurrent: gu,
            bias: gb,
        };
        let need_dx = lowest < k + 1;
        let (below, this) = ws.lstm.split_at_mut(k);
        let x = if k == 0 {
            &ws.emb[..]
        } else {
            below[k - 1].outputs(dims(model, b, t, k - 1))
        };
        let [dseq_a, dseq_b] = &mut ws.dseq;
        // dh arriving from above: dfeat for the top layer, else the sequence gradient written
        // by the layer above (in `dseq[(k + 1) % 2]`).
        let (dh_in, dx_out) = if (k + 1) % 2 == 0 {
            (&*dseq_a, dseq_b)
        } else {
            (&*dseq_b, dseq_a)
        };
        let (dh_seq, dh_last) = if k == n_l - 1 {
            (None, Some(&ws.dfeat[..]))
        } else {
            (Some(&dh_in[..]), None)
        };
        let dx = if !need_dx {
            None
        } else if k == 0 {
            ws.demb.resize(t * b * e, 0.0);
            Some(&mut ws.demb[..])
        } else {
            dx_out.resize(t * b * h, 0.0);
            Some(&mut dx_out[..])
        };
        lstm::backward(d, x, params, &mut this[0], dh_seq, dh_last, grads, dx);
    }
    stats
}
