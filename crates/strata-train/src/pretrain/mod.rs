//! Pretraining: levels learned from unlabelled text before any label is seen, the first stage of
//! hierarchical learning as large models do it. [`skipgram`] learns word vectors for the
//! `embedding` level (word2vec's skip-gram with negative sampling); [`language_model`] learns
//! the embedding and the recurrent levels above it by predicting the next word (sampled softmax,
//! truncated BPTT). Both read a [`corpus::Corpus`] of token ids and write tensors under the
//! dotted names the classifier uses, so `--init-from` loads them by name.

pub mod corpus;
pub mod language_model;
pub mod lm_checkpoint;
mod lm_network;
mod lm_stream;
pub mod skipgram;
pub mod subwords;
