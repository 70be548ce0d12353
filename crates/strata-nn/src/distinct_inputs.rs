//! A recurrent layer's identical input rows, found so that its input-side products run once per
//! distinct row (issue 14: first han's GRUs, for ×4 tf-keras; then the LSTM, for real data).
//! Both cells use it, masked or not (a masked layer over its packed real rows: a repeated
//! word), in training and inference (`gru.rs`, `lstm.rs`, their `masked.rs`, `rnn_cache/infer.rs`).
//!
//! A recurrent layer over an embedding reads the same vector at every padding step and at every
//! repeat of a token: in the benchmark's HAN about half of the word level's `T·B` input rows are
//! the padding row, and in an unmasked LSTM over MR's sentences (21 words, `maxlen` 100) four
//! in five. The input projection `x·W` of a row depends only on that row and on how the
//! GEMM sums over `k` — which kernel set and how `k` is cut into slices, both chosen from `k`
//! and the output width, never from the row count `m` when `B` is not transposed — so
//! computing it for the distinct rows and reading it through the map at every repeat gives the
//! same bits. In backward the
//! kernel's gradient `xᵀ·dz` is `Σ_u x_uᵀ · (Σ_{rows of u} dz_row)`: the same sum in another
//! order (not the same bits). Rows are compared bit for bit; the lookup keys a few values of a
//! row into an open-addressing table, and a key match is confirmed on the whole row.

use crate::gemm::{gemm, gemm_plus_bias, Gemm};
use crate::row_groups::{sum_rows, RowGroups, SHARE_AT_MOST};
use crate::scratch::{give, take_high};

/// Rows of a `[N, W]` matrix mapped to their distinct rows.
#[derive(Default)]
struct DistinctRows {
    /// `[N]` each row's distinct row, distinct rows numbered in order of first appearance
    of_row: Vec<u32>,
    /// `[U]` each distinct row's first row
    first: Vec<u32>,
    /// open-addressing table of distinct rows (`EMPTY` where free), a power of two ≥ 2N
    table: Vec<u32>,
}

const EMPTY: u32 = u32::MAX;

impl DistinctRows {
    /// Maps the rows of `x: [N, W]`; true when sharing pays (at most 3/4 of the rows are
    /// distinct). Stops early, returning false, once more rows than that are distinct.
    fn find(&mut self, x: &[f32], w: usize) -> bool {
        self.of_row.clear();
        self.first.clear();
        if w == 0 || x.len() < 2 * w || x.len() / w > EMPTY as usize {
            return false;
        }
        let n = x.len() / w;
        let limit = n * SHARE_AT_MOST.0 / SHARE_AT_MOST.1;
        let size = (2 * n).next_power_of_two();
        self.table.clear();
        self.table.resize(size, EMPTY);
        let row = |i: usize| &x[i * w..(i + 1) * w];
        for i in 0..n {
            let r = row(i);
            let mut slot = key(r) as usize & (size - 1);
            let u = loop {
                let u = self.table[slot];
                if u == EMPTY {
                    if self.first.len() == limit {
                        return false;
                    }
                    self.table[slot] = self.first.len() as u32;
                    self.first.push(i as u32);
                    break self.first.len() as u32 - 1;
                }
                if same(row(self.first[u as usize] as usize), r) {
                    break u;
                }
                slot = (slot + 1) & (size - 1);
            };
            self.of_row.push(u);
        }
        true
    }

    /// Indices held between calls (the lookup table and the maps), for a caller's account of
    /// what it keeps.
    fn held(&self) -> usize {
        self.of_row.capacity() + self.first.capacity() + self.table.capacity()
    }

    /// `[N]` each row's distinct row, after a [`find`](Self::find) that returned true.
    fn of_row(&self) -> &[u32] {
        &self.of_row
    }

    /// `U`, after a [`find`](Self::find) that returned true.
    fn distinct(&self) -> usize {
        self.first.len()
    }

    /// `out: [U, W]` = each distinct row of `x: [N, W]`.
    fn gather(&self, x: &[f32], w: usize, out: &mut [f32]) {
        copy_rows(x, &self.first, w, out);
    }

    /// `out: [U, W]` = the sum of `rows: [N, W]` over each distinct row's rows, in row order:
    /// the distinct rows as [`row_groups`](crate::row_groups)'s groups.
    #[inline(always)]
    fn sum(&self, rows: &[f32], w: usize, out: &mut [f32]) {
        sum_rows(RowGroups { of_row: &self.of_row, groups: self.first.len() }, rows, w, out, false);
    }
}

/// A layer's input rows as its last forward saw them: mapped to their distinct rows, whether
/// the input side ran per distinct row (it pays when at most 3/4 of them are distinct), and the
/// scratch marks of the distinct rows' products; the backward of that forward reads the same.
/// Between [`project_held`](Self::project_held) and [`release`](Self::release) it also holds
/// the distinct rows' input projection, which an LSTM's steps read in place.
#[derive(Default)]
pub(crate) struct SharedInputs {
    rows: DistinctRows,
    shared: bool,
    /// the marks of the `[U, E]` and `[U, G]` scratch ([`take_high`])
    high: [usize; 2],
    /// `[U, G]` the distinct rows' projection, held from [`project_held`](Self::project_held)
    /// to [`release`](Self::release) while the steps read it
    projection: Vec<f32>,
    /// Never share (the tests' reference for the shared path)
    #[cfg(test)]
    pub(crate) never: bool,
}

impl SharedInputs {
    /// Maps the rows of `x: [N, E]` and decides whether its input side runs per distinct row.
    pub(crate) fn map(&mut self, x: &[f32], e: usize) {
        self.shared = self.rows.find(x, e);
        #[cfg(test)]
        if self.never {
            self.shared = false;
        }
    }

    /// Whether the last [`map`](Self::map)'s rows are shared.
    pub(crate) fn shared(&self) -> bool {
        self.shared
    }

    /// `U`, when shared.
    pub(crate) fn distinct(&self) -> usize {
        self.rows.distinct()
    }

    /// `[N]` each row's distinct row, when shared.
    pub(crate) fn of_row(&self) -> &[u32] {
        self.rows.of_row()
    }

    /// Indices held between calls, for a caller's account of what it keeps.
    pub(crate) fn held(&self) -> usize {
        self.rows.held()
    }

    /// `out: [U, G]` = `x_u·W + bias` for each distinct row `u` of the mapped `x: [N, E]`
    /// (`kernel: [E, G]`, `bias: [G]`), when shared: each row the bits of every row's product.
    pub(crate) fn project_distinct(&mut self, x: &[f32], kernel: &[f32], bias: &[f32], out: &mut [f32]) {
        let (u, g) = (self.distinct(), bias.len());
        let e = kernel.len() / g;
        let mut xu = take_high(u * e, &mut self.high[0]);
        self.rows.gather(x, e, &mut xu);
        gemm_plus_bias(Gemm::new(u, e, g), &xu[..u * e], kernel, bias, &mut out[..u * g]);
        give(xu);
    }

    /// `x·W + bias` for the rows of the mapped `x: [N, E]` (`shape` is `(N, E, G)`), each row
    /// the same bits either way: not shared, every row is written to `out: [N, G]` and `None`
    /// returned; shared, only the distinct rows' `[U, G]` is computed, held until
    /// [`release`](Self::release), and returned with each row's distinct row (`[N]`), for an
    /// LSTM's steps to read in place ([`matmul_from_rows`](crate::small_gemm::matmul_from_rows))
    /// instead of a copy at every repeat (`[N, G]` is larger than L2 on real data), or for
    /// [`copy_rows`] to spread over `out`.
    pub(crate) fn project_held(
        &mut self,
        (n, e, g): (usize, usize, usize),
        x: &[f32],
        kernel: &[f32],
        bias: &[f32],
        out: &mut [f32],
    ) -> Option<(&[f32], &[u32])> {
        self.release();
        if !self.shared {
            gemm_plus_bias(Gemm::new(n, e, g), x, kernel, bias, out);
            return None;
        }
        let u = self.distinct();
        let mut xpu = take_high(u * g, &mut self.high[1]);
        self.project_distinct(x, kernel, bias, &mut xpu);
        self.projection = xpu;
        Some((&self.projection[..u * g], self.rows.of_row()))
    }

    /// Gives the held distinct rows' projection back to the scratch pool (the steps are done).
    pub(crate) fn release(&mut self) {
        give(std::mem::take(&mut self.projection));
    }

    /// `kernel_grad: [E, G]` += `xᵀ·dz` for the mapped `x: [N, E]` and `dz: [N, G]` (`shape` is
    /// `(N, E, G)`); over the distinct rows, `Σ_u x_uᵀ·(Σ_{rows of u} dz)`, when shared: the
    /// same sum in another order, not the same bits. Inlined, so that its sums run in the
    /// caller's build.
    #[inline(always)]
    pub(crate) fn add_kernel_gradient(
        &mut self,
        (n, e, g): (usize, usize, usize),
        x: &[f32],
        dz: &[f32],
        kernel_grad: &mut [f32],
    ) {
        if !self.shared {
            return gemm(Gemm::new(e, n, g).transpose_a().accumulate(), &x[..n * e], &dz[..n * g], kernel_grad);
        }
        let u = self.distinct();
        let (mut xu, mut du) = (take_high(u * e, &mut self.high[0]), take_high(u * g, &mut self.high[1]));
        self.rows.gather(x, e, &mut xu);
        self.rows.sum(&dz[..n * g], g, &mut du);
        gemm(Gemm::new(e, u, g).transpose_a().accumulate(), &xu[..u * e], &du[..u * g], kernel_grad);
        give(xu);
        give(du);
    }
}

/// `out: [rows.len(), W]` = row `rows[i]` of `table: [R, W]` for each `i`.
pub(crate) fn copy_rows(table: &[f32], rows: &[u32], w: usize, out: &mut [f32]) {
    for (dst, &r) in out.chunks_exact_mut(w.max(1)).zip(rows) {
        dst.copy_from_slice(&table[r as usize * w..(r as usize + 1) * w]);
    }
}

/// Whether two rows hold the same bits, compared 16 values at a time (a value-by-value loop
/// with an early exit was most of the lookup's time).
fn same(a: &[f32], b: &[f32]) -> bool {
    let ((a16, a_rest), (b16, b_rest)) = (a.as_chunks::<16>(), b.as_chunks::<16>());
    let differ =
        |p: &[f32; 16], q: &[f32; 16]| p.iter().zip(q).fold(0, |acc, (x, y)| acc | (x.to_bits() ^ y.to_bits()));
    a.len() == b.len()
        && a16.iter().zip(b16).all(|(p, q)| differ(p, q) == 0)
        && a_rest.iter().zip(b_rest).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// A row's lookup key from five of its values (a whole-row hash would cost as much as a
/// tenth of the product it saves); rows with equal keys are compared in full.
fn key(r: &[f32]) -> u64 {
    let w = r.len();
    [0, w / 4, w / 2, 3 * w / 4, w - 1].iter().fold(0xcbf2_9ce4_8422_2325u64, |k, &i| {
        (k ^ u64::from(r[i].to_bits())).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29)
    })
}

/// The largest `|a − b|`, infinite where either is NaN (a plain `f32::max` fold skips NaN)
/// (both cells' tests).
#[cfg(test)]
pub(crate) fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(a, b)| (a - b).abs()).fold(0.0, |w, d| if d.is_nan() { f32::INFINITY } else { w.max(d) })
}

/// `x: [N, E]` whose first half of rows (a padding prefix) all equal one row and whose
/// row N/2 + 1 repeats row N/2 (a repeated token), when `repeats` (both cells' tests).
#[cfg(test)]
pub(crate) fn with_repeats(mut x: Vec<f32>, e: usize, repeats: bool) -> Vec<f32> {
    let half = x.len() / e / 2;
    if repeats {
        let (pad, token) = (x[..e].to_vec(), x[half * e..(half + 1) * e].to_vec());
        (1..half).for_each(|i| x[i * e..(i + 1) * e].copy_from_slice(&pad));
        x[(half + 1) * e..(half + 2) * e].copy_from_slice(&token);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows map to their first appearance, compared bit for bit (-0 and 0 differ); gather,
    /// the map gives each row back, and the per-distinct-row sum follows it.
    #[test]
    fn identical_rows_map_to_their_first_appearance() {
        let mut d = DistinctRows::default();
        // rows: a, z, a, b, z, -z, a, z (W = 2)
        let x = [1.0, 2.0, 0.0, 0.0, 1.0, 2.0, 1.0, 3.0, 0.0, 0.0, -0.0, 0.0, 1.0, 2.0, 0.0, 0.0];
        assert!(d.find(&x, 2));
        assert_eq!((d.of_row.as_slice(), d.first.as_slice()), (&[0, 1, 0, 2, 1, 3, 0, 1][..], &[0, 1, 3, 5][..]));
        let mut u = vec![9.0; 8];
        d.gather(&x, 2, &mut u);
        assert_eq!(u, [1.0, 2.0, 0.0, 0.0, 1.0, 3.0, -0.0, 0.0]);
        let back: Vec<f32> = d.of_row().iter().flat_map(|&r| u[r as usize * 2..r as usize * 2 + 2].to_vec()).collect();
        assert!(back.iter().zip(&x).all(|(a, b)| a.to_bits() == b.to_bits()));
        let rows: Vec<f32> = (1..=8).map(|v| v as f32).collect(); // W = 1
        let mut sums = vec![9.0; 4];
        d.sum(&rows, 1, &mut sums);
        assert_eq!(sums, [1.0 + 3.0 + 7.0, 2.0 + 5.0 + 8.0, 4.0, 6.0]);
    }

    /// Rows that agree on every keyed value but differ elsewhere stay apart (a key collision
    /// is confirmed on the whole row), and mostly distinct rows are not shared.
    #[test]
    fn a_key_collision_is_told_apart_and_distinct_rows_are_not_shared() {
        let mut d = DistinctRows::default();
        let (a, b) = ([5.0, 1.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0], [5.0, 2.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]);
        assert_eq!(key(&a), key(&b), "the test needs rows with the same key");
        let x: Vec<f32> = [a, b, a, b, b, a, a, b].concat();
        assert!(d.find(&x, 8));
        assert_eq!(d.distinct(), 2);
        assert_eq!(d.of_row, [0, 1, 0, 1, 1, 0, 0, 1]);
        let x: Vec<f32> = (0..20).flat_map(|i: u8| [f32::from(i.min(16)); 2]).collect(); // rows 16..20 alike
        assert!(!d.find(&x, 2), "17 of 20 rows distinct: sharing does not pay");
        assert!(d.find(&x[28..36], 2), "3 of 4 rows distinct");
        assert_eq!(d.of_row, [0, 1, 2, 2]);
    }
}
