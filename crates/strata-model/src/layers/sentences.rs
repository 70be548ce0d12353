//! The hierarchical boundary of a HAN: sentence vectors `[B·S, D]` (row `b·S + s`) become a
//! time-major sequence of `S` steps per document, `[S, B, D]`. The layers below it read each
//! sentence (up to `count` per text, `maxlen` words each), the layers above the sequence of a
//! text's sentences. No tensors.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use strata_nn::Rng;

use super::{at_least_one, Context, Grads, Layer, LayerType, Misfit, Reads, Rows, Shape};

/// `[[layer]] type = "sentences"`, with `count` sentences per text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentencesConfig {
    pub count: usize,
}

impl LayerType for SentencesConfig {
    fn kind(&self) -> &'static str {
        "sentences"
    }

    fn reads(&self) -> Reads {
        Reads::Vector
    }

    fn output(&self, at: Context) -> Result<Shape, Misfit> {
        if at.input.sequence || !at.input.sentence_rows {
            return Err("needs one vector per sentence below it (e.g. attention) and comes once".into());
        }
        at_least_one(&[self.count])?;
        Ok(Shape { sequence: true, sentence_rows: false, ..at.input })
    }

    fn build(&self, input: Shape, _output: Shape, _ranges: Vec<Range<usize>>) -> Box<dyn Layer> {
        Box::new(Sentences::new(input.width, self.count))
    }

    fn sentences(&self) -> Option<usize> {
        Some(self.count)
    }
}

pub struct Sentences {
    d: usize,
    s: usize,
    out: Vec<f32>,
    docs: usize,
}

impl Sentences {
    pub fn new(d: usize, s: usize) -> Self {
        Sentences { d, s, out: Vec::new(), docs: 0 }
    }
}

impl Layer for Sentences {
    fn forward(&mut self, _p: &[f32], x: &[f32], rows: Rows, _valid: Option<&[bool]>, _: Option<&mut Rng>) -> Rows {
        let (s, d) = (self.s, self.d);
        self.docs = rows.n / s;
        let b = self.docs;
        self.out.resize(rows.n * d, 0.0);
        for bi in 0..b {
            for si in 0..s {
                self.out[(si * b + bi) * d..(si * b + bi + 1) * d]
                    .copy_from_slice(&x[(bi * s + si) * d..(bi * s + si + 1) * d]);
            }
        }
        Rows { n: b, t: s }
    }

    fn output(&self) -> &[f32] {
        &self.out
    }

    fn backward(&mut self, _p: &[f32], _x: &[f32], grads: Grads<'_>) {
        let (Some(dy), Some(dx)) = (grads.dy, grads.dx) else { return };
        let (s, d, b) = (self.s, self.d, self.docs);
        for bi in 0..b {
            for si in 0..s {
                dx[(bi * s + si) * d..(bi * s + si + 1) * d]
                    .copy_from_slice(&dy[(si * b + bi) * d..(si * b + bi + 1) * d]);
            }
        }
    }
}
