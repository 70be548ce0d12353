//! A layered model (`strata train --model seed|seed-stacked|gru|bilstm|kim-cnn`, or a model file
//! of the same layer types) as one ONNX graph: `input_ids` int64 `[N, T]` (the ids `strata`
//! encodes: the tokenizer, padding and truncation stay outside the graph) → `Gather` on the
//! embedding → the body → the head → `probabilities` float `[N, K]`, two columns for a sigmoid
//! head (`1 − p`, `p`), as `strata predict` prints them.
//!
//! Sequences flow time-major (`[T, N, D]`), as strata and ONNX's recurrent operators keep them.
//! Dropout is the identity at inference and writes nothing.

use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::ModelProto;
use strata_model::folder::SavedModel;
use strata_model::head::Output;
use strata_model::label_structure::LabelStructure;
use strata_model::layers::{Activation, LayerSpec};
use strata_model::model::STATIC_EMBEDDING;
use strata_nn::ParamStore;

use crate::builder::{Attr, Dim, Flow, Graph};
use crate::error::ExportError;
use crate::{conv, recurrent, INPUT, OUTPUT};

/// Refuses what the exporter cannot write, before anything is built.
fn check(saved: &SavedModel) -> Result<(), ExportError> {
    if saved.structure != LabelStructure::Single {
        return Err(ExportError::Labels { kind: saved.structure.kind() });
    }
    if saved.model.config.mask_padding {
        return Err(ExportError::MaskPadding);
    }
    for layer in &saved.model.placed {
        let writable = matches!(
            layer.spec,
            LayerSpec::Lstm(_) | LayerSpec::Gru(_) | LayerSpec::Conv1d(_) | LayerSpec::Dropout(_) | LayerSpec::Dense(_)
        );
        if !writable {
            return Err(ExportError::Layer { layer: layer.name.clone(), kind: layer.spec.layer().kind() });
        }
    }
    Ok(())
}

/// The graph of `saved`.
pub fn export(saved: &SavedModel) -> Result<ModelProto, ExportError> {
    check(saved)?;
    let (model, p) = (&saved.model, &saved.model.params);
    let config = &model.config;
    let t = saved.encoding().ids_per_text();
    let mut g = Graph::default();
    g.input(
        INPUT,
        DataType::INT64,
        &[Dim::Named("N"), Dim::Fixed(t)],
        "token ids as `strata export --ids` writes them (0 is padding)",
    );
    let ids = g.op("Transpose", &[INPUT], vec![("perm", Attr::Ints(vec![1, 0]))]);
    let e = config.embedding_dim;
    let table = g.floats("embedding.weight", &[config.vocab_size, e], p.get("embedding.weight"));
    let mut x = g.op("Gather", &[&table, &ids], vec![("axis", Attr::Int(0))]);
    if config.multichannel {
        // Kim's static copy beside the trained one: [trained ; static] per token
        let fixed = g.floats(STATIC_EMBEDDING, &[config.vocab_size, e], p.get(STATIC_EMBEDDING));
        let other = g.op("Gather", &[&fixed, &ids], vec![("axis", Attr::Int(0))]);
        x = g.op("Concat", &[&x, &other], vec![("axis", Attr::Int(2))]);
    }
    let mut flow = Flow { name: x, sequence: true };
    for layer in &model.placed {
        flow = match &layer.spec {
            LayerSpec::Lstm(c) => recurrent::lstm(&mut g, p, layer, c, &flow),
            LayerSpec::Gru(c) => recurrent::gru(&mut g, p, layer, c, &flow),
            LayerSpec::Conv1d(c) => conv::conv1d(&mut g, p, layer, c, &flow),
            LayerSpec::Dense(c) => {
                let name = dense(&mut g, p, &flow.name, &layer.name, [layer.input.width, c.units]);
                let name = match c.activation {
                    Activation::Relu => g.op("Relu", &[&name], vec![]),
                    Activation::Tanh => g.op("Tanh", &[&name], vec![]),
                    Activation::Linear => name,
                };
                Flow { name, sequence: false }
            }
            LayerSpec::Dropout(_) => flow,
            _ => unreachable!("check() refused the other layer types"),
        };
    }
    debug_assert!(!flow.sequence, "the model's top gives one vector per text");
    let top = model.placed.last().map_or(config.input_width(), |l| l.output.width);
    let logits = dense(&mut g, p, &flow.name, "head", [top, config.outputs()]);
    let probs = match config.output() {
        Output::Sigmoid => {
            let p1 = g.op("Sigmoid", &[&logits], vec![]);
            let one = g.floats("one", &[1], &[1.0]);
            let p0 = g.op("Sub", &[&one, &p1], vec![]);
            g.op("Concat", &[&p0, &p1], vec![("axis", Attr::Int(1))])
        }
        Output::Softmax { .. } => g.op("Softmax", &[&logits], vec![("axis", Attr::Int(1))]),
        // several labels a text: one sigmoid each (the thresholds stay in config.json)
        Output::MultiSigmoid { .. } => g.op("Sigmoid", &[&logits], vec![]),
    };
    let k = saved.labels.len();
    g.output(&probs, OUTPUT, &[Dim::Named("N"), Dim::Fixed(k)], "class probabilities, columns in id2label's order");
    let doc = format!(
        "strata {} model: input_ids int64 [N, {t}] (strata's tokenizer and padding, outside the graph: \
         `strata export --ids`) -> probabilities float [N, {k}]",
        config.architecture
    );
    let pad = &saved.pad;
    let mut meta = crate::labels_metadata(&saved.labels);
    meta.push(("maxlen".into(), pad.maxlen.to_string()));
    meta.push(("padding".into(), format!("{:?}", pad.padding).to_lowercase()));
    meta.push(("truncating".into(), format!("{:?}", pad.truncating).to_lowercase()));
    meta.push(("architecture".into(), config.architecture.clone()));
    Ok(g.into_model(&config.architecture, doc, meta))
}

/// `x · kernel + bias` with the tensors `{prefix}.kernel` `[D, U]` and `{prefix}.bias` `[U]`.
fn dense(g: &mut Graph, p: &ParamStore, x: &str, prefix: &str, [d, u]: [usize; 2]) -> String {
    let (kernel, bias) = (format!("{prefix}.kernel"), format!("{prefix}.bias"));
    let w = g.floats(&kernel, &[d, u], p.get(&kernel));
    let b = g.floats(&bias, &[u], p.get(&bias));
    let m = g.op("MatMul", &[x, &w], vec![]);
    g.op("Add", &[&m, &b], vec![])
}
