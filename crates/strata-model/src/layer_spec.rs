//! What a model file or a named model lists: the body's layer types with their settings (serde:
//! the `[[layer]]` tables of a model file, the `layers` of config.json), and the shapes that
//! flow between them.

use serde::{Deserialize, Serialize};
use strata_nn::Cell;

/// One layer of the model's body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LayerSpec {
    /// Keras `LSTM(units)`, or `Bidirectional(LSTM(units))` (concatenated, `2·units` wide).
    /// Returns sequences when the next layer reads a sequence, else the last state.
    Lstm {
        units: usize,
        #[serde(default)]
        bidirectional: bool,
    },
    /// Keras `GRU(units, reset_after=True)`, optionally bidirectional.
    Gru {
        units: usize,
        #[serde(default)]
        bidirectional: bool,
    },
    /// Kim (2014): one `Conv1D(filters, w, activation="relu")` per width, each max-pooled over
    /// time, concatenated: `[B, widths·filters]`.
    Conv1d { filters: usize, widths: Vec<usize> },
    /// Additive attention pooling over time (Yang et al. 2016) with a `dim`-wide projection.
    Attention { dim: usize },
    /// Mean over time.
    MeanPool,
    /// Max over time.
    MaxPool,
    /// Inverted dropout, active in training only.
    Dropout { rate: f32 },
    /// `Dense(units, activation)`; activation `relu`, `tanh` or `linear`.
    Dense {
        units: usize,
        #[serde(default = "default_activation")]
        activation: String,
    },
    /// The hierarchical boundary: the layers below read each sentence (up to `count` per
    /// document, `maxlen` words each); this turns their sentence vectors into a sequence of
    /// `count` steps per document for the layers above.
    Sentences { count: usize },
}

fn default_activation() -> String {
    "relu".into()
}

/// What flows between layers: a time-major sequence `[T, N, D]` or one vector per row `[N, D]`.
/// Below a `sentences` layer the rows are sentences (`N = B·S`), above it documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub sequence: bool,
    pub width: usize,
    pub sentence_rows: bool,
}

impl LayerSpec {
    /// Whether the layer has parameters (and so is a level of its own).
    pub fn has_params(&self) -> bool {
        matches!(self, LayerSpec::Lstm { .. } | LayerSpec::Gru { .. } | LayerSpec::Conv1d { .. })
            || matches!(self, LayerSpec::Attention { .. } | LayerSpec::Dense { .. })
    }

    /// Name prefix of a level of this kind.
    pub fn kind(&self) -> &'static str {
        match self {
            LayerSpec::Lstm { bidirectional: false, .. } => "lstm",
            LayerSpec::Lstm { bidirectional: true, .. } => "bilstm",
            LayerSpec::Gru { bidirectional: false, .. } => "gru",
            LayerSpec::Gru { bidirectional: true, .. } => "bigru",
            LayerSpec::Conv1d { .. } => "conv1d",
            LayerSpec::Attention { .. } => "attention",
            LayerSpec::MeanPool => "mean_pool",
            LayerSpec::MaxPool => "max_pool",
            LayerSpec::Dropout { .. } => "dropout",
            LayerSpec::Dense { .. } => "dense",
            LayerSpec::Sentences { .. } => "sentences",
        }
    }

    /// Whether the layer reads a sequence (else a vector per row).
    pub fn reads_sequence(&self) -> bool {
        match self {
            LayerSpec::Lstm { .. } | LayerSpec::Gru { .. } | LayerSpec::Conv1d { .. } => true,
            LayerSpec::Attention { .. } | LayerSpec::MeanPool | LayerSpec::MaxPool => true,
            LayerSpec::Dense { .. } | LayerSpec::Sentences { .. } => false,
            LayerSpec::Dropout { .. } => false, // either; see `output_shape`
        }
    }

    /// The layer's main size (units, filters, attention width, sentences), if it has one.
    pub fn size(&self) -> Option<usize> {
        match *self {
            LayerSpec::Lstm { units, .. } | LayerSpec::Gru { units, .. } | LayerSpec::Dense { units, .. } => {
                Some(units)
            }
            LayerSpec::Conv1d { filters, .. } => Some(filters),
            LayerSpec::Attention { dim } => Some(dim),
            LayerSpec::Sentences { count } => Some(count),
            LayerSpec::MeanPool | LayerSpec::MaxPool | LayerSpec::Dropout { .. } => None,
        }
    }

    /// The recurrent cell, units per direction and directions, for a recurrent layer.
    pub fn recurrent(&self) -> Option<(Cell, usize, bool)> {
        match *self {
            LayerSpec::Lstm { units, bidirectional } => Some((Cell::Lstm, units, bidirectional)),
            LayerSpec::Gru { units, bidirectional } => Some((Cell::Gru, units, bidirectional)),
            _ => None,
        }
    }
}
