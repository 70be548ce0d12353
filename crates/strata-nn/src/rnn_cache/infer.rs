//! The recurrent cells' forward for inference: no gradient will follow, so nothing is kept for
//! one. Training's forward ([`RnnCache`](super::RnnCache)) keeps every step's gates, states and
//! `tanh(c)` (`[T, B, 4H]` and more) for backward; here a layer keeps its running state
//! (`[B, H]`, and the LSTM's cell `[B, H]`) and writes only what the layer above reads — the
//! output sequence, or just the last state.
//!
//! The input projection is still a GEMM over many rows, but over a block of steps at a time
//! (about [`BLOCK_ROWS`] rows), so its buffer stays small whatever `T` and `B` are; a block's
//! repeated input rows (the padding row, a repeated word) are projected once
//! (`distinct_inputs.rs`: the same bits, as in training's forward). With a
//! padding mask (`--mask-padding`, Keras's `mask_zero=True`) the real (step, row) pairs are
//! packed as in training's masked path ([`StepMask`]): nothing is computed for padding, a
//! masked step carries the row's state. The gate math is the training path's own
//! (`lstm::cell_forward`, `gru::step_forward`), so results match it.
//!
//! Over an embedding the input projection of a step depends on its token id alone: a caller
//! that reads many texts computes it once per id it reads ([`fold_rows`]: the same bits, a
//! row's product not depending on the others) and gives the ids, each id's row and that
//! table ([`InferInput::Folded`]); each step then copies its id's row, and neither the
//! embedding's output nor its product is computed.
//!
//! The bidirectional wrapper runs one of these per direction, the backward one reading time
//! in reverse (`reverse`), each writing its half of the concatenated output in place.

use crate::distinct_inputs::{copy_rows, SharedInputs};
use crate::gemm::{gemm_plus_bias, Gemm};
use crate::gru::{self, StepForward};
use crate::lstm;
use crate::rnn::{Cell, RnnDims, RnnParams};
use crate::small_gemm::matmul;
use crate::step_mask::{gather_rows, scatter_rows, StepMask};

/// About how many (step, row) pairs one block's input projection holds.
pub const BLOCK_ROWS: usize = 2048;

/// What a direction reads.
#[derive(Clone, Copy)]
pub enum InferInput<'a> {
    /// `[T, B, E]` the layer's input rows
    Rows(&'a [f32]),
    /// `ids: [B, T]` each row's token ids in time order (as the embedding reads them), each
    /// id's row in `table` (`row_of_id: [V]`), and `table: [U, G·H]` those ids' input
    /// projections `x·W + b_in` ([`fold_rows`])
    Folded { ids: &'a [u32], row_of_id: &'a [u32], table: &'a [f32] },
}

/// `out: [U, G·H]` = `x·W + b_in` for every row of `x: [U, E]` (embedding rows): what
/// [`InferInput::Folded`] reads, each row the bits [`RnnInfer::run`] computes for that row of
/// its input.
pub fn fold_rows(cell: Cell, p: RnnParams, x: &[f32], e: usize, out: &mut [f32]) {
    let g = p.kernel.len() / e.max(1);
    let v = x.len() / e.max(1);
    assert_eq!((x.len(), out.len()), (v * e, v * g), "fold_rows: x is not [V, E] or out not [V, G·H]");
    gemm_plus_bias(Gemm::new(v, e, g), x, p.kernel, input_bias(cell, p.bias, g), out);
}

/// The part of a cell's bias added to its input projection: the LSTM's whole bias, the GRU's
/// input half (`reset_after`: the recurrent half is added to `h·U`).
fn input_bias(cell: Cell, bias: &[f32], g: usize) -> &[f32] {
    match cell {
        Cell::Lstm => bias,
        Cell::Gru => &bias[..g],
    }
}

/// One direction's running state and per-block scratch; reused from batch to batch.
pub struct RnnInfer {
    cell: Cell,
    /// `[Pc, E]` a block's real steps' inputs (masked path), or its distinct rows `[U, E]`
    xs: Vec<f32>,
    /// `[Pc, G·H]` a block's input projections (plus the input bias)
    xp: Vec<f32>,
    /// A block's input rows (its real ones, packed, under a mask) mapped to their distinct rows
    inputs: SharedInputs,
    /// Blocks whose repeated rows were projected once (the tests' check that the path ran)
    #[cfg(test)]
    shared_blocks: usize,
    /// `[B, H]` the running hidden state and (LSTM) cell state
    h: Vec<f32>,
    c: Vec<f32>,
    /// `[n, H]` the active rows' previous states, gathered (masked path)
    h_rows: Vec<f32>,
    c_rows: Vec<f32>,
    /// `[n, H]` one step's new states before they are scattered back
    h_new: Vec<f32>,
    c_new: Vec<f32>,
    /// `[n, G·H]` one step's recurrent projection (GRU) / gate values
    hp: Vec<f32>,
    gates: Vec<f32>,
    /// `[n, H]` scratch the cells' step functions write (LSTM `tanh(c)`, GRU `h·Uh + b'h`)
    aux: Vec<f32>,
}

/// Where a direction writes its results: the output rows are `width` wide and this direction's
/// `H` values start at `offset` (0, or `H` for the backward half of a bidirectional layer).
pub struct InferOut<'a> {
    /// `[T, B, width]` the output at every step, when the layer above reads a sequence
    pub seq: Option<&'a mut [f32]>,
    /// `[B, width]` the state after the last (real) step
    pub last: &'a mut [f32],
    pub width: usize,
    pub offset: usize,
    /// Zero at masked steps (Keras's `Bidirectional`), else the carried state (a lone layer).
    pub zero_masked: bool,
}

impl RnnInfer {
    pub fn new(cell: Cell) -> RnnInfer {
        RnnInfer {
            cell,
            xs: Vec::new(),
            xp: Vec::new(),
            inputs: SharedInputs::default(),
            #[cfg(test)]
            shared_blocks: 0,
            h: Vec::new(),
            c: Vec::new(),
            h_rows: Vec::new(),
            c_rows: Vec::new(),
            h_new: Vec::new(),
            c_new: Vec::new(),
            hp: Vec::new(),
            gates: Vec::new(),
            aux: Vec::new(),
        }
    }

    /// Values held between calls (for tests and reports): what a layer costs at rest, the
    /// distinct-row map's indices counted as values.
    pub fn held(&self) -> usize {
        let bufs = [&self.xs, &self.xp, &self.h, &self.c, &self.h_rows, &self.c_rows];
        let more = [&self.h_new, &self.c_new, &self.hp, &self.gates, &self.aux];
        bufs.iter().chain(more.iter()).map(|v| v.capacity()).sum::<usize>() + self.inputs.held()
    }

    /// Forward of `x` (`[T, B, E]`, or the ids of one and their folded projections) from the
    /// zero state, read backwards in time when `reverse`; `mask` (packed from `[T, B]` in time
    /// order) skips padding.
    pub fn run(
        &mut self,
        d: RnnDims,
        x: InferInput,
        p: RnnParams,
        mask: Option<&StepMask>,
        reverse: bool,
        out: InferOut,
    ) {
        match x {
            InferInput::Rows(x) => assert_eq!(x.len(), d.t * d.b * d.e, "rnn inference: input is not [T, B, E]"),
            // that every id has a row is the caller's to check, once for all directions
            // (`network::infer_folded`); an id without one would index past the table
            InferInput::Folded { ids, .. } => assert_eq!(ids.len(), d.t * d.b, "rnn inference: ids are not [B, T]"),
        }
        run_in_build(self, d, x, p, mask, reverse, out)
    }
}

crate::kernels::compiled_per_kernels!(
    fn run_in_build / run_avx2 / run_avx512 (
        s: &mut RnnInfer,
        d: RnnDims,
        x: InferInput,
        p: RnnParams,
        mask: Option<&StepMask>,
        reverse: bool,
        out: InferOut,
    ) => run_body
);

#[inline(always)]
fn run_body(
    s: &mut RnnInfer,
    d: RnnDims,
    x: InferInput,
    p: RnnParams,
    mask: Option<&StepMask>,
    reverse: bool,
    out: InferOut,
) {
    let (b, h) = (d.b, d.h);
    let g = s.cell.gates() * h;
    let InferOut { mut seq, last, width, offset, zero_masked } = out;
    s.h.clear();
    s.h.resize(b * h, 0.0);
    s.c.clear();
    s.c.resize(b * h, 0.0);
    for buf in [&mut s.h_rows, &mut s.c_rows, &mut s.h_new, &mut s.c_new, &mut s.aux] {
        buf.resize(b * h, 0.0);
    }
    s.hp.resize(b * g, 0.0);
    s.gates.resize(b * g, 0.0);
    let steps_per_block = (BLOCK_ROWS / b.max(1)).max(1);
    let mut done = 0;
    while done < d.t {
        // this block's times, ascending: [lo, hi); the steps run in reverse when `reverse`
        let n_steps = steps_per_block.min(d.t - done);
        let (lo, hi) = if reverse { (d.t - done - n_steps, d.t - done) } else { (done, done + n_steps) };
        let base = project(s, d, x, p, mask, lo, hi, g);
        for k in 0..n_steps {
            let ti = if reverse { hi - 1 - k } else { lo + k };
            step(s, d, p, mask, ti, base, g);
            if let Some(seq) = seq.as_deref_mut() {
                for r in 0..b {
                    let dst = &mut seq[(ti * b + r) * width + offset..(ti * b + r) * width + offset + h];
                    if zero_masked && mask.is_some_and(|m| !m.is_real(ti, b, r)) {
                        dst.fill(0.0);
                    } else {
                        dst.copy_from_slice(&s.h[r * h..(r + 1) * h]);
                    }
                }
            }
        }
        done += n_steps;
    }
    for r in 0..b {
        last[r * width + offset..r * width + offset + h].copy_from_slice(&s.h[r * h..(r + 1) * h]);
    }
}

/// `s.xp = x·W + b_in` for the times `lo..hi` (their real steps only, packed, under a mask),
/// computed, or copied from the folded table by id; returns the packed index of the block's
/// first pair (the row index of time `lo`'s first row).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn project(
    s: &mut RnnInfer,
    d: RnnDims,
    x: InferInput,
    p: RnnParams,
    mask: Option<&StepMask>,
    lo: usize,
    hi: usize,
    g: usize,
) -> usize {
    let (b, e, cell) = (d.b, d.e, s.cell);
    let (first, rows) = match mask {
        None => (lo * b, (hi - lo) * b),
        Some(m) => (m.block(lo).start, m.block(hi - 1).end - m.block(lo).start),
    };
    let RnnInfer { xs, xp, inputs, .. } = s;
    xp.resize(rows * g, 0.0);
    let x = match x {
        InferInput::Folded { ids, row_of_id, table } => {
            for_each_pair(mask, b, lo..hi, |k, ti, r| {
                let row = row_of_id[ids[r * d.t + ti] as usize] as usize;
                xp[k * g..(k + 1) * g].copy_from_slice(&table[row * g..(row + 1) * g]);
            });
            return first;
        }
        InferInput::Rows(x) => x,
    };
    // the block's input rows: every row, or its real steps' packed
    let src: &[f32] = match mask {
        None => &x[lo * b * e..hi * b * e],
        Some(_) => {
            xs.resize(rows * e, 0.0);
            for_each_pair(mask, b, lo..hi, |k, ti, r| {
                xs[k * e..(k + 1) * e].copy_from_slice(&x[(ti * b + r) * e..(ti * b + r + 1) * e]);
            });
            &xs[..rows * e]
        }
    };
    // x·W + b_in, once per distinct row when rows repeat (padding, a repeated word) and copied
    // to the repeats: the same bits
    inputs.map(src, e);
    let xp = &mut xp[..rows * g];
    if let Some((distinct, of_row)) = inputs.project_held((rows, e, g), src, p.kernel, input_bias(cell, p.bias, g), xp)
    {
        copy_rows(distinct, of_row, g, xp);
    }
    inputs.release();
    #[cfg(test)]
    if s.inputs.shared() {
        s.shared_blocks += 1;
    }
    first
}

/// Calls `f(k, ti, r)` for each (step, row) pair of the times `times` in packed order — every
/// row of each step, or under a mask its real ones — `k` counting from 0.
#[inline(always)]
fn for_each_pair(
    mask: Option<&StepMask>,
    b: usize,
    times: std::ops::Range<usize>,
    mut f: impl FnMut(usize, usize, usize),
) {
    let mut k = 0;
    for ti in times {
        match mask {
            None => (0..b).for_each(|r| f(k + r, ti, r)),
            Some(m) => m.rows(ti).iter().enumerate().for_each(|(j, &r)| f(k + j, ti, r)),
        }
        k += mask.map_or(b, |m| m.rows(ti).len());
    }
}

/// One step at time `ti` for its active rows (all rows without a mask): reads the block's
/// projections (`base` is the block's first packed index) and updates the running state.
#[inline(always)]
fn step(s: &mut RnnInfer, d: RnnDims, p: RnnParams, mask: Option<&StepMask>, ti: usize, base: usize, g: usize) {
    let (b, h) = (d.b, d.h);
    let (rows, blk): (Option<&[usize]>, _) = match mask {
        None => (None, ti * b - base..(ti + 1) * b - base),
        Some(m) => {
            let blk = m.block(ti);
            (Some(m.rows(ti)), blk.start - base..blk.end - base)
        }
    };
    let n = blk.len();
    if n == 0 {
        return; // every row carries its state
    }
    let all = rows.is_none() || n == b;
    let (nh, ng) = (n * h, n * g);
    if !all {
        let rows = rows.expect("a partial step has a mask");
        gather_rows(&s.h, rows, h, &mut s.h_rows[..nh]);
        gather_rows(&s.c, rows, h, &mut s.c_rows[..nh]);
    }
    let (h_prev, c_prev) = if all { (&s.h[..nh], &s.c[..nh]) } else { (&s.h_rows[..nh], &s.c_rows[..nh]) };
    let xp = &mut s.xp[blk.start * g..blk.end * g];
    match s.cell {
        Cell::Lstm => {
            // z = x·W + b + h_{t-1}·U, in place over the block's projections: [n, H] × [H, 4H]
            matmul(n, h, g, h_prev, p.recurrent, true, xp);
            lstm::cell_forward(xp, c_prev, &mut s.c_new[..nh], &mut s.aux[..nh], &mut s.h_new[..nh], h);
        }
        Cell::Gru => {
            let hp = &mut s.hp[..ng];
            for row in hp.chunks_exact_mut(g) {
                row.copy_from_slice(&p.bias[g..]);
            }
            // h·U + b_rec: [n, H] × [H, 3H]
            matmul(n, h, g, h_prev, p.recurrent, true, hp);
            let one = StepForward {
                xp,
                xp_of_row: None,
                hp,
                h_prev,
                gates: &mut s.gates[..ng],
                rec_h: &mut s.aux[..nh],
                h_next: &mut s.h_new[..nh],
            };
            gru::step_forward(one, n, h);
        }
    }
    if all {
        std::mem::swap(&mut s.h, &mut s.h_new);
        std::mem::swap(&mut s.c, &mut s.c_new);
    } else {
        let rows = rows.expect("a partial step has a mask");
        scatter_rows(&s.h_new[..nh], rows, h, &mut s.h);
        scatter_rows(&s.c_new[..nh], rows, h, &mut s.c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Rng, RnnCache};

    fn rand_vec(n: usize, scale: f32, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| rng.uniform(-scale, scale)).collect()
    }

    /// Runs training's forward and this one on the same input (several blocks of steps:
    /// `T·B > BLOCK_ROWS`), masked or not, its first half of rows one repeated row (a padding
    /// prefix, whose blocks project it once) when `repeats`; returns how many output or
    /// last-state values differ in their bits, and the values this path held against
    /// training's cache.
    fn compare(cell: Cell, d: RnnDims, masked: bool, repeats: bool) -> (u32, usize, usize) {
        let mut rng = Rng::new(5);
        let g = cell.gates() * d.h;
        let bias_len: usize = cell.bias_shape(d.h).iter().product();
        let (k, u, bias) =
            (rand_vec(d.e * g, 0.4, &mut rng), rand_vec(d.h * g, 0.4, &mut rng), rand_vec(bias_len, 0.3, &mut rng));
        let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
        let x = crate::distinct_inputs::with_repeats(rand_vec(d.t * d.b * d.e, 1.0, &mut rng), d.e, repeats);
        // row r's first r % 7 steps are padding, and its last r % 5
        let valid: Vec<bool> =
            (0..d.t * d.b).map(|i| (i / d.b) >= (i % d.b) % 7 && (i / d.b) + (i % d.b) % 5 < d.t).collect();
        let mut cache = RnnCache::new(cell);
        let mut mask = StepMask::default();
        if masked {
            cache.forward_masked(d, &x, p, &valid);
            mask.set(&valid, d.t, d.b);
        } else {
            cache.forward(d, &x, p);
        }
        assert_eq!(cache.shares_inputs(), repeats, "{cell:?} masked={masked}: training's path under test");
        let mut inf = RnnInfer::new(cell);
        let (mut seq, mut last) = (vec![f32::NAN; d.t * d.b * d.h], vec![f32::NAN; d.b * d.h]);
        let out = InferOut { seq: Some(&mut seq), last: &mut last, width: d.h, offset: 0, zero_masked: false };
        inf.run(d, InferInput::Rows(&x), p, masked.then_some(&mask), false, out);
        assert_eq!(inf.shared_blocks > 0, repeats, "{cell:?} masked={masked}: the shared-rows path ran or not");
        // values whose bits differ (an unwritten NaN differs from every value)
        let differ = |a: &[f32], b: &[f32]| a.iter().zip(b).filter(|(a, b)| a.to_bits() != b.to_bits()).count() as u32;
        let worst = differ(cache.outputs(d), &seq) + differ(cache.last(d), &last);
        let training = match &cache {
            RnnCache::Lstm(c) => [&c.gates, &c.c, &c.h, &c.tanh_c].iter().map(|v| v.capacity()).sum(),
            RnnCache::Gru(c) => [&c.xp, &c.gates, &c.rec_h, &c.h].iter().map(|v| v.capacity()).sum(),
        };
        (worst, inf.held(), training)
    }

    /// The same bits, a block's repeated rows projected once or not.
    #[test]
    fn inference_gives_training_forwards_outputs_masked_or_not() {
        for cell in [Cell::Lstm, Cell::Gru] {
            for (masked, repeats) in [(false, false), (true, false), (false, true), (true, true)] {
                let (worst, _, _) = compare(cell, RnnDims { b: 37, t: 90, e: 6, h: 8 }, masked, repeats);
                assert!(worst == 0, "{cell:?} masked={masked} repeats={repeats}: {worst} values differ");
            }
        }
    }

    /// An embedding's ids read through their folded projections give the bits of its rows
    /// read and projected, for both cells, masked or not, forward or in reverse: the distinct
    /// ids folded in order of first appearance (rows that are not the ids' own), at a
    /// layer's real widths (`E` 300: two slices of `k`; `4H` 256 and `3H` 192), over more
    /// rows than a block, which projects them unshared (nearly every row distinct).
    #[test]
    fn folded_ids_give_the_bits_of_their_rows() {
        let (v, d) = (5000, RnnDims { b: 40, t: 70, e: 300, h: 64 });
        let mut rng = Rng::new(9);
        let embedding = rand_vec(v * d.e, 1.0, &mut rng);
        let ids: Vec<u32> = (0..d.b * d.t).map(|_| rng.below(v) as u32).collect(); // [B, T]
        let mut x = vec![0.0; d.t * d.b * d.e]; // [T, B, E]
        for (i, &id) in ids.iter().enumerate() {
            let (r, ti) = (i / d.t, i % d.t);
            x[(ti * d.b + r) * d.e..][..d.e].copy_from_slice(&embedding[id as usize * d.e..][..d.e]);
        }
        let (mut row_of_id, mut folded_ids) = (vec![u32::MAX; v], Vec::new());
        for &id in &ids {
            if row_of_id[id as usize] == u32::MAX {
                row_of_id[id as usize] = folded_ids.len() as u32;
                folded_ids.push(id);
            }
        }
        let rows: Vec<f32> =
            folded_ids.iter().flat_map(|&id| embedding[id as usize * d.e..][..d.e].iter().copied()).collect();
        let mut mask = StepMask::default();
        mask.set(
            &(0..d.t * d.b).map(|i| !ids[(i % d.b) * d.t + i / d.b].is_multiple_of(4)).collect::<Vec<_>>(),
            d.t,
            d.b,
        );
        for cell in [Cell::Lstm, Cell::Gru] {
            let g = cell.gates() * d.h;
            let bias_len: usize = cell.bias_shape(d.h).iter().product();
            let (k, u, bias) =
                (rand_vec(d.e * g, 0.1, &mut rng), rand_vec(d.h * g, 0.3, &mut rng), rand_vec(bias_len, 0.3, &mut rng));
            let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
            let mut table = vec![0.0; folded_ids.len() * g];
            fold_rows(cell, p, &rows, d.e, &mut table);
            for (masked, reverse) in [(false, false), (false, true), (true, false), (true, true)] {
                let mask = masked.then_some(&mask);
                let outputs = |input: InferInput| {
                    let (mut seq, mut last) = (vec![f32::NAN; d.t * d.b * d.h], vec![f32::NAN; d.b * d.h]);
                    let out =
                        InferOut { seq: Some(&mut seq), last: &mut last, width: d.h, offset: 0, zero_masked: true };
                    let mut inf = RnnInfer::new(cell);
                    inf.run(d, input, p, mask, reverse, out);
                    assert_eq!(inf.shared_blocks, 0, "{cell:?}: the rows' path projected every row");
                    seq.into_iter().chain(last).map(f32::to_bits).collect::<Vec<_>>()
                };
                let by_id = InferInput::Folded { ids: &ids, row_of_id: &row_of_id, table: &table };
                let same = outputs(InferInput::Rows(&x)) == outputs(by_id);
                assert!(same, "{cell:?} masked={masked} reverse={reverse}: folded ids differ from their rows");
            }
        }
    }

    /// Issue 14 point 3: what inference holds does not grow with the sequence — running states
    /// and one block's projections — while training's cache holds every step's gates.
    #[test]
    fn inference_holds_no_per_step_activations() {
        for cell in [Cell::Lstm, Cell::Gru] {
            for masked in [false, true] {
                let (_, short, _) = compare(cell, RnnDims { b: 64, t: 40, e: 6, h: 8 }, masked, false);
                let (_, long, training) = compare(cell, RnnDims { b: 64, t: 400, e: 6, h: 8 }, masked, false);
                // ten times the steps: at most the reallocation slack of one block more
                assert!(long <= 2 * short, "{cell:?} masked={masked}: held values grow with T ({short} -> {long})");
                assert!(long * 4 < training, "{cell:?} masked={masked}: holds {long} values, training {training}");
            }
        }
    }
}
