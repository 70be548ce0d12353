//! A recurrent layer's input gradient summed per group of input rows, for a caller that only
//! ever sums it so (issue 14, han ×4 tf-keras).
//!
//! Over an embedding, the gradient at the input rows is wanted only as the table's gradient:
//! each row's `dx_r = dz_r · Wᵀ`, summed per id. Since the product is linear,
//! `Σ_{rows of id} dz_r · Wᵀ = (Σ_{rows of id} dz_r) · Wᵀ`: summing the `[T·B, G]` gate (3H, 4H)
//! gradients per id first leaves a product over the distinct ids only (about half of a HAN's
//! word rows in the benchmark: the padding id is most of the rest) — the largest product of the
//! word level's backward, halved. Where the groups are nearly as many as the rows (more than
//! [`SHARE_AT_MOST`] of them, 3/4) summing first saves less than it costs, and
//! the layer keeps every row's product, then sums it per group ([`input_gradient`], which both
//! cells' backward call, a masked one through [`masked_input_gradient`]). The same numbers up to rounding (the sums run in another
//! order), not the same bits. The groups are the caller's (ids), not the layer's distinct
//! input vectors: two ids may share a vector (a pretrained table's zero rows) and still need
//! their own gradients.
//!
//! # Shapes
//! `of_row: [N]` each input row's group (`N = T·B` time-major rows), groups `0 .. G`;
//! a grouped gradient is `[G, W]`.

/// Input rows mapped to the caller's groups.
#[derive(Clone, Copy)]
pub struct RowGroups<'a> {
    /// `[N]` each row's group, `< groups`
    pub of_row: &'a [u32],
    pub groups: usize,
}

/// Where a backward writes the input gradient summed per group: `out: [G, W]`, overwritten,
/// or added into with `accumulate`.
pub struct GroupedDx<'a> {
    pub groups: RowGroups<'a>,
    pub out: &'a mut [f32],
    pub accumulate: bool,
}

/// Summing or sharing rows pays when at most this share of them is distinct (a group's sum, a
/// distinct row's lookup and copies cost a little per row; below this the saved product is
/// worth more): the grouped input gradient here, the shared input rows in `distinct_inputs`.
pub(crate) const SHARE_AT_MOST: (usize, usize) = (3, 4);

/// Where a recurrent layer's backward writes the gradient at its input: nowhere, every
/// row's (`[T, B, E]`), or the groups' sums.
pub(crate) enum InputGrad<'a> {
    None,
    Rows(&'a mut [f32]),
    Groups(GroupedDx<'a>),
}

/// The gradient at a recurrent layer's input, `dz · Wᵀ` for the input side's pre-activation
/// gradients `dz: [N, G]` and its kernel `W: [E, G]` (`shape` is `(N, G, E)`), written where
/// `dx` says. Grouped, the `dz` rows are summed per group first when the groups are at most
/// [`SHARE_AT_MOST`] of the rows (one product row a
/// group); otherwise every row's product is summed per group. `high` is the caller's mark for
/// the groups' `[groups, G]` scratch ([`take_high`](crate::scratch::take_high)). Inlined, so
/// that it runs in the caller's build.
#[inline(always)]
pub(crate) fn input_gradient(
    dx: InputGrad,
    dz: &[f32],
    kernel: &[f32],
    shape: (usize, usize, usize),
    high: &mut usize,
) {
    use crate::gemm::{gemm, Gemm};
    let (n, g, e) = shape;
    match dx {
        InputGrad::None => {}
        InputGrad::Rows(dx) => gemm(Gemm::new(n, g, e).transpose_b(), dz, kernel, dx),
        InputGrad::Groups(dx) => {
            let groups = dx.groups.groups;
            let (most, of) = SHARE_AT_MOST;
            if groups * of <= n * most {
                // (Σ_{rows of a group} dz) · Wᵀ: one row of the product per group
                let mut dg = crate::scratch::take_high(groups * g, high);
                sum_rows(dx.groups, dz, g, &mut dg, false);
                let shape = Gemm::new(groups, g, e).transpose_b();
                let shape = if dx.accumulate { shape.accumulate() } else { shape };
                gemm(shape, &dg[..groups * g], kernel, &mut dx.out[..groups * e]);
                crate::scratch::give(dg);
            } else {
                // mostly distinct (the benchmark's uniform ids: 92 %): summing dz first would
                // save less than the sum costs, so every row's dz · Wᵀ, then summed per group
                via_rows(e, dx, |rows| gemm(Gemm::new(n, g, e).transpose_b(), dz, kernel, rows));
            }
        }
    }
}

/// Scratch of [`masked_input_gradient`], kept by a masked layer between batches.
#[derive(Default)]
pub(crate) struct MaskedScratch {
    /// `[P, E]` the real steps' input gradients, before they are scattered
    dx_packed: Vec<f32>,
    /// `[P]` each real step's group
    of_packed: Vec<u32>,
    /// the mark of the groups' `[groups, G]` sums ([`take_high`](crate::scratch::take_high))
    high: usize,
}

/// [`input_gradient`] of a masked layer, whose `dz: [P, G]` holds the real steps of `mask`
/// only (`shape` is `(P, G, E)`, `b` the batch): every row's gradient `[T, B, E]` is zero at the
/// masked steps, and a group sums only its real steps' rows.
#[inline(always)]
pub(crate) fn masked_input_gradient(
    dx: InputGrad,
    mask: &crate::step_mask::StepMask,
    b: usize,
    dz: &[f32],
    kernel: &[f32],
    (n, g, e): (usize, usize, usize),
    s: &mut MaskedScratch,
) {
    match dx {
        InputGrad::None => {}
        InputGrad::Rows(dx) => {
            s.dx_packed.resize(n * e, 0.0);
            input_gradient(InputGrad::Rows(&mut s.dx_packed), dz, kernel, (n, g, e), &mut s.high);
            mask.scatter_steps(&s.dx_packed, b, e, dx);
        }
        InputGrad::Groups(dx) => {
            mask.packed_groups(dx.groups.of_row, b, &mut s.of_packed);
            let groups = RowGroups { of_row: &s.of_packed, groups: dx.groups.groups };
            input_gradient(InputGrad::Groups(GroupedDx { groups, ..dx }), dz, kernel, (n, g, e), &mut s.high);
        }
    }
}

/// `out: [G, W]` = (or += with `accumulate`) the sum of `rows: [N, W]` per group, each group's
/// rows in row order (inlined, so that it runs in the caller's AVX2/AVX-512 build).
#[inline(always)]
pub(crate) fn sum_rows(groups: RowGroups, rows: &[f32], w: usize, out: &mut [f32], accumulate: bool) {
    assert_eq!(rows.len(), groups.of_row.len() * w, "row groups: rows are not [N, W]");
    let out = &mut out[..groups.groups * w];
    if !accumulate {
        out.fill(0.0);
    }
    for (src, &g) in rows.chunks_exact(w).zip(groups.of_row) {
        out[g as usize * w..(g as usize + 1) * w].iter_mut().zip(src).for_each(|(a, v)| *a += v);
    }
}

/// [`GroupedDx`] through every row's gradient: `write_rows` overwrites a pooled `[N, W]`
/// buffer, which is then summed per group (the path with no grouped product: groups that are
/// most of the rows).
#[inline(always)]
pub(crate) fn via_rows(w: usize, g: GroupedDx, write_rows: impl FnOnce(&mut [f32])) {
    let mut rows = crate::scratch::take(g.groups.of_row.len() * w);
    write_rows(&mut rows);
    sum_rows(g.groups, &rows, w, g.out, g.accumulate);
    crate::scratch::give(rows);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows add into their groups in row order; `accumulate` keeps what `out` held.
    #[test]
    fn rows_sum_into_their_groups() {
        let of_row = [1, 0, 1, 2, 1];
        let g = RowGroups { of_row: &of_row, groups: 3 };
        let rows: Vec<f32> = (1..=10).map(|v| v as f32).collect(); // W = 2
        let mut out = vec![9.0; 6];
        sum_rows(g, &rows, 2, &mut out, false);
        assert_eq!(out, [3.0, 4.0, 1.0 + 5.0 + 9.0, 2.0 + 6.0 + 10.0, 7.0, 8.0]);
        via_rows(2, GroupedDx { groups: g, out: &mut out, accumulate: true }, |r| r.copy_from_slice(&rows));
        assert_eq!(out, [6.0, 8.0, 30.0, 36.0, 14.0, 16.0]);
    }
}
