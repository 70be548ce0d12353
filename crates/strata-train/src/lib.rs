//! Training: schedules of stages, the fit loop that runs them, checkpoints and the per-epoch
//! history.
//!
//! [`schedule`] turns a named strategy (end-to-end, layerwise, deep supervision, gradual
//! unfreezing) or a TOML file into stages of [`strata_model::plan::Plan`]s; [`trainer`] runs
//! them (shuffled mini-batches, one chunk per core, summed gradients, an optimizer step over the
//! trainable groups, early stopping, divergence rollback) with what [`mod@fit`] defines (options,
//! records, progress hooks, the checkpointed state); [`checkpoint`] saves and restores where
//! training stands; [`history`] writes the per-epoch log; [`error`] has the errors a schedule
//! and a resumed run can end with.

#![forbid(unsafe_code)]

mod batch;
mod bucket;
pub mod checkpoint;
pub mod class_weight;
pub mod data_parallel;
pub mod embedding_grad;
pub mod error;
pub mod fit;
pub mod history;
pub mod level_pipeline;
pub mod linear;
mod linear_overlay;
pub mod multi_hot;
pub mod nbsvm;
mod optimizer;
pub mod pretrain;
pub mod ranks;
pub mod schedule;
pub mod trainer;

pub use error::{ResumeError, ScheduleError};
pub use fit::{EpochRecord, FitInput, FitOptions, OptimizerKind, Progress, Silent};
pub use strata_model::{Dataset, Model, ModelConfig};
pub use trainer::{fit, fit_schedule, fit_schedule_from};
