//! The small model the level-by-level gradient tests build (`decoupled_gradients.rs`,
//! `level_feed_gradients.rs`): a vocabulary of 12 ids, embeddings 4 wide, two classes; and the
//! plan of the `decoupled` stage they both differentiate.

use strata_model::model::LayerSpec;
use strata_model::network::Plan;
use strata_model::plan::Group;
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

/// Every level trains, each with its classifier (aux heads below the top), levels detached:
/// the `decoupled` stage.
pub fn decoupled(levels: usize) -> Plan {
    let mut plan = Plan::end_to_end(levels);
    plan.detach_levels = true;
    for k in 0..levels - 1 {
        plan.aux_weights[k] = 1.0;
        plan.trainable[Group::Aux(k)] = true;
    }
    plan
}
