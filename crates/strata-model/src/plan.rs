//! What one training stage computes, supervises and trains: the contract between a schedule
//! (which builds plans) and the network (which runs them).
//!
//! A model's parameters fall into **groups**, the unit a schedule trains, freezes and scales:
//! the embedding, each level (a body layer with parameters), the final head, and an auxiliary
//! head per level. [`Group`] names one; [`GroupMap`] holds a value per group of a model.

use std::ops::{Index, IndexMut, Range};

use crate::model::{Layout, ModelConfig};

/// One parameter group. The derived order is [`Group::all`]'s: the embedding, the levels bottom
/// up, the head, then the auxiliary heads — so between the embedding and the levels, `a < b`
/// reads "a is below b" (how backward finds where to stop).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Embedding,
    /// Level `k` (0-based): the body's `k`-th layer with parameters (`lstm_0`, `conv1d_0`, …).
    Level(usize),
    /// The final classifier.
    Head,
    /// The auxiliary classifier on level `k`'s summary vector (training scaffolding).
    Aux(usize),
}

impl Group {
    /// Every group of a model with `levels` levels, in order.
    pub fn all(levels: usize) -> impl Iterator<Item = Group> {
        std::iter::once(Group::Embedding)
            .chain((0..levels).map(Group::Level))
            .chain(std::iter::once(Group::Head))
            .chain((0..levels).map(Group::Aux))
    }

    /// The group a placed layer belongs to, from its `Placed::group` number (0 the embedding,
    /// `k + 1` level `k`).
    pub fn of_level_index(index: usize) -> Group {
        match index.checked_sub(1) {
            None => Group::Embedding,
            Some(k) => Group::Level(k),
        }
    }

    /// The inverse of [`Group::of_level_index`]; `None` for the heads.
    pub fn level_index(self) -> Option<usize> {
        match self {
            Group::Embedding => Some(0),
            Group::Level(k) => k.checked_add(1),
            Group::Head | Group::Aux(_) => None,
        }
    }
}

/// A value per parameter group of a model with a given number of levels, iterated in group
/// order. Indexing with a group the model does not have (a level past the top) panics.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupMap<T> {
    levels: usize,
    /// One value per group, in [`Group::all`] order.
    values: Vec<T>,
}

impl<T> GroupMap<T> {
    /// `f(group)` for every group of a model with `levels` levels.
    pub fn from_fn(levels: usize, f: impl FnMut(Group) -> T) -> GroupMap<T> {
        GroupMap { levels, values: Group::all(levels).map(f).collect() }
    }

    /// `value` for every group.
    pub fn filled(levels: usize, value: T) -> GroupMap<T>
    where
        T: Clone,
    {
        GroupMap::from_fn(levels, |_| value.clone())
    }

    /// The number of levels the map was made for.
    pub fn levels(&self) -> usize {
        self.levels
    }

    /// Where `g`'s value lives: the one place that knows the order as numbers.
    fn slot(&self, g: Group) -> Option<usize> {
        let l = self.levels;
        match g {
            Group::Embedding => Some(0),
            Group::Level(k) if k < l => Some(1 + k),
            Group::Head => Some(1 + l),
            Group::Aux(k) if k < l => Some(2 + l + k),
            Group::Level(_) | Group::Aux(_) => None,
        }
    }

    pub fn get(&self, g: Group) -> Option<&T> {
        self.slot(g).map(|i| &self.values[i])
    }

    /// Every group with its value, in group order.
    pub fn iter(&self) -> impl Iterator<Item = (Group, &T)> {
        Group::all(self.levels).zip(&self.values)
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.values.iter()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.values.iter_mut()
    }
}

impl GroupMap<bool> {
    /// The groups whose value is `true`, in group order.
    pub fn selected(&self) -> impl Iterator<Item = Group> + '_ {
        self.iter().filter(|(_, &on)| on).map(|(g, _)| g)
    }
}

impl<T> Index<Group> for GroupMap<T> {
    type Output = T;

    fn index(&self, g: Group) -> &T {
        match self.slot(g) {
            Some(i) => &self.values[i],
            None => panic!("{g:?} is not a group of a model with {} levels", self.levels),
        }
    }
}

impl<T> IndexMut<Group> for GroupMap<T> {
    fn index_mut(&mut self, g: Group) -> &mut T {
        match self.slot(g) {
            Some(i) => &mut self.values[i],
            None => panic!("{g:?} is not a group of a model with {} levels", self.levels),
        }
    }
}

impl ModelConfig {
    /// The model's parameter groups, in order.
    pub fn groups(&self) -> impl Iterator<Item = Group> {
        Group::all(self.levels())
    }

    /// A group's name, as `--freeze`, `--lr-mult`, schedule files and stage names spell it:
    /// `embedding`, the level's layer name (`lstm_0`, `conv1d_0`, …), `head`, `aux_k`.
    pub fn group_name(&self, g: Group) -> String {
        match g {
            Group::Embedding => "embedding".into(),
            Group::Level(k) => self
                .placed()
                .ok()
                .and_then(|placed| placed.into_iter().filter(|p| p.spec.layer().has_params()).nth(k))
                .map_or_else(|| format!("level_{k}"), |p| p.name),
            Group::Head => "head".into(),
            Group::Aux(k) => format!("aux_{k}"),
        }
    }

    /// The group called `name` (see [`ModelConfig::group_name`]).
    pub fn group_by_name(&self, name: &str) -> Option<Group> {
        self.groups().find(|&g| self.group_name(g) == name)
    }
}

impl Layout {
    /// Where a group's parameters live in the flat store; `None` for a level past the top, or
    /// an auxiliary head not added.
    pub fn range(&self, g: Group) -> Option<Range<usize>> {
        match g {
            Group::Embedding => Some(self.embedding.clone()),
            Group::Level(_) => self.levels.get(g.level_index()?).cloned(),
            Group::Head => Some(self.head_kernel.start..self.head_bias.end),
            Group::Aux(k) => self.aux.get(k).map(|(kr, br)| kr.start..br.end),
        }
    }
}

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
}

impl Plan {
    /// Every layer, the final head, no auxiliary heads: the seed's end-to-end training.
    pub fn end_to_end(layers: usize) -> Plan {
        let trainable = GroupMap::from_fn(layers, |g| !matches!(g, Group::Aux(_)));
        Plan { depth: layers, head_weight: 1.0, aux_weights: vec![0.0; layers], trainable }
    }

    /// Prediction only: the final head on all layers.
    pub fn inference(layers: usize) -> Plan {
        Plan { trainable: GroupMap::filled(layers, false), ..Plan::end_to_end(layers) }
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
    use crate::model::Model;

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
        assert_eq!(Group::of_level_index(0), Group::Embedding);
        assert_eq!(Group::of_level_index(2), Group::Level(1));
        assert_eq!(Group::Level(1).level_index(), Some(2));
    }

    #[test]
    fn a_group_map_holds_one_value_per_group() {
        let mut m = GroupMap::filled(2, false);
        m[Group::Level(1)] = true;
        m[Group::Aux(0)] = true;
        assert_eq!(m.selected().collect::<Vec<_>>(), [Group::Level(1), Group::Aux(0)]);
        assert_eq!(m.values().count(), 6);
        assert_eq!(m.get(Group::Level(2)), None);
        assert!(std::panic::catch_unwind(|| m[Group::Aux(2)]).is_err());
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
