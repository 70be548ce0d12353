//! Workflows: from labelled text files to trained, compared and probed models — the steps
//! `strata train`, `test`, `predict`, `cv` and `experiment` share.
//!
//! [`pipeline`] fits the tokenizer, encodes, trains through strata-train and packs a saved
//! model; [`splits`] makes the held-out parts (k-fold, hold-out) and scores them;
//! [`experiment`] runs several schedules on the same splits; [`probe`] fits linear probes on
//! every level's representation; [`ulmfit`] fine-tunes a pretrained language model on the
//! training texts before the classifier; [`tune`] searches hyperparameters within a
//! budget (Hyperband over epochs); [`keras_import`] makes a Keras model and tokenizer into a
//! model folder; [`error`] has the one error they end with.

#![forbid(unsafe_code)]

pub mod continue_head;
mod dealt;
pub mod error;
pub mod experiment;
pub mod experiment_multi;
pub mod hierarchies;
pub mod init_from;
pub mod keras_import;
pub mod linear;
pub mod model_card;
pub mod multi_label;
pub mod multi_label_network;
pub mod multi_label_run;
pub mod nbsvm;
pub mod pipeline;
pub mod pretrain;
pub mod pretrain_from;
pub mod probe;
pub mod splits;
pub mod tune;
pub mod ulmfit;

pub use error::WorkflowError;
