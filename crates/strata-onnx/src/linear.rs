//! fastText's linear model (`--model linear`) as an ONNX graph. The text's features — its
//! words and its hashed word and character n-grams — are computed outside the graph, by the
//! same code `strata predict` uses, and go in as the ids of the model's input rows
//! (`strata export --ids` writes them); the graph is the model proper: the mean of those rows
//! (EmbeddingBag-style, as `Gather` + a masked `ReduceSum` over a padded row list) and the
//! linear classifier with its softmax or one-vs-all sigmoids.
//!
//! We export the ids precomputed rather than hashing in the graph: fastText's hash and n-gram
//! rules over strings are not ONNX operators, and a second implementation of them would be
//! one more thing to keep equal to the first.
//!
//! Input `input_ids` int64 `[N, L]`: each text's row ids, padded with −1 to the longest text of
//! the batch. A text with no rows (nothing known in it) gets the zero vector, as in strata.

use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::ModelProto;
use strata_model::linear::{LinearLoss, LinearModel};

use crate::builder::{Attr, Dim, Graph};
use crate::error::ExportError;
use crate::{INPUT, OUTPUT};

/// What one protobuf message may hold, less room for everything but the input rows.
const MAX_TABLE_BYTES: usize = (1 << 31) - (64 << 20);

/// The graph of `m`.
pub fn export(m: &LinearModel) -> Result<ModelProto, ExportError> {
    let (rows, dim, k) = (m.rows(), m.config.dim, m.labels.len());
    let bytes = rows.saturating_mul(dim).saturating_mul(4);
    if bytes > MAX_TABLE_BYTES {
        return Err(ExportError::TooLarge { rows, dim, bytes });
    }
    let mut g = Graph::default();
    let doc =
        "ids of the text's input rows (words, then hashed n-grams) as `strata export --ids` writes them, -1 padding";
    g.input(INPUT, DataType::INT64, &[Dim::Named("N"), Dim::Named("L")], doc);
    // mask [N, L]: 1 for a row, 0 for padding; ids clamped to 0 so padding gathers a real row
    let zero = g.ints("zero", &[0]);
    let is_row = g.op("GreaterOrEqual", &[INPUT, &zero], vec![]);
    let mask = g.op("Cast", &[&is_row], vec![("to", Attr::Int(DataType::FLOAT as i64))]);
    let safe = g.op("Max", &[INPUT, &zero], vec![]);
    let table = g.floats("input", &[rows, dim], &m.input);
    let gathered = g.op("Gather", &[&table, &safe], vec![("axis", Attr::Int(0))]);
    let axis2 = g.ints("axes", &[2]);
    let mask3 = g.op("Unsqueeze", &[&mask, &axis2], vec![]);
    let kept = g.op("Mul", &[&gathered, &mask3], vec![]);
    let axis1 = g.ints("axes", &[1]);
    let sum = g.op("ReduceSum", &[&kept, &axis1], vec![("keepdims", Attr::Int(0))]);
    // fastText multiplies by the reciprocal of the count; an empty text keeps its zero sum
    let count = g.op("ReduceSum", &[&mask, &axis1], vec![("keepdims", Attr::Int(1))]);
    let one = g.floats("one", &[1], &[1.0]);
    let count = g.op("Max", &[&count, &one], vec![]);
    let inv = g.op("Reciprocal", &[&count], vec![]);
    let hidden = g.op("Mul", &[&sum, &inv], vec![]);
    // output is [K, dim]: logits = hidden · outputᵀ
    let output = g.floats("output", &[k, dim], &m.output);
    let logits = g.op("Gemm", &[&hidden, &output], vec![("transB", Attr::Int(1))]);
    let probs = match m.config.loss {
        LinearLoss::Softmax => g.op("Softmax", &[&logits], vec![("axis", Attr::Int(1))]),
        LinearLoss::OneVsAll => g.op("Sigmoid", &[&logits], vec![]),
    };
    g.output(&probs, OUTPUT, &[Dim::Named("N"), Dim::Fixed(k)], "class probabilities, columns in id2label's order");
    let doc = format!(
        "strata linear model: input_ids int64 [N, L] (row ids of words and hashed n-grams, -1 padding: \
         `strata export --ids`) -> probabilities float [N, {k}]"
    );
    let mut meta = crate::labels_metadata(&m.labels);
    meta.push(("architecture".into(), "linear".into()));
    meta.push(("padding_id".into(), "-1".into()));
    Ok(g.into_model("linear", doc, meta))
}
