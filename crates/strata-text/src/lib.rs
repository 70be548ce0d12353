//! Text preprocessing with the exact semantics of tf-keras's `Tokenizer` and `pad_sequences`.
//!
//! Keras 3 deprecated these two functions, yet most text-classification code in the wild rests on
//! them, so strata keeps their behaviour bit for bit (checked by golden tests against tf-keras in
//! `tests/golden.rs`): index 0 is reserved for padding, the OOV token (if any) is index 1, words
//! are ranked by count with ties broken by first occurrence, and `num_words` counts index 0.

#![forbid(unsafe_code)]

mod pad;
pub mod subwords;
mod tokenizer;
mod vocab;

pub use pad::{pad_sequence_into, pad_sequences, PadSequences, Side, UnknownSide};
pub use tokenizer::{text_to_word_sequence, Segmenter, Tokenizer, TokenizerConfig, KERAS_FILTERS};
pub use vocab::{VocabError, VOCAB_FORMAT, VOCAB_FORMAT_VERSION};
