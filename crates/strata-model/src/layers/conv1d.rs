//! Kim's (2014) convolution block: one `Conv1D(F, w, relu)` per width `w`, each max-pooled
//! over time, concatenated.
//!
//! Reads `[T, N, D]`, gives `[N, widths·F]`. Tensors per width: `w{w}.kernel [w, D, F]`
//! (Keras's glorot-uniform, whose fans count the receptive field) and `w{w}.bias [F]`.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use strata_nn::conv1d::{self, ConvCache, ConvDims};
use strata_nn::Rng;

use super::{
    at_least_one, grad_views, mul, Context, Grads, Init, Layer, LayerType, Misfit, Reads, Rows, Shape, Tensor,
};

/// `[[layer]] type = "conv1d"`: `filters` per width, `widths` the kernel sizes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv1dConfig {
    pub filters: usize,
    pub widths: Vec<usize>,
}

impl LayerType for Conv1dConfig {
    fn kind(&self) -> &'static str {
        "conv1d"
    }

    fn reads(&self) -> Reads {
        Reads::Sequence
    }

    fn output(&self, at: Context) -> Result<Shape, Misfit> {
        if self.widths.is_empty() || self.widths.contains(&0) {
            return Err("widths must be a non-empty list of sizes ≥ 1".into());
        }
        if self.widths.iter().enumerate().any(|(i, w)| self.widths[..i].contains(w)) {
            // each width names its own tensors (`w3.kernel`)
            return Err("widths must all differ".into());
        }
        at_least_one(&[self.filters])?;
        let width = self.filters.checked_mul(self.widths.len()).ok_or("filters × widths overflows")?;
        Ok(Shape { sequence: false, width, ..at.input })
    }

    fn tensors(&self, d: usize) -> Option<Vec<Tensor>> {
        let f = self.filters;
        let mut v = Vec::new();
        for &w in &self.widths {
            // Keras's fans for a conv kernel include the receptive field
            let limit = (6.0 / (mul(w, d)?.checked_add(mul(w, f)?)?) as f32).sqrt();
            v.push(Tensor::new(format!("w{w}.kernel"), vec![w, d, f], Init::Uniform(limit)));
            v.push(Tensor::new(format!("w{w}.bias"), vec![f], Init::Zeros));
        }
        Some(v)
    }

    fn build(&self, input: Shape, _output: Shape, ranges: Vec<Range<usize>>) -> Box<dyn Layer> {
        Box::new(KimConv::new(input.width, self.filters, self.widths.clone(), ranges))
    }

    fn min_steps(&self) -> usize {
        self.widths.iter().copied().max().unwrap_or(0)
    }
}

pub struct KimConv {
    e: usize,
    f: usize,
    widths: Vec<usize>,
    /// kernel `[w, E, F]` and bias `[F]` per width
    ranges: Vec<Range<usize>>,
    caches: Vec<ConvCache>,
    /// `[N, F]` per width: which step won the max
    argmax: Vec<Vec<usize>>,
    /// `[N, widths·F]`
    out: Vec<f32>,
    rows: Rows,
    /// scratch: one width's pooled values or their gradient `[N, F]`, its conv output's
    /// gradient `[T', N, F]`, its input gradient `[T, N, E]`
    pooled: Vec<f32>,
    dconv: Vec<f32>,
    dx_one: Vec<f32>,
}

impl KimConv {
    pub fn new(e: usize, f: usize, widths: Vec<usize>, ranges: Vec<Range<usize>>) -> Self {
        let n = widths.len();
        KimConv {
            e,
            f,
            widths,
            ranges,
            caches: (0..n).map(|_| ConvCache::default()).collect(),
            argmax: vec![Vec::new(); n],
            out: Vec::new(),
            rows: Rows { n: 0, t: 0 },
            pooled: Vec::new(),
            dconv: Vec::new(),
            dx_one: Vec::new(),
        }
    }

    fn dims(&self, j: usize) -> ConvDims {
        ConvDims { b: self.rows.n, t: self.rows.t, e: self.e, w: self.widths[j], f: self.f }
    }
}

impl Layer for KimConv {
    fn forward(&mut self, p: &[f32], x: &[f32], rows: Rows, _valid: Option<&[bool]>, _: Option<&mut Rng>) -> Rows {
        self.rows = rows;
        let (n, f, nw) = (rows.n, self.f, self.widths.len());
        self.out.clear();
        self.out.resize(n * nw * f, 0.0);
        for j in 0..nw {
            let d = self.dims(j);
            let (k, b) = (&p[self.ranges[2 * j].clone()], &p[self.ranges[2 * j + 1].clone()]);
            conv1d::forward(d, x, k, b, &mut self.caches[j]);
            self.argmax[j].resize(n * f, 0);
            self.pooled.resize(n * f, 0.0);
            if d.t_out() == 0 {
                continue; // shorter than the kernel: nothing to pool, the features stay 0
            }
            conv1d::max_over_time(d.t_out(), n, f, &self.caches[j].out, &mut self.pooled, &mut self.argmax[j]);
            for (row, src) in self.out.chunks_exact_mut(nw * f).zip(self.pooled.chunks_exact(f)) {
                row[j * f..(j + 1) * f].copy_from_slice(src);
            }
        }
        Rows { n, t: 1 }
    }

    fn output(&self) -> &[f32] {
        &self.out
    }

    fn backward(&mut self, p: &[f32], _x: &[f32], grads: Grads<'_>) {
        let Grads { dy, params: g, off, mut dx, .. } = grads;
        let Some(dy) = dy else { return };
        let (n, f, nw) = (self.rows.n, self.f, self.widths.len());
        if let Some(dx) = dx.as_deref_mut() {
            dx.fill(0.0);
        }
        let mut views = grad_views(g, off, &self.ranges).into_iter();
        for j in 0..nw {
            let d = self.dims(j);
            let (gk, gb) = (views.next().unwrap(), views.next().unwrap());
            if d.t_out() == 0 {
                continue;
            }
            self.pooled.clear();
            self.pooled.extend(dy.chunks_exact(nw * f).flat_map(|row| row[j * f..(j + 1) * f].iter().copied()));
            self.dconv.resize(d.t_out() * n * f, 0.0);
            conv1d::max_over_time_backward(n, f, &self.pooled, &self.argmax[j], &mut self.dconv);
            let kernel = &p[self.ranges[2 * j].clone()];
            match dx.as_deref_mut() {
                Some(dx) => {
                    self.dx_one.resize(dx.len(), 0.0);
                    conv1d::backward(d, kernel, &self.caches[j], &self.dconv, gk, gb, Some(&mut self.dx_one));
                    dx.iter_mut().zip(&self.dx_one).for_each(|(a, v)| *a += v);
                }
                None => conv1d::backward(d, kernel, &self.caches[j], &self.dconv, gk, gb, None),
            }
        }
    }
}
