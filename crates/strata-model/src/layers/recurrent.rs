//! LSTM and GRU layers, one direction or both (concatenated): Keras's `LSTM(units)`,
//! `GRU(units, reset_after=True)` and `Bidirectional(...)` around either.
//!
//! Reads `[T, N, D]`; gives `[T, N, H·dirs]` when the layer above reads a sequence
//! (`return_sequences=True`), else the last state `[N, H·dirs]`. Tensors per direction
//! (`forward.`/`backward.` prefixes when bidirectional): `kernel [D, G·H]` (glorot-uniform),
//! `recurrent_kernel [H, G·H]` (orthogonal), `bias` (`[4H]` with the forget gate at 1 for an
//! LSTM, `[2, 3H]` for a GRU), `G` gates.

use std::ops::Range;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use strata_nn::bidirectional::{self, BiCache, BiGrads, BiParams};
use strata_nn::rnn_cache::infer::{fold_rows, InferInput, InferOut, RnnInfer};
use strata_nn::row_groups::{GroupedDx, RowGroups};
use strata_nn::scratch;
use strata_nn::step_mask::StepMask;
use strata_nn::{Cell, Rng, RnnCache, RnnDims, RnnGrads, RnnOutputGrads, RnnParams};

use super::{
    at_least_one, grad_views, mul, Context, Folded, Grads, Init, Layer, LayerType, Misfit, Reads, Rows, Shape, Tensor,
    Values,
};

/// `[[layer]] type = "lstm"`: Keras `LSTM(units)`, or `Bidirectional(LSTM(units))`
/// (concatenated, `2·units` wide).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LstmConfig {
    pub units: usize,
    #[serde(default)]
    pub bidirectional: bool,
}

/// `[[layer]] type = "gru"`: Keras `GRU(units, reset_after=True)`, optionally bidirectional.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GruConfig {
    pub units: usize,
    #[serde(default)]
    pub bidirectional: bool,
}

/// What LSTM and GRU layers share: everything but the cell.
struct RecurrentRule {
    cell: Cell,
    units: usize,
    bidirectional: bool,
}

impl RecurrentRule {
    fn kind(&self) -> &'static str {
        match (self.cell, self.bidirectional) {
            (Cell::Lstm, false) => "lstm",
            (Cell::Lstm, true) => "bilstm",
            (Cell::Gru, false) => "gru",
            (Cell::Gru, true) => "bigru",
        }
    }

    fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }

    fn output(&self, at: Context) -> Result<Shape, Misfit> {
        at_least_one(&[self.units])?;
        let width = self.units.checked_mul(self.directions()).ok_or("units overflow")?;
        Ok(Shape { sequence: at.above_reads_sequence, width, ..at.input })
    }

    fn tensors(&self, d: usize) -> Option<Vec<Tensor>> {
        let (h, cell) = (self.units, self.cell);
        let g = mul(h, cell.gates())?;
        let dirs: &[&str] = if self.bidirectional { &["forward.", "backward."] } else { &[""] };
        let bias = match cell {
            Cell::Lstm => Init::LstmBias { units: h },
            Cell::Gru => Init::Zeros,
        };
        let mut v = Vec::new();
        for dir in dirs {
            v.push(Tensor::new(format!("{dir}kernel"), vec![d, g], Init::GlorotUniform { fan_in: d, fan_out: g }));
            v.push(Tensor::new(format!("{dir}recurrent_kernel"), vec![h, g], Init::Orthogonal { rows: h, cols: g }));
            v.push(Tensor::new(format!("{dir}bias"), cell.bias_shape(h), bias));
        }
        Some(v)
    }

    fn build(&self, input: Shape, output: Shape, ranges: Vec<Range<usize>>) -> Box<dyn Layer> {
        Box::new(Recurrent::new(self, input.width, output.sequence, ranges))
    }
}

/// The LSTM and GRU configs are the same rule with another cell.
macro_rules! recurrent_type {
    ($config:ty, $cell:expr) => {
        impl $config {
            fn rule(&self) -> RecurrentRule {
                RecurrentRule { cell: $cell, units: self.units, bidirectional: self.bidirectional }
            }
        }

        impl LayerType for $config {
            fn kind(&self) -> &'static str {
                self.rule().kind()
            }

            fn reads(&self) -> Reads {
                Reads::Sequence
            }

            fn output(&self, at: Context) -> Result<Shape, Misfit> {
                self.rule().output(at)
            }

            fn tensors(&self, input_width: usize) -> Option<Vec<Tensor>> {
                self.rule().tensors(input_width)
            }

            fn build(&self, input: Shape, output: Shape, ranges: Vec<Range<usize>>) -> Box<dyn Layer> {
                self.rule().build(input, output, ranges)
            }

            fn summary_is_last_state(&self) -> bool {
                true
            }

            fn skips_padding_when_masked(&self) -> bool {
                true
            }
        }
    };
}

recurrent_type!(LstmConfig, Cell::Lstm);
recurrent_type!(GruConfig, Cell::Gru);

/// One direction's activations or both directions' (boxed: a cache is a few hundred bytes of
/// buffer handles, and the enum should not be the size of its larger variant).
enum Directions {
    One(Box<RnnCache>),
    Both(Box<BiCache>),
}

pub struct Recurrent {
    cell: Cell,
    /// input width `E`, units per direction `H`
    e: usize,
    h: usize,
    /// return_sequences: the output is `[T, N, D]` rather than the last state `[N, D]`
    sequences: bool,
    /// kernel, recurrent kernel, bias — per direction
    ranges: Vec<Range<usize>>,
    cache: Directions,
    dims: RnnDims,
    /// `[N, D]` scratch: gradient at the last state from above plus from an auxiliary head
    dlast_sum: Vec<f32>,
    /// What `infer` keeps (made on its first call); `Some` with `ran` set after an `infer`,
    /// which `output` then reads instead of the training cache.
    inference: Option<Box<Inference>>,
}

/// The inference path's state: one running state per direction, the packed mask, and the
/// output only (`[T, N, D]` when the layer above reads a sequence) and the last state `[N, D]`.
struct Inference {
    directions: Vec<RnnInfer>,
    mask: StepMask,
    seq: Vec<f32>,
    last: Vec<f32>,
    /// whether the last forward of the layer was `infer`
    ran: bool,
}

impl Recurrent {
    /// A layer of `rule`'s cell and directions on inputs `e` wide.
    fn new(rule: &RecurrentRule, e: usize, sequences: bool, ranges: Vec<Range<usize>>) -> Self {
        let (cell, h) = (rule.cell, rule.units);
        let cache = if rule.bidirectional {
            Directions::Both(Box::new(BiCache::new(cell)))
        } else {
            Directions::One(Box::new(RnnCache::new(cell)))
        };
        Recurrent {
            cell,
            e,
            h,
            sequences,
            ranges,
            cache,
            dims: RnnDims { b: 0, t: 0, e, h },
            dlast_sum: Vec::new(),
            inference: None,
        }
    }
}

/// Direction `dir`'s parameters (kernel, recurrent kernel, bias) from the flat store.
fn params<'a>(ranges: &[Range<usize>], p: &'a [f32], dir: usize) -> RnnParams<'a> {
    let r = &ranges[3 * dir..3 * dir + 3];
    RnnParams { kernel: &p[r[0].clone()], recurrent: &p[r[1].clone()], bias: &p[r[2].clone()] }
}

/// Both directions' parameters: direction 0 reads forward, direction 1 backward.
fn bi_params<'a>(ranges: &[Range<usize>], p: &'a [f32]) -> BiParams<'a> {
    BiParams { forward: params(ranges, p, 0), backward: params(ranges, p, 1) }
}

impl Layer for Recurrent {
    /// With `valid` (`[T, N]`, given only when the model masks padding) the padding steps are
    /// skipped, Keras's `mask_zero=True`; backward follows whichever path ran.
    fn forward(&mut self, p: &[f32], x: &[f32], rows: Rows, valid: Option<&[bool]>, _: Option<&mut Rng>) -> Rows {
        self.dims = RnnDims { b: rows.n, t: rows.t, e: self.e, h: self.h };
        let (d, r) = (self.dims, &self.ranges);
        if let Some(inf) = self.inference.as_mut() {
            inf.ran = false;
        }
        match (&mut self.cache, valid) {
            (Directions::One(c), None) => c.forward(d, x, params(r, p, 0)),
            (Directions::One(c), Some(v)) => c.forward_masked(d, x, params(r, p, 0), v),
            (Directions::Both(c), None) => bidirectional::forward(d, x, bi_params(r, p), c),
            (Directions::Both(c), Some(v)) => bidirectional::forward_masked(d, x, bi_params(r, p), v, c),
        }
        Rows { n: rows.n, t: if self.sequences { rows.t } else { 1 } }
    }

    /// Each direction runs from zero keeping only its running state; the output is written in
    /// place (the backward direction's half realigned, zero at masked steps when
    /// bidirectional, as `forward` gives it).
    fn infer(&mut self, p: &Values, x: &[f32], rows: Rows, valid: Option<&[bool]>) -> Rows {
        self.infer_from(p, |_| InferInput::Rows(x), rows, valid)
    }

    fn folded_shape(&self) -> Option<(usize, usize)> {
        Some((self.ranges.len() / 3, self.cell.gates() * self.h))
    }

    /// Each direction's `x·W + b` for the embedding rows of `ids`, in slices of rows across the
    /// cores, each slice's rows gathered into a core's scratch (each row the bits `infer`
    /// computes for it).
    fn fold_inputs(&self, p: &[f32], embedding: &[f32], ids: &[u32], out: &mut [&mut [f32]]) {
        const SLICE: usize = 256;
        let (e, g) = (self.e, self.cell.gates() * self.h);
        for (dir, table) in out.iter_mut().enumerate() {
            let params = params(&self.ranges, p, dir);
            table.par_chunks_mut(SLICE * g).zip(ids.par_chunks(SLICE)).for_each(|(out, ids)| {
                // asked uncut, so that a larger pooled buffer is not shortened for this
                let (len, mut high) = (ids.len() * e, ids.len() * e);
                let mut x = scratch::take_high(len, &mut high);
                for (row, &id) in x[..len].chunks_exact_mut(e).zip(ids) {
                    row.copy_from_slice(&embedding[id as usize * e..(id as usize + 1) * e]);
                }
                fold_rows(self.cell, params, &x[..len], e, out);
                scratch::give(x);
            });
        }
    }

    fn infer_folded(&mut self, p: &[f32], ids: &[u32], folded: Folded<'_>, rows: Rows, valid: Option<&[bool]>) -> Rows {
        let Folded { row_of_id, tables } = folded;
        self.infer_from(p, |dir| InferInput::Folded { ids, row_of_id, table: &tables[dir] }, rows, valid)
    }

    fn output(&self) -> &[f32] {
        if let Some(inf) = self.inference.as_ref().filter(|i| i.ran) {
            return if self.sequences { &inf.seq } else { &inf.last };
        }
        match (&self.cache, self.sequences) {
            (Directions::One(c), true) => c.outputs(self.dims),
            (Directions::Both(c), true) => &c.seq,
            (Directions::One(c), false) => c.last(self.dims),
            (Directions::Both(c), false) => &c.last,
        }
    }

    fn last_state(&self) -> Option<&[f32]> {
        if let Some(inf) = self.inference.as_ref().filter(|i| i.ran) {
            return Some(&inf.last);
        }
        Some(match &self.cache {
            Directions::One(c) => c.last(self.dims),
            Directions::Both(c) => &c.last,
        })
    }

    fn backward(&mut self, p: &[f32], x: &[f32], grads: Grads<'_>) {
        self.backward_with(p, x, grads, None);
    }

    /// The input product runs once per group (`strata_nn::row_groups`), masked or not: the
    /// largest backward product, over the distinct ids only (han's word level; an LSTM over
    /// padded sentences, or over a long review's repeated words).
    fn groups_input_gradient(&self) -> bool {
        true
    }

    fn backward_grouped(&mut self, p: &[f32], x: &[f32], grads: Grads<'_>, groups: RowGroups<'_>) {
        self.backward_with(p, x, grads, Some(groups));
    }
}

impl Recurrent {
    /// [`Layer::infer`] of what `input(dir)` gives each direction: the input rows, or their
    /// ids and folded projections.
    fn infer_from<'x>(
        &mut self,
        p: &[f32],
        input: impl Fn(usize) -> InferInput<'x>,
        rows: Rows,
        valid: Option<&[bool]>,
    ) -> Rows {
        self.dims = RnnDims { b: rows.n, t: rows.t, e: self.e, h: self.h };
        let (d, dirs) = (self.dims, self.ranges.len() / 3);
        let cell = self.cell;
        let inf = self.inference.get_or_insert_with(|| {
            let directions = (0..dirs).map(|_| RnnInfer::new(cell)).collect();
            Box::new(Inference { directions, mask: StepMask::default(), seq: Vec::new(), last: Vec::new(), ran: false })
        });
        inf.ran = true;
        let width = d.h * dirs;
        if let Some(v) = valid {
            inf.mask.set(v, d.t, d.b);
        }
        let mask = valid.is_some().then_some(&inf.mask);
        inf.seq.resize(if self.sequences { d.t * d.b * width } else { 0 }, 0.0);
        inf.last.resize(d.b * width, 0.0);
        let (mut seq, last) = (Some(&mut inf.seq[..]).filter(|_| self.sequences), &mut inf.last[..]);
        for (dir, state) in inf.directions.iter_mut().enumerate() {
            let out = InferOut {
                seq: seq.as_deref_mut(),
                last: &mut *last,
                width,
                offset: dir * d.h,
                zero_masked: dirs == 2,
            };
            state.run(d, input(dir), params(&self.ranges, p, dir), mask, dir == 1, out);
        }
        Rows { n: rows.n, t: if self.sequences { rows.t } else { 1 } }
    }

    /// Backward, the input gradient every row's or (with `dx_groups`) summed per group.
    fn backward_with(&mut self, p: &[f32], x: &[f32], grads: Grads<'_>, dx_groups: Option<RowGroups<'_>>) {
        assert!(!self.inference.as_ref().is_some_and(|i| i.ran), "recurrent: backward after infer");
        let Grads { dy, dlast, params: g, off, dx } = grads;
        let Recurrent { sequences, ranges, cache, dims: d, dlast_sum, .. } = self;
        let (dseq, dlast) = if *sequences {
            (dy, dlast)
        } else {
            match (dy, dlast) {
                (Some(a), Some(b)) => {
                    dlast_sum.clear();
                    dlast_sum.extend(a.iter().zip(b).map(|(u, v)| u + v));
                    (None, Some(&dlast_sum[..]))
                }
                (a, b) => (None, a.or(b)),
            }
        };
        let mut views = grad_views(g, off, ranges).into_iter();
        let mut next = || RnnGrads {
            kernel: views.next().unwrap(),
            recurrent: views.next().unwrap(),
            bias: views.next().unwrap(),
        };
        let dy = RnnOutputGrads { seq: dseq, last: dlast };
        match (cache, dx_groups) {
            (Directions::One(c), None) => c.backward(*d, x, params(ranges, p, 0), dy, next(), dx),
            (Directions::Both(c), None) => {
                let grads = BiGrads { forward: next(), backward: next() };
                bidirectional::backward(*d, x, bi_params(ranges, p), c, dy, grads, dx);
            }
            (cache, Some(groups)) => {
                let out = dx.expect("recurrent: grouped backward without an input gradient");
                let dx = GroupedDx { groups, out, accumulate: false };
                match cache {
                    Directions::One(c) => c.backward_grouped(*d, x, params(ranges, p, 0), dy, next(), dx),
                    Directions::Both(c) => {
                        let grads = BiGrads { forward: next(), backward: next() };
                        bidirectional::backward_grouped(*d, x, bi_params(ranges, p), c, dy, grads, dx);
                    }
                }
            }
        }
    }
}
