//! Mean and max over time, of the steps that are not padding (as Keras's pooling layers do
//! under `mask_zero`). Reads `[T, N, D]`, gives `[N, D]`; no tensors.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use strata_nn::{attention, conv1d, Rng};

use super::{Context, Grads, Layer, LayerType, Misfit, Reads, Rows, Shape};

/// `[[layer]] type = "mean_pool"`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeanPoolConfig {}

/// `[[layer]] type = "max_pool"`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxPoolConfig {}

macro_rules! pool_type {
    ($config:ty, $kind:literal, $max:literal) => {
        impl LayerType for $config {
            fn kind(&self) -> &'static str {
                $kind
            }

            fn reads(&self) -> Reads {
                Reads::Sequence
            }

            fn output(&self, at: Context) -> Result<Shape, Misfit> {
                Ok(Shape { sequence: false, ..at.input })
            }

            fn build(&self, input: Shape, _output: Shape, _ranges: Vec<Range<usize>>) -> Box<dyn Layer> {
                Box::new(Pool::new(input.width, $max))
            }

            fn reads_padding_mask(&self) -> bool {
                true
            }
        }
    };
}

pool_type!(MeanPoolConfig, "mean_pool", false);
pool_type!(MaxPoolConfig, "max_pool", true);

/// Mean or max over time, of the steps that are not padding.
pub struct Pool {
    d: usize,
    max: bool,
    out: Vec<f32>,
    argmax: Vec<usize>,
    rows: Rows,
    /// `[T, N]` the mask of the last forward (empty: every step)
    valid: Vec<bool>,
    /// max: the input with padding steps at −∞
    masked: Vec<f32>,
}

impl Pool {
    pub fn new(d: usize, max: bool) -> Self {
        Pool {
            d,
            max,
            out: Vec::new(),
            argmax: Vec::new(),
            rows: Rows { n: 0, t: 0 },
            valid: Vec::new(),
            masked: Vec::new(),
        }
    }
}

impl Layer for Pool {
    fn forward(&mut self, _p: &[f32], x: &[f32], rows: Rows, valid: Option<&[bool]>, _: Option<&mut Rng>) -> Rows {
        self.rows = rows;
        let (n, t, d) = (rows.n, rows.t, self.d);
        self.out.resize(n * d, 0.0);
        self.valid.clear();
        self.valid.extend_from_slice(valid.unwrap_or(&[]));
        let valid = valid.map(|_| &self.valid[..]);
        if self.max {
            self.argmax.resize(n * d, 0);
            let x = match valid {
                Some(v) => {
                    self.masked.clear();
                    self.masked.extend_from_slice(x);
                    for bi in (0..n).filter(|&bi| (0..t).any(|s| v[s * n + bi])) {
                        for s in (0..t).filter(|&s| !v[s * n + bi]) {
                            self.masked[(s * n + bi) * d..(s * n + bi + 1) * d].fill(f32::NEG_INFINITY);
                        }
                    }
                    &self.masked[..]
                }
                None => x,
            };
            conv1d::max_over_time(t, n, d, x, &mut self.out, &mut self.argmax);
        } else {
            attention::mean_forward(t, n, d, x, valid, &mut self.out);
        }
        Rows { n, t: 1 }
    }

    fn output(&self) -> &[f32] {
        &self.out
    }

    fn backward(&mut self, _p: &[f32], _x: &[f32], grads: Grads<'_>) {
        let (Some(dy), Some(dx)) = (grads.dy, grads.dx) else { return };
        let Rows { n, t } = self.rows;
        if self.max {
            conv1d::max_over_time_backward(n, self.d, dy, &self.argmax, dx);
        } else {
            let valid = (!self.valid.is_empty()).then_some(&self.valid[..]);
            attention::mean_backward(t, n, self.d, dy, valid, dx);
        }
    }
}
