//! The conv bank's shifted adds and max over time, for one width and one block of steps:
//! `pre[t] = bias + Σ_j Y_j[t + j]` (in order of `j`), folded into the running max and the step
//! that won it.
//!
//! A vector of filters at a time, the running max and its step stay in registers across the
//! block's steps, and the step is a `u32`: taking each step's `[F]` row whole, the fold read and
//! wrote the max and an 8-byte step per filter at every step (1.2 KB of 1.6 KB moved per row at
//! Kim's sizes), and `Y` is all it needs to read. Each filter's sum still meets its shifts in
//! order and its steps still meet the max in order, strictly (the first step wins a tie, as in
//! `max_over_time`), so every build gives the bits the row-at-a-time loop gave.
//!
//! # Shapes
//! `Y_j`: `[steps_j, G, S_j]` (the block's rows of shift `j`); `best`, `won`: `[G, stride]`,
//! this width's `F` filters at the start of each text's row; `bias`: `[F]`.

/// Filters held in registers at a time: one AVX-512 vector.
const LANES: usize = 16;

/// One width's view of a block of `Y`.
pub(super) struct Fold<'a> {
    pub y: &'a [f32],
    /// per shift `j < w`, where this width's columns of `Y_j` start (the block's first step,
    /// text 0)
    pub from: &'a [usize],
    /// per shift `j`, the columns `S_j` of `Y_j`
    pub columns: &'a [usize],
    /// texts in the group
    pub gn: usize,
    /// the block's first step
    pub s0: usize,
    /// the output steps of this width the block holds
    pub steps: std::ops::Range<usize>,
    pub bias: &'a [f32],
}

impl Fold<'_> {
    /// Every text's steps folded into its `best` and `won`, text `i`'s `F` values at
    /// `i · stride`.
    #[inline(always)]
    fn texts(&self, best: &mut [f32], won: &mut [u32], stride: usize) {
        let f = self.bias.len();
        for text in 0..self.gn {
            let (best, won) = (&mut best[text * stride..][..f], &mut won[text * stride..][..f]);
            let mut c0 = 0;
            while c0 + LANES <= f {
                self.lanes::<LANES>(text, c0, &mut best[c0..c0 + LANES], &mut won[c0..c0 + LANES]);
                c0 += LANES;
            }
            for c in c0..f {
                self.lanes::<1>(text, c, &mut best[c..c + 1], &mut won[c..c + 1]);
            }
        }
    }

    /// Filters `c0 .. c0 + L` of text `text`.
    #[inline(always)]
    fn lanes<const L: usize>(&self, text: usize, c0: usize, best: &mut [f32], won: &mut [u32]) {
        let mut b: [f32; L] = best.try_into().expect("L filters");
        let mut a: [u32; L] = won.try_into().expect("L filters");
        let bias: &[f32; L] = self.bias[c0..c0 + L].try_into().expect("L filters");
        for step in self.steps.clone() {
            let mut pre = *bias;
            for (&from, &columns) in self.from.iter().zip(self.columns) {
                let row = ((step - self.s0) * self.gn + text) * columns;
                let y: &[f32; L] = self.y[from + row + c0..][..L].try_into().expect("L filters");
                for l in 0..L {
                    pre[l] += y[l];
                }
            }
            for l in 0..L {
                let better = pre[l] > b[l];
                b[l] = if better { pre[l] } else { b[l] };
                a[l] = if better { step as u32 } else { a[l] };
            }
        }
        best.copy_from_slice(&b);
        won.copy_from_slice(&a);
    }
}

crate::kernels::compiled_per_kernels!(
    pub(super) fn fold_in_build / fold_avx2 / fold_avx512 / with #[cfg(test)] fold_with (
        fold: &Fold<'_>,
        best: &mut [f32],
        won: &mut [u32],
        stride: usize,
    ) => fold_body
);

#[inline(always)]
fn fold_body(fold: &Fold<'_>, best: &mut [f32], won: &mut [u32], stride: usize) {
    fold.texts(best, won, stride)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Kernels;
    use crate::Rng;

    #[test]
    fn every_build_folds_to_the_bits_of_the_sums_written_out() {
        // two widths' worth of shifts over a block of steps 3..7 of 3 texts; 37 filters: two
        // vectors and 5 single lanes; ties (a repeated row) go to the first step
        let (gn, s0, f, stride) = (3, 3, 37, 50);
        let columns = [2 * f + 3, f + 1, f];
        let steps = s0..s0 + 4;
        let mut rng = Rng::new(19);
        let rows: usize = columns.iter().map(|c| 4 * gn * c).sum();
        let mut y: Vec<f32> = (0..rows).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let from = [0, 4 * gn * columns[0] + 1, 4 * gn * (columns[0] + columns[1])];
        // step s0 + 2 repeats step s0 + 1 for text 1 in every shift
        for (j, &c) in columns.iter().enumerate() {
            let (a, b) = (from[j] + (gn + 1) * c, from[j] + (2 * gn + 1) * c);
            let row: Vec<f32> = y[a..a + f].to_vec();
            y[b..b + f].copy_from_slice(&row);
        }
        let bias: Vec<f32> = (0..f).map(|_| rng.uniform(-0.5, 0.5)).collect();
        let start_best: Vec<f32> = (0..gn * stride).map(|i| if i % 7 == 0 { 1.5 } else { f32::NEG_INFINITY }).collect();
        let fold = Fold { y: &y, from: &from, columns: &columns, gn, s0, steps: steps.clone(), bias: &bias };
        // written out: each step's row summed in order, then compared
        let (mut want_best, mut want_won) = (start_best.clone(), vec![9u32; gn * stride]);
        for step in steps {
            for text in 0..gn {
                for c in 0..f {
                    let mut pre = bias[c];
                    for j in 0..3 {
                        pre += y[from[j] + ((step - s0) * gn + text) * columns[j] + c];
                    }
                    let at = text * stride + c;
                    if pre > want_best[at] {
                        (want_best[at], want_won[at]) = (pre, step as u32);
                    }
                }
            }
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for build in Kernels::available() {
            let (mut best, mut won) = (start_best.clone(), vec![9u32; gn * stride]);
            fold_with(build, &fold, &mut best, &mut won, stride);
            assert_eq!(bits(&best), bits(&want_best), "{}", build.name());
            assert_eq!(won, want_won, "{}", build.name());
        }
        // the repeated step tied and lost, somewhere
        assert!((0..f).any(|c| want_won[stride + c] == s0 as u32 + 1));
    }
}
