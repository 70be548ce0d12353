//! A multi-label network's targets (issue 15, point 2): each text's label set as a multi-hot
//! row (`1.0` where the text carries the label), which the batches read in place of a class
//! index ([`crate::trainer::fit_schedule_multi`], `strata_model::network::backward_multi`).

/// The multi-hot rows `[N, K]` of the training texts and of the validation texts, in the
/// order of the `Dataset`s they go with.
#[derive(Clone, Copy)]
pub struct MultiHot<'a> {
    pub train: &'a [f32],
    pub val: &'a [f32],
}

/// `[N, classes]` rows: `1.0` at each of a text's class indices, else `0.0`.
pub fn multi_hot_rows(sets: &[Vec<usize>], classes: usize) -> Vec<f32> {
    let mut rows = vec![0.0f32; sets.len() * classes];
    for (row, set) in rows.chunks_exact_mut(classes.max(1)).zip(sets) {
        set.iter().for_each(|&c| row[c] = 1.0);
    }
    rows
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_text_is_one_row_with_ones_at_its_labels() {
        let rows = super::multi_hot_rows(&[vec![0, 2], vec![1], vec![]], 3);
        assert_eq!(rows, [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    }
}
