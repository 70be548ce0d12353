//! A model's parameters fall into **groups**, the unit a schedule trains, freezes and scales:
//! the embedding, each level (a body layer with parameters), the final head, and an auxiliary
//! head per level. [`Group`] names one; [`GroupMap`] holds a value per group of a model. The
//! model places its layers into groups and lays out their ranges
//! ([`crate::model::Layout::range`]); a [`crate::plan::Plan`] says which groups train.

use std::ops::{Index, IndexMut};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
