//! Seeded stratified splits: k-fold for cross-validation and a hold-out for validation.
//!
//! Stratified so that each fold has the class balance of the whole; seeded so that the same
//! `--seed` gives the same folds. Note: Keras's `validation_split` takes the *last* fraction of
//! the data unshuffled, which on a file sorted by label (MR's `all.tsv` is) yields a
//! single-class validation set; strata holds out a shuffled, stratified fraction instead.
//!
//! The part kept for training comes back in a seeded random order (as scikit-learn's
//! `train_test_split` returns it), not in file order: the tokenizer breaks frequency ties by
//! first occurrence, as Keras's does, so on a label-sorted file the rare words cut by
//! `num_words` would all come from the last class, and `<OOV>` would become a label cue that
//! holds in training and misleads on new text (on Subj: 0% vs 2.6% OOV tokens per class).

use strata_nn::Rng;

/// Assigns every example to one of `k` folds, per class in shuffled order, round-robin.
/// Returns each fold's example indices (sorted).
pub fn stratified_kfold(labels: &[usize], k: usize, seed: u64) -> Vec<Vec<usize>> {
    assert!(k >= 2, "k-fold needs k >= 2");
    let n_classes = labels.iter().max().map_or(0, |m| m + 1);
    let mut rng = Rng::derive(seed, 0x6b66_6f6c64); // "kfold"
    let mut folds = vec![Vec::new(); k];
    let mut next = 0;
    for c in 0..n_classes {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        rng.shuffle(&mut members);
        for i in members {
            folds[next % k].push(i);
            next += 1;
        }
    }
    folds.iter_mut().for_each(|f| f.sort_unstable());
    folds
}

/// Splits `indices` into (train, held-out) with about `fraction` of each class held out.
/// The train part is in seeded random order, the held-out part sorted.
pub fn stratified_split(indices: &[usize], labels: &[usize], fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let n_classes = indices.iter().map(|&i| labels[i]).max().map_or(0, |m| m + 1);
    let mut rng = Rng::derive(seed, 0x76616c); // "val"
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for c in 0..n_classes {
        let mut members: Vec<usize> = indices.iter().copied().filter(|&i| labels[i] == c).collect();
        rng.shuffle(&mut members);
        let n_held = (members.len() as f64 * fraction).round() as usize;
        held.extend_from_slice(&members[..n_held]);
        train.extend_from_slice(&members[n_held..]);
    }
    rng.shuffle(&mut train);
    held.sort_unstable();
    (train, held)
}

/// `indices` in a seeded random order: a training set that does not follow the file's order.
pub fn shuffled(indices: &[usize], seed: u64) -> Vec<usize> {
    let mut v = indices.to_vec();
    Rng::derive(seed, 0x0074_7261_696e).shuffle(&mut v); // "train"
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_partition_and_keep_balance() {
        let labels: Vec<usize> = (0..100).map(|i| usize::from(i >= 70)).collect();
        let folds = stratified_kfold(&labels, 10, 3);
        let mut all: Vec<usize> = folds.concat();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        for f in &folds {
            assert_eq!(f.len(), 10);
            assert_eq!(f.iter().filter(|&&i| labels[i] == 1).count(), 3);
        }
        assert_eq!(folds, stratified_kfold(&labels, 10, 3));
        assert_ne!(folds, stratified_kfold(&labels, 10, 4));
    }

    #[test]
    fn split_holds_out_each_class() {
        let labels: Vec<usize> = (0..200).map(|i| usize::from(i >= 100)).collect();
        let idx: Vec<usize> = (0..200).collect();
        let (tr, va) = stratified_split(&idx, &labels, 0.1, 1);
        assert_eq!((tr.len(), va.len()), (180, 20));
        assert_eq!(va.iter().filter(|&&i| labels[i] == 1).count(), 10);
        // the training part does not come class by class, as the sorted labels do
        let first_half_ones = tr[..90].iter().filter(|&&i| labels[i] == 1).count();
        assert!((25..=65).contains(&first_half_ones), "{first_half_ones} of 90");
        assert_eq!((tr.clone(), va.clone()), stratified_split(&idx, &labels, 0.1, 1));
        let mut sorted = tr.clone();
        sorted.sort_unstable();
        assert_ne!(tr, sorted);
    }

    #[test]
    fn shuffled_keeps_every_index() {
        let v: Vec<usize> = (0..50).collect();
        let s = shuffled(&v, 2);
        assert_ne!(s, v);
        let mut back = s.clone();
        back.sort_unstable();
        assert_eq!(back, v);
        assert_eq!(s, shuffled(&v, 2));
    }
}
