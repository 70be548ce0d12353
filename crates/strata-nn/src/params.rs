//! All parameters in one flat buffer, with named views.
//!
//! Gradients and optimizer state use the same layout, so the optimizer is one loop over index
//! ranges and freezing a layer means skipping its range. Names are dotted (`lstm_0.kernel`) and
//! are the safetensors keys.

use std::ops::Range;

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
    pub data: Vec<f32>,
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
}
