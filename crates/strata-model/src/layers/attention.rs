//! Additive attention pooling over time (Yang et al. 2016): `u = tanh(x·W + b)`, weights
//! `α = softmax(u·c)` over the steps that are not padding, output `Σ α·x` — the weights an
//! explanation shows.
//!
//! Reads `[T, N, D]`, gives `[N, D]`. Tensors: `kernel [D, A]`, `bias [A]`, `context [A]`.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use strata_nn::attention::{self, AttentionCache, AttentionDims, AttentionGrads, AttentionParams};
use strata_nn::Rng;

use super::{
    at_least_one, grad_views, Context, Grads, Init, Layer, LayerType, Misfit, Reads, Rows, Shape, Tensor, Values,
};

/// `[[layer]] type = "attention"`, with a `dim`-wide projection (`A`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttentionConfig {
    pub dim: usize,
}

impl LayerType for AttentionConfig {
    fn kind(&self) -> &'static str {
        "attention"
    }

    fn reads(&self) -> Reads {
        Reads::Sequence
    }

    fn output(&self, at: Context) -> Result<Shape, Misfit> {
        at_least_one(&[self.dim])?;
        Ok(Shape { sequence: false, ..at.input })
    }

    fn tensors(&self, d: usize) -> Option<Vec<Tensor>> {
        let a = self.dim;
        Some(vec![
            Tensor::new("kernel", vec![d, a], Init::GlorotUniform { fan_in: d, fan_out: a }),
            Tensor::new("bias", vec![a], Init::Zeros),
            Tensor::new("context", vec![a], Init::GlorotUniform { fan_in: a, fan_out: 1 }),
        ])
    }

    fn build(&self, input: Shape, _output: Shape, ranges: Vec<Range<usize>>) -> Box<dyn Layer> {
        Box::new(Attention::new(input.width, self.dim, ranges))
    }

    fn reads_padding_mask(&self) -> bool {
        true
    }

    fn attends(&self) -> bool {
        true
    }
}

pub struct Attention {
    d: usize,
    a: usize,
    /// kernel `[D, A]`, bias `[A]`, context `[A]`
    ranges: Vec<Range<usize>>,
    pub cache: AttentionCache,
    /// What `infer` keeps (weights, output, scores; no projections), and whether it ran last
    inference: AttentionCache,
    inferred: bool,
    rows: Rows,
    /// scratch input gradient when the layer below needs none
    dx_scratch: Vec<f32>,
}

impl Attention {
    pub fn new(d: usize, a: usize, ranges: Vec<Range<usize>>) -> Self {
        Attention {
            d,
            a,
            ranges,
            cache: AttentionCache::default(),
            inference: AttentionCache::default(),
            inferred: false,
            rows: Rows { n: 0, t: 0 },
            dx_scratch: Vec::new(),
        }
    }
}

impl Attention {
    /// The cache of the last forward, training's or inference's.
    fn last_run(&self) -> &AttentionCache {
        if self.inferred {
            &self.inference
        } else {
            &self.cache
        }
    }
}

fn params<'a>(r: &[Range<usize>], p: &'a [f32]) -> AttentionParams<'a> {
    AttentionParams { w: &p[r[0].clone()], bias: &p[r[1].clone()], context: &p[r[2].clone()] }
}

impl Layer for Attention {
    fn forward(&mut self, p: &[f32], x: &[f32], rows: Rows, valid: Option<&[bool]>, _: Option<&mut Rng>) -> Rows {
        self.rows = rows;
        let d = AttentionDims { t: rows.t, b: rows.n, h: self.d, a: self.a };
        attention::forward(d, x, valid, params(&self.ranges, p), &mut self.cache);
        self.inferred = false;
        Rows { n: rows.n, t: 1 }
    }

    fn infer(&mut self, p: &Values, x: &[f32], rows: Rows, valid: Option<&[bool]>) -> Rows {
        self.rows = rows;
        let d = AttentionDims { t: rows.t, b: rows.n, h: self.d, a: self.a };
        attention::infer(d, x, valid, params(&self.ranges, p), &mut self.inference);
        self.inferred = true;
        Rows { n: rows.n, t: 1 }
    }

    fn output(&self) -> &[f32] {
        &self.last_run().out
    }

    fn attention_weights(&self) -> Option<&[f32]> {
        Some(&self.last_run().alpha)
    }

    fn backward(&mut self, p: &[f32], x: &[f32], grads: Grads<'_>) {
        let Grads { dy, params: g, off, dx, .. } = grads;
        assert!(!self.inferred, "attention: backward after infer");
        let Some(dy) = dy else { return };
        let mut v = grad_views(g, off, &self.ranges).into_iter();
        let grads = AttentionGrads { w: v.next().unwrap(), bias: v.next().unwrap(), context: v.next().unwrap() };
        let Rows { n, t } = self.rows;
        let Attention { d, a, ranges, cache, dx_scratch, .. } = self;
        let dx = match dx {
            Some(dx) => dx,
            None => {
                dx_scratch.resize(t * n * *d, 0.0);
                &mut dx_scratch[..]
            }
        };
        let dims = AttentionDims { t, b: n, h: *d, a: *a };
        attention::backward(dims, x, params(ranges, p), cache, dy, grads, dx);
    }
}
