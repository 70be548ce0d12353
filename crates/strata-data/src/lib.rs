//! Getting labelled text into strata: file readers, label maps, and the splits that
//! training and cross-validation use.
//!
//! Every reader error names the file and, where there is one, the line, and carries a hint;
//! the CLI prints it as one line and exits with code 2.

#![forbid(unsafe_code)]

mod encoding;
mod error;
mod label_checks;
mod label_tree;
mod labels;
mod line_shards;
mod multi_labels;
mod readers;
mod split;
mod unlabelled;
mod vectors;

pub use error::{DataError, UnknownFormat};
pub use label_tree::{check_label_paths, read_taxonomy, LabelTree, Taxonomy};
pub use labels::LabelMap;
pub use line_shards::{read_byte_range, shard_byte_range, Shard};
pub use multi_labels::{parse_multi_examples, read_multi_examples, MultiExample, MultiReadOptions};
pub use readers::{parse_examples, read_examples, Example, Format, ReadOptions};
pub use split::{shuffled, stratified_kfold, stratified_split};
pub use unlabelled::{byte_order_mark_len, parse_input_lines, parse_inputs, read_inputs};
pub use vectors::{peek_dim, read_vectors, VectorFormat, Vectors};
