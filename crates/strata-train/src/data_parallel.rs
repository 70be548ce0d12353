//! Data-parallel training: every rank computes some chunks of the same global batch, and every
//! rank ends with the gradient a single process would sum from all of them.
//!
//! A batch of B texts is cut into `ranks × threads` chunks (the chunks one process with that
//! many threads would cut); rank r computes chunks `r·threads..(r+1)·threads`. Each chunk's
//! gradient travels whole to every rank (an all-gather, not an all-reduce), so that every rank
//! can add them **in chunk order**, as [`crate::batch`] does in one process: the sum, and so
//! the optimizer step and the weights after training, are the same bits for 1, 2 or 4 ranks.
//! The embedding table's gradient travels as the rows each chunk touched (ids and `[U, E]`
//! sums), never as the `[V, E]` table: a batch of 32 texts of 100 words touches a few hundred
//! of a 20,000-word table's rows. Those per-chunk row sums are added in chunk order too, so the
//! table's gradient does not depend on the rank count either; it differs from a single process
//! without MPI (which adds every occurrence into one running sum) only by rounding.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use strata_model::network::ChunkStats;

use crate::ranks::World;

static STEPS: AtomicU64 = AtomicU64::new(0);
static BYTES_SENT: AtomicU64 = AtomicU64::new(0);
static NANOS: AtomicU64 = AtomicU64::new(0);
static SAMPLES: AtomicU64 = AtomicU64::new(0);
/// the first all-gather's start and the last one's end, in ns after [`clock`]'s origin
static FIRST_NS: AtomicU64 = AtomicU64::new(u64::MAX);
static LAST_NS: AtomicU64 = AtomicU64::new(0);

/// Nanoseconds since the first call in this process.
fn clock() -> u64 {
    static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// What data-parallel training has exchanged in this process so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Traffic {
    /// all-gathers, one per optimizer step
    pub steps: u64,
    /// bytes this rank sent: of an all-gather, every other rank's share (what a ring
    /// all-gather, OpenMPI's for large messages, sends from each rank)
    pub bytes_sent: u64,
    /// seconds spent in the all-gathers, waiting for the slowest rank included
    pub seconds: f64,
    /// texts in the batches stepped
    pub samples: u64,
    /// seconds from the first all-gather's start to the last one's end: training's time,
    /// the first batch's forward and backward aside
    pub span_seconds: f64,
}

/// The traffic so far (the CLI's closing note, and the MPI benchmark's figures).
pub fn traffic() -> Traffic {
    Traffic {
        steps: STEPS.load(Ordering::Relaxed),
        bytes_sent: BYTES_SENT.load(Ordering::Relaxed),
        seconds: NANOS.load(Ordering::Relaxed) as f64 * 1e-9,
        samples: SAMPLES.load(Ordering::Relaxed),
        span_seconds: LAST_NS.load(Ordering::Relaxed).saturating_sub(FIRST_NS.load(Ordering::Relaxed)) as f64 * 1e-9,
    }
}

/// `world.all_gather` of one step's chunks (of a batch of `samples` texts), counted in
/// [`traffic`].
pub(crate) fn all_gather(world: &dyn World, message: &[u8], samples: usize) -> Vec<Vec<u8>> {
    let started = Instant::now();
    FIRST_NS.fetch_min(clock(), Ordering::Relaxed);
    let all = world.all_gather(message);
    LAST_NS.fetch_max(clock(), Ordering::Relaxed);
    SAMPLES.fetch_add(samples as u64, Ordering::Relaxed);
    let total: usize = all.iter().map(Vec::len).sum();
    NANOS.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
    BYTES_SENT.fetch_add((total - message.len()) as u64, Ordering::Relaxed);
    STEPS.fetch_add(1, Ordering::Relaxed);
    all
}

/// One chunk's share of a batch's gradient, as computed on some rank.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChunkGradient {
    pub stats: ChunkStats,
    /// the gradient of the parameters after the embedding tables
    pub dense: Vec<f32>,
    /// the embedding rows the chunk touched, sorted, and their sums `[U, E]`
    pub ids: Vec<u32>,
    pub rows: Vec<f32>,
}

/// Appends one chunk to a rank's message: loss sum, correct count, then each buffer as its
/// length and little-endian values.
pub(crate) fn pack(out: &mut Vec<u8>, stats: &ChunkStats, dense: &[f32], ids: &[u32], rows: &[f32]) {
    out.extend_from_slice(&stats.loss_sum.to_le_bytes());
    out.extend_from_slice(&(stats.correct as u64).to_le_bytes());
    out.extend_from_slice(&(dense.len() as u64).to_le_bytes());
    dense.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    out.extend_from_slice(&(ids.len() as u64).to_le_bytes());
    ids.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    out.extend_from_slice(&(rows.len() as u64).to_le_bytes());
    rows.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
}

/// The chunks of one rank's message, in the order [`pack`] wrote them.
pub(crate) fn unpack(mut bytes: &[u8]) -> Vec<ChunkGradient> {
    fn take<const N: usize>(bytes: &mut &[u8]) -> [u8; N] {
        let (head, rest) = bytes.split_at(N);
        *bytes = rest;
        head.try_into().expect("N bytes")
    }
    fn len(bytes: &mut &[u8]) -> usize {
        u64::from_le_bytes(take(bytes)) as usize
    }
    let mut chunks = Vec::new();
    while !bytes.is_empty() {
        let loss_sum = f64::from_le_bytes(take(&mut bytes));
        let correct = len(&mut bytes);
        let n = len(&mut bytes);
        let dense = (0..n).map(|_| f32::from_le_bytes(take(&mut bytes))).collect();
        let n = len(&mut bytes);
        let ids = (0..n).map(|_| u32::from_le_bytes(take(&mut bytes))).collect();
        let n = len(&mut bytes);
        let rows = (0..n).map(|_| f32::from_le_bytes(take(&mut bytes))).collect();
        chunks.push(ChunkGradient { stats: ChunkStats { loss_sum, correct }, dense, ids, rows });
    }
    chunks
}

/// `grads` = the chunks' dense gradients added in chunk order, starting from the first (the
/// order and the bits of [`crate::batch`]'s sum in one process).
pub(crate) fn sum_dense(chunks: &[ChunkGradient], grads: &mut [f32]) {
    let Some((first, rest)) = chunks.split_first() else {
        grads.fill(0.0);
        return;
    };
    grads.copy_from_slice(&first.dense);
    for c in rest {
        grads.iter_mut().zip(&c.dense).for_each(|(a, g)| *a += g);
    }
}

/// Bytes one rank sends per step for `chunks` (what the benchmark reports).
pub fn message_bytes(dense: usize, rows_touched: usize, e: usize, chunks: usize) -> usize {
    chunks * (40 + 4 * dense + 4 * rows_touched * (1 + e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_unpacks_to_the_chunks_packed() {
        let a = ChunkGradient {
            stats: ChunkStats { loss_sum: 1.25, correct: 3 },
            dense: vec![0.5, -1.0, f32::MIN_POSITIVE],
            ids: vec![0, 7],
            rows: vec![1.0, 2.0, 3.0, 4.0],
        };
        let b = ChunkGradient {
            stats: ChunkStats { loss_sum: -0.0, correct: 0 },
            dense: vec![9.0, 8.0, 7.0],
            ..Default::default()
        };
        let mut msg = Vec::new();
        for c in [&a, &b] {
            pack(&mut msg, &c.stats, &c.dense, &c.ids, &c.rows);
        }
        assert_eq!(msg.len(), message_bytes(3, 2, 2, 1) + message_bytes(3, 0, 2, 1));
        let back = unpack(&msg);
        assert_eq!(back.len(), 2);
        for (got, want) in back.iter().zip([&a, &b]) {
            assert_eq!(got.stats.loss_sum.to_bits(), want.stats.loss_sum.to_bits());
            assert_eq!(got.stats.correct, want.stats.correct);
            assert_eq!((&got.dense, &got.ids, &got.rows), (&want.dense, &want.ids, &want.rows));
        }
        assert!(unpack(&[]).is_empty(), "a rank with no chunk of a short batch sends nothing");
    }

    #[test]
    fn dense_sums_follow_chunk_order() {
        // 1e8 + 1 - 1e8 rounds differently from 1e8 - 1e8 + 1: the order is the result
        let c = |v: f32| ChunkGradient { dense: vec![v], ..Default::default() };
        let mut g = [0.0];
        sum_dense(&[c(1e8), c(1.0), c(-1e8)], &mut g);
        assert_eq!(g, [(1e8f32 + 1.0) - 1e8]);
        sum_dense(&[c(1e8), c(-1e8), c(1.0)], &mut g);
        assert_eq!(g, [1.0]);
    }
}
