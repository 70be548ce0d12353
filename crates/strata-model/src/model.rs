//! The model: a configuration (an embedding, then a list of layers like a Keras `Sequential`,
//! then a classifier), a flat parameter store laid out from it, and Keras's initialisation.
//!
//! The layer types are in [`crate::layer_spec`]; the named models are lists the CLI builds
//! (`--model`, [`crate::zoo`]); a TOML file can declare any other list ([`crate::model_file`]). The seed's model is `Embedding(V, 128) → LSTM(64) →
//! Dense(1, sigmoid)`.
//!
//! Layers with parameters are the model's **levels** — the unit that schedules train, freeze
//! and probe. A parameter-free layer (dropout, pooling, the sentence boundary) belongs to the
//! level below it. Names are stable and used everywhere — parameter keys, freezing, probes:
//! `embedding`, then `lstm_0`, `bilstm_0`, `gru_0`, `bigru_0`, `conv1d_0`, `attention_0`,
//! `dense_0` … (numbered per kind, bottom up), and `head`.

use serde::{Deserialize, Serialize};
use strata_nn::{init, ParamStore, Rng};

pub use crate::layer_spec::{LayerSpec, Shape};
pub use crate::zoo::{named_embedding_init, named_layers, Knobs, NAMED_MODELS};
pub use strata_nn::Cell;

/// What a model is; saved as part of `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "ConfigFile")]
pub struct ModelConfig {
    /// The named model (`seed`, `kim-cnn`, …) or `custom` for a model file.
    pub architecture: String,
    /// `V`: ids are `< vocab_size` (the tokenizer's `num_words`).
    pub vocab_size: usize,
    /// `E`
    pub embedding_dim: usize,
    /// The body, bottom to top.
    pub layers: Vec<LayerSpec>,
    /// Number of classes; two use one sigmoid output.
    pub num_classes: usize,
    /// Embeddings start uniform in ±this (Keras's `RandomUniform(-0.05, 0.05)`; Kim's CNN
    /// 0.25).
    pub embedding_init: f32,
}

/// Keras's `Embedding` initialiser bound.
pub const KERAS_EMBEDDING_INIT: f32 = 0.05;

fn keras_embedding_init() -> f32 {
    KERAS_EMBEDDING_INIT
}

/// `config.json`'s model as written now, or as written before models were layer lists (one
/// stack of `layers` identical recurrent layers), which still loads.
#[derive(Deserialize)]
#[serde(untagged)]
enum ConfigFile {
    Current {
        architecture: String,
        vocab_size: usize,
        embedding_dim: usize,
        layers: Vec<LayerSpec>,
        num_classes: usize,
        #[serde(default = "keras_embedding_init")]
        embedding_init: f32,
    },
    Stacked {
        architecture: String,
        vocab_size: usize,
        embedding_dim: usize,
        units: usize,
        layers: usize,
        num_classes: usize,
        #[serde(default)]
        cell: Cell,
    },
}

impl TryFrom<ConfigFile> for ModelConfig {
    type Error = String;

    fn try_from(f: ConfigFile) -> Result<ModelConfig, String> {
        Ok(match f {
            ConfigFile::Current { architecture, vocab_size, embedding_dim, layers, num_classes, embedding_init } => {
                ModelConfig { architecture, vocab_size, embedding_dim, layers, num_classes, embedding_init }
            }
            ConfigFile::Stacked { architecture, vocab_size, embedding_dim, units, layers, num_classes, cell } => {
                if layers > 1024 {
                    return Err(format!("{layers} layers is not a model strata wrote"));
                }
                let one = match cell {
                    Cell::Lstm => LayerSpec::Lstm { units, bidirectional: false },
                    Cell::Gru => LayerSpec::Gru { units, bidirectional: false },
                };
                ModelConfig {
                    architecture,
                    vocab_size,
                    embedding_dim,
                    layers: vec![one; layers],
                    num_classes,
                    embedding_init: KERAS_EMBEDDING_INIT,
                }
            }
        })
    }
}

/// The model's shape, apart from sizes that come from the data.
#[derive(Clone, Debug)]
pub struct ModelSettings {
    /// A named model, or `custom` for a model file.
    pub architecture: String,
    pub embedding_dim: usize,
    pub layers: Vec<LayerSpec>,
    /// Embeddings start uniform in ±this.
    pub embedding_init: f32,
}

impl ModelSettings {
    /// A named model (`--model`) with its knobs.
    pub fn named(name: &str, embedding_dim: usize, knobs: Knobs) -> Result<ModelSettings, String> {
        Ok(ModelSettings {
            architecture: name.into(),
            embedding_dim,
            layers: named_layers(name, knobs)?,
            embedding_init: named_embedding_init(name),
        })
    }
}

/// One layer of the body with everything derived from the list: its level (group index:
/// `0` is the embedding, `1..=L` the levels), its name, and its input and output shapes.
#[derive(Clone, Debug)]
pub struct Placed {
    pub spec: LayerSpec,
    pub group: usize,
    pub name: String,
    pub input: Shape,
    pub output: Shape,
}

impl ModelConfig {
    /// The seed's model for a vocabulary of `vocab_size` ids.
    pub fn seed(vocab_size: usize) -> Self {
        ModelConfig {
            architecture: "seed".into(),
            vocab_size,
            embedding_dim: 128,
            layers: vec![LayerSpec::Lstm { units: 64, bidirectional: false }],
            num_classes: 2,
            embedding_init: KERAS_EMBEDDING_INIT,
        }
    }

    /// Width of the head's output: one logit for two classes, else one per class.
    pub fn outputs(&self) -> usize {
        if self.num_classes <= 2 {
            1
        } else {
            self.num_classes
        }
    }

    /// Sentences per document if the model is hierarchical (has a `sentences` layer).
    pub fn sentences(&self) -> Option<usize> {
        self.layers.iter().find_map(|l| match l {
            LayerSpec::Sentences { count } => Some(*count),
            _ => None,
        })
    }

    /// Places every layer: its level, name and shapes. Errors say which layer does not fit.
    pub fn placed(&self) -> Result<Vec<Placed>, String> {
        let mut shape = Shape { sequence: true, width: self.embedding_dim, sentence_rows: self.sentences().is_some() };
        let (mut group, mut counts) = (0usize, std::collections::BTreeMap::<&str, usize>::new());
        let mut out = Vec::with_capacity(self.layers.len());
        for (i, spec) in self.layers.iter().enumerate() {
            let kind = spec.kind();
            let n = counts.entry(kind).or_insert(0);
            let name = format!("{kind}_{n}");
            *n += 1;
            let next_reads_sequence = self.layers[i + 1..]
                .iter()
                .find(|l| !matches!(l, LayerSpec::Dropout { .. }))
                .is_some_and(|l| l.reads_sequence());
            let here = |what: &str| format!("layer {} ({kind}): {what}", i + 1);
            if spec.reads_sequence() && !shape.sequence {
                return Err(here("needs a sequence, but the layer below gives one vector per text"));
            }
            let output = match spec {
                LayerSpec::Lstm { units, bidirectional } | LayerSpec::Gru { units, bidirectional } => {
                    Shape { sequence: next_reads_sequence, width: units * if *bidirectional { 2 } else { 1 }, ..shape }
                }
                LayerSpec::Conv1d { filters, widths } => {
                    if widths.is_empty() || widths.contains(&0) {
                        return Err(here("widths must be a non-empty list of sizes ≥ 1"));
                    }
                    Shape { sequence: false, width: filters * widths.len(), ..shape }
                }
                LayerSpec::Attention { .. } | LayerSpec::MeanPool | LayerSpec::MaxPool => {
                    Shape { sequence: false, ..shape }
                }
                LayerSpec::Dropout { rate } => {
                    if !(0.0..1.0).contains(rate) {
                        return Err(here("rate must be in [0, 1)"));
                    }
                    shape
                }
                LayerSpec::Dense { units, activation } => {
                    if shape.sequence {
                        return Err(here("reads one vector per text; put a pooling layer below it"));
                    }
                    if !matches!(activation.as_str(), "relu" | "tanh" | "linear") {
                        return Err(here(&format!("unknown activation '{activation}' (hint: relu, tanh or linear)")));
                    }
                    Shape { width: *units, ..shape }
                }
                LayerSpec::Sentences { .. } => {
                    if shape.sequence || !shape.sentence_rows {
                        return Err(here("needs one vector per sentence below it (e.g. attention) and comes once"));
                    }
                    Shape { sequence: true, sentence_rows: false, ..shape }
                }
            };
            if spec.size() == Some(0) {
                return Err(here("sizes must be at least 1"));
            }
            if spec.has_params() {
                group += 1;
            }
            out.push(Placed { spec: spec.clone(), group, name, input: shape, output });
            shape = output;
        }
        if shape.sequence || shape.sentence_rows {
            return Err("the top layer must give one vector per text (hint: end with a pooling or \
                        recurrent layer)"
                .into());
        }
        Ok(out)
    }

    /// Width of the head's input.
    pub fn top_width(&self) -> usize {
        self.placed().ok().and_then(|p| p.last().map(|l| l.output.width)).unwrap_or(self.embedding_dim)
    }

    /// Number of levels (layers with parameters).
    pub fn levels(&self) -> usize {
        self.layers.iter().filter(|l| l.has_params()).count()
    }

    /// The model's tensors in store order — the embedding first (its gradient, the one large
    /// sparse block, is then one contiguous range), each layer's tensors bottom up, then the
    /// head — as (safetensors key, shape). `None` if a size overflows or the list is invalid.
    pub fn tensor_shapes(&self) -> Option<Vec<(String, Vec<usize>)>> {
        let mut v = vec![("embedding.weight".to_string(), vec![self.vocab_size, self.embedding_dim])];
        self.vocab_size.checked_mul(self.embedding_dim)?;
        for p in self.placed().ok()? {
            let d = p.input.width;
            let name = &p.name;
            match &p.spec {
                LayerSpec::Lstm { .. } | LayerSpec::Gru { .. } => {
                    let (cell, h, bi) = p.spec.recurrent()?;
                    let g = h.checked_mul(cell.gates())?;
                    let dirs: &[&str] = if bi { &["forward.", "backward."] } else { &[""] };
                    for dir in dirs {
                        v.push((format!("{name}.{dir}kernel"), vec![d, g]));
                        v.push((format!("{name}.{dir}recurrent_kernel"), vec![h, g]));
                        v.push((format!("{name}.{dir}bias"), cell.bias_shape(h)));
                    }
                }
                LayerSpec::Conv1d { filters, widths } => {
                    for w in widths {
                        v.push((format!("{name}.w{w}.kernel"), vec![*w, d, *filters]));
                        v.push((format!("{name}.w{w}.bias"), vec![*filters]));
                    }
                }
                LayerSpec::Attention { dim } => {
                    v.push((format!("{name}.kernel"), vec![d, *dim]));
                    v.push((format!("{name}.bias"), vec![*dim]));
                    v.push((format!("{name}.context"), vec![*dim]));
                }
                LayerSpec::Dense { units, .. } => {
                    v.push((format!("{name}.kernel"), vec![d, *units]));
                    v.push((format!("{name}.bias"), vec![*units]));
                }
                _ => {}
            }
        }
        v.push(("head.kernel".into(), vec![self.top_width(), self.outputs()]));
        v.push(("head.bias".into(), vec![self.outputs()]));
        for (_, shape) in &v {
            shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
        }
        Some(v)
    }

    /// Parameters the tensors hold, or `None` if the count overflows — checked before anything
    /// is allocated, so that a damaged config.json cannot ask for terabytes.
    pub fn param_count(&self) -> Option<usize> {
        self.tensor_shapes()?
            .iter()
            .try_fold(0usize, |n, (_, shape)| n.checked_add(shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?))
    }

    /// Level names, bottom to top, between `embedding` and `head`.
    pub fn layer_names(&self) -> Vec<String> {
        let mut v = vec!["embedding".to_string()];
        if let Ok(placed) = self.placed() {
            v.extend(placed.into_iter().filter(|p| p.spec.has_params()).map(|p| p.name));
        }
        v.push("head".into());
        v
    }

    /// Checks sizes a user can get wrong; the message says which flag to change.
    pub fn validate(&self) -> Result<(), String> {
        for (v, flag) in [(self.vocab_size, "--num-words"), (self.embedding_dim, "--embedding-dim")] {
            if v == 0 {
                return Err(format!("{flag} must be at least 1"));
            }
        }
        if self.vocab_size < 2 {
            return Err("--num-words must be at least 2 (index 0 is padding)".into());
        }
        if self.num_classes < 2 {
            return Err(format!("the data has {} class(es); a classifier needs at least 2", self.num_classes));
        }
        if !(self.embedding_init.is_finite() && self.embedding_init >= 0.0) {
            return Err("--embedding-init must be a non-negative number (hint: Keras uses 0.05)".into());
        }
        if self.levels() == 0 {
            return Err("the model needs at least one layer with parameters above the embedding".into());
        }
        self.placed()?;
        if self.param_count().is_none() {
            return Err("the model's sizes overflow (hint: smaller --num-words or widths)".into());
        }
        Ok(())
    }
}

/// Where each layer's parameters live in the flat store.
#[derive(Clone, Debug)]
pub struct Layout {
    pub embedding: std::ops::Range<usize>,
    /// Per body layer, its tensors' ranges in `tensor_shapes` order (empty without parameters).
    pub layers: Vec<Vec<std::ops::Range<usize>>>,
    /// Per level (`1..=L` in group order, index 0 unused), its parameters' contiguous range.
    pub levels: Vec<std::ops::Range<usize>>,
    pub head_kernel: std::ops::Range<usize>,
    pub head_bias: std::ops::Range<usize>,
    /// Auxiliary classifiers (kernel `[D_k, K]`, bias `[K]`) on each level's summary vector,
    /// used by stage-wise schedules during training only; empty unless added, never saved.
    pub aux: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
}

/// A model's configuration and parameters.
#[derive(Clone, Debug)]
pub struct Model {
    pub config: ModelConfig,
    pub params: ParamStore,
    pub layout: Layout,
    /// The body's layers, placed (derived from the config).
    pub placed: Vec<Placed>,
}

impl Model {
    /// Lays out zero parameters for `config`, which must be valid.
    pub fn zeros(config: ModelConfig) -> Model {
        let shapes = config.tensor_shapes().expect("the model's sizes are invalid or overflow usize");
        let placed = config.placed().expect("the model's layers were validated");
        let mut p = ParamStore::default();
        let mut ranges = shapes.iter().map(|(name, shape)| p.add(name, shape));
        let embedding = ranges.next().unwrap();
        let mut levels = vec![0..0; config.levels() + 1];
        let mut layers = Vec::with_capacity(placed.len());
        for l in &placed {
            let n = match &l.spec {
                LayerSpec::Lstm { bidirectional, .. } | LayerSpec::Gru { bidirectional, .. } => {
                    3 * if *bidirectional { 2 } else { 1 }
                }
                LayerSpec::Conv1d { widths, .. } => 2 * widths.len(),
                LayerSpec::Attention { .. } => 3,
                LayerSpec::Dense { .. } => 2,
                _ => 0,
            };
            let rs: Vec<_> = ranges.by_ref().take(n).collect();
            if let (Some(first), Some(last)) = (rs.first(), rs.last()) {
                levels[l.group] = first.start..last.end;
            }
            layers.push(rs);
        }
        let (head_kernel, head_bias) = (ranges.next().unwrap(), ranges.next().unwrap());
        Model {
            config,
            params: p,
            layout: Layout { embedding, layers, levels, head_kernel, head_bias, aux: Vec::new() },
            placed,
        }
    }

    /// Keras's initialisation, from `seed`: embedding uniform ±0.05, kernels glorot-uniform,
    /// recurrent kernels orthogonal, biases zero (LSTM forget gate 1).
    pub fn new(config: ModelConfig, seed: u64) -> Model {
        let mut m = Model::zeros(config);
        let mut rng = Rng::derive(seed, 0x696e6974); // "init"
        let data = &mut m.params.data;
        init::uniform(&mut data[m.layout.embedding.clone()], m.config.embedding_init, &mut rng);
        for (l, ranges) in m.placed.iter().zip(&m.layout.layers) {
            let d = l.input.width;
            match &l.spec {
                LayerSpec::Lstm { .. } | LayerSpec::Gru { .. } => {
                    let (cell, h, _) = l.spec.recurrent().unwrap();
                    for dir in ranges.chunks_exact(3) {
                        init::glorot_uniform(&mut data[dir[0].clone()], d, cell.gates() * h, &mut rng);
                        init::orthogonal(&mut data[dir[1].clone()], h, cell.gates() * h, &mut rng);
                        let bias = &mut data[dir[2].clone()];
                        bias.fill(0.0);
                        if cell == Cell::Lstm {
                            bias[h..2 * h].fill(1.0); // unit_forget_bias
                        }
                    }
                }
                LayerSpec::Conv1d { filters, widths } => {
                    for (w, r) in widths.iter().zip(ranges.chunks_exact(2)) {
                        // Keras's fans for a conv kernel include the receptive field
                        let limit = (6.0 / (w * d + w * filters) as f32).sqrt();
                        init::uniform(&mut data[r[0].clone()], limit, &mut rng);
                        data[r[1].clone()].fill(0.0);
                    }
                }
                LayerSpec::Attention { dim } => {
                    init::glorot_uniform(&mut data[ranges[0].clone()], d, *dim, &mut rng);
                    data[ranges[1].clone()].fill(0.0);
                    init::glorot_uniform(&mut data[ranges[2].clone()], *dim, 1, &mut rng);
                }
                LayerSpec::Dense { units, .. } => {
                    init::glorot_uniform(&mut data[ranges[0].clone()], d, *units, &mut rng);
                    data[ranges[1].clone()].fill(0.0);
                }
                _ => {}
            }
        }
        let (w, k) = (m.config.top_width(), m.config.outputs());
        init::glorot_uniform(&mut data[m.layout.head_kernel.clone()], w, k, &mut rng);
        data[m.layout.head_bias.clone()].fill(0.0);
        m
    }

    /// Width of the head's input (the top layer's output), from the placed layers.
    pub fn top_width(&self) -> usize {
        self.placed.last().map_or(self.config.embedding_dim, |l| l.output.width)
    }

    /// Where level `k`'s summary (what its auxiliary head and probe read) comes from: (layer
    /// index, from its last state, rows are sentences to be averaged per text) — a recurrent
    /// layer's last state, else the level's last vector output.
    pub fn summary_source(&self, k: usize) -> (usize, bool, bool) {
        let first = self.placed.iter().position(|p| p.group == k + 1).expect("level exists");
        if self.placed[first].spec.recurrent().is_some() {
            return (first, true, self.placed[first].input.sentence_rows);
        }
        let i = (first..self.placed.len())
            .take_while(|&i| self.placed[i].group == k + 1)
            .filter(|&i| !self.placed[i].output.sequence)
            .last()
            .unwrap_or(first);
        (i, false, self.placed[i].output.sentence_rows)
    }

    /// Width of level `k`'s summary vector.
    pub fn summary_width(&self, k: usize) -> usize {
        self.placed[self.summary_source(k).0].output.width
    }

    /// Appends one auxiliary classifier per level (`aux_k.kernel`, `aux_k.bias`),
    /// glorot-initialised from their own stream of `seed`, so the main layers' initial values
    /// do not depend on whether a schedule uses auxiliary heads.
    pub fn add_aux_heads(&mut self, seed: u64) {
        if !self.layout.aux.is_empty() {
            return;
        }
        let k = self.config.outputs();
        let mut rng = Rng::derive(seed, 0x617578); // "aux"
        for i in 0..self.config.levels() {
            let h = self.summary_width(i);
            let kr = self.params.add(&format!("aux_{i}.kernel"), &[h, k]);
            let br = self.params.add(&format!("aux_{i}.bias"), &[k]);
            init::glorot_uniform(&mut self.params.data[kr.clone()], h, k, &mut rng);
            self.layout.aux.push((kr, br));
        }
    }

    /// Removes the auxiliary heads (they are training scaffolding, not part of the model).
    pub fn drop_aux_heads(&mut self) {
        if let Some((first, _)) = self.layout.aux.first() {
            let start = first.start;
            self.params.data.truncate(start);
            self.params.specs.retain(|s| s.range.start < start);
            self.layout.aux.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_count_matches_the_layout_for_every_named_model() {
        for name in NAMED_MODELS {
            for layers in [None, Some(3)] {
                let knobs = Knobs { layers: layers.filter(|_| !matches!(name, "kim-cnn" | "han")), ..Knobs::default() };
                let c = ModelConfig {
                    architecture: name.into(),
                    layers: named_layers(name, knobs).unwrap(),
                    num_classes: 3,
                    ..ModelConfig::seed(50)
                };
                c.validate().unwrap();
                assert_eq!(c.param_count(), Some(Model::zeros(c.clone()).params.len()), "{name} x{layers:?}");
            }
        }
        let huge = ModelConfig { vocab_size: usize::MAX / 2, ..ModelConfig::seed(2) };
        assert_eq!(huge.param_count(), None);
    }

    #[test]
    fn a_config_from_before_layer_lists_still_loads() {
        let old = r#"{"architecture":"gru","vocab_size":9,"embedding_dim":4,"units":3,"layers":2,"num_classes":2,"cell":"gru"}"#;
        let c: ModelConfig = serde_json::from_str(old).unwrap();
        assert_eq!(c.layers, vec![LayerSpec::Gru { units: 3, bidirectional: false }; 2]);
        assert_eq!(c.layer_names(), ["embedding", "gru_0", "gru_1", "head"]);
    }

    #[test]
    fn layers_that_do_not_fit_are_named() {
        let mut c = ModelConfig::seed(10);
        c.layers = vec![LayerSpec::MeanPool, LayerSpec::Lstm { units: 3, bidirectional: false }];
        assert!(c.validate().unwrap_err().contains("layer 2 (lstm)"));
        c.layers = vec![
            LayerSpec::Lstm { units: 3, bidirectional: false },
            LayerSpec::Sentences { count: 2 },
            LayerSpec::Sentences { count: 2 },
        ];
        assert!(c.validate().unwrap_err().contains("layer 3 (sentences)"));
    }
}
