//! A hidden `Dense(units, activation)` layer on one vector per row.
//!
//! Reads `[N, D]`, gives `[N, units]`. Tensors: `kernel [D, units]` (glorot-uniform), `bias
//! [units]`.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use strata_nn::dense::{self, DenseDims, DenseGrads};
use strata_nn::Rng;

use super::{at_least_one, grad_views, Context, Grads, Init, Layer, LayerType, Misfit, Reads, Rows, Shape, Tensor};

/// `[[layer]] type = "dense"`: Keras `Dense(units, activation)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenseConfig {
    pub units: usize,
    #[serde(default)]
    pub activation: Activation,
}

/// A dense layer's activation, by its Keras name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    #[default]
    Relu,
    Tanh,
    Linear,
}

impl LayerType for DenseConfig {
    fn kind(&self) -> &'static str {
        "dense"
    }

    fn reads(&self) -> Reads {
        Reads::Vector
    }

    fn output(&self, at: Context) -> Result<Shape, Misfit> {
        if at.input.sequence {
            return Err("reads one vector per text; put a pooling layer below it".into());
        }
        at_least_one(&[self.units])?;
        Ok(Shape { width: self.units, ..at.input })
    }

    fn tensors(&self, d: usize) -> Option<Vec<Tensor>> {
        let u = self.units;
        Some(vec![
            Tensor::new("kernel", vec![d, u], Init::GlorotUniform { fan_in: d, fan_out: u }),
            Tensor::new("bias", vec![u], Init::Zeros),
        ])
    }

    fn build(&self, input: Shape, _output: Shape, ranges: Vec<Range<usize>>) -> Box<dyn Layer> {
        Box::new(Dense::new(input.width, self.units, self.activation, ranges))
    }
}

pub struct Dense {
    i: usize,
    o: usize,
    act: Activation,
    /// kernel `[I, O]`, bias `[O]`
    ranges: Vec<Range<usize>>,
    /// `[N, O]` after the activation
    out: Vec<f32>,
    n: usize,
    dpre: Vec<f32>,
}

impl Dense {
    pub fn new(i: usize, o: usize, act: Activation, ranges: Vec<Range<usize>>) -> Self {
        Dense { i, o, act, ranges, out: Vec::new(), n: 0, dpre: Vec::new() }
    }
}

impl Layer for Dense {
    fn forward(&mut self, p: &[f32], x: &[f32], rows: Rows, _valid: Option<&[bool]>, _: Option<&mut Rng>) -> Rows {
        self.n = rows.n;
        self.out.resize(rows.n * self.o, 0.0);
        let (w, b) = (&p[self.ranges[0].clone()], &p[self.ranges[1].clone()]);
        dense::forward(DenseDims { b: rows.n, i: self.i, o: self.o }, x, w, b, &mut self.out);
        match self.act {
            Activation::Relu => self.out.iter_mut().for_each(|v| *v = v.max(0.0)),
            Activation::Tanh => self.out.iter_mut().for_each(|v| *v = v.tanh()),
            Activation::Linear => {}
        }
        rows
    }

    fn output(&self) -> &[f32] {
        &self.out
    }

    fn backward(&mut self, p: &[f32], x: &[f32], grads: Grads<'_>) {
        let Grads { dy, params: g, off, dx, .. } = grads;
        let Some(dy) = dy else { return };
        self.dpre.clear();
        self.dpre.extend(dy.iter().zip(&self.out).map(|(g, y)| match self.act {
            Activation::Relu => {
                if *y > 0.0 {
                    *g
                } else {
                    0.0
                }
            }
            Activation::Tanh => g * (1.0 - y * y),
            Activation::Linear => *g,
        }));
        let mut v = grad_views(g, off, &self.ranges).into_iter();
        let grads = DenseGrads { kernel: v.next().unwrap(), bias: v.next().unwrap(), dx };
        let d = DenseDims { b: self.n, i: self.i, o: self.o };
        dense::backward(d, x, &p[self.ranges[0].clone()], &self.dpre, grads);
    }
}
