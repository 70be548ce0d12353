//! Dropout as a layer: active when the network is given a random stream (training), the
//! identity otherwise. Reads and gives either shape; no tensors.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use strata_nn::{dropout, Rng};

use super::{Context, Grads, Layer, LayerType, Misfit, Reads, Rows, Shape};

/// `[[layer]] type = "dropout"`: inverted dropout of `rate`, in training only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropoutConfig {
    pub rate: f32,
}

impl LayerType for DropoutConfig {
    fn kind(&self) -> &'static str {
        "dropout"
    }

    fn reads(&self) -> Reads {
        Reads::Either
    }

    fn output(&self, at: Context) -> Result<Shape, Misfit> {
        if !(0.0..1.0).contains(&self.rate) {
            return Err("rate must be in [0, 1)".into());
        }
        Ok(at.input)
    }

    fn build(&self, _input: Shape, _output: Shape, _ranges: Vec<Range<usize>>) -> Box<dyn Layer> {
        Box::new(Dropout::new(self.rate))
    }
}

pub struct Dropout {
    rate: f32,
    out: Vec<f32>,
    mask: Vec<f32>,
}

impl Dropout {
    pub fn new(rate: f32) -> Self {
        Dropout { rate, out: Vec::new(), mask: Vec::new() }
    }
}

impl Layer for Dropout {
    fn forward(&mut self, _p: &[f32], x: &[f32], rows: Rows, _valid: Option<&[bool]>, rng: Option<&mut Rng>) -> Rows {
        self.out.clear();
        self.out.extend_from_slice(x);
        match rng {
            Some(rng) => dropout::forward(&mut self.out, &mut self.mask, self.rate, true, rng),
            None => self.mask.clear(),
        }
        rows
    }

    fn output(&self) -> &[f32] {
        &self.out
    }

    fn backward(&mut self, _p: &[f32], _x: &[f32], grads: Grads<'_>) {
        let (Some(dy), Some(dx)) = (grads.dy, grads.dx) else { return };
        dx.copy_from_slice(dy);
        if !self.mask.is_empty() {
            dropout::backward(dx, &self.mask);
        }
    }
}
