//! Dropout as a layer: active when the network is given a random stream (training), the
//! identity otherwise.

use strata_nn::{dropout, Rng};

use super::{Grads, Layer, Rows};

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
