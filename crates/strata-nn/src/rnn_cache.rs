//! One cache type for either recurrent cell, so that callers (the bidirectional wrapper, a
//! model's layer list) hold one type whatever the cell, and forward/backward dispatch here.

pub mod infer;

use crate::gru::{self, GruCache};
use crate::lstm::{self, LstmCache};
use crate::rnn::{Cell, RnnDims, RnnGrads, RnnOutputGrads, RnnParams};
use crate::row_groups::{GroupedDx, InputGrad};

/// Either cell's activations, so that callers (the bidirectional wrapper, a model's layer list)
/// hold one type whatever the cell.
pub enum RnnCache {
    Lstm(LstmCache),
    Gru(GruCache),
}

impl RnnCache {
    pub fn new(cell: Cell) -> RnnCache {
        match cell {
            Cell::Lstm => RnnCache::Lstm(LstmCache::default()),
            Cell::Gru => RnnCache::Gru(GruCache::default()),
        }
    }

    /// `[T, B, H]` outputs after `forward`.
    pub fn outputs(&self, d: RnnDims) -> &[f32] {
        match self {
            RnnCache::Lstm(c) => c.outputs(d),
            RnnCache::Gru(c) => c.outputs(d),
        }
    }

    /// `[B, H]` state after the last step.
    pub fn last(&self, d: RnnDims) -> &[f32] {
        match self {
            RnnCache::Lstm(c) => c.last(d),
            RnnCache::Gru(c) => c.last(d),
        }
    }

    /// Forward of the cell this cache was made for.
    pub fn forward(&mut self, d: RnnDims, x: &[f32], p: RnnParams) {
        match self {
            RnnCache::Lstm(c) => lstm::forward(d, x, p, c),
            RnnCache::Gru(c) => gru::forward(d, x, p, c),
        }
    }

    /// Forward skipping padding: `valid: [T, B]` marks the real steps (Keras's
    /// `mask_zero=True`); a masked step carries a row's state and computes nothing for it.
    /// [`RnnCache::backward`] then runs the masked backward (it remembers the mask).
    pub fn forward_masked(&mut self, d: RnnDims, x: &[f32], p: RnnParams, valid: &[bool]) {
        match self {
            RnnCache::Lstm(c) => lstm::masked::forward(d, x, p, valid, c),
            RnnCache::Gru(c) => gru::masked::forward(d, x, p, valid, c),
        }
    }

    /// Values in a carried state of `b` rows of `h` units: `[B, H]` for the GRU, `[2, B, H]`
    /// (hidden, then cell) for the LSTM.
    pub fn state_len(cell: Cell, b: usize, h: usize) -> usize {
        match cell {
            Cell::Lstm => 2 * b * h,
            Cell::Gru => b * h,
        }
    }

    /// Forward from a given state (laid out as [`RnnCache::state_len`] says) instead of zeros;
    /// backward then gives no gradient for it (truncated BPTT).
    pub fn forward_from(&mut self, d: RnnDims, x: &[f32], p: RnnParams, state: &[f32]) {
        match self {
            RnnCache::Lstm(c) => {
                let (h0, c0) = state.split_at(d.b * d.h);
                lstm::forward_from(d, x, p, h0, c0, c)
            }
            RnnCache::Gru(c) => gru::forward_from(d, x, p, state, c),
        }
    }

    /// Writes the state after the last step into `state` (the layout of `forward_from`'s).
    pub fn final_state(&self, d: RnnDims, state: &mut [f32]) {
        match self {
            RnnCache::Lstm(c) => {
                let (h, cell) = state.split_at_mut(d.b * d.h);
                h.copy_from_slice(c.last(d));
                cell.copy_from_slice(c.last_cell(d));
            }
            RnnCache::Gru(c) => state.copy_from_slice(c.last(d)),
        }
    }

    /// Backward of the last forward (masked or not); the contract of `lstm::backward`.
    pub fn backward(
        &mut self,
        d: RnnDims,
        x: &[f32],
        p: RnnParams,
        dy: RnnOutputGrads,
        grads: RnnGrads,
        dx: Option<&mut [f32]>,
    ) {
        match self {
            RnnCache::Lstm(c) => lstm::backward(d, x, p, c, dy, grads, dx),
            RnnCache::Gru(c) => gru::backward(d, x, p, c, dy, grads, dx),
        }
    }

    /// Whether the last forward computed its input side once per distinct input row (the
    /// tests' check of the path they test).
    #[cfg(test)]
    pub(crate) fn shares_inputs(&self) -> bool {
        match self {
            RnnCache::Lstm(c) => c.inputs.shared(),
            RnnCache::Gru(c) => c.inputs.shared(),
        }
    }

    /// [`RnnCache::backward`] with the input gradient summed per group of input rows
    /// ([`crate::row_groups`]): every path sums its gate gradients per group (a masked one over
    /// its real steps) before the input product.
    pub fn backward_grouped(
        &mut self,
        d: RnnDims,
        x: &[f32],
        p: RnnParams,
        dy: RnnOutputGrads,
        grads: RnnGrads,
        dx: GroupedDx,
    ) {
        assert_eq!(dx.groups.of_row.len(), d.t * d.b, "rnn: row groups are not [T·B]");
        match self {
            RnnCache::Gru(c) => gru::backward_to(d, x, p, c, dy, grads, InputGrad::Groups(dx)),
            RnnCache::Lstm(c) => lstm::backward_to(d, x, p, c, dy, grads, InputGrad::Groups(dx)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distinct_inputs::largest_difference;
    use crate::gradcheck::check;
    use crate::Rng;

    fn rand_vec(n: usize, scale: f32, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| rng.uniform(-scale, scale)).collect()
    }

    fn params(cell: Cell, d: RnnDims, rng: &mut Rng) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let g = cell.gates() * d.h;
        let bias_len = cell.bias_shape(d.h).iter().product();
        (rand_vec(d.e * g, 0.6, rng), rand_vec(d.h * g, 0.6, rng), rand_vec(bias_len, 0.5, rng))
    }

    /// Running T steps at once equals running the first steps, then the rest from the state
    /// they ended in: what a language model's carried state relies on.
    #[test]
    fn forward_from_the_final_state_continues_the_sequence() {
        for cell in [Cell::Lstm, Cell::Gru] {
            let mut rng = Rng::new(4);
            let (b, e, h, t1, t2) = (3, 4, 5, 3, 4);
            let whole = RnnDims { b, t: t1 + t2, e, h };
            let (k, u, bias) = params(cell, whole, &mut rng);
            let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
            let x = rand_vec(whole.t * b * e, 1.0, &mut rng);
            let mut all = RnnCache::new(cell);
            all.forward(whole, &x, p);
            let (d1, d2) = (RnnDims { t: t1, ..whole }, RnnDims { t: t2, ..whole });
            let mut first = RnnCache::new(cell);
            first.forward_from(d1, &x[..t1 * b * e], p, &vec![0.0; RnnCache::state_len(cell, b, h)]);
            let mut state = vec![0.0; RnnCache::state_len(cell, b, h)];
            first.final_state(d1, &mut state);
            let mut second = RnnCache::new(cell);
            second.forward_from(d2, &x[t1 * b * e..], p, &state);
            let (want, got) = (all.outputs(whole), [first.outputs(d1), second.outputs(d2)].concat());
            let worst = want.iter().zip(&got).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(worst < 1e-6, "{cell:?}: split run differs by {worst}");
            assert!(state.iter().any(|&v| v.abs() > 1e-3), "{cell:?}: the carried state is not trivial");
        }
    }

    /// Backward after `forward_from` a non-zero state: the weights' gradients (the state is a
    /// constant, truncated BPTT) and the input's match finite differences.
    #[test]
    fn gradients_from_a_given_state_match_finite_differences() {
        for cell in [Cell::Lstm, Cell::Gru] {
            let mut rng = Rng::new(12);
            let d = RnnDims { b: 2, t: 3, e: 3, h: 3 };
            let (k, u, bias) = params(cell, d, &mut rng);
            let x = rand_vec(d.t * d.b * d.e, 1.0, &mut rng);
            let state = rand_vec(RnnCache::state_len(cell, d.b, d.h), 0.9, &mut rng);
            let probe = rand_vec(d.t * d.b * d.h, 1.0, &mut rng);
            let last_probe = rand_vec(d.b * d.h, 1.0, &mut rng);
            let loss = |x: &[f32], k: &[f32], u: &[f32], bias: &[f32]| {
                let mut c = RnnCache::new(cell);
                c.forward_from(d, x, RnnParams { kernel: k, recurrent: u, bias }, &state);
                let seq: f64 = c.outputs(d).iter().zip(&probe).map(|(o, p)| (o * p) as f64).sum();
                seq + c.last(d).iter().zip(&last_probe).map(|(o, p)| (o * p) as f64).sum::<f64>()
            };
            let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
            let mut c = RnnCache::new(cell);
            c.forward_from(d, &x, p, &state);
            let (mut dk, mut du, mut db, mut dx) =
                (vec![0.0; k.len()], vec![0.0; u.len()], vec![0.0; bias.len()], vec![0.0; x.len()]);
            let grads = RnnGrads { kernel: &mut dk, recurrent: &mut du, bias: &mut db };
            let dy = RnnOutputGrads { seq: Some(&probe), last: Some(&last_probe) };
            c.backward(d, &x, p, dy, grads, Some(&mut dx));
            for worst in [
                check("from_state.kernel", &k, &dk, |v| loss(&x, v, &u, &bias)),
                check("from_state.recurrent_kernel", &u, &du, |v| loss(&x, &k, v, &bias)),
                check("from_state.bias", &bias, &db, |v| loss(&x, &k, &u, v)),
                check("from_state.input", &x, &dx, |v| loss(v, &k, &u, &bias)),
            ] {
                assert!(worst < 1e-2, "{cell:?}: max rel diff {worst}");
            }
        }
    }

    /// `[T, B]` validity for T = 5, B = 4: a full row, a pre-padded one (2 pads), a
    /// post-padded one (3 real steps) and a row with no real step at all.
    fn mixed_mask() -> (usize, usize, Vec<bool>) {
        let (t, b) = (5, 4);
        let real = |s: usize, r: usize| match r {
            0 => true,
            1 => s >= 2,
            2 => s < 3,
            _ => false,
        };
        (t, b, (0..t * b).map(|i| real(i / b, i % b)).collect())
    }

    /// The masked path's gradients (weights and input; outputs at every step and the last
    /// state both read) match finite differences, for both cells, with its real rows all
    /// distinct and with repeated ones (which it projects once).
    #[test]
    fn masked_gradients_match_finite_differences() {
        for (cell, repeats) in [(Cell::Lstm, false), (Cell::Gru, false), (Cell::Lstm, true), (Cell::Gru, true)] {
            for sequences in [true, false] {
                let mut rng = Rng::new(31);
                let (t, b, valid) = mixed_mask();
                let d = RnnDims { b, t, e: 3, h: 3 };
                let (k, u, bias) = params(cell, d, &mut rng);
                let x = crate::distinct_inputs::with_repeats(rand_vec(d.t * d.b * d.e, 1.0, &mut rng), d.e, repeats);
                let probe = rand_vec(d.t * d.b * d.h, 1.0, &mut rng);
                let last_probe = rand_vec(d.b * d.h, 1.0, &mut rng);
                let loss = |x: &[f32], k: &[f32], u: &[f32], bias: &[f32]| {
                    let mut c = RnnCache::new(cell);
                    c.forward_masked(d, x, RnnParams { kernel: k, recurrent: u, bias }, &valid);
                    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(o, p)| (o * p) as f64).sum::<f64>();
                    let seq = if sequences { dot(c.outputs(d), &probe) } else { 0.0 };
                    seq + dot(c.last(d), &last_probe)
                };
                let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
                let mut c = RnnCache::new(cell);
                c.forward_masked(d, &x, p, &valid);
                assert_eq!(c.shares_inputs(), repeats, "the path under test");
                let (mut dk, mut du, mut db) = (vec![0.0; k.len()], vec![0.0; u.len()], vec![0.0; bias.len()]);
                let mut dx = vec![f32::NAN; x.len()];
                let grads = RnnGrads { kernel: &mut dk, recurrent: &mut du, bias: &mut db };
                let dy = RnnOutputGrads { seq: sequences.then_some(&probe[..]), last: Some(&last_probe) };
                c.backward(d, &x, p, dy, grads, Some(&mut dx));
                let tag = format!("masked {cell:?} sequences={sequences} repeats={repeats}");
                for worst in [
                    check(&format!("{tag}.kernel"), &k, &dk, |v| loss(&x, v, &u, &bias)),
                    check(&format!("{tag}.recurrent_kernel"), &u, &du, |v| loss(&x, &k, v, &bias)),
                    check(&format!("{tag}.bias"), &bias, &db, |v| loss(&x, &k, &u, v)),
                    check(&format!("{tag}.input"), &x, &dx, |v| loss(v, &k, &u, &bias)),
                ] {
                    assert!(worst < 1e-2, "{tag}: max rel diff {worst}");
                }
                for (i, &real) in valid.iter().enumerate() {
                    let row = &dx[i * d.e..(i + 1) * d.e];
                    assert!(real || row.iter().all(|&v| v == 0.0), "{tag}: dx at a masked step is {row:?}");
                }
            }
        }
    }

    /// The unmasked input gradient summed per group (`row_groups`) is every row's summed per
    /// group, up to rounding, on the shared-input path and the plain one, overwritten or added
    /// into; the weights' gradients keep their bits. Both cells.
    #[test]
    fn grouped_input_gradient_is_every_rows_summed_per_group() {
        use crate::row_groups::{sum_rows, GroupedDx, RowGroups};
        let d = RnnDims { b: 3, t: 4, e: 6, h: 5 };
        // 3 groups of 12 rows (the grouped product), and 11 (every row's product, summed)
        let few: Vec<u32> = (0..d.t * d.b).map(|i| [0, 1, 0, 2, 1][i % 5]).collect();
        let many: Vec<u32> = (0..(d.t * d.b) as u32).map(|i| i.min(10)).collect();
        for cell in [Cell::Lstm, Cell::Gru] {
            for (of_row, n, repeats) in [(&few, 3, false), (&few, 3, true), (&many, 11, false), (&many, 11, true)] {
                let mut rng = Rng::new(12);
                let (k, u, bias) = params(cell, d, &mut rng);
                let x = crate::distinct_inputs::with_repeats(rand_vec(d.t * d.b * d.e, 0.8, &mut rng), d.e, repeats);
                let probe = rand_vec(d.t * d.b * d.h, 0.8, &mut rng);
                let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
                let groups = RowGroups { of_row, groups: n };
                let run = |grouped: bool| {
                    let mut c = RnnCache::new(cell);
                    c.forward(d, &x, p);
                    assert_eq!(c.shares_inputs(), repeats, "{cell:?}: the path under test");
                    let (mut dk, mut du, mut db) = (vec![0.0; k.len()], vec![0.0; u.len()], vec![0.0; bias.len()]);
                    let grads = RnnGrads { kernel: &mut dk, recurrent: &mut du, bias: &mut db };
                    let dy = RnnOutputGrads { seq: Some(&probe), last: None };
                    let mut out = vec![1.0; n * d.e];
                    if grouped {
                        c.backward_grouped(d, &x, p, dy, grads, GroupedDx { groups, out: &mut out, accumulate: true });
                    } else {
                        let mut rows = vec![0.0; x.len()];
                        c.backward(d, &x, p, dy, grads, Some(&mut rows));
                        sum_rows(groups, &rows, d.e, &mut out, true);
                    }
                    (dk, du, db, out)
                };
                let (grouped, summed) = (run(true), run(false));
                let tag = format!("{cell:?}, {n} groups, repeats={repeats}");
                assert!(
                    (&grouped.0, &grouped.1, &grouped.2) == (&summed.0, &summed.1, &summed.2),
                    "{tag}: weights' gradients"
                );
                let worst = largest_difference(&grouped.3, &summed.3);
                assert!(worst < 1e-5, "{tag}: grouped input gradient differs by {worst}");
                assert!(grouped.3.iter().all(|v| (v - 1.0).abs() > 1e-4), "{tag}: accumulated into the groups");
            }
        }
    }

    /// The tests' reference path: `c` never shares its input rows when `never`.
    fn never_share(c: &mut RnnCache, never: bool) {
        match c {
            RnnCache::Lstm(c) => c.inputs.never = never,
            RnnCache::Gru(c) => c.inputs.never = never,
        }
    }

    /// Sharing repeated input rows gives forward's bits (an LSTM's states, cells and gates, a
    /// GRU's states), and backward's but for the kernel's gradient (summed in another order:
    /// equal to 1e-6), for both cells: one k-slice and a narrow width (an LSTM's 4H = 32, one
    /// FMA chain an output under AVX-512); then k > 256 (several slices) and 4H = 200 or han's
    /// 3H = 150, widths the AVX-512 tiles leave partly to matrixmultiply's per-slice sums.
    #[test]
    fn shared_input_rows_give_the_same_outputs_and_gradients() {
        let dims = [
            RnnDims { b: 4, t: 6, e: 5, h: 7 },
            RnnDims { b: 4, t: 6, e: 9, h: 8 },
            RnnDims { b: 4, t: 6, e: 300, h: 50 },
        ];
        for (cell, d) in [Cell::Lstm, Cell::Gru].into_iter().flat_map(|cell| dims.map(|d| (cell, d))) {
            let mut rng = Rng::new(8);
            let (k, u, bias) = params(cell, d, &mut rng);
            let x = crate::distinct_inputs::with_repeats(rand_vec(d.t * d.b * d.e, 1.0, &mut rng), d.e, true);
            let probe = rand_vec(d.t * d.b * d.h, 1.0, &mut rng);
            let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
            let run = |never: bool| {
                let mut c = RnnCache::new(cell);
                never_share(&mut c, never);
                c.forward(d, &x, p);
                assert_eq!(c.shares_inputs(), !never, "{cell:?}: the path under test");
                let (mut dk, mut du, mut db, mut dx) =
                    (vec![0.0; k.len()], vec![0.0; u.len()], vec![0.0; bias.len()], vec![0.0; x.len()]);
                let grads = RnnGrads { kernel: &mut dk, recurrent: &mut du, bias: &mut db };
                c.backward(d, &x, p, RnnOutputGrads { seq: Some(&probe), last: None }, grads, Some(&mut dx));
                let forward = match c {
                    RnnCache::Lstm(c) => vec![c.h, c.c, c.gates],
                    RnnCache::Gru(c) => vec![c.h],
                };
                (forward, dk, du, db, dx)
            };
            let (shared, plain) = (run(false), run(true));
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            for (a, b) in shared.0.iter().zip(&plain.0) {
                assert_eq!(bits(a), bits(b), "{cell:?}: forward's buffers, e {}", d.e);
            }
            assert_eq!(
                (bits(&shared.2), bits(&shared.3), bits(&shared.4)),
                (bits(&plain.2), bits(&plain.3), bits(&plain.4)),
                "{cell:?}: e {}",
                d.e
            );
            let scale = plain.1.iter().fold(0.0f32, |a, v| a.max(v.abs()));
            let worst = largest_difference(&shared.1, &plain.1);
            assert!(worst <= 1e-6 * scale.max(1.0), "{cell:?}: kernel gradient differs by {worst} (e {})", d.e);
        }
    }

    /// A masked forward whose real rows repeat (a repeated token) projects them once: the same
    /// outputs bit for bit as the path that never shares, the recurrent kernel's and the bias's
    /// gradients too, and the input kernel's up to rounding (summed per distinct row first); the
    /// input gradient grouped per id is every row's summed per id, up to rounding.
    #[test]
    fn masked_shared_rows_give_the_same_outputs_and_gradients() {
        use crate::row_groups::{sum_rows, GroupedDx, RowGroups};
        let (t, b, valid) = mixed_mask();
        let half = t * b / 2;
        // ids: the repeated rows one id, the others three in turn, the masked steps a fifth id
        // of their own (a padding id: its grouped gradient must come out zero); then every row
        // its own id (more groups than 3/4 of the real steps: every row's product, summed)
        let few: Vec<u32> = (0..t * b)
            .map(|i| {
                if !valid[i] {
                    4
                } else if i < half {
                    0
                } else {
                    1 + i as u32 % 3
                }
            })
            .collect();
        let many: Vec<u32> = (0..(t * b) as u32).collect();
        for (cell, h) in [(Cell::Lstm, 3), (Cell::Gru, 3), (Cell::Lstm, 8), (Cell::Gru, 8)] {
            for (of_row, n_groups) in [(&few, 5), (&many, t * b)] {
                let mut rng = Rng::new(17);
                let d = RnnDims { b, t, e: 4, h };
                let (k, u, bias) = params(cell, d, &mut rng);
                let x = crate::distinct_inputs::with_repeats(rand_vec(d.t * d.b * d.e, 1.0, &mut rng), d.e, true);
                let probe = rand_vec(d.t * d.b * d.h, 1.0, &mut rng);
                let groups = RowGroups { of_row, groups: n_groups };
                let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
                let run = |never_share_rows: bool, grouped: bool| {
                    let mut c = RnnCache::new(cell);
                    never_share(&mut c, never_share_rows);
                    c.forward_masked(d, &x, p, &valid);
                    assert_eq!(c.shares_inputs(), !never_share_rows, "{cell:?}: the path under test");
                    let out = c.outputs(d).to_vec();
                    let (mut dk, mut du, mut db) = (vec![0.0; k.len()], vec![0.0; u.len()], vec![0.0; bias.len()]);
                    let grads = RnnGrads { kernel: &mut dk, recurrent: &mut du, bias: &mut db };
                    let dy = RnnOutputGrads { seq: Some(&probe), last: None };
                    let mut per_id = vec![f32::NAN; n_groups * d.e];
                    if grouped {
                        let dx = GroupedDx { groups, out: &mut per_id, accumulate: false };
                        c.backward_grouped(d, &x, p, dy, grads, dx);
                    } else {
                        let mut rows = vec![f32::NAN; x.len()];
                        c.backward(d, &x, p, dy, grads, Some(&mut rows));
                        sum_rows(groups, &rows, d.e, &mut per_id, false);
                    }
                    (out, dk, du, db, per_id)
                };
                let (shared, plain) = (run(false, true), run(true, false));
                let tag = format!("{cell:?} h {h}, {n_groups} groups");
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&shared.0), bits(&plain.0), "{tag}: outputs");
                assert_eq!((bits(&shared.2), bits(&shared.3)), (bits(&plain.2), bits(&plain.3)), "{tag}: U, bias");
                for (name, a, b) in [("kernel", &shared.1, &plain.1), ("input per id", &shared.4, &plain.4)] {
                    let worst = largest_difference(a, b);
                    assert!(worst <= 1e-5, "{tag}: {name} gradient differs by {worst}");
                }
                if n_groups == 5 {
                    assert!(
                        shared.4[4 * d.e..].iter().all(|&v| v == 0.0),
                        "{tag}: the masked steps' id got a gradient"
                    );
                }
            }
        }
    }

    /// Keras's mask semantics, checked without Keras: a row's masked result equals the
    /// unmasked layer run on its real tokens alone; outputs at masked steps repeat the carried
    /// state (zeros before the first real token); what the padding steps hold is never read.
    #[test]
    fn masked_forward_reads_only_the_real_steps() {
        for cell in [Cell::Lstm, Cell::Gru] {
            let mut rng = Rng::new(8);
            let (t, b, valid) = mixed_mask();
            let d = RnnDims { b, t, e: 3, h: 4 };
            let (k, u, bias) = params(cell, d, &mut rng);
            let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
            let mut x = rand_vec(d.t * d.b * d.e, 1.0, &mut rng);
            let mut masked = RnnCache::new(cell);
            masked.forward_masked(d, &x, p, &valid);
            let (seq, last) = (masked.outputs(d).to_vec(), masked.last(d).to_vec());
            for r in 0..b {
                let steps: Vec<usize> = (0..t).filter(|&s| valid[s * b + r]).collect();
                let alone = RnnDims { b: 1, t: steps.len(), ..d };
                let xr: Vec<f32> =
                    steps.iter().flat_map(|&s| x[(s * b + r) * d.e..(s * b + r + 1) * d.e].to_vec()).collect();
                let mut one = RnnCache::new(cell);
                one.forward(alone, &xr, p);
                let h = d.h;
                let worst = one.last(alone).iter().zip(&last[r * h..(r + 1) * h]).map(|(a, b)| (a - b).abs());
                assert!(worst.fold(0.0, f32::max) < 1e-6, "{cell:?} row {r}: last state differs");
                let mut seen = 0;
                for s in 0..t {
                    seen += usize::from(valid[s * b + r]);
                    let want =
                        if seen == 0 { vec![0.0; h] } else { one.outputs(alone)[(seen - 1) * h..seen * h].to_vec() };
                    let got = &seq[(s * b + r) * h..(s * b + r + 1) * h];
                    let worst = want.iter().zip(got).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
                    assert!(worst < 1e-6, "{cell:?} row {r} step {s}: output differs by {worst}");
                }
            }
            for (i, &real) in valid.iter().enumerate() {
                if !real {
                    x[i * d.e..(i + 1) * d.e].fill(1e3);
                }
            }
            masked.forward_masked(d, &x, p, &valid);
            assert_eq!(masked.outputs(d), &seq[..], "{cell:?}: padding steps' inputs were read");
        }
    }

    /// With every step real the masked path does the unmasked path's arithmetic: the same
    /// outputs and gradients, bit for bit, repeated input rows shared by both.
    #[test]
    fn an_all_real_mask_is_the_unmasked_path_bit_for_bit() {
        for cell in [Cell::Lstm, Cell::Gru] {
            let mut rng = Rng::new(9);
            let d = RnnDims { b: 7, t: 6, e: 5, h: 8 };
            let (k, u, bias) = params(cell, d, &mut rng);
            let p = RnnParams { kernel: &k, recurrent: &u, bias: &bias };
            // repeated rows (a padding prefix): both paths share them, over the same rows
            let x = crate::distinct_inputs::with_repeats(rand_vec(d.t * d.b * d.e, 1.0, &mut rng), d.e, true);
            let probe = rand_vec(d.t * d.b * d.h, 1.0, &mut rng);
            let run = |masked: bool| {
                let mut c = RnnCache::new(cell);
                if masked {
                    c.forward_masked(d, &x, p, &vec![true; d.t * d.b]);
                } else {
                    c.forward(d, &x, p);
                }
                assert!(c.shares_inputs(), "{cell:?} masked={masked}: the path under test");
                let out = c.outputs(d).to_vec();
                let (mut dk, mut du, mut db, mut dx) =
                    (vec![0.0; k.len()], vec![0.0; u.len()], vec![0.0; bias.len()], vec![0.0; x.len()]);
                let grads = RnnGrads { kernel: &mut dk, recurrent: &mut du, bias: &mut db };
                c.backward(d, &x, p, RnnOutputGrads { seq: Some(&probe), last: None }, grads, Some(&mut dx));
                (out, dk, du, db, dx)
            };
            assert!(run(true) == run(false), "{cell:?}: the all-real masked path differs from the unmasked one");
        }
    }
}
