//! Which (step, row) pairs of a padded batch are real tokens, packed step-major, so that the
//! masked recurrent kernels (`--mask-padding`, Keras's `mask_zero=True`) compute nothing for
//! padding: on real data ~80 % of the steps of a batch padded to a fixed length are padding.
//!
//! The real pairs are numbered step by step — step `t`'s active rows are the contiguous block
//! `offsets[t]..offsets[t + 1]` of the packed order, rows ascending — so the input projection
//! of all `P` real steps is one GEMM over a `[P, E]` gather, and each step's recurrent product
//! runs on its `n_t` active rows only.

/// The packed real steps of a `[T, B]` validity mask.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepMask {
    /// `[T+1]` start of each step's block in the packed order; `offsets[T] = P`
    offsets: Vec<usize>,
    /// `[P]` the batch row of each packed pair
    rows: Vec<usize>,
    /// `[T, B]` the mask as given (true = real step)
    valid: Vec<bool>,
}

impl StepMask {
    /// Packs `valid: [T, B]` (time-major, true = real token), reusing this value's buffers.
    pub fn set(&mut self, valid: &[bool], t: usize, b: usize) {
        assert_eq!(valid.len(), t * b, "step mask: validity is not [T, B]");
        self.valid.clear();
        self.valid.extend_from_slice(valid);
        self.pack(t, b);
    }

    /// Packs `valid` read backwards in time (what a `go_backwards` layer sees).
    pub fn set_reversed(&mut self, valid: &[bool], t: usize, b: usize) {
        assert_eq!(valid.len(), t * b, "step mask: validity is not [T, B]");
        self.valid.clear();
        for s in (0..t).rev() {
            self.valid.extend_from_slice(&valid[s * b..(s + 1) * b]);
        }
        self.pack(t, b);
    }

    /// Numbers the real pairs of `self.valid` step by step.
    fn pack(&mut self, t: usize, b: usize) {
        self.offsets.clear();
        self.rows.clear();
        self.offsets.push(0);
        for s in 0..t {
            let step = &self.valid[s * b..(s + 1) * b];
            self.rows.extend(step.iter().enumerate().filter(|(_, &v)| v).map(|(r, _)| r));
            self.offsets.push(self.rows.len());
        }
    }

    /// Real steps in all: `P`.
    pub fn packed(&self) -> usize {
        self.rows.len()
    }

    /// Step `t`'s block in the packed order.
    pub fn block(&self, t: usize) -> std::ops::Range<usize> {
        self.offsets[t]..self.offsets[t + 1]
    }

    /// Step `t`'s active rows, ascending.
    pub fn rows(&self, t: usize) -> &[usize] {
        &self.rows[self.block(t)]
    }

    /// Whether row `r` has a real token at step `t`.
    pub fn is_real(&self, t: usize, b: usize, r: usize) -> bool {
        self.valid[t * b + r]
    }

    /// The `[T, B]` mask this was packed from.
    pub fn valid(&self) -> &[bool] {
        &self.valid
    }

    /// Gathers the real steps of a time-major `[T, B, W]` buffer into `out: [P, W]`.
    pub fn gather_steps(&self, src: &[f32], b: usize, w: usize, out: &mut Vec<f32>) {
        out.resize(self.packed() * w, 0.0);
        let t = self.offsets.len() - 1;
        for s in 0..t {
            for (k, &r) in self.block(s).zip(self.rows(s)) {
                let at = (s * b + r) * w;
                out[k * w..(k + 1) * w].copy_from_slice(&src[at..at + w]);
            }
        }
    }

    /// `out: [P]` = the value of the time-major `of_row: [T·B]` at each real step, packed (a
    /// grouped input gradient's groups, `row_groups`).
    pub fn packed_groups(&self, of_row: &[u32], b: usize, out: &mut Vec<u32>) {
        out.clear();
        for s in 0..self.offsets.len() - 1 {
            out.extend(self.rows(s).iter().map(|&r| of_row[s * b + r]));
        }
    }

    /// Scatters `packed: [P, W]` into the time-major `dst: [T, B, W]`, zeros at masked steps.
    pub fn scatter_steps(&self, packed: &[f32], b: usize, w: usize, dst: &mut [f32]) {
        dst.fill(0.0);
        let t = self.offsets.len() - 1;
        for s in 0..t {
            for (k, &r) in self.block(s).zip(self.rows(s)) {
                let at = (s * b + r) * w;
                dst[at..at + w].copy_from_slice(&packed[k * w..(k + 1) * w]);
            }
        }
    }
}

/// Copies the listed `rows` of `src: [B, W]` into `out: [rows, W]`, in order.
pub fn gather_rows(src: &[f32], rows: &[usize], w: usize, out: &mut [f32]) {
    for (dst, &r) in out.chunks_exact_mut(w).zip(rows) {
        dst.copy_from_slice(&src[r * w..(r + 1) * w]);
    }
}

/// Writes `src: [rows, W]` back to the listed `rows` of `dst: [B, W]`.
pub fn scatter_rows(src: &[f32], rows: &[usize], w: usize, dst: &mut [f32]) {
    for (s, &r) in src.chunks_exact(w).zip(rows) {
        dst[r * w..(r + 1) * w].copy_from_slice(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_real_steps_step_major_and_round_trips() {
        // T = 3, B = 2: row 0 pre-padded (one pad), row 1 post-padded (one real step)
        let valid = [false, true, true, false, true, false];
        let mut m = StepMask::default();
        m.set(&valid, 3, 2);
        assert_eq!(m.packed(), 3);
        assert_eq!((m.rows(0), m.rows(1), m.rows(2)), (&[1][..], &[0][..], &[0][..]));
        let x: Vec<f32> = (0..12).map(|v| v as f32).collect(); // [3, 2, 2]
        let mut packed = Vec::new();
        m.gather_steps(&x, 2, 2, &mut packed);
        assert_eq!(packed, [2.0, 3.0, 4.0, 5.0, 8.0, 9.0]);
        let mut back = vec![7.0; 12];
        m.scatter_steps(&packed, 2, 2, &mut back);
        assert_eq!(back, [0.0, 0.0, 2.0, 3.0, 4.0, 5.0, 0.0, 0.0, 8.0, 9.0, 0.0, 0.0]);
        let mut groups = Vec::new();
        m.packed_groups(&[10, 11, 12, 13, 14, 15], 2, &mut groups);
        assert_eq!(groups, [11, 12, 14], "each real step's value, in gather_steps' order");
        m.set_reversed(&valid, 3, 2);
        assert_eq!((m.rows(0), m.rows(1), m.rows(2)), (&[0][..], &[0][..], &[1][..]));
        assert!(m.is_real(2, 2, 1) && !m.is_real(2, 2, 0));
    }
}
