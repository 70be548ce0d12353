//! The model: a configuration (an embedding, then a list of layers like a Keras `Sequential`,
//! then a classifier), a flat parameter store laid out from it, and Keras's initialisation.
//!
//! The layer types are in [`crate::layers`], one module each; the named models are lists the
//! CLI builds (`--model`, [`crate::zoo`]); a TOML file can declare any other list
//! ([`crate::model_file`]). The seed's model is `Embedding(V, 128) → LSTM(64) → Dense(1,
//! sigmoid)`.
//!
//! Layers with parameters are the model's **levels** — the unit that schedules train, freeze
//! and probe. A parameter-free layer (dropout, pooling, the sentence boundary) belongs to the
//! level below it. Names are stable and used everywhere — parameter keys, freezing, probes:
//! `embedding`, then `lstm_0`, `bilstm_0`, `gru_0`, `bigru_0`, `conv1d_0`, `attention_0`,
//! `dense_0` … (numbered per kind, bottom up), and `head`.

use serde::{Deserialize, Serialize};
use strata_nn::{init, ParamStore, Rng};

use crate::error::ModelError;
use crate::group::Group;
use crate::head::Output;
use crate::layers::{Context, GruConfig, LstmConfig, Reads, Tensor};
pub use crate::layers::{LayerSpec, Shape};
pub use strata_nn::Cell;

/// What a model is; saved as part of `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ConfigFile")]
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
    /// Kim's CNN-multichannel: a second, static copy of the embedding
    /// (`embedding.static_weight`) beside the trained one, so each token gives `[trained ;
    /// static]` (`2E` values) to the layers above (see [`crate::multichannel`]). Left out of
    /// `config.json` when false, so single-channel models are written as before.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub multichannel: bool,
    /// Keras's `Embedding(mask_zero=True)`: recurrent layers skip padded steps (id 0) — no
    /// update, no computation, the state carried across — and a bidirectional layer reverses
    /// only the real tokens. Left out of `config.json` when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub mask_padding: bool,
    /// Several labels a text: one sigmoid per class, even for two. Absent from config.json when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub multi_label: bool,
}

/// The safetensors key of a multichannel model's static embedding copy.
pub const STATIC_EMBEDDING: &str = "embedding.static_weight";

/// Keras's `Embedding` initialiser bound.
pub const KERAS_EMBEDDING_INIT: f32 = 0.05;

fn keras_embedding_init() -> f32 {
    KERAS_EMBEDDING_INIT
}

/// `config.json`'s model as written now. Unknown keys are refused here: `deny_unknown_fields`
/// on [`ModelConfig`] itself would be ignored, because it deserializes through `try_from`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CurrentFile {
    architecture: String,
    vocab_size: usize,
    embedding_dim: usize,
    layers: Vec<LayerSpec>,
    num_classes: usize,
    #[serde(default = "keras_embedding_init")]
    embedding_init: f32,
    #[serde(default)]
    multichannel: bool,
    #[serde(default)]
    mask_padding: bool,
    #[serde(default)]
    multi_label: bool,
}

/// `config.json`'s model as written before models were layer lists: one stack of `layers`
/// identical recurrent layers (told apart by its `units` key). It still loads.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StackedFile {
    architecture: String,
    vocab_size: usize,
    embedding_dim: usize,
    units: usize,
    layers: usize,
    num_classes: usize,
    #[serde(default)]
    cell: Cell,
}

/// Either form, chosen by key rather than by serde's untagged trial, so that an unknown or
/// missing key is reported by name.
type ConfigFile = serde_json::Map<String, serde_json::Value>;

impl TryFrom<ConfigFile> for ModelConfig {
    type Error = ModelError;

    fn try_from(map: ConfigFile) -> Result<ModelConfig, ModelError> {
        let config_err = |e: serde_json::Error| ModelError::Config(e.to_string());
        let stacked = map.contains_key("units");
        let value = serde_json::Value::Object(map);
        if !stacked {
            let f: CurrentFile = serde_json::from_value(value).map_err(config_err)?;
            return Ok(ModelConfig {
                architecture: f.architecture,
                vocab_size: f.vocab_size,
                embedding_dim: f.embedding_dim,
                layers: f.layers,
                num_classes: f.num_classes,
                embedding_init: f.embedding_init,
                multichannel: f.multichannel,
                mask_padding: f.mask_padding,
                multi_label: f.multi_label,
            });
        }
        let StackedFile { architecture, vocab_size, embedding_dim, units, layers, num_classes, cell } =
            serde_json::from_value(value).map_err(config_err)?;
        if layers > 1024 {
            return Err(ModelError::Config(format!("{layers} layers is not a model strata wrote")));
        }
        let one = match cell {
            Cell::Lstm => LstmConfig { units, bidirectional: false }.into(),
            Cell::Gru => GruConfig { units, bidirectional: false }.into(),
        };
        Ok(ModelConfig {
            architecture,
            vocab_size,
            embedding_dim,
            layers: vec![one; layers],
            num_classes,
            embedding_init: KERAS_EMBEDDING_INIT,
            multichannel: false,
            mask_padding: false,
            multi_label: false,
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
    /// A static copy of the embedding beside the trained one ([`ModelConfig::multichannel`]).
    pub multichannel: bool,
    /// Recurrent layers skip padded steps ([`ModelConfig::mask_padding`]).
    pub mask_padding: bool,
}

impl ModelSettings {
    /// The model these settings make for a vocabulary of `vocab_size` ids and `num_classes`
    /// classes (the sizes that come from the data).
    pub fn config(&self, vocab_size: usize, num_classes: usize) -> ModelConfig {
        ModelConfig {
            architecture: self.architecture.clone(),
            vocab_size,
            embedding_dim: self.embedding_dim,
            layers: self.layers.clone(),
            num_classes,
            embedding_init: self.embedding_init,
            multichannel: self.multichannel,
            mask_padding: self.mask_padding,
            multi_label: false,
        }
    }
}

/// One layer of the body with everything derived from the list: its group (the level it
/// belongs to, or the embedding for a parameter-free layer below the first level), its name,
/// and its input and output shapes.
#[derive(Clone, Debug)]
pub struct Placed {
    pub spec: LayerSpec,
    pub group: Group,
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
            layers: vec![LstmConfig { units: 64, bidirectional: false }.into()],
            num_classes: 2,
            embedding_init: KERAS_EMBEDDING_INIT,
            multichannel: false,
            mask_padding: false,
            multi_label: false,
        }
    }

    /// Embedding channels per token: 2 with a static copy ([`Self::multichannel`]), else 1.
    pub fn channels(&self) -> usize {
        if self.multichannel {
            2
        } else {
            1
        }
    }

    /// Width of what the embedding level gives the first layer: `E` per channel.
    pub fn input_width(&self) -> usize {
        self.embedding_dim * self.channels()
    }

    /// Width of the head's output: one logit for two classes, else one per class.
    pub fn outputs(&self) -> usize {
        self.output().width()
    }

    /// How the head's logits are read (two classes → one sigmoid; multi-label: one per class).
    pub fn output(&self) -> Output {
        match self.multi_label {
            true => Output::MultiSigmoid { labels: self.num_classes },
            false => Output::for_classes(self.num_classes),
        }
    }

    /// Sentences per document if the model is hierarchical (has a `sentences` layer).
    pub fn sentences(&self) -> Option<usize> {
        self.layers.iter().find_map(|l| l.layer().sentences())
    }

    /// Places every layer: its level, name and shapes, by each type's shape rule. Errors say
    /// which layer does not fit.
    pub fn placed(&self) -> Result<Vec<Placed>, ModelError> {
        let mut shape = Shape { sequence: true, width: self.input_width(), sentence_rows: self.sentences().is_some() };
        let (mut group, mut levels) = (Group::Embedding, 0);
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        let mut out = Vec::with_capacity(self.layers.len());
        for (i, spec) in self.layers.iter().enumerate() {
            let layer = spec.layer();
            let kind = layer.kind();
            let n = counts.entry(kind).or_insert(0);
            let name = format!("{kind}_{n}");
            *n += 1;
            let above_reads_sequence = self.layers[i + 1..]
                .iter()
                .map(|l| l.layer().reads())
                .find(|r| *r != Reads::Either)
                .is_some_and(|r| r == Reads::Sequence);
            let here = |rule| ModelError::Layer { index: i + 1, kind, rule };
            if layer.reads() == Reads::Sequence && !shape.sequence {
                return Err(here("needs a sequence, but the layer below gives one vector per text".into()));
            }
            let output = layer.output(Context { input: shape, above_reads_sequence }).map_err(here)?;
            if layer.has_params() {
                group = Group::Level(levels);
                levels += 1;
            }
            out.push(Placed { spec: spec.clone(), group, name, input: shape, output });
            shape = output;
        }
        if shape.sequence || shape.sentence_rows {
            return Err(ModelError::TopIsNotOneVector);
        }
        Ok(out)
    }

    /// A text must give every layer the steps it needs (a convolution its widest kernel).
    pub fn check_steps(&self, maxlen: usize) -> Result<(), ModelError> {
        let needed = self.layers.iter().map(|l| l.layer().min_steps()).max().unwrap_or(0);
        if maxlen < needed {
            return Err(ModelError::TooFewSteps { maxlen, needed });
        }
        Ok(())
    }

    /// Width of the head's input.
    pub fn top_width(&self) -> usize {
        self.placed().ok().and_then(|p| p.last().map(|l| l.output.width)).unwrap_or(self.input_width())
    }

    /// Number of levels (layers with parameters).
    pub fn levels(&self) -> usize {
        self.layers.iter().filter(|l| l.layer().has_params()).count()
    }

    /// The placed layers with each one's tensors, bottom up (empty for a layer without
    /// parameters), from one placement. `None` if the list is invalid or a size overflows.
    fn placed_tensors(&self) -> Option<(Vec<Placed>, Vec<Vec<Tensor>>)> {
        let placed = self.placed().ok()?;
        let tensors = placed.iter().map(|p| p.spec.layer().tensors(p.input.width)).collect::<Option<_>>()?;
        Some((placed, tensors))
    }

    /// The model's tensors in store order — the embedding first (its gradient, the one large
    /// sparse block, is then one contiguous range; a multichannel model's static copy comes
    /// before it, so that everything after `embedding.weight` is still the dense block and no
    /// gradient buffer covers the static copy), each layer's tensors bottom up, then the head —
    /// as (safetensors key, shape). `None` if a size overflows or the list is invalid.
    pub fn tensor_shapes(&self) -> Option<Vec<(String, Vec<usize>)>> {
        let (placed, tensors) = self.placed_tensors()?;
        self.shapes_of(&placed, &tensors)
    }

    /// [`Self::tensor_shapes`] of layers already placed.
    fn shapes_of(&self, placed: &[Placed], tensors: &[Vec<Tensor>]) -> Option<Vec<(String, Vec<usize>)>> {
        let table = vec![self.vocab_size, self.embedding_dim];
        let mut v = Vec::new();
        if self.multichannel {
            v.push((STATIC_EMBEDDING.to_string(), table.clone()));
        }
        v.push(("embedding.weight".to_string(), table));
        self.vocab_size.checked_mul(self.embedding_dim)?;
        for (p, tensors) in placed.iter().zip(tensors) {
            v.extend(tensors.iter().map(|t| (format!("{}.{}", p.name, t.name), t.shape.clone())));
        }
        let top_width = placed.last().map_or(self.input_width(), |l| l.output.width);
        v.push(("head.kernel".into(), vec![top_width, self.outputs()]));
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
        let levels = self.levels();
        let names = self.group_names();
        Group::all(levels).take(levels + 2).map(|g| names.name(g)).collect()
    }

    /// Checks sizes a user can get wrong; the message says which flag to change.
    pub fn validate(&self) -> Result<(), ModelError> {
        let flag = |flag, problem: &str, hint| Err(ModelError::Flag { flag, problem: problem.into(), hint });
        for (v, name) in [(self.vocab_size, "--num-words"), (self.embedding_dim, "--embedding-dim")] {
            if v == 0 {
                return flag(name, "must be at least 1", None);
            }
        }
        if self.vocab_size < 2 {
            return flag("--num-words", "must be at least 2 (index 0 is padding)", None);
        }
        if self.num_classes < 2 {
            return Err(ModelError::TooFewClasses { classes: self.num_classes });
        }
        if !(self.embedding_init.is_finite() && self.embedding_init >= 0.0) {
            return flag("--embedding-init", "must be a non-negative number", Some("Keras uses 0.05"));
        }
        if self.levels() == 0 {
            return Err(ModelError::NoLevels);
        }
        self.placed()?;
        if self.param_count().is_none() {
            return Err(ModelError::Overflow);
        }
        Ok(())
    }
}

/// Where each layer's parameters live in the flat store.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The trained embedding `[V, E]` (the `Embedding` group).
    pub embedding: std::ops::Range<usize>,
    /// A multichannel model's static copy `[V, E]`, at the start of the store: in no group,
    /// so nothing trains it and no gradient is kept for it.
    pub static_embedding: Option<std::ops::Range<usize>>,
    /// Per body layer, its tensors' ranges in `tensor_shapes` order (empty without parameters).
    pub layers: Vec<Vec<std::ops::Range<usize>>>,
    /// Per level `k` (`0..L`), its parameters' contiguous range.
    pub levels: Vec<std::ops::Range<usize>>,
    pub head_kernel: std::ops::Range<usize>,
    pub head_bias: std::ops::Range<usize>,
    /// Auxiliary classifiers (kernel `[D_k, K]`, bias `[K]`) on each level's summary vector,
    /// used by stage-wise schedules during training only; empty unless added, never saved.
    pub aux: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
    /// A label tree's per-level heads on the top layer (`--hierarchy per-level`), right after
    /// the head and trained with it; empty unless added, never saved.
    pub level_heads: Vec<LevelHead>,
}

/// One upper level of a label tree's per-level heads (`level_heads.rs` adds, runs and drops them):
/// kernel `[W, K_l]`, bias `[K_l]`, and each leaf's node there.
#[derive(Clone, Debug)]
pub struct LevelHead {
    pub kernel: std::ops::Range<usize>,
    pub bias: std::ops::Range<usize>,
    /// `node[leaf]`: the leaf's ancestor at this level.
    pub node: Vec<usize>,
    pub output: crate::head::Output,
}

/// Where a level's summary vector is read from (see [`Model::summary`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The body layer it is read from.
    pub layer: usize,
    /// From that layer's last state rather than its output.
    pub from_last_state: bool,
    /// Its rows are sentences, averaged per text.
    pub per_sentence: bool,
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
        Model::laid_out(config).0
    }

    /// [`Model::zeros`], with each placed layer's tensors (their initialisers) beside it.
    fn laid_out(config: ModelConfig) -> (Model, Vec<Vec<Tensor>>) {
        let (placed, tensors) = config.placed_tensors().expect("the model's layers were validated");
        let shapes = config.shapes_of(&placed, &tensors).expect("the model's sizes are invalid or overflow usize");
        let mut p = ParamStore::default();
        let mut ranges = shapes.iter().map(|(name, shape)| p.add(name, shape));
        let static_embedding = if config.multichannel { ranges.next() } else { None };
        let embedding = ranges.next().unwrap();
        let mut levels = vec![0..0; config.levels()];
        let mut layers = Vec::with_capacity(placed.len());
        for (l, t) in placed.iter().zip(&tensors) {
            let rs: Vec<_> = ranges.by_ref().take(t.len()).collect();
            if let (Group::Level(k), Some(first), Some(last)) = (l.group, rs.first(), rs.last()) {
                levels[k] = first.start..last.end;
            }
            layers.push(rs);
        }
        let (head_kernel, head_bias) = (ranges.next().unwrap(), ranges.next().unwrap());
        let layout = Layout {
            embedding,
            static_embedding,
            layers,
            levels,
            head_kernel,
            head_bias,
            aux: Vec::new(),
            level_heads: Vec::new(),
        };
        (Model { config, params: p, layout, placed }, tensors)
    }

    /// Keras's initialisation, from `seed`: the embedding uniform in ±`embedding_init` (a
    /// multichannel model's static copy the same values: both channels start equal), each
    /// layer's tensors as its type declares them (kernels glorot-uniform, recurrent kernels
    /// orthogonal, biases zero, LSTM forget gate 1, …) in store order, the head glorot-uniform.
    pub fn new(config: ModelConfig, seed: u64) -> Model {
        let (mut m, tensors) = Model::laid_out(config);
        let (w, k) = (m.top_width(), m.config.outputs());
        let mut rng = Rng::derive(seed, 0x696e6974); // "init"
        let data = &mut m.params.data;
        init::uniform(&mut data[m.layout.embedding.clone()], m.config.embedding_init, &mut rng);
        if let Some(s) = m.layout.static_embedding.clone() {
            data.copy_within(m.layout.embedding.clone(), s.start);
        }
        for (layer, ranges) in tensors.iter().zip(&m.layout.layers) {
            for (t, r) in layer.iter().zip(ranges) {
                t.init.fill(&mut data[r.clone()], &mut rng);
            }
        }
        init::glorot_uniform(&mut data[m.layout.head_kernel.clone()], w, k, &mut rng);
        data[m.layout.head_bias.clone()].fill(0.0);
        m
    }

    /// Width of the head's input (the top layer's output), from the placed layers.
    pub fn top_width(&self) -> usize {
        self.placed.last().map_or(self.config.input_width(), |l| l.output.width)
    }

    /// Where level `k`'s summary (what its auxiliary head and probe read) comes from: the last
    /// state of a layer whose type says so (recurrent layers, layer normalisation), else the
    /// level's last vector output, else (a level that gives only sequences) its last layer's
    /// last step.
    pub fn summary(&self, k: usize) -> Summary {
        let first = self.placed.iter().position(|p| p.group == Group::Level(k)).expect("level exists");
        if self.placed[first].spec.layer().summary_is_last_state() {
            return Summary {
                layer: first,
                from_last_state: true,
                per_sentence: self.placed[first].input.sentence_rows,
            };
        }
        let level = (first..self.placed.len()).take_while(|&i| self.placed[i].group == Group::Level(k));
        let (layer, from_last_state) = match level.clone().filter(|&i| !self.placed[i].output.sequence).last() {
            Some(i) => (i, false),
            None => (level.last().unwrap_or(first), true),
        };
        Summary { layer, from_last_state, per_sentence: self.placed[layer].output.sentence_rows }
    }

    /// Width of level `k`'s summary vector.
    pub fn summary_width(&self, k: usize) -> usize {
        self.placed[self.summary(k).layer].output.width
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

/// Parameter groups and their names (`embedding`, `lstm_0`, …, `head`, `aux_k`).
impl ModelConfig {
    /// The model's parameter groups, in order.
    pub fn groups(&self) -> impl Iterator<Item = Group> {
        Group::all(self.levels())
    }

    /// A group's name, as `--freeze`, `--lr-mult`, schedule files and stage names spell it:
    /// `embedding`, the level's layer name (`lstm_0`, `conv1d_0`, …), `head`, `aux_k`.
    pub fn group_name(&self, g: Group) -> String {
        self.group_names().name(g)
    }

    /// The group called `name` (see [`ModelConfig::group_name`]).
    pub fn group_by_name(&self, name: &str) -> Option<Group> {
        let names = self.group_names();
        self.groups().find(|&g| names.name(g) == name)
    }

    /// The levels' layer names, from one placement.
    fn group_names(&self) -> GroupNames {
        let levels = self.placed().map_or_else(
            |_| Vec::new(),
            |placed| placed.into_iter().filter(|p| p.spec.layer().has_params()).map(|p| p.name).collect(),
        );
        GroupNames { levels }
    }
}

/// The names of a model's groups: its levels' layer names, the others fixed.
struct GroupNames {
    levels: Vec<String>,
}

impl GroupNames {
    fn name(&self, g: Group) -> String {
        match g {
            Group::Embedding => "embedding".into(),
            Group::Level(k) => self.levels.get(k).cloned().unwrap_or_else(|| format!("level_{k}")),
            Group::Head => "head".into(),
            Group::Aux(k) => format!("aux_{k}"),
        }
    }
}

impl Layout {
    /// Where a group's parameters live in the flat store; `None` for a level past the top, or
    /// an auxiliary head not added.
    pub fn range(&self, g: Group) -> Option<std::ops::Range<usize>> {
        match g {
            Group::Embedding => Some(self.embedding.clone()),
            Group::Level(k) => self.levels.get(k).cloned(),
            // the per-level heads, when added, follow the head and train with it
            Group::Head => {
                Some(self.head_kernel.start..self.level_heads.last().map_or(self.head_bias.end, |h| h.bias.end))
            }
            Group::Aux(k) => self.aux.get(k).map(|(kr, br)| kr.start..br.end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{MeanPoolConfig, SentencesConfig};

    #[test]
    fn param_count_matches_the_layout_for_every_named_model() {
        use crate::zoo::{named_layers, Knobs, NAMED_MODELS};
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
        assert_eq!(c.layers, vec![LayerSpec::Gru(GruConfig { units: 3, bidirectional: false }); 2]);
        assert_eq!(c.layer_names(), ["embedding", "gru_0", "gru_1", "head"]);
    }

    #[test]
    fn unknown_keys_in_a_config_are_refused_by_name() {
        let good = r#"{"architecture":"seed","vocab_size":9,"embedding_dim":4,"layers":[{"type":"lstm","units":3}],"num_classes":2}"#;
        let c: ModelConfig = serde_json::from_str(good).unwrap();
        assert_eq!(c.embedding_init, KERAS_EMBEDDING_INIT);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<ModelConfig>(&json).unwrap(), c);
        let bad = good.replace("\"num_classes\"", "\"dropout\":0.5,\"num_classes\"");
        let e = serde_json::from_str::<ModelConfig>(&bad).unwrap_err().to_string();
        assert!(e.contains("unknown field `dropout`"), "{e}");
        let old = r#"{"architecture":"gru","vocab_size":9,"embedding_dim":4,"units":3,"layers":2,"num_classes":2,"cel":"gru"}"#;
        let e = serde_json::from_str::<ModelConfig>(old).unwrap_err().to_string();
        assert!(e.contains("unknown field `cel`"), "{e}");
    }

    #[test]
    fn multichannel_is_written_only_when_set_and_old_configs_load_without_it() {
        // a config.json from before --multichannel: one channel, and written back byte for byte
        let old = r#"{"architecture":"kim-cnn","vocab_size":9,"embedding_dim":4,"layers":[{"type":"conv1d","filters":2,"widths":[3]}],"num_classes":2,"embedding_init":0.25}"#;
        let c: ModelConfig = serde_json::from_str(old).unwrap();
        assert!(!c.multichannel);
        assert_eq!(serde_json::to_string(&c).unwrap(), old);
        assert_eq!(c.tensor_shapes().unwrap()[0].0, "embedding.weight");
        let two = ModelConfig { multichannel: true, ..c };
        let json = serde_json::to_string(&two).unwrap();
        assert!(json.ends_with(r#""multichannel":true}"#), "{json}");
        assert_eq!(serde_json::from_str::<ModelConfig>(&json).unwrap(), two);
        // the static copy comes first, and the first layer reads both copies
        let shapes = two.tensor_shapes().unwrap();
        assert_eq!((shapes[0].0.as_str(), &shapes[0].1[..]), (STATIC_EMBEDDING, &[9, 4][..]));
        assert_eq!(shapes[1].0, "embedding.weight");
        assert_eq!(two.placed().unwrap()[0].input.width, 8);
        let m = Model::new(two, 5);
        let fixed = m.layout.static_embedding.clone().unwrap();
        assert_eq!((fixed.clone(), m.layout.embedding.clone()), (0..36, 36..72));
        assert_eq!(m.params.data[fixed], m.params.data[m.layout.embedding.clone()], "both copies start equal");
        assert!(Group::all(1).all(|g| m.layout.range(g).is_none_or(|r| r.start >= 36)), "in no group");
    }

    #[test]
    fn layers_that_do_not_fit_are_named() {
        let mut c = ModelConfig::seed(10);
        c.layers = vec![MeanPoolConfig {}.into(), LstmConfig { units: 3, bidirectional: false }.into()];
        assert!(c.validate().unwrap_err().to_string().contains("layer 2 (lstm)"));
        c.layers = vec![
            LstmConfig { units: 3, bidirectional: false }.into(),
            SentencesConfig { count: 2 }.into(),
            SentencesConfig { count: 2 }.into(),
        ];
        assert!(matches!(c.validate().unwrap_err(), ModelError::Layer { index: 3, kind: "sentences", .. }));
    }
}
