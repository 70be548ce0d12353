//! The small model the level-by-level gradient tests build (`decoupled_gradients.rs`,
//! `level_feed_gradients.rs`): a vocabulary of 12 ids, embeddings 4 wide, two classes.

use strata_model::model::LayerSpec;
use strata_model::ModelConfig;

pub const V: usize = 12;

pub fn config(architecture: &str, layers: Vec<LayerSpec>) -> ModelConfig {
    ModelConfig {
        architecture: architecture.into(),
        vocab_size: V,
        embedding_dim: 4,
        layers,
        num_classes: 2,
        embedding_init: 0.05,
        multichannel: false,
        mask_padding: false,
        multi_label: false,
    }
}
