//! A thread's private view of the linear model's input rows during one round of training
//! (`linear.rs`): the rows it changed live in an overlay of copies, the others are read from the
//! round's starting weights, and after the round the copies are combined in thread order —
//! one copy taken as it is, several as the start plus the mean of their changes.

use strata_nn::linear_sgd::InputRows;

/// A row no overlay slot holds.
pub(crate) const NO_SLOT: u32 = u32::MAX;

/// Sets `row` from the copies the threads that changed it made, in thread order: one copy
/// is taken as it is; several give `row + mean(copy − row)`.
pub(crate) fn combine(row: &mut [f32], copies: &[&[f32]], orig: &mut Vec<f32>) {
    match copies {
        [] => {}
        [only] => row.copy_from_slice(only),
        _ => {
            orig.clear();
            orig.extend_from_slice(row);
            row.fill(0.0);
            for copy in copies {
                for ((x, &c), &o) in row.iter_mut().zip(*copy).zip(orig.iter()) {
                    *x += c - o;
                }
            }
            let k = 1.0 / copies.len() as f32;
            for (x, &o) in row.iter_mut().zip(orig.iter()) {
                *x = o + *x * k;
            }
        }
    }
}

/// A thread's private copies of the input rows it changed this round.
#[derive(Default)]
pub(crate) struct Overlay {
    /// Per input row, its slot in `copies`, or [`NO_SLOT`].
    pub(crate) slot_of: Vec<u32>,
    /// `[touched, dim]`: the rows as this thread changed them.
    pub(crate) copies: Vec<f32>,
    /// The rows in slot order.
    pub(crate) touched: Vec<u32>,
}

impl Overlay {
    pub(crate) fn reset(&mut self) {
        for &r in &self.touched {
            self.slot_of[r as usize] = NO_SLOT;
        }
        self.touched.clear();
        self.copies.clear();
    }
}

/// The round's starting weights seen through one thread's overlay.
pub(crate) struct OverlayRows<'a> {
    pub(crate) base: &'a [f32],
    pub(crate) overlay: &'a mut Overlay,
    pub(crate) dim: usize,
}

impl InputRows for OverlayRows<'_> {
    #[inline(always)]
    fn row(&self, r: u32) -> &[f32] {
        match self.overlay.slot_of[r as usize] {
            NO_SLOT => &self.base[r as usize * self.dim..][..self.dim],
            s => &self.overlay.copies[s as usize * self.dim..][..self.dim],
        }
    }

    #[inline(always)]
    fn row_mut(&mut self, r: u32) -> &mut [f32] {
        let d = self.dim;
        let mut s = self.overlay.slot_of[r as usize];
        if s == NO_SLOT {
            s = self.overlay.touched.len() as u32;
            self.overlay.slot_of[r as usize] = s;
            self.overlay.touched.push(r);
            self.overlay.copies.extend_from_slice(&self.base[r as usize * d..][..d]);
        }
        &mut self.overlay.copies[s as usize * d..][..d]
    }
}
