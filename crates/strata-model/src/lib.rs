//! Models: what a text classifier is and how it runs, without any training.
//!
//! A model is an embedding, a list of layers (one module per layer type in [`layers`], each
//! owning its config, tensors, shape rule and runtime) and a classifier head. [`model`] lays
//! out and initialises the flat parameter store ([`multichannel`]: Kim's static second copy of
//! the embedding), [`zoo`] and [`model_file`] build the layer
//! lists, [`network`] runs forward and backward over one chunk as a [`plan::Plan`] says,
//! [`infer`] predicts and scores, [`explain`] attributes a prediction to tokens, and
//! [`folder`] saves and loads model folders atomically. The trainer (strata-train) and the
//! server (strata-serve) both stand on this crate; it imports neither. [`limits`] states the
//! sizes strata refuses before allocating.

#![forbid(unsafe_code)]

pub mod adversarial;
pub mod atomic;
pub mod classifier;
pub mod encode;
pub mod ensemble;
pub mod error;
pub mod explain;
pub mod folded_inputs;
pub mod folder;
pub mod group;
pub mod head;
pub mod hierarchical_metrics;
mod id_groups;
pub mod infer;
pub mod label_structure;
pub mod layers;
pub mod level_heads;
pub mod limits;
pub mod linear;
pub mod metrics;
pub mod model;
pub mod model_file;
pub mod multi_label;
pub mod multichannel;
pub mod nbsvm;
pub mod network;
pub mod owned;
pub mod plan;
pub mod pretrained;
pub mod reject;
pub mod shared_sentences;
pub mod step_window;
pub mod stored_reject;
pub mod toml_lines;
pub mod tree_answer;
pub mod tree_decode;
pub mod zoo;

pub use classifier::Classifier;
pub use error::ModelError;
pub use infer::{evaluate, predict_logits, Dataset, Evaluation};
pub use model::{Model, ModelConfig};
