//! The optimizers a run can use, and their per-parameter state within a stage.
//!
//! strata-nn has the update rules; this module picks one by [`OptimizerKind`], holds its state
//! for a stage ([`OptimizerState`]), and sets its learning rate as the schedule asks.

use strata_nn::optim::{sgd_step, Adadelta, Adam, ParamRange};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerKind {
    /// Keras defaults apart from the learning rate.
    Adam { lr: f32 },
    /// Plain gradient descent: θ ← θ − α∇L.
    Sgd { lr: f32 },
    /// Keras defaults (ρ 0.95, ε 1e-7) apart from the learning rate.
    Adadelta { lr: f32 },
}

impl OptimizerKind {
    pub fn lr(&self) -> f32 {
        match *self {
            OptimizerKind::Adam { lr } | OptimizerKind::Sgd { lr } | OptimizerKind::Adadelta { lr } => lr,
        }
    }
}

/// Optimizer state; a new one per stage.
pub enum OptimizerState {
    Adam(Adam),
    Sgd { lr: f32 },
    Adadelta(Adadelta),
}

impl OptimizerState {
    pub fn new(kind: OptimizerKind, n_params: usize) -> Self {
        match kind {
            OptimizerKind::Adam { lr } => OptimizerState::Adam(Adam::new(n_params, lr)),
            OptimizerKind::Sgd { lr } => OptimizerState::Sgd { lr },
            OptimizerKind::Adadelta { lr } => OptimizerState::Adadelta(Adadelta::new(n_params, lr)),
        }
    }

    pub(crate) fn set_lr(&mut self, lr: f32) {
        match self {
            OptimizerState::Adam(a) => a.lr = lr,
            OptimizerState::Sgd { lr: l } => *l = lr,
            OptimizerState::Adadelta(a) => a.lr = lr,
        }
    }

    pub(crate) fn step(&mut self, params: &mut [f32], grads: &[f32], groups: &[ParamRange]) {
        match self {
            OptimizerState::Adam(a) => a.step(params, grads, groups),
            OptimizerState::Sgd { lr } => sgd_step(params, grads, groups, *lr),
            OptimizerState::Adadelta(a) => a.step(params, grads, groups),
        }
    }
}
