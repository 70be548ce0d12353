//! Kim's (2014) convolution block: one `Conv1D(F, w, relu)` per width `w`, each max-pooled
//! over time, concatenated.
//!
//! Reads `[T, N, D]`, gives `[N, widths·F]`. Tensors per width: `w{w}.kernel [w, D, F]`
//! (Keras's glorot-uniform, whose fans count the receptive field) and `w{w}.bias [F]`.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use strata_nn::conv1d::bank::{BankGrads, ConvBank};
use strata_nn::Rng;

use super::{
    at_least_one, grad_views, mul, Context, Grads, Init, Layer, LayerType, Misfit, Reads, Rows, Shape, Tensor, Values,
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

/// The block at run time: strata-nn's [`ConvBank`] (every width in one product per shift, the
/// max over time fused, a sparse backward) over this layer's slices of the parameter store.
pub struct KimConv {
    /// kernel `[w, E, F]` and bias `[F]` per width
    ranges: Vec<Range<usize>>,
    bank: ConvBank,
}

impl KimConv {
    pub fn new(e: usize, f: usize, widths: Vec<usize>, ranges: Vec<Range<usize>>) -> Self {
        KimConv { ranges, bank: ConvBank::new(e, f, widths) }
    }

    /// Width `i`'s kernel and bias in the store `p`.
    fn views<'p>(&self, p: &'p [f32]) -> (Vec<&'p [f32]>, Vec<&'p [f32]>) {
        let kernels = self.ranges.iter().step_by(2).map(|r| &p[r.clone()]).collect();
        let biases = self.ranges.iter().skip(1).step_by(2).map(|r| &p[r.clone()]).collect();
        (kernels, biases)
    }
}

impl Layer for KimConv {
    fn forward(&mut self, p: &[f32], x: &[f32], rows: Rows, _valid: Option<&[bool]>, _: Option<&mut Rng>) -> Rows {
        let (kernels, biases) = self.views(p);
        self.bank.forward(x, rows.n, rows.t, &kernels, &biases);
        Rows { n: rows.n, t: 1 }
    }

    fn infer(&mut self, p: &Values, x: &[f32], rows: Rows, _valid: Option<&[bool]>) -> Rows {
        let (kernels, biases) = self.views(p);
        self.bank.infer(x, rows.n, rows.t, (&kernels, p.generation()), &biases);
        Rows { n: rows.n, t: 1 }
    }

    fn output(&self) -> &[f32] {
        self.bank.output()
    }

    fn backward(&mut self, p: &[f32], x: &[f32], grads: Grads<'_>) {
        let Grads { dy, params: g, off, dx, .. } = grads;
        let Some(dy) = dy else { return };
        let (kernels, _) = self.views(p);
        let mut views = grad_views(g, off, &self.ranges);
        let (mut dkernels, mut dbiases): (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
        for (k, view) in views.drain(..).enumerate() {
            if k % 2 == 0 {
                dkernels.push(view)
            } else {
                dbiases.push(view)
            }
        }
        self.bank.backward(x, &kernels, dy, BankGrads { kernels: &mut dkernels, biases: &mut dbiases, dx });
    }
}
