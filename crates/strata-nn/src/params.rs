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
