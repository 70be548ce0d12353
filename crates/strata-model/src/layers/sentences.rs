//! The hierarchical boundary of a HAN: sentence vectors `[B·S, D]` (row `b·S + s`) become a
//! time-major sequence of `S` steps per document, `[S, B, D]`.

use strata_nn::Rng;

use super::{Grads, Layer, Rows};

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
