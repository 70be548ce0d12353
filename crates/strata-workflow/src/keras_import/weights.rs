//! A Keras chain's weights laid into a strata [`Model`]: the config built from the layers, then
//! each Keras weight copied into the strata tensor of the same role, its shape checked.
//!
//! The orders agree: a strata recurrent layer's tensors are Keras's `layer.weights` (kernel,
//! recurrent kernel, bias; the forward direction before the backward one), so each layer's
//! weights are zipped with its tensors in order. Two cases are not one-to-one: a `Dense` without
//! bias (strata's bias stays 0), and a two-way softmax output, which strata reads as one sigmoid
//! (`softmax(z)[1] = σ(z₁ − z₀)`, so the logit's kernel and bias are the columns' differences).

use strata_data::DataError;
use strata_model::layers::{Activation, DenseConfig, DropoutConfig, GruConfig, LayerSpec, LstmConfig};
use strata_model::model::{Model, ModelConfig, KERAS_EMBEDDING_INIT};
use strata_nn::Cell;

use super::architecture::{Architecture, KerasLayer, Role};
use super::keras_file::{KerasFile, Weight};

/// The strata model of `arch` with the weights of `file`.
pub fn build_model(file: &KerasFile, arch: &Architecture) -> Result<Model, DataError> {
    let config = model_config(arch).map_err(|m| DataError::new(&file.shown, None, m, UNSUPPORTED))?;
    let mut model = Model::zeros(config);
    let (embedding, rest) = arch.layers.split_first().expect("the architecture starts with an embedding");
    let (head, body) = rest.split_last().expect("the architecture ends with a dense output");
    let mut fill = Filler { file, model: &mut model };
    let w = fill.read(embedding, 1)?;
    fill.copy(embedding, "embedding.weight", &w[0])?;
    let placed = fill.model.placed.clone();
    for (layer, p) in body.iter().zip(&placed) {
        let tensors = p.spec.layer().tensors(p.input.width).unwrap_or_default();
        if tensors.is_empty() {
            continue;
        }
        let without_bias = matches!(layer.role, Role::Dense { use_bias: false, .. });
        let w = fill.read(layer, if without_bias { tensors.len() - 1 } else { tensors.len() })?;
        for (t, weight) in tensors.iter().zip(&w) {
            fill.copy(layer, &format!("{}.{}", p.name, t.name), weight)?;
        }
    }
    let Role::Dense { units, use_bias, .. } = head.role else { unreachable!("the head is a Dense") };
    let w = fill.read(head, if use_bias { 2 } else { 1 })?;
    if units == 2 {
        // softmax over two logits → one sigmoid logit z₁ − z₀
        let top = fill.model.config.top_width();
        fill.check(head, "head.kernel", &w[0], &[top, 2])?;
        if let Some(b) = w.get(1) {
            fill.check(head, "head.bias", b, &[2])?;
        }
        let (kernel, bias) = (&w[0], w.get(1));
        let diff_kernel = Weight {
            shape: vec![kernel.shape[0], 1],
            data: kernel.data.chunks_exact(2).map(|r| r[1] - r[0]).collect(),
        };
        fill.copy(head, "head.kernel", &diff_kernel)?;
        if let Some(b) = bias {
            fill.copy(head, "head.bias", &Weight { shape: vec![1], data: vec![b.data[1] - b.data[0]] })?;
        }
    } else {
        fill.copy(head, "head.kernel", &w[0])?;
        if let Some(b) = w.get(1) {
            fill.copy(head, "head.bias", b)?;
        }
    }
    Ok(model)
}

const SAVE_AGAIN: &str = "the file is damaged or not one Keras wrote; save the model again";
const UNSUPPORTED: &str = "strata imports the layers `strata import-keras --help` lists";

/// strata's config for the chain: the embedding's sizes, the body's layers, the head's classes.
fn model_config(arch: &Architecture) -> Result<ModelConfig, String> {
    let (vocab_size, embedding_dim, mask_padding) = match arch.layers[0].role {
        Role::Embedding { input_dim, output_dim, mask_zero } => (input_dim, output_dim, mask_zero),
        _ => unreachable!("checked by the architecture"),
    };
    let (head, body) = arch.layers[1..].split_last().expect("checked by the architecture");
    let mut layers: Vec<LayerSpec> = Vec::new();
    for l in body {
        layers.push(match &l.role {
            Role::Recurrent { cell: Cell::Lstm, units, bidirectional, .. } => {
                LstmConfig { units: *units, bidirectional: *bidirectional }.into()
            }
            Role::Recurrent { cell: Cell::Gru, units, bidirectional, .. } => {
                GruConfig { units: *units, bidirectional: *bidirectional }.into()
            }
            Role::Dropout { rate } => DropoutConfig { rate: *rate }.into(),
            Role::Dense { units, activation, .. } => {
                let activation = match activation.as_str() {
                    "relu" => Activation::Relu,
                    "tanh" => Activation::Tanh,
                    "linear" => Activation::Linear,
                    other => {
                        return Err(format!(
                            "layer '{}': a hidden Dense with activation '{other}' (strata has relu, tanh, linear)",
                            l.name
                        ))
                    }
                };
                DenseConfig { units: *units, activation }.into()
            }
            Role::Embedding { .. } => unreachable!("checked by the architecture"),
        });
    }
    let Role::Dense { units, .. } = head.role else { unreachable!("checked by the architecture") };
    let config = ModelConfig {
        architecture: "keras".into(),
        vocab_size,
        embedding_dim,
        layers,
        // Dense(1, sigmoid) and Dense(2, softmax) are both strata's two classes
        num_classes: units.max(2),
        embedding_init: KERAS_EMBEDDING_INIT,
        multichannel: false,
        mask_padding,
        multi_label: false,
    };
    config.validate().map_err(|e| format!("strata cannot run this model: {e}"))?;
    Ok(config)
}

/// Reads layers' weights from the file and writes them into the model, checking shapes.
struct Filler<'a> {
    file: &'a KerasFile,
    model: &'a mut Model,
}

impl Filler<'_> {
    /// The layer's weights, which must be `count`.
    fn read(&self, layer: &KerasLayer, count: usize) -> Result<Vec<Weight>, DataError> {
        let w = self.file.layer_weights(&layer.name, &layer.path, &layer.role.variables())?;
        if w.len() != count {
            let message = format!("layer '{}' has {} weights, its config says {count}", layer.name, w.len());
            return Err(DataError::new(&self.file.shown, None, message, SAVE_AGAIN));
        }
        Ok(w)
    }

    fn copy(&mut self, layer: &KerasLayer, tensor: &str, w: &Weight) -> Result<(), DataError> {
        let spec = self.model.params.find(tensor).expect("the tensor is the model's").clone();
        self.check(layer, tensor, w, &spec.shape)?;
        self.model.params.data[spec.range].copy_from_slice(&w.data);
        Ok(())
    }

    /// The weight for `tensor` must have `shape` (and as many values).
    fn check(&self, layer: &KerasLayer, tensor: &str, w: &Weight, shape: &[usize]) -> Result<(), DataError> {
        if w.shape != shape || w.data.len() != shape.iter().product::<usize>() {
            let message =
                format!("layer '{}': a weight of shape {:?} where {tensor} needs {shape:?}", layer.name, w.shape);
            return Err(DataError::new(&self.file.shown, None, message, SAVE_AGAIN));
        }
        Ok(())
    }
}
