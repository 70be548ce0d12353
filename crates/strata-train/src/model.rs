//! The model: a configuration, a flat parameter store laid out from it, and Keras's
//! initialisation.
//!
//! The seed's model is `Embedding(V, 128) → LSTM(64) → Dense(1, sigmoid)`; `layers > 1` stacks
//! LSTMs with `return_sequences=True` below the top one (the seed's "hierarchical" variant).
//! Layer names are stable and used everywhere — parameter keys, freezing, probes:
//! `embedding`, `lstm_0` … `lstm_{L-1}`, `head`.

use serde::{Deserialize, Serialize};
use strata_nn::{init, ParamStore, Rng};

/// What a model is; saved as part of `config.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// `seed` (one LSTM) or `seed-stacked` (several).
    pub architecture: String,
    /// `V`: ids are `< vocab_size` (the tokenizer's `num_words`).
    pub vocab_size: usize,
    /// `E`
    pub embedding_dim: usize,
    /// `H`
    pub units: usize,
    /// Number of stacked LSTM layers.
    pub layers: usize,
    /// Number of classes; two use one sigmoid output.
    pub num_classes: usize,
    /// The recurrent cell of every layer (absent in files from before GRU: LSTM).
    #[serde(default)]
    pub cell: Cell,
}

/// The recurrent cell of a model's layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cell {
    /// Keras `LSTM`: gates (i, f, c, o), bias `[4H]`.
    #[default]
    Lstm,
    /// Keras `GRU(reset_after=True)`: gates (z, r, h), bias `[2, 3H]`.
    Gru,
}

impl Cell {
    /// Gates stacked in the kernels.
    pub fn gates(self) -> usize {
        match self {
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }

    /// The cell a named model uses: `gru` → GRU, the seed models → LSTM.
    pub fn for_architecture(architecture: &str) -> Cell {
        if architecture == "gru" {
            Cell::Gru
        } else {
            Cell::Lstm
        }
    }

    /// Layer-name prefix: `lstm_0`, `gru_0`.
    pub fn prefix(self) -> &'static str {
        match self {
            Cell::Lstm => "lstm",
            Cell::Gru => "gru",
        }
    }
}

impl ModelConfig {
    /// The seed's model for a vocabulary of `vocab_size` ids.
    pub fn seed(vocab_size: usize) -> Self {
        ModelConfig {
            architecture: "seed".into(),
            vocab_size,
            embedding_dim: 128,
            units: 64,
            layers: 1,
            num_classes: 2,
            cell: Cell::Lstm,
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

    /// Input width of LSTM layer `k`.
    pub fn rnn_input(&self, k: usize) -> usize {
        if k == 0 {
            self.embedding_dim
        } else {
            self.units
        }
    }

    /// The model's tensors in store order — the embedding first (its gradient, the one large
    /// sparse block, is then one contiguous range), each recurrent layer's kernel, recurrent
    /// kernel and bias, then the head — as (safetensors key, shape). `None` if a size overflows.
    pub fn tensor_shapes(&self) -> Option<Vec<(String, Vec<usize>)>> {
        let (e, h, name) = (self.embedding_dim, self.units, self.cell.prefix());
        let g = h.checked_mul(self.cell.gates())?;
        let mut v = vec![("embedding.weight".to_string(), vec![self.vocab_size, e])];
        for k in 0..self.layers {
            let bias = match self.cell {
                Cell::Lstm => vec![g],
                Cell::Gru => vec![2, g], // input and recurrent biases (reset_after=True)
            };
            v.push((format!("{name}_{k}.kernel"), vec![self.rnn_input(k), g]));
            v.push((format!("{name}_{k}.recurrent_kernel"), vec![h, g]));
            v.push((format!("{name}_{k}.bias"), bias));
        }
        v.push(("head.kernel".into(), vec![h, self.outputs()]));
        v.push(("head.bias".into(), vec![self.outputs()]));
        Some(v)
    }

    /// Parameters the tensors hold, or `None` if the count overflows — checked before anything
    /// is allocated, so that a damaged config.json cannot ask for terabytes.
    pub fn param_count(&self) -> Option<usize> {
        self.tensor_shapes()?
            .iter()
            .try_fold(0usize, |n, (_, shape)| n.checked_add(shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?))
    }

    /// Layer names, bottom to top.
    pub fn layer_names(&self) -> Vec<String> {
        let mut v = vec!["embedding".to_string()];
        v.extend((0..self.layers).map(|k| format!("{}_{k}", self.cell.prefix())));
        v.push("head".into());
        v
    }

    /// Parameter-group names in plan order: the layers, then an auxiliary head per LSTM.
    pub fn group_names(&self) -> Vec<String> {
        let mut v = self.layer_names();
        v.extend((0..self.layers).map(|k| format!("aux_{k}")));
        v
    }

    /// Checks sizes a user can get wrong; the message says which flag to change.
    pub fn validate(&self) -> Result<(), String> {
        if !matches!(self.architecture.as_str(), "seed" | "seed-stacked" | "gru") {
            return Err(format!("unknown model '{}' (expected seed, seed-stacked or gru)", self.architecture));
        }
        for (v, flag) in [
            (self.vocab_size, "--num-words"),
            (self.embedding_dim, "--embedding-dim"),
            (self.units, "--units"),
            (self.layers, "--layers"),
        ] {
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
        Ok(())
    }
}

/// Where each layer's parameters live in the flat store.
#[derive(Clone, Debug)]
pub struct Layout {
    pub embedding: std::ops::Range<usize>,
    pub rnn: Vec<RnnLayout>,
    pub head_kernel: std::ops::Range<usize>,
    pub head_bias: std::ops::Range<usize>,
    /// Auxiliary classifiers (kernel `[H, K]`, bias `[K]`) on each LSTM layer's last state,
    /// used by stage-wise schedules during training only; empty unless added, never saved.
    pub aux: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
}

#[derive(Clone, Debug)]
pub struct RnnLayout {
    pub kernel: std::ops::Range<usize>,
    pub recurrent: std::ops::Range<usize>,
    pub bias: std::ops::Range<usize>,
}

impl Layout {
    /// The parameter range of a named layer (`embedding`, `lstm_k`, `head`).
    pub fn layer_range(&self, name: &str) -> Option<std::ops::Range<usize>> {
        match name {
            "embedding" => Some(self.embedding.clone()),
            "head" => Some(self.head_kernel.start..self.head_bias.end),
            _ if name.starts_with("aux_") => {
                let k: usize = name.strip_prefix("aux_")?.parse().ok()?;
                self.aux.get(k).map(|(kr, br)| kr.start..br.end)
            }
            _ => {
                let k: usize = name.strip_prefix("lstm_").or_else(|| name.strip_prefix("gru_"))?.parse().ok()?;
                self.rnn.get(k).map(|l| l.kernel.start..l.bias.end)
            }
        }
    }
}

/// A model's configuration and parameters.
#[derive(Clone, Debug)]
pub struct Model {
    pub config: ModelConfig,
    pub params: ParamStore,
    pub layout: Layout,
}

impl Model {
    /// Lays out zero parameters for `config` (the embedding first, so that its gradient —
    /// the one large, sparse block — is one contiguous range).
    pub fn zeros(config: ModelConfig) -> Model {
        let shapes = config.tensor_shapes().expect("the model's sizes overflow usize");
        let mut p = ParamStore::default();
        let r: Vec<std::ops::Range<usize>> = shapes.iter().map(|(name, shape)| p.add(name, shape)).collect();
        let l = config.layers;
        let rnn = (0..l)
            .map(|k| RnnLayout {
                kernel: r[1 + 3 * k].clone(),
                recurrent: r[2 + 3 * k].clone(),
                bias: r[3 + 3 * k].clone(),
            })
            .collect();
        let (head_kernel, head_bias) = (r[1 + 3 * l].clone(), r[2 + 3 * l].clone());
        Model {
            config,
            params: p,
            layout: Layout { embedding: r[0].clone(), rnn, head_kernel, head_bias, aux: Vec::new() },
        }
    }

    /// Keras's initialisation, from `seed`.
    pub fn new(config: ModelConfig, seed: u64) -> Model {
        let mut m = Model::zeros(config);
        let mut rng = Rng::derive(seed, 0x696e6974); // "init"
        let (e, h, k) = (m.config.embedding_dim, m.config.units, m.config.outputs());
        let data = &mut m.params.data;
        init::uniform(&mut data[m.layout.embedding.clone()], 0.05, &mut rng);
        let g = m.config.cell.gates() * h;
        for (i, l) in m.layout.rnn.iter().enumerate() {
            let inp = if i == 0 { e } else { h };
            init::glorot_uniform(&mut data[l.kernel.clone()], inp, g, &mut rng);
            init::orthogonal(&mut data[l.recurrent.clone()], h, g, &mut rng);
            let bias = &mut data[l.bias.clone()];
            bias.fill(0.0);
            if m.config.cell == Cell::Lstm {
                bias[h..2 * h].fill(1.0); // unit_forget_bias
            }
        }
        init::glorot_uniform(&mut data[m.layout.head_kernel.clone()], h, k, &mut rng);
        data[m.layout.head_bias.clone()].fill(0.0);
        m
    }

    /// Appends one auxiliary classifier per LSTM layer (`aux_k.kernel`, `aux_k.bias`),
    /// glorot-initialised from their own stream of `seed`, so the main layers' initial values
    /// do not depend on whether a schedule uses auxiliary heads.
    pub fn add_aux_heads(&mut self, seed: u64) {
        if !self.layout.aux.is_empty() {
            return;
        }
        let (h, k) = (self.config.units, self.config.outputs());
        let mut rng = Rng::derive(seed, 0x617578); // "aux"
        for i in 0..self.config.layers {
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
    fn param_count_matches_the_layout_for_every_cell() {
        for cell in [Cell::Lstm, Cell::Gru] {
            for layers in 1..=3 {
                let c = ModelConfig { layers, cell, num_classes: 3, ..ModelConfig::seed(50) };
                assert_eq!(c.param_count(), Some(Model::zeros(c.clone()).params.len()), "{cell:?} x{layers}");
            }
        }
        let huge = ModelConfig { vocab_size: usize::MAX / 2, ..ModelConfig::seed(2) };
        assert_eq!(huge.param_count(), None);
    }
}
