//! Models, training and evaluation: everything between padded ids and a saved model folder.
//!
//! `model` lays out and initialises parameters, `network` runs forward/backward over one chunk,
//! `fit` is the loop (batches, chunks per core, optimizer), `metrics` scores predictions,
//! `folder` saves and loads model folders atomically, `pipeline` ties text files to all of it
//! (train, test, predict, cross-validation), and `history` writes the per-epoch log.

pub mod atomic;
pub mod checkpoint;
mod embedding_grad;
pub mod encode;
pub mod experiment;
pub mod explain;
pub mod fit;
pub mod infer;
pub mod layer_spec;
mod layers;
pub mod metrics;
pub mod model;
pub mod model_file;
pub mod network;

pub use fit::{
    fit, fit_schedule, fit_schedule_from, Dataset, EpochRecord, FitOptions, OptimizerKind, Progress, Silent,
};
pub use infer::{evaluate, predict_logits, Evaluation};
pub use model::{Model, ModelConfig};
pub mod folder;
pub mod history;
pub mod pipeline;
pub mod probe;
pub mod schedule;
pub mod splits;
pub mod zoo;
