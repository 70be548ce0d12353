//! `strata export --onnx`: a trained model as an ONNX file, so it runs where strata does not
//! (onnxruntime in Python, C#, Java, the browser). Token ids in, probabilities out: the
//! tokenizer stays outside the graph, and [`input_ids`] (`strata export --ids`) gives the ids
//! the graph reads, exactly as `strata predict` computes them.
//!
//! The messages are `onnx-protobuf`'s, generated from ONNX's own `onnx.proto` and shipped with
//! the crate (no `protoc` at build time), over rust-protobuf's runtime; the same crate decodes a
//! file back ([`decode`]), which the tests use. [`builder`] writes graphs, [`network`] the
//! layered models (with [`recurrent`] and [`conv`] for their layers), [`linear`] fastText's
//! model; [`error`] says why a model cannot be written.

#![forbid(unsafe_code)]

pub mod builder;
pub mod conv;
pub mod error;
pub mod linear;
pub mod network;
pub mod recurrent;

use protobuf::Message;
use strata_data::LabelMap;
use strata_model::classifier::Classifier;

pub use builder::{IR_VERSION, OPSET, PRODUCER};
pub use error::ExportError;
pub use onnx_protobuf as proto;

/// The graph's input: token ids (a network), or input-row ids (the linear model), int64.
pub const INPUT: &str = "input_ids";
/// The graph's output: class probabilities `[N, K]`, float.
pub const OUTPUT: &str = "probabilities";

/// The ONNX model of `model`.
pub fn export(model: &Classifier) -> Result<proto::ModelProto, ExportError> {
    match model {
        Classifier::Network(saved) => network::export(saved),
        Classifier::Linear(m) => linear::export(m),
        Classifier::Ensemble(_) => Err(ExportError::Ensemble),
        Classifier::Nbsvm(_) => Err(ExportError::Nbsvm),
    }
}

/// [`export`], encoded as the bytes of an `.onnx` file.
pub fn export_bytes(model: &Classifier) -> Result<Vec<u8>, ExportError> {
    export(model)?.write_to_bytes().map_err(|e| ExportError::Encode(e.to_string()))
}

/// An `.onnx` file's model, or why it is not one.
pub fn decode(bytes: &[u8]) -> Result<proto::ModelProto, protobuf::Error> {
    proto::ModelProto::parse_from_bytes(bytes)
}

/// Whether `bytes` are an ONNX file strata wrote (the only kind `export` replaces).
pub fn written_by_strata(bytes: &[u8]) -> bool {
    decode(bytes).is_ok_and(|m| m.producer_name == PRODUCER)
}

/// What the graph reads for each text: a network's padded token ids (`[T]` each, 0 padding),
/// or a linear model's input-row ids (as many as the text has; the graph's batch pads them
/// with −1). An ensemble has no one graph (`export` refuses it): no ids, an empty row a text.
pub fn input_ids(model: &Classifier, texts: &[&str]) -> Vec<Vec<i64>> {
    match model {
        Classifier::Network(saved) => {
            let t = saved.encoding().ids_per_text();
            let ids = saved.encode(texts);
            ids.chunks_exact(t.max(1)).map(|row| row.iter().map(|&i| i64::from(i)).collect()).collect()
        }
        Classifier::Linear(m) => {
            m.encode(texts).into_iter().map(|(rows, _)| rows.into_iter().map(i64::from).collect()).collect()
        }
        Classifier::Ensemble(_) => vec![Vec::new(); texts.len()],
        // its feature indices (no graph reads them: `export` refuses the model)
        Classifier::Nbsvm(m) => m.encode(texts).into_iter().map(|f| f.into_iter().map(i64::from).collect()).collect(),
    }
}

/// `id2label` as JSON, the model's metadata a consumer reads labels from.
fn labels_metadata(labels: &LabelMap) -> Vec<(String, String)> {
    vec![("id2label".into(), labels.id2label().to_string())]
}
