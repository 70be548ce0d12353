//! All parameters in one flat buffer, with named views.
//!
//! Gradients and optimizer state use the same layout, so the optimizer is one loop over index
//! ranges and freezing a layer means skipping its range. Names are dotted (`lstm_0.kernel`) and
//! are the safetensors keys.
//!
//! The values carry a generation ([`Values`]): every mutable access stamps them with a number
//! no other values have had, so a cache built from them (an inference's packed kernels, kept
//! across calls) knows they are unchanged by comparing one number instead of every bit.

use std::ops::{Deref, DerefMut, Range};
use std::sync::atomic::{AtomicU64, Ordering};

/// The next generation any [`Values`] in this process may take.
static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

fn next_generation() -> u64 {
    NEXT_GENERATION.fetch_add(1, Ordering::Relaxed)
}

/// A store's values and their generation. Reading goes through `Deref` (a `Vec<f32>`);
/// writing through `DerefMut`, which gives the values a new generation before handing them
/// out, so two values with the same generation hold the same bits: the one that was written
/// last was given a number of its own, and a clone keeps the number only while it is not
/// written. The borrow rules make this exact: nothing can read the values, and so nothing can
/// build a cache from them, while a mutable borrow is alive.
#[derive(Clone, Debug)]
pub struct Values {
    values: Vec<f32>,
    generation: u64,
}

impl Values {
    /// The number that changes whenever the values may have: equal generations, equal bits.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn into_vec(self) -> Vec<f32> {
        self.values
    }
}

impl From<Vec<f32>> for Values {
    fn from(values: Vec<f32>) -> Self {
        Values { values, generation: next_generation() }
    }
}

impl Default for Values {
    fn default() -> Self {
        Vec::new().into()
    }
}

impl Deref for Values {
    type Target = Vec<f32>;
    fn deref(&self) -> &Vec<f32> {
        &self.values
    }
}

impl DerefMut for Values {
    fn deref_mut(&mut self) -> &mut Vec<f32> {
        self.generation = next_generation();
        &mut self.values
    }
}

/// Equal values, whatever their generations (as two `Vec<f32>` compare).
impl PartialEq for Values {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values
    }
}

impl<'a> IntoIterator for &'a Values {
    type Item = &'a f32;
    type IntoIter = std::slice::Iter<'a, f32>;
    fn into_iter(self) -> Self::IntoIter {
        self.values.iter()
    }
}

/// One named tensor inside the flat buffer.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub range: Range<usize>,
}

/// Parameter values plus their layout. Gradients and optimizer moments are separate `Vec<f32>`
/// of `len()` elements in the same layout.
#[derive(Clone, Debug, Default)]
pub struct ParamStore {
    pub specs: Vec<ParamSpec>,
    pub data: Values,
}

impl ParamStore {
    /// Adds a zero-filled tensor and returns its range.
    pub fn add(&mut self, name: &str, shape: &[usize]) -> Range<usize> {
        assert!(self.find(name).is_none(), "parameter '{name}' declared twice");
        let len: usize = shape.iter().product();
        let range = self.data.len()..self.data.len() + len;
        // exact growth: a doubling Vec held up to twice the weights (10 MB for han's 5.6 MB)
        self.data.reserve_exact(len);
        self.data.resize(range.end, 0.0);
        self.specs.push(ParamSpec { name: name.into(), shape: shape.to_vec(), range: range.clone() });
        range
    }

    pub fn find(&self, name: &str) -> Option<&ParamSpec> {
        self.specs.iter().find(|s| s.name == name)
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The values of one named tensor. Panics on an unknown name (a programming error).
    pub fn get(&self, name: &str) -> &[f32] {
        let s = self.find(name).unwrap_or_else(|| panic!("no parameter named '{name}'"));
        &self.data[s.range.clone()]
    }

    pub fn get_mut(&mut self, name: &str) -> &mut [f32] {
        let r = self.find(name).unwrap_or_else(|| panic!("no parameter named '{name}'")).range.clone();
        &mut self.data[r]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The store holds its weights and no more: growth by doubling left up to half of the
    /// buffer unused for the whole run (issue 14, han's peak memory).
    #[test]
    fn the_store_holds_exactly_its_weights() {
        let mut store = ParamStore::default();
        for (i, shape) in [[300usize, 7], [7, 1], [1000, 3], [3, 3]].iter().enumerate() {
            let range = store.add(&format!("p{i}"), shape);
            assert_eq!(range.len(), shape.iter().product::<usize>());
            assert_eq!(store.data.capacity(), store.len(), "after p{i}");
        }
        assert_eq!(store.len(), 2100 + 7 + 3000 + 9);
    }

    /// Every way of writing the values gives them a generation they never had; reading, and
    /// cloning without writing, keep it; separate stores never share one.
    #[test]
    fn a_write_gives_the_values_a_new_generation() {
        let mut store = ParamStore::default();
        store.add("w", &[4]);
        let g0 = store.data.generation();
        let read: f32 = store.data.iter().sum::<f32>() + store.get("w")[0] + store.data[1];
        assert_eq!((read, store.data.generation()), (0.0, g0), "reading keeps the generation");
        let copy = store.clone();
        assert_eq!(copy.data.generation(), g0, "a clone holds the same bits");
        let mut seen = vec![g0];
        let writes: [&dyn Fn(&mut ParamStore); 4] = [
            &|s| s.data[0] = 1.0,
            &|s| s.get_mut("w")[1] = 2.0,
            &|s| s.data.iter_mut().for_each(|v| *v += 1.0),
            &|s| s.data = vec![0.0; 4].into(),
        ];
        for (i, write) in writes.iter().enumerate() {
            write(&mut store);
            let g = store.data.generation();
            assert!(!seen.contains(&g), "write {i} kept generation {g}");
            seen.push(g);
        }
        assert_eq!(copy.data.generation(), g0, "writing the original leaves the clone's");
        assert_ne!(ParamStore::default().data.generation(), ParamStore::default().data.generation());
    }
}
