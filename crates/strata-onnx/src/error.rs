//! Why a model cannot be exported: one variant per reason, each with what to do instead, so the
//! command line can print it as the one `error: … (hint: …)` line.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ExportError {
    #[error("layer {layer} ({kind}) has no ONNX form in strata's exporter (hint: export seed, seed-stacked, gru, bilstm, kim-cnn or linear, or a model file of lstm, gru, conv1d, dropout and dense layers)")]
    Layer { layer: String, kind: &'static str },
    #[error("the model skips padding (--mask-padding), which the exporter does not write: ONNX's LSTM and GRU skip only padding after the text, given its lengths (hint: retrain without --mask-padding to export it)")]
    MaskPadding,
    #[error("the model's labels are '{kind}' (label_structure in config.json), and the exporter writes models of one label per text only (hint: export a model trained with one label per text)")]
    Labels { kind: &'static str },
    #[error("the linear model has {rows} input rows of {dim}, {bytes} bytes, over ONNX's 2 GB file limit (hint: retrain with fewer --buckets or a smaller --dim)")]
    TooLarge { rows: usize, dim: usize, bytes: usize },
    #[error("an ensemble has no one ONNX graph: its members read the text with their own tokenizers (hint: export each member's folder, member-0/, member-1/, …, and average their probabilities with its config.json weights)")]
    Ensemble,
    #[error("an NBSVM model reads n-gram hashes the tokenizer outside the graph would have to compute, and strata does not export it (hint: serve it with `strata serve`, or export a network or --model linear)")]
    Nbsvm,
    #[error("cannot encode the ONNX file: {0}")]
    Encode(String),
}
