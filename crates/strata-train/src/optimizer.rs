//! The optimizers a run can use, and their per-parameter state within a stage.
//!
//! strata-nn has the update rules; this module picks one by [`OptimizerKind`], holds its state
//! for a stage ([`OptimizerState`]), sets its learning rate as the schedule asks, and takes and
//! restores the state a checkpoint keeps ([`OptimizerSnapshot`]).

use strata_nn::optim::{sgd_step_lazy, Adadelta, Adam, ParamRange, TableRows};

use crate::error::ResumeError;

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

    /// The learning rate of the next step (before per-group multipliers).
    pub(crate) fn lr(&self) -> f32 {
        match self {
            OptimizerState::Adam(a) => a.lr,
            OptimizerState::Sgd { lr } => *lr,
            OptimizerState::Adadelta(a) => a.lr,
        }
    }

    pub(crate) fn set_lr(&mut self, lr: f32) {
        match self {
            OptimizerState::Adam(a) => a.lr = lr,
            OptimizerState::Sgd { lr: l } => *l = lr,
            OptimizerState::Adadelta(a) => a.lr = lr,
        }
    }

    /// One step over `groups`. `grads` is the gradient of the last `grads.len()` parameters;
    /// with `rows`, the group of `rows`' table takes its gradient from them (and `grads` may
    /// start after it), updated at those rows alone if `rows.lazy` (only where
    /// [`OptimizerState::updates_rows_lazily`]), else at every row.
    pub(crate) fn step(&mut self, params: &mut [f32], grads: &[f32], groups: &[ParamRange], rows: Option<TableRows>) {
        match self {
            OptimizerState::Adam(a) => a.step_lazy(params, grads, groups, rows),
            OptimizerState::Sgd { lr } => sgd_step_lazy(params, grads, groups, *lr, rows),
            OptimizerState::Adadelta(a) => a.step_rows(params, grads, groups, rows),
        }
    }

    /// Whether this optimizer has a lazy form that updates only a table's used rows
    /// (`--sparse-embedding-updates`): Adam (PyTorch's SparseAdam, TF's LazyAdam) and SGD (whose
    /// dense step moves no row without gradient anyway). Adadelta has none: it decays every
    /// row's running averages, and no reference implementation skips them.
    pub fn updates_rows_lazily(&self) -> bool {
        !matches!(self, OptimizerState::Adadelta(_))
    }

    pub fn name(&self) -> &'static str {
        match self {
            OptimizerState::Adam(_) => "adam",
            OptimizerState::Sgd { .. } => "sgd",
            OptimizerState::Adadelta(_) => "adadelta",
        }
    }

    /// The per-parameter state a checkpoint keeps; `None` for SGD, which has none.
    pub fn snapshot(&self) -> Option<OptimizerSnapshot> {
        match self {
            OptimizerState::Adam(a) => Some(OptimizerSnapshot::Adam { m: a.m.clone(), v: a.v.clone(), t: a.t }),
            OptimizerState::Sgd { .. } => None,
            OptimizerState::Adadelta(a) => {
                Some(OptimizerSnapshot::Adadelta { acc_grad: a.acc_grad.clone(), acc_update: a.acc_update.clone() })
            }
        }
    }

    /// Continues from a checkpoint's state. Errs if it is another optimizer's, or sized for
    /// another model.
    pub fn restore(&mut self, snapshot: OptimizerSnapshot) -> Result<(), ResumeError> {
        let name = self.name();
        match (self, snapshot) {
            (OptimizerState::Adam(a), OptimizerSnapshot::Adam { m, v, t }) => {
                fits(name, [m.len(), v.len()], [a.m.len(), a.v.len()])?;
                (a.m, a.v, a.t) = (m, v, t);
            }
            (OptimizerState::Adadelta(a), OptimizerSnapshot::Adadelta { acc_grad, acc_update }) => {
                fits(name, [acc_grad.len(), acc_update.len()], [a.acc_grad.len(), a.acc_update.len()])?;
                (a.acc_grad, a.acc_update) = (acc_grad, acc_update);
            }
            (_, snapshot) => return Err(ResumeError::Optimizer { saved: snapshot.name(), run: name }),
        }
        Ok(())
    }
}

/// Whether the lengths of an `optimizer`'s saved state vectors are this run's.
fn fits(optimizer: &'static str, saved: [usize; 2], run: [usize; 2]) -> Result<(), ResumeError> {
    match saved.iter().zip(&run).find(|(s, r)| s != r) {
        Some((&saved, &run)) => Err(ResumeError::OptimizerSize { optimizer, saved, run }),
        None => Ok(()),
    }
}

/// An optimizer's per-parameter state within a stage, as a checkpoint keeps it (in the
/// parameter layout). SGD has none.
#[derive(Clone, Debug, PartialEq)]
pub enum OptimizerSnapshot {
    /// Adam's first and second moments, and the steps taken (its bias correction's `t`).
    Adam { m: Vec<f32>, v: Vec<f32>, t: u64 },
    /// Adadelta's running averages of squared gradients and of squared updates.
    Adadelta { acc_grad: Vec<f32>, acc_update: Vec<f32> },
}

impl OptimizerSnapshot {
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerSnapshot::Adam { .. } => "adam",
            OptimizerSnapshot::Adadelta { .. } => "adadelta",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_restores_only_into_its_own_optimizer() {
        let mut adam = OptimizerState::new(OptimizerKind::Adam { lr: 0.1 }, 2);
        adam.step(&mut [1.0, 2.0], &[0.5, -0.5], &[ParamRange { range: 0..2, lr_mult: 1.0 }], None);
        let snap = adam.snapshot().unwrap();
        let mut fresh = OptimizerState::new(OptimizerKind::Adam { lr: 0.1 }, 2);
        fresh.restore(snap.clone()).unwrap();
        assert_eq!(fresh.snapshot(), Some(snap.clone()));
        let mut adadelta = OptimizerState::new(OptimizerKind::Adadelta { lr: 1.0 }, 2);
        let err = adadelta.restore(snap).unwrap_err();
        assert_eq!(err, ResumeError::Optimizer { saved: "adam", run: "adadelta" });
        assert!(err.to_string().contains("adam state") && err.to_string().contains("adadelta optimizer"), "{err}");
        let mut small = OptimizerState::new(OptimizerKind::Adadelta { lr: 1.0 }, 1);
        assert_eq!(
            small.restore(adadelta.snapshot().unwrap()),
            Err(ResumeError::OptimizerSize { optimizer: "adadelta", saved: 2, run: 1 }),
            "sized for another model"
        );
        assert_eq!(OptimizerState::new(OptimizerKind::Sgd { lr: 0.1 }, 2).snapshot(), None);
    }
}
