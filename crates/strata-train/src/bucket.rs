//! `--bucket-by-length`: an epoch's batches made of texts of similar length, so that a batch cut
//! to its real tokens (`strata_model::step_window`) pads little. From the epoch's seeded
//! shuffle, pools of [`POOL_BATCHES`] batches' worth of texts are each sorted by length and cut
//! into batches, and the batches are then shuffled among themselves (seeded), so an epoch does
//! not run from short texts to long ones.

use std::ops::Range;

use strata_nn::Rng;

/// Batches' worth of texts sorted together: large enough that a pool's batches are near one
/// length, small enough that which texts meet in a batch still changes from epoch to epoch.
pub const POOL_BATCHES: usize = 50;

/// Random stream of the batch order (one draw per epoch, keyed by the shuffles drawn, so a
/// resumed run draws the same order without replaying anything).
const BATCH_ORDER_STREAM: u64 = 0x6275_636b; // "buck"

/// Sorts each pool of `order` (an epoch's shuffled rows) by `widths` (ties keep the shuffle's
/// order), and returns the batches of `batch_size` rows as ranges of `order`, shuffled with
/// the stream of `(seed, epoch_draw)` when `shuffle`.
pub fn bucket(
    order: &mut [usize],
    widths: &[usize],
    batch_size: usize,
    seed: u64,
    epoch_draw: usize,
    shuffle: bool,
) -> Vec<Range<usize>> {
    let batch_size = batch_size.max(1);
    for pool in order.chunks_mut(batch_size.saturating_mul(POOL_BATCHES)) {
        pool.sort_by_key(|&i| widths[i]);
    }
    let mut batches = in_order(order.len(), batch_size);
    if shuffle {
        Rng::derive(seed ^ BATCH_ORDER_STREAM, epoch_draw as u64).shuffle(&mut batches);
    }
    batches
}

/// Consecutive batches of `batch_size` over `n` rows (the last one shorter).
pub fn in_order(n: usize, batch_size: usize) -> Vec<Range<usize>> {
    let batch_size = batch_size.max(1);
    (0..n).step_by(batch_size).map(|s| s..(s + batch_size).min(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_pool_is_sorted_and_every_row_is_in_one_batch() {
        let n = 1000;
        let widths: Vec<usize> = (0..n).map(|i| (i * 37) % 91).collect();
        let mut order: Vec<usize> = (0..n).rev().collect();
        let batches = bucket(&mut order, &widths, 4, 9, 0, true);
        assert_eq!(batches.len(), n.div_ceil(4));
        let mut seen: Vec<usize> = batches.iter().flat_map(|r| order[r.clone()].to_vec()).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..n).collect::<Vec<_>>());
        for pool in order.chunks(4 * POOL_BATCHES) {
            assert!(pool.windows(2).all(|w| widths[w[0]] <= widths[w[1]]), "a pool is sorted by width");
        }
        // a batch holds texts of similar length: its spread is far below the data's
        let spread = |r: &Range<usize>| {
            let w: Vec<usize> = order[r.clone()].iter().map(|&i| widths[i]).collect();
            w.iter().max().unwrap() - w.iter().min().unwrap()
        };
        assert!(batches.iter().all(|r| spread(r) <= 5), "batches of similar length");
        // the batches are shuffled: not in pool order
        assert_ne!(batches, in_order(n, 4));
    }

    #[test]
    fn the_batch_order_depends_on_the_seed_and_the_epoch_only() {
        let widths: Vec<usize> = (0..300).map(|i| i % 17).collect();
        let run = |seed, draw| {
            let mut order: Vec<usize> = (0..300).collect();
            let b = bucket(&mut order, &widths, 8, seed, draw, true);
            (order, b)
        };
        assert_eq!(run(1, 2), run(1, 2));
        assert_ne!(run(1, 2).1, run(1, 3).1);
        assert_ne!(run(1, 2).1, run(2, 2).1);
    }
}
