//! The named models `--model` builds: each a list of layers (and, for kim-cnn, Kim's embedding
//! initialiser), with the knobs the CLI exposes.

use crate::error::ModelError;
use crate::layers::{AttentionConfig, Conv1dConfig, DropoutConfig, GruConfig, LayerSpec, LstmConfig, SentencesConfig};
use crate::model::{ModelSettings, KERAS_EMBEDDING_INIT};

/// The models `--model` names.
pub const NAMED_MODELS: [&str; 6] = ["seed", "seed-stacked", "gru", "bilstm", "kim-cnn", "han"];

/// The knobs of a named model; `None` takes the model's own default.
#[derive(Clone, Copy, Debug, Default)]
pub struct Knobs {
    /// `--units`: recurrent units per direction, or feature maps per width for kim-cnn.
    pub units: Option<usize>,
    /// `--layers`: stacked recurrent layers.
    pub layers: Option<usize>,
    /// `--max-sentences`: sentences per document (han).
    pub sentences: Option<usize>,
}

/// The embedding initialiser bound a named model starts from: Kim's ±0.25 for kim-cnn
/// (random vectors with about word2vec's variance), Keras's ±0.05 otherwise.
pub fn named_embedding_init(name: &str) -> f32 {
    if name == "kim-cnn" {
        0.25
    } else {
        KERAS_EMBEDDING_INIT
    }
}

/// The body of a named model.
pub fn named_layers(name: &str, k: Knobs) -> Result<Vec<LayerSpec>, ModelError> {
    let flag = |flag, problem: String, hint| ModelError::Flag { flag, problem, hint };
    let stack = |one: LayerSpec, default: usize| -> Result<Vec<LayerSpec>, ModelError> {
        match k.layers.unwrap_or(default) {
            0 => Err(flag("--layers", "must be at least 1".into(), None)),
            n => Ok(vec![one; n]),
        }
    };
    let units = k.units.unwrap_or(64);
    if k.sentences.is_some() && name != "han" {
        return Err(flag("--max-sentences", format!("is for the han model, not '{name}'"), None));
    }
    if k.layers.is_some() && matches!(name, "kim-cnn" | "han") {
        let hint = Some("declare the layers in a --model-file");
        return Err(flag("--layers", format!("does not apply to '{name}'"), hint));
    }
    match name {
        "seed" => stack(LstmConfig { units, bidirectional: false }.into(), 1),
        "seed-stacked" => stack(LstmConfig { units, bidirectional: false }.into(), 2),
        "gru" => stack(GruConfig { units, bidirectional: false }.into(), 1),
        "bilstm" => stack(LstmConfig { units, bidirectional: true }.into(), 1),
        "kim-cnn" => Ok(vec![
            Conv1dConfig { filters: k.units.unwrap_or(100), widths: vec![3, 4, 5] }.into(),
            DropoutConfig { rate: 0.5 }.into(),
        ]),
        "han" => {
            let (units, count) = (k.units.unwrap_or(50), k.sentences.unwrap_or(15));
            let level = || -> [LayerSpec; 2] {
                [GruConfig { units, bidirectional: true }.into(), AttentionConfig { dim: 2 * units }.into()]
            };
            let mut v: Vec<LayerSpec> = level().to_vec();
            v.push(SentencesConfig { count }.into());
            v.extend(level());
            Ok(v)
        }
        other => Err(ModelError::UnknownModel { name: other.into(), known: &NAMED_MODELS }),
    }
}

impl ModelSettings {
    /// A named model (`--model`) with its knobs.
    pub fn named(name: &str, embedding_dim: usize, knobs: Knobs) -> Result<ModelSettings, ModelError> {
        Ok(ModelSettings {
            architecture: name.into(),
            embedding_dim,
            layers: named_layers(name, knobs)?,
            embedding_init: named_embedding_init(name),
        })
    }
}
