//! The layer types of a model's body. Each type is one module that owns everything about it:
//! its config (a serde struct: the `[[layer]]` table of a model file and its `config.json`
//! form), its tensors (dotted name, shape, initialiser), its shape rule (what it reads, what it
//! gives, its errors) and its runtime (forward and backward side by side, behind [`Layer`]).
//!
//! **Adding a layer type** is one new module here, with a config implementing [`LayerType`] and
//! a runtime implementing [`Layer`], and one line in the `layer_types!` table below. Nothing
//! else in the workspace matches on layer types.
//!
//! Shapes: `B` texts, `S` sentences per text, `N` rows (`B`, or `B·S` below a `sentences`
//! layer), `T` steps, `E` embedding width, `D` a layer's input width, `H` units. A sequence is
//! time-major `[T, N, D]`, one vector per row `[N, D]`.

mod attention;
mod conv1d;
mod dense;
mod dropout;
mod layer_norm;
mod pooling;
mod recurrent;
mod sentences;

use std::ops::Range;

use serde::{Deserialize, Serialize};
use strata_nn::params::Values;
use strata_nn::row_groups::RowGroups;
use strata_nn::{init, Rng};

pub use crate::error::Misfit;

pub use attention::AttentionConfig;
pub use conv1d::Conv1dConfig;
pub use dense::{Activation, DenseConfig};
pub use dropout::DropoutConfig;
pub use layer_norm::LayerNormConfig;
pub use pooling::{MaxPoolConfig, MeanPoolConfig};
pub use recurrent::{GruConfig, LstmConfig};
pub use sentences::SentencesConfig;

/// The registry: one line per layer type, `"type" => Variant(Config)`, where `"type"` is what
/// a `[[layer]]` table and config.json call it.
macro_rules! layer_types {
    ($($name:literal => $variant:ident($config:ty)),* $(,)?) => {
        /// One layer of the model's body, as a model file or config.json declares it.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        pub enum LayerSpec {
            $(#[serde(rename = $name)] $variant($config)),*
        }

        impl LayerSpec {
            /// Every layer type's name, as `type = "…"` takes it.
            pub const TYPES: &'static [&'static str] = &[$($name),*];

            /// The layer type's rules: shape, tensors, runtime.
            pub fn layer(&self) -> &dyn LayerType {
                match self {
                    $(LayerSpec::$variant(c) => c),*
                }
            }
        }

        $(impl From<$config> for LayerSpec {
            fn from(c: $config) -> LayerSpec {
                LayerSpec::$variant(c)
            }
        })*
    };
}

layer_types! {
    "lstm" => Lstm(LstmConfig),
    "gru" => Gru(GruConfig),
    "conv1d" => Conv1d(Conv1dConfig),
    "attention" => Attention(AttentionConfig),
    "mean_pool" => MeanPool(MeanPoolConfig),
    "max_pool" => MaxPool(MaxPoolConfig),
    "dropout" => Dropout(DropoutConfig),
    "dense" => Dense(DenseConfig),
    "layer_norm" => LayerNorm(LayerNormConfig),
    "sentences" => Sentences(SentencesConfig),
}

/// What flows between layers: a time-major sequence `[T, N, D]` or one vector per row `[N, D]`.
/// Below a `sentences` layer the rows are sentences (`N = B·S`), above it texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub sequence: bool,
    pub width: usize,
    pub sentence_rows: bool,
}

/// What a layer type reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    Sequence,
    Vector,
    /// Either, giving what it reads (dropout, layer normalisation).
    Either,
}

/// One tensor of a layer: its name under the layer's (`kernel` → `lstm_0.kernel`), its shape
/// and how it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub init: Init,
}

impl Tensor {
    pub fn new(name: impl Into<String>, shape: Vec<usize>, init: Init) -> Tensor {
        Tensor { name: name.into(), shape, init }
    }
}

/// Keras's initialisers, as the layer types use them. Each draws from the model's one
/// initialisation stream in tensor order, so the order of a layer's tensors is part of its
/// numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    Zeros,
    Ones,
    /// Uniform in ±limit.
    Uniform(f32),
    GlorotUniform {
        fan_in: usize,
        fan_out: usize,
    },
    Orthogonal {
        rows: usize,
        cols: usize,
    },
    /// An LSTM bias `[4H]`: zeros with the forget gate's `H` at 1 (Keras's `unit_forget_bias`).
    LstmBias {
        units: usize,
    },
}

impl Init {
    pub fn fill(self, w: &mut [f32], rng: &mut Rng) {
        match self {
            Init::Zeros => w.fill(0.0),
            Init::Ones => w.fill(1.0),
            Init::Uniform(limit) => init::uniform(w, limit, rng),
            Init::GlorotUniform { fan_in, fan_out } => init::glorot_uniform(w, fan_in, fan_out, rng),
            Init::Orthogonal { rows, cols } => init::orthogonal(w, rows, cols, rng),
            Init::LstmBias { units } => {
                w.fill(0.0);
                w[units..2 * units].fill(1.0);
            }
        }
    }
}

/// Where a layer sits, for its shape rule.
#[derive(Clone, Copy, Debug)]
pub struct Context {
    /// The shape the layer below gives.
    pub input: Shape,
    /// Whether the next layer above that is not [`Reads::Either`] reads a sequence (a recurrent
    /// layer then returns sequences).
    pub above_reads_sequence: bool,
}

/// A layer type's rules: everything the model needs to know about it apart from running it.
pub trait LayerType {
    /// Name prefix of a layer of this type (`lstm`, `bilstm`, `conv1d`, …); layers are named
    /// `{kind}_{n}`, numbered per kind bottom up.
    fn kind(&self) -> &'static str;

    /// What it reads; a layer that reads a sequence below one that gives a vector is an error
    /// the model reports for it.
    fn reads(&self) -> Reads;

    /// The shape rule: what it gives for `at`, or what is wrong (sizes included).
    fn output(&self, at: Context) -> Result<Shape, Misfit>;

    /// Its tensors for an input `input_width` wide, in store order; `None` if a size overflows.
    fn tensors(&self, _input_width: usize) -> Option<Vec<Tensor>> {
        Some(Vec::new())
    }

    /// The runtime, for a layer placed between `input` and `output` with its tensors at
    /// `ranges` of the model's flat store.
    fn build(&self, input: Shape, output: Shape, ranges: Vec<Range<usize>>) -> Box<dyn Layer>;

    /// Whether it has parameters, which makes it a level of its own (schedules train, freeze
    /// and probe levels); a parameter-free layer belongs to the level below it.
    fn has_params(&self) -> bool {
        // sizes that overflow still mean parameters; the model reports the overflow
        self.tensors(1).is_none_or(|t| !t.is_empty())
    }

    /// Whether it reads the padding mask (pooling over time skips padded steps).
    fn reads_padding_mask(&self) -> bool {
        false
    }

    /// Whether it reads the padding mask when the model masks padding
    /// ([`crate::model::ModelConfig::mask_padding`]): recurrent layers then skip padded steps.
    fn skips_padding_when_masked(&self) -> bool {
        false
    }

    /// Whether its level's summary (what an auxiliary head and a probe read) is its last state
    /// (recurrent layers, layer normalisation) rather than its output. A type that can give a
    /// sequence as the only output of its level says `true` and gives [`Layer::last_state`].
    fn summary_is_last_state(&self) -> bool {
        false
    }

    /// Fewest steps its input must have (a convolution's widest kernel).
    fn min_steps(&self) -> usize {
        0
    }

    /// Sentences per text, for the hierarchical boundary.
    fn sentences(&self) -> Option<usize> {
        None
    }

    /// Whether its runtime gives attention weights (what `explain` shows).
    fn attends(&self) -> bool {
        false
    }
}

/// The shared size rule: every size a user sets is at least 1.
pub(crate) fn at_least_one(sizes: &[usize]) -> Result<(), Misfit> {
    if sizes.contains(&0) {
        return Err("sizes must be at least 1".into());
    }
    Ok(())
}

/// `a · b`, or `None` on overflow (a damaged config.json must not ask for terabytes).
pub(crate) fn mul(a: usize, b: usize) -> Option<usize> {
    a.checked_mul(b)
}

/// A first layer's input product folded per id ([`Layer::fold_inputs`]'s tables): each
/// vocabulary id's row, and one `[U, W']` table per direction.
#[derive(Clone, Copy)]
pub struct Folded<'a> {
    pub row_of_id: &'a [u32],
    pub tables: &'a [Vec<f32>],
}

/// Rows `n` and steps `t` of a layer's input or output (`t = 1` for one vector per row).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rows {
    pub n: usize,
    pub t: usize,
}

/// A layer's runtime: forward and backward side by side.
pub trait Layer: Send {
    /// Forward of `x` (`rows` of the layer's input shape); `valid` marks a sequence's steps
    /// that are not padding (`[T, N]`), given to layers that pool over time and, when the model
    /// masks padding, to recurrent layers; `dropout` is `Some` in training. Returns the
    /// output's rows.
    fn forward(&mut self, p: &[f32], x: &[f32], rows: Rows, valid: Option<&[bool]>, dropout: Option<&mut Rng>) -> Rows;

    /// Forward for inference: no `backward` follows (calling it is a bug), so the layer keeps
    /// only what is read after it — its output, `last_state` and `attention_weights` — and
    /// none of training's saved activations or scratch. The same numbers as `forward` with no
    /// dropout; that is the default, for a layer whose forward keeps nothing more. `p` is the
    /// model's store with its generation, which a layer that keeps its weights prepared across
    /// calls (the convolution bank's packed kernels) compares instead of the weights' bits.
    fn infer(&mut self, p: &Values, x: &[f32], rows: Rows, valid: Option<&[bool]>) -> Rows {
        self.forward(p, x, rows, valid, None)
    }

    /// For a layer placed on the embedding whose first product is per input row (a recurrent
    /// layer's `x·W + b`): how many tables that product folds into (one per direction) and
    /// each row's width `W'`. `None` (the default): the layer has no such product.
    fn folded_shape(&self) -> Option<(usize, usize)> {
        None
    }

    /// That product for the rows of `embedding: [V, E]` that `ids` name, in their order, into
    /// each direction's `out: [ids.len(), W']`; [`Layer::infer_folded`] reads the tables they
    /// are part of by id. Called only on a layer with a [`Layer::folded_shape`].
    fn fold_inputs(&self, _p: &[f32], _embedding: &[f32], _ids: &[u32], _out: &mut [&mut [f32]]) {
        unreachable!("fold_inputs on a layer that folds no input product")
    }

    /// [`Layer::infer`] of the embedding of `ids: [N, T]` (`rows`), each step's first product
    /// read from `tables` at its id's row (`row_of_id`): the same numbers. Called only on a
    /// layer with a [`Layer::folded_shape`], with every id of `ids` folded.
    fn infer_folded(
        &mut self,
        _p: &[f32],
        _ids: &[u32],
        _folded: Folded<'_>,
        _rows: Rows,
        _valid: Option<&[bool]>,
    ) -> Rows {
        unreachable!("infer_folded on a layer that folds no input product")
    }

    /// The output of the last `forward` or `infer`.
    fn output(&self) -> &[f32];

    /// The last state `[N, D]` (what an auxiliary head and a probe read) of a layer whose type
    /// says its level is summarised by it (a recurrent layer's, even when it returns sequences;
    /// a layer norm's last step).
    fn last_state(&self) -> Option<&[f32]> {
        None
    }

    /// An attention layer's weights `[T, N]` after `forward`.
    fn attention_weights(&self) -> Option<&[f32]> {
        None
    }

    /// Backward of the last `forward` of `x`, with the parameters `p`: reads and writes `grads`.
    fn backward(&mut self, p: &[f32], x: &[f32], grads: Grads<'_>);

    /// Whether [`Layer::backward_grouped`] saves work over `backward` (a recurrent layer's
    /// input product then runs per group: `strata_nn::row_groups`).
    fn groups_input_gradient(&self) -> bool {
        false
    }

    /// `backward` with `grads.dx` (`[G, W]`, overwritten) the input gradient summed per group
    /// of input rows (`groups.of_row`: `[T·N]`, time-major), for a caller that only sums it so
    /// (the embedding's gradient per id); called only where `groups_input_gradient` is true.
    fn backward_grouped(&mut self, _p: &[f32], _x: &[f32], _grads: Grads<'_>, _groups: RowGroups<'_>) {
        unreachable!("backward_grouped on a layer that does not group its input gradient")
    }
}

/// The gradients a layer's `backward` reads and writes.
pub struct Grads<'a> {
    /// At the output (output-shaped); `None` when nothing above reads the output.
    pub dy: Option<&'a [f32]>,
    /// At `last_state`.
    pub dlast: Option<&'a [f32]>,
    /// The parameters' gradient buffer, added into; it starts at store index `off`.
    pub params: &'a mut [f32],
    pub off: usize,
    /// At the input (input-shaped), overwritten when given.
    pub dx: Option<&'a mut [f32]>,
}

/// Mutable views of consecutive, adjacent `ranges` of the gradient buffer `g` (which starts
/// at store index `off`).
pub(crate) fn grad_views<'a>(g: &'a mut [f32], off: usize, ranges: &[Range<usize>]) -> Vec<&'a mut [f32]> {
    let start = ranges[0].start - off;
    let mut rest = &mut g[start..ranges[ranges.len() - 1].end - off];
    let mut out = Vec::with_capacity(ranges.len());
    for r in ranges {
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(r.len());
        out.push(head);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_its_toml_table_and_writes_it_back() {
        for text in [
            r#"{"type":"lstm","units":3,"bidirectional":true}"#,
            r#"{"type":"gru","units":3,"bidirectional":false}"#,
            r#"{"type":"conv1d","filters":2,"widths":[2,3]}"#,
            r#"{"type":"attention","dim":4}"#,
            r#"{"type":"mean_pool"}"#,
            r#"{"type":"max_pool"}"#,
            r#"{"type":"dropout","rate":0.5}"#,
            r#"{"type":"dense","units":3,"activation":"tanh"}"#,
            r#"{"type":"layer_norm","epsilon":0.001}"#,
            r#"{"type":"sentences","count":2}"#,
        ] {
            let spec: LayerSpec = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&spec).unwrap(), text);
        }
    }

    #[test]
    fn the_table_names_every_type() {
        let names = LayerSpec::TYPES.join(",");
        assert_eq!(names, "lstm,gru,conv1d,attention,mean_pool,max_pool,dropout,dense,layer_norm,sentences");
    }

    #[test]
    fn unknown_keys_and_types_are_refused() {
        for bad in [
            r#"{"type":"lstm","units":3,"bidirectonal":true}"#,
            r#"{"type":"mean_pool","dim":3}"#,
            r#"{"type":"conv2d","filters":3}"#,
            r#"{"type":"dense","units":3,"activation":"swish"}"#,
        ] {
            assert!(serde_json::from_str::<LayerSpec>(bad).is_err(), "{bad}");
        }
        let defaults: LayerSpec = serde_json::from_str(r#"{"type":"lstm","units":3}"#).unwrap();
        assert_eq!(defaults, LayerSpec::Lstm(LstmConfig { units: 3, bidirectional: false }));
    }
}
