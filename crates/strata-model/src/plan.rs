//! What one training stage computes, supervises and trains: the contract between a schedule
//! (which builds plans) and the network (which runs them). Groups are in [`crate::group`].

pub use crate::group::{Group, GroupMap};

/// What one stage computes and trains, for a model of `L` levels (the body's layers with
/// parameters; see `model`).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Levels computed, `1..=L`; the levels above are absent.
    pub depth: usize,
    /// Loss weight of the final head; 0 leaves it out (it needs `depth == L`).
    pub head_weight: f32,
    /// Loss weight of an auxiliary classifier on each level's summary vector; 0 = none.
    pub aux_weights: Vec<f32>,
    /// Which groups train.
    pub trainable: GroupMap<bool>,
    /// No gradient crosses a level boundary: each level learns only from the classifier on it
    /// (its auxiliary head, or the final head on the top level), reading the level below as a
    /// fixed input — decoupled greedy learning (Belilovsky et al. 2020). The embedding still
    /// learns with level 0.
    pub detach_levels: bool,
}

impl Plan {
    /// Every layer, the final head, no auxiliary heads: the seed's end-to-end training.
    pub fn end_to_end(levels: usize) -> Plan {
        let trainable = GroupMap::from_fn(levels, |g| !matches!(g, Group::Aux(_)));
        Plan { depth: levels, head_weight: 1.0, aux_weights: vec![0.0; levels], trainable, detach_levels: false }
    }

    /// Prediction only: the final head on all layers.
    pub fn inference(levels: usize) -> Plan {
        Plan { trainable: GroupMap::filled(levels, false), ..Plan::end_to_end(levels) }
    }

    /// The lowest trainable group among the embedding and the computed levels
    /// ([`Group::Embedding`] or a [`Group::Level`]); backward stops there, since heads need no
    /// gradient through the layers below it. `None` if only heads train.
    pub fn lowest_trainable_layer(&self) -> Option<Group> {
        self.trainable.selected().find(|g| *g == Group::Embedding || matches!(g, Group::Level(k) if *k < self.depth))
    }

    /// The classifier whose accuracy is reported: the final head if it is on, else the
    /// auxiliary head of the top computed layer.
    pub fn reports_head(&self) -> bool {
        self.head_weight > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{Activation, DenseConfig, LstmConfig, MeanPoolConfig};
    use crate::model::{Model, ModelConfig};
    use std::ops::Range;

    fn two_levels() -> ModelConfig {
        ModelConfig {
            layers: vec![
                LstmConfig { units: 3, bidirectional: false }.into(),
                MeanPoolConfig {}.into(),
                DenseConfig { units: 2, activation: Activation::Relu }.into(),
            ],
            ..ModelConfig::seed(10)
        }
    }

    #[test]
    fn groups_come_bottom_up_with_their_names() {
        let c = two_levels();
        let names: Vec<String> = c.groups().map(|g| c.group_name(g)).collect();
        assert_eq!(names, ["embedding", "lstm_0", "dense_0", "head", "aux_0", "aux_1"]);
        assert!(c.groups().collect::<Vec<_>>().windows(2).all(|w| w[0] < w[1]), "the order is the derived one");
        for g in c.groups() {
            assert_eq!(c.group_by_name(&c.group_name(g)), Some(g));
        }
        assert_eq!(c.group_by_name("lstm_1"), None);
    }

    #[test]
    fn backward_stops_at_the_lowest_trainable_computed_layer() {
        let mut plan = Plan::end_to_end(3);
        assert_eq!(plan.lowest_trainable_layer(), Some(Group::Embedding));
        plan.trainable[Group::Embedding] = false;
        plan.trainable[Group::Level(0)] = false;
        assert_eq!(plan.lowest_trainable_layer(), Some(Group::Level(1)));
        plan.depth = 1;
        assert_eq!(plan.lowest_trainable_layer(), None, "level 1 is not computed");
        assert_eq!(Plan::inference(3).lowest_trainable_layer(), None);
    }

    #[test]
    fn layout_ranges_tile_the_store() {
        let mut m = Model::new(two_levels(), 1);
        m.add_aux_heads(1);
        let ranges: Vec<Range<usize>> = m.config.groups().map(|g| m.layout.range(g).unwrap()).collect();
        assert_eq!(ranges.first().unwrap().start, 0);
        assert!(ranges.windows(2).all(|w| w[0].end == w[1].start), "{ranges:?}");
        assert_eq!(ranges.last().unwrap().end, m.params.len());
        assert_eq!(m.layout.range(Group::Level(2)), None);
    }
}
