//! The language model's forward and backward over one chunk of rows for one segment:
//! embedding → dropout → levels (each from its row's carried state, dropout after each) →
//! sampled softmax; and the same without dropout into the full softmax, for perplexity.
//!
//! A [`Chunk`] owns everything one thread needs: its rows' carried states, the activations,
//! and its share of the gradient (dense for the levels, compact for the embedding rows and the
//! decoder rows it touched), which [`Gradient::add_chunk`] sums in chunk order.

use strata_nn::sampled_softmax::{self, Rows, SampledDecoder, SampledGrads, Sampler, Samples};
use strata_nn::{dropout, embedding, Rng, RnnCache, RnnDims, RnnGrads, RnnOutputGrads, RnnParams};

use super::language_model::LanguageModel;

/// Where each tensor lives in the model's flat store.
#[derive(Clone, Debug)]
pub struct Layout {
    pub embedding: std::ops::Range<usize>,
    /// per level: kernel, recurrent kernel, bias
    pub levels: Vec<[std::ops::Range<usize>; 3]>,
    pub decoder_weight: std::ops::Range<usize>,
    pub decoder_bias: std::ops::Range<usize>,
}

impl Layout {
    pub fn of(model: &LanguageModel) -> Layout {
        let r = |n: &str| model.params.find(n).unwrap_or_else(|| panic!("language model lacks '{n}'")).range.clone();
        Layout {
            embedding: r("embedding.weight"),
            levels: model
                .levels
                .iter()
                .map(|l| {
                    [
                        r(&format!("{}.kernel", l.name)),
                        r(&format!("{}.recurrent_kernel", l.name)),
                        r(&format!("{}.bias", l.name)),
                    ]
                })
                .collect(),
            decoder_weight: r("lm_decoder.weight"),
            decoder_bias: r("lm_decoder.bias"),
        }
    }

    /// The span of all levels' tensors (contiguous: they sit between embedding and decoder).
    pub fn levels_span(&self) -> std::ops::Range<usize> {
        self.embedding.end..self.decoder_weight.start
    }
}

/// The dropout rates of a training pass (both 0 for evaluation).
#[derive(Clone, Copy, Debug)]
pub struct Dropouts {
    pub embedding: f32,
    pub levels: f32,
}

/// One thread's rows: their carried states, activations and gradient share.
#[derive(Default)]
pub struct Chunk {
    /// rows of this chunk
    pub b: usize,
    /// per level: `[state_len]` carried state of the chunk's rows
    pub states: Vec<Vec<f32>>,
    pub inputs: Vec<u32>,
    pub targets: Vec<u32>,
    /// per level: its input `[T, b, in]` after dropout; `xs[L]` is the top output after dropout
    xs: Vec<Vec<f32>>,
    /// per level (and the top output): dropout masks
    masks: Vec<Vec<f32>>,
    caches: Vec<RnnCache>,
    /// `[T, b, in]` gradient scratch (two, swapped level to level)
    dy: Vec<f32>,
    dx: Vec<f32>,
    /// gradient of the levels' span (dense)
    pub level_grads: Vec<f32>,
    /// gradient at the embedding output `[T, b, E]`
    pub demb: Vec<f32>,
    pub sampled: SampledGrads,
}

impl Chunk {
    pub fn new(model: &LanguageModel, b: usize) -> Chunk {
        let states = model.levels.iter().map(|l| vec![0.0; RnnCache::state_len(l.cell, b, l.units)]).collect();
        let caches = model.levels.iter().map(|l| RnnCache::new(l.cell)).collect();
        let n = model.levels.len() + 1;
        Chunk { b, states, caches, xs: vec![Vec::new(); n], masks: vec![Vec::new(); n], ..Chunk::default() }
    }

    /// Zeroes the carried states (the start of an epoch or of an evaluation).
    pub fn reset_states(&mut self) {
        self.states.iter_mut().for_each(|s| s.fill(0.0));
    }

    /// Forward over the segment in `inputs` (`[b, T]`), from the carried states, which it
    /// advances; leaves the top output (after dropout) in `self.top()`.
    pub fn forward(&mut self, model: &LanguageModel, lay: &Layout, t: usize, drop: Dropouts, rng: &mut Rng) {
        let (b, e) = (self.b, model.embedding_dim);
        let p = &model.params.data;
        self.xs[0].resize(t * b * e, 0.0);
        embedding::forward(&self.inputs, b, t, &p[lay.embedding.clone()], e, &mut self.xs[0]);
        dropout::forward(&mut self.xs[0], &mut self.masks[0], drop.embedding, drop.embedding > 0.0, rng);
        let mut width = e;
        for (l, level) in model.levels.iter().enumerate() {
            let d = RnnDims { b, t, e: width, h: level.units };
            let [k, u, bias] = &lay.levels[l];
            let params = RnnParams { kernel: &p[k.clone()], recurrent: &p[u.clone()], bias: &p[bias.clone()] };
            let (below, above) = self.xs.split_at_mut(l + 1);
            let cache = &mut self.caches[l];
            cache.forward_from(d, &below[l], params, &self.states[l]);
            cache.final_state(d, &mut self.states[l]);
            let out = &mut above[0];
            out.clear();
            out.extend_from_slice(cache.outputs(d));
            dropout::forward(out, &mut self.masks[l + 1], drop.levels, drop.levels > 0.0, rng);
            width = level.units;
        }
    }

    /// The top output `[T·b, H_top]` of the last forward.
    pub fn top(&self) -> &[f32] {
        self.xs.last().expect("at least the embedding")
    }

    /// The sampled-softmax loss of the last forward (summed over rows) and its backward: the
    /// levels' gradient into `level_grads`, the embedding output's into `demb`, the decoder's
    /// into `sampled`.
    pub fn backward(
        &mut self,
        model: &LanguageModel,
        lay: &Layout,
        t: usize,
        dec: (&SampledDecoder, &Sampler, &Samples),
        scale: f32,
    ) -> f64 {
        let (b, p) = (self.b, &model.params.data);
        let h_top = model.levels.last().map_or(model.embedding_dim, |l| l.units);
        let span = lay.levels_span();
        self.level_grads.clear();
        self.level_grads.resize(span.len(), 0.0);
        self.sampled.reset(dec.0.len(), h_top);
        let top = self.xs.last().expect("at least the embedding");
        self.dy.resize(top.len(), 0.0);
        let rows = Rows {
            x: top,
            targets: &self.targets,
            h: h_top,
            weight: &p[lay.decoder_weight.clone()],
            bias: &p[lay.decoder_bias.clone()],
        };
        let loss = sampled_softmax::loss_and_grads(rows, dec.0, dec.1, dec.2, scale, &mut self.sampled, &mut self.dy);
        for l in (0..model.levels.len()).rev() {
            dropout::backward(&mut self.dy, &self.masks[l + 1]);
            let level = &model.levels[l];
            let width = if l == 0 { model.embedding_dim } else { model.levels[l - 1].units };
            let d = RnnDims { b, t, e: width, h: level.units };
            let [k, u, bias] = &lay.levels[l];
            let params = RnnParams { kernel: &p[k.clone()], recurrent: &p[u.clone()], bias: &p[bias.clone()] };
            let g = |r: &std::ops::Range<usize>| r.start - span.start..r.end - span.start;
            let (gk, gu, gb) = (g(k), g(u), g(bias));
            let (lo, rest) = self.level_grads.split_at_mut(gu.start);
            let (mid, hi) = rest.split_at_mut(gb.start - gu.start);
            let grads = RnnGrads { kernel: &mut lo[gk], recurrent: &mut mid[..gu.len()], bias: &mut hi[..gb.len()] };
            self.dx.resize(t * b * width, 0.0);
            let dy = RnnOutputGrads { seq: Some(&self.dy), last: None };
            self.caches[l].backward(d, &self.xs[l], params, dy, grads, Some(&mut self.dx));
            std::mem::swap(&mut self.dy, &mut self.dx);
        }
        dropout::backward(&mut self.dy, &self.masks[0]);
        std::mem::swap(&mut self.demb, &mut self.dy);
        loss
    }

    /// The full softmax's cross-entropy of the last forward, summed over rows.
    pub fn full_loss(&self, model: &LanguageModel, lay: &Layout) -> f64 {
        let h_top = model.levels.last().map_or(model.embedding_dim, |l| l.units);
        let p = &model.params.data;
        sampled_softmax::full_softmax_loss(Rows {
            x: self.top(),
            targets: &self.targets,
            h: h_top,
            weight: &p[lay.decoder_weight.clone()],
            bias: &p[lay.decoder_bias.clone()],
        })
    }
}

/// The whole model's gradient, summed from the chunks in chunk order; only the rows a batch
/// touched are non-zero, and [`Gradient::clear`] zeroes just those.
pub struct Gradient {
    pub data: Vec<f32>,
    /// embedding rows this batch touched (ids, with repeats)
    emb_ids: Vec<u32>,
    /// decoder rows this batch touched (sampled ids and targets, with repeats)
    dec_ids: Vec<u32>,
}

impl Gradient {
    pub fn new(len: usize) -> Gradient {
        Gradient { data: vec![0.0; len], emb_ids: Vec::new(), dec_ids: Vec::new() }
    }

    /// Adds the chunks' gradients, in order: levels (dense), embedding rows, decoder rows.
    pub fn add_chunks(&mut self, model: &LanguageModel, lay: &Layout, t: usize, chunks: &[Chunk], ids: &[u32]) {
        let span = lay.levels_span();
        let (h_top, e) = (model.levels.last().map_or(model.embedding_dim, |l| l.units), model.embedding_dim);
        for (i, c) in chunks.iter().enumerate() {
            let g = &mut self.data[span.clone()];
            if i == 0 {
                g.copy_from_slice(&c.level_grads);
            } else {
                g.iter_mut().zip(&c.level_grads).for_each(|(a, v)| *a += v);
            }
        }
        let parts: Vec<crate::embedding_grad::ChunkGrad> =
            chunks.iter().map(|c| crate::embedding_grad::ChunkGrad { ids: &c.inputs, b: c.b, demb: &c.demb }).collect();
        crate::embedding_grad::scatter(&mut self.data[lay.embedding.clone()], e, t, &parts);
        let (before, dec) = self.data.split_at_mut(lay.decoder_weight.start);
        let _ = before;
        let (dw, db) = dec.split_at_mut(lay.decoder_weight.len());
        for c in chunks {
            c.sampled.scatter(ids, c.top(), &c.targets, h_top, dw, db);
            self.emb_ids.extend_from_slice(&c.inputs);
            self.dec_ids.extend_from_slice(&c.targets);
        }
        self.dec_ids.extend_from_slice(ids);
    }

    /// Scales the gradient to global L2 norm `clip` if it is longer (Keras `global_clipnorm`;
    /// 0 = off). Only the rows the batch touched can be non-zero, so only they are read: each
    /// once, in id order, so the norm is the same on every run.
    pub fn clip(&mut self, model: &LanguageModel, lay: &Layout, clip: f32) {
        if clip <= 0.0 {
            return;
        }
        let (e, h_top) = (model.embedding_dim, model.top_width());
        for ids in [&mut self.emb_ids, &mut self.dec_ids] {
            ids.sort_unstable();
            ids.dedup();
        }
        let emb_rows = self.emb_ids.iter().map(|&id| lay.embedding.start + id as usize * e).map(|s| s..s + e);
        let dec_rows =
            self.dec_ids.iter().map(|&id| lay.decoder_weight.start + id as usize * h_top).map(|s| s..s + h_top);
        let dec_bias = self.dec_ids.iter().map(|&id| lay.decoder_bias.start + id as usize).map(|s| s..s + 1);
        let parts: Vec<std::ops::Range<usize>> =
            std::iter::once(lay.levels_span()).chain(emb_rows).chain(dec_rows).chain(dec_bias).collect();
        let sq: f64 =
            parts.iter().map(|r| self.data[r.clone()].iter().map(|&g| g as f64 * g as f64).sum::<f64>()).sum();
        let norm = sq.sqrt();
        if norm > clip as f64 {
            let scale = (clip as f64 / norm) as f32;
            parts.iter().for_each(|r| self.data[r.clone()].iter_mut().for_each(|g| *g *= scale));
        }
    }

    /// Zeroes what the last batch touched, for the next.
    pub fn clear(&mut self, model: &LanguageModel, lay: &Layout) {
        let e = model.embedding_dim;
        crate::embedding_grad::clear(&mut self.data[lay.embedding.clone()], e, &self.emb_ids);
        let h_top = model.levels.last().map_or(e, |l| l.units);
        for &id in &self.dec_ids {
            let id = id as usize;
            self.data[lay.decoder_weight.start + id * h_top..lay.decoder_weight.start + (id + 1) * h_top].fill(0.0);
            self.data[lay.decoder_bias.start + id] = 0.0;
        }
        self.emb_ids.clear();
        self.dec_ids.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pretrain::language_model::LmLevel;
    use strata_nn::gradcheck::check;
    use strata_nn::Cell;

    /// The mean sampled-softmax loss of one segment of a tiny model from given non-zero
    /// states, and its gradient with respect to every tensor (dropout 0, fixed samples).
    fn loss_and_gradient(model: &LanguageModel, states: &[Vec<f32>], grad: Option<&mut Vec<f32>>) -> f64 {
        let lay = Layout::of(model);
        let (b, t) = (2, 3);
        let mut chunk = Chunk::new(model, b);
        chunk.states = states.to_vec();
        chunk.inputs = vec![1, 4, 0, 6, 2, 2]; // [b, T]
        chunk.targets = vec![4, 2, 0, 2, 3, 5]; // [T, b]
        let sampler = Sampler::unigram(&[3, 9, 4, 4, 2, 1, 5], 0.75);
        let samples = sampler.sample(3, &mut Rng::new(6));
        let p = &model.params.data;
        let dec = SampledDecoder::gather(
            &samples,
            &sampler,
            &p[lay.decoder_weight.clone()],
            &p[lay.decoder_bias.clone()],
            model.top_width(),
        );
        let none = Dropouts { embedding: 0.0, levels: 0.0 };
        chunk.forward(model, &lay, t, none, &mut Rng::new(0));
        let scale = 1.0 / (b * t) as f32;
        let loss = chunk.backward(model, &lay, t, (&dec, &sampler, &samples), scale) * scale as f64;
        if let Some(out) = grad {
            let mut g = Gradient::new(model.params.len());
            g.add_chunks(model, &lay, t, std::slice::from_ref(&chunk), &dec.ids);
            *out = g.data;
        }
        loss
    }

    fn check_model(levels: Vec<LmLevel>) {
        let mut model = LanguageModel::new(7, 3, levels, 3);
        let mut rng = Rng::new(9);
        // larger than Keras's init, so that every tensor's gradient is well above noise
        model.params.data.iter_mut().for_each(|v| *v += rng.uniform(-0.4, 0.4));
        let states: Vec<Vec<f32>> = model
            .levels
            .iter()
            .map(|l| (0..RnnCache::state_len(l.cell, 2, l.units)).map(|_| rng.uniform(-0.8, 0.8)).collect())
            .collect();
        let mut grad = Vec::new();
        loss_and_gradient(&model, &states, Some(&mut grad));
        for spec in model.params.specs.clone() {
            let r = spec.range.clone();
            let worst = check(&spec.name, &model.params.data[r.clone()], &grad[r.clone()], |v| {
                let mut m = model.clone();
                m.params.data[r.clone()].copy_from_slice(v);
                loss_and_gradient(&m, &states, None)
            });
            assert!(worst < 1e-2, "{}: max rel diff {worst}", spec.name);
        }
    }

    #[test]
    fn lstm_language_model_gradient_matches_finite_differences() {
        check_model(vec![LmLevel::new(Cell::Lstm, 0, 4)]);
    }

    #[test]
    fn gru_language_model_gradient_matches_finite_differences() {
        check_model(vec![LmLevel::new(Cell::Gru, 0, 4)]);
    }

    #[test]
    fn two_level_language_model_gradient_matches_finite_differences() {
        check_model(vec![LmLevel::new(Cell::Lstm, 0, 4), LmLevel::new(Cell::Gru, 1, 3)]);
    }
}
