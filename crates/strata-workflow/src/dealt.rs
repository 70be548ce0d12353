//! Runs dealt to the ranks of an MPI job (`mpirun -n N strata cv|experiment`), and their
//! results gathered back so that every rank holds all of them, as one process would have.
//!
//! Results travel as their fields' bits (no text round trip), so the gathered figures are the
//! very numbers the ranks computed and `results.json` matches a single process's.

use strata_train::ranks::World;

use crate::pipeline::FoldResult;

/// Every rank's fold results, in fold order.
pub(crate) fn gather_folds(world: &dyn World, mine: &[FoldResult]) -> Vec<FoldResult> {
    let mut bytes = Vec::with_capacity(mine.len() * 56);
    for r in mine {
        for v in [r.fold as u64, r.n_train as u64, r.n_test as u64] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        for v in [r.accuracy, r.macro_f1, r.loss, r.seconds] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    let mut all: Vec<FoldResult> = world.all_gather(&bytes).iter().flat_map(|b| unpack_folds(b)).collect();
    all.sort_by_key(|r| r.fold);
    all
}

fn unpack_folds(bytes: &[u8]) -> Vec<FoldResult> {
    bytes
        .chunks_exact(56)
        .map(|b| {
            let word = |i: usize| <[u8; 8]>::try_from(&b[i * 8..i * 8 + 8]).expect("8 bytes");
            let (n, x) = (|i| u64::from_le_bytes(word(i)) as usize, |i| f64::from_le_bytes(word(i)));
            FoldResult {
                fold: n(0),
                n_train: n(1),
                n_test: n(2),
                accuracy: x(3),
                macro_f1: x(4),
                loss: x(5),
                seconds: x(6),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A world of one rank that hands back what it is given.
    struct Alone;

    impl World for Alone {
        fn rank(&self) -> usize {
            0
        }
        fn size(&self) -> usize {
            1
        }
        fn all_gather(&self, mine: &[u8]) -> Vec<Vec<u8>> {
            vec![mine.to_vec()]
        }
        fn abort(&self, code: i32) -> ! {
            panic!("aborted with {code}")
        }
    }

    #[test]
    fn fold_results_come_back_with_their_bits_in_fold_order() {
        let r = |fold, accuracy: f64| FoldResult {
            fold,
            accuracy,
            macro_f1: accuracy / 3.0,
            loss: 0.1 + 0.2,
            n_train: 90 + fold,
            n_test: 10,
            seconds: 1.5,
        };
        let back = gather_folds(&Alone, &[r(3, 0.7), r(1, 2.0f64.sqrt())]);
        assert_eq!(back.iter().map(|r| r.fold).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(back[0].accuracy.to_bits(), 2.0f64.sqrt().to_bits());
        assert_eq!(back[0].macro_f1.to_bits(), (2.0f64.sqrt() / 3.0).to_bits());
        assert_eq!((back[1].loss, back[1].n_train, back[1].n_test), (0.1 + 0.2, 93, 10));
    }
}
