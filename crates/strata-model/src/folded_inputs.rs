//! Inference's shortcut through the first recurrent layer: over an embedding, a step's input
//! projection `x·W + b` depends on its token id alone, so a call over many texts computes it
//! once per id it reads and every step copies its id's row. Neither the embedding's output
//! nor the layer's input product is then computed per token (on the seed model that product is
//! 128·256 of the 192·256 multiply-adds of a step's gates). A row's product does not depend on
//! the other rows (`gemm.rs`'s test), so the logits carry the bits they have without it.
//!
//! The tables hold the ids the call reads, no others, so a call never computes more products
//! than it would without them (a block of steps already computes its repeated rows once): a
//! call adds all its ids at once when they fit in [`FOLD_BYTES`], else each batch adds the
//! ids it reads that are not in yet, the tables starting again from a batch whose new ids
//! would not fit. They live for one call ([`crate::infer`]) and borrow the model, so a
//! trained weight cannot change under them.

use crate::layers::Layer;
use crate::model::Model;

/// The most a call's tables hold, all directions together.
pub const FOLD_BYTES: usize = 64 << 20;

/// A call folds only when it reads at least one token per this many vocabulary ids: the id map
/// holds a `u32` per id, which a shorter call would spend more time clearing than it saves.
pub const IDS_PER_TOKEN: usize = 16;

/// An id that has no row in the tables.
pub const NOT_FOLDED: u32 = u32::MAX;

/// An id collected as new while a batch is read (never a row: the tables hold far fewer).
const COLLECTED: u32 = u32::MAX - 1;

/// The first layer's input projection for the ids a call has read so far: one `[U, W']` table
/// per direction, and each vocabulary id's row in them.
pub struct FoldedInputs<'m> {
    model: &'m Model,
    /// `[V]` each id's row in the tables, [`NOT_FOLDED`] where it has none
    row_of_id: Vec<u32>,
    /// `[U]` the folded ids in row order (to clear `row_of_id` when the tables start again)
    ids: Vec<u32>,
    /// per direction `[U, W']`
    tables: Vec<Vec<f32>>,
    /// the most rows the tables hold: `bytes` over a row's values in every direction
    capacity: usize,
    /// `W'`, a row's values in one direction
    width: usize,
    /// `[n]` a batch's ids not yet folded
    new_ids: Vec<u32>,
}

impl<'m> FoldedInputs<'m> {
    /// Empty tables for a call over `ids: [N, T]`, when `model`'s first layer reads the
    /// embedding through a per-row product (a recurrent layer on a single-channel embedding)
    /// and the call reads at least one token per [`IDS_PER_TOKEN`] vocabulary ids; they hold
    /// at most [`FOLD_BYTES`].
    pub fn for_call(model: &'m Model, ids: &[u32]) -> Option<FoldedInputs<'m>> {
        FoldedInputs::holding(model, ids, FOLD_BYTES)
    }

    /// [`FoldedInputs::for_call`] holding at most `bytes`.
    pub fn holding(model: &'m Model, ids: &[u32], bytes: usize) -> Option<FoldedInputs<'m>> {
        let first = model.placed.first()?;
        let (v, e) = (model.config.vocab_size, model.config.embedding_dim);
        let one_channel = model.layout.static_embedding.is_none() && first.input.width == e;
        if !one_channel || ids.len().saturating_mul(IDS_PER_TOKEN) < v {
            return None;
        }
        let (directions, width) = first_layer(model).folded_shape()?;
        Some(FoldedInputs {
            model,
            row_of_id: vec![NOT_FOLDED; v],
            ids: Vec::new(),
            tables: vec![Vec::new(); directions],
            capacity: bytes / (4 * directions * width).max(1),
            width,
            new_ids: Vec::new(),
        })
    }

    /// Folds the ids of `ids` (the next batch's) that are not in the tables yet, starting the
    /// tables again first when they would not fit; false when the batch's ids alone would not
    /// fit (it then runs without the tables).
    pub fn add(&mut self, ids: &[u32]) -> bool {
        self.collect_new(ids);
        if self.ids.len() + self.new_ids.len() > self.capacity {
            self.clear();
            self.collect_new(ids);
            if self.new_ids.len() > self.capacity {
                self.clear();
                return false;
            }
        }
        let n = self.new_ids.len() * self.width;
        let mut out: Vec<&mut [f32]> =
            self.tables.iter_mut().map(|table| grow(table, n, self.capacity * self.width)).collect();
        let (p, model) = (&self.model.params.data, self.model);
        first_layer(model).fold_inputs(p, &p[model.layout.embedding.clone()], &self.new_ids, &mut out);
        for &id in &self.new_ids {
            self.row_of_id[id as usize] = self.ids.len() as u32;
            self.ids.push(id);
        }
        true
    }

    /// `new_ids` = the distinct ids of `ids` with no row yet, in order of first appearance.
    fn collect_new(&mut self, ids: &[u32]) {
        self.new_ids.clear();
        let v = self.row_of_id.len();
        for &id in ids {
            let Some(row) = self.row_of_id.get_mut(id as usize) else {
                panic!("embedding: id {id} out of range for vocabulary {v}");
            };
            if *row == NOT_FOLDED {
                *row = COLLECTED;
                self.new_ids.push(id);
            }
        }
        self.new_ids.iter().for_each(|&id| self.row_of_id[id as usize] = NOT_FOLDED);
    }

    /// Empties the tables.
    fn clear(&mut self) {
        self.ids.iter().for_each(|&id| self.row_of_id[id as usize] = NOT_FOLDED);
        self.ids.clear();
        self.tables.iter_mut().for_each(Vec::clear);
    }

    /// Whether these are `model`'s tables.
    pub fn of(&self, model: &Model) -> bool {
        std::ptr::eq(self.model, model)
    }

    /// Whether `id` has a row in the tables.
    pub fn holds(&self, id: u32) -> bool {
        self.row_of_id.get(id as usize).is_some_and(|&row| (row as usize) < self.ids.len())
    }

    /// `[V]` each vocabulary id's row in the tables ([`NOT_FOLDED`] where it has none).
    pub fn row_of_id(&self) -> &[u32] {
        &self.row_of_id
    }

    /// One `[U, W']` table per direction of the first layer.
    pub fn tables(&self) -> &[Vec<f32>] {
        &self.tables
    }

    /// How many ids the tables hold.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the tables hold no id.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// The `n` values `table` grows by, zero: a new allocation when it is empty (zero pages, which
/// the cores that write the rows fault in as they go, rather than one core writing zeros
/// first: a call that folds all its ids at once grows its tables only so), else in place
/// within room for `most` values, reserved at the first growth (one copy; only the rows
/// written take memory), the new rows zeroed first.
fn grow(table: &mut Vec<f32>, n: usize, most: usize) -> &mut [f32] {
    if table.is_empty() {
        *table = vec![0.0; n];
        return table;
    }
    if table.capacity() < table.len() + n {
        table.reserve_exact(most.max(table.len() + n) - table.len());
    }
    let at = table.len();
    table.resize(at + n, 0.0);
    &mut table[at..]
}

/// The runtime of `model`'s first layer (cheap to build: its buffers grow on first use).
fn first_layer(model: &Model) -> Box<dyn Layer> {
    let first = &model.placed[0];
    first.spec.layer().build(first.input, first.output, model.layout.layers[0].clone())
}
