//! Seeded stratified splits: k-fold for cross-validation and a hold-out for validation.
//!
//! Stratified so that each fold has the class balance of the whole; seeded so that the same
//! `--seed` gives the same folds. Note: Keras's `validation_split` takes the *last* fraction of
//! the data unshuffled, which on a file sorted by label (MR's `all.tsv` is) yields a
//! single-class validation set; strata holds out a shuffled, stratified fraction instead.

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
    train.sort_unstable();
    held.sort_unstable();
    (train, held)
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
    }
}
