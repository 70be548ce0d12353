//! The process's place in a distributed run, for the parts of strata that split work across
//! processes (data-parallel training, cv folds, experiment runs) without depending on MPI.
//!
//! MPI is one world per process, so the world is process-wide too: the binary joins it once at
//! startup ([`join`], only when it was launched by `mpirun`/`srun` and built with its `mpi`
//! feature) and every consumer asks [`world`]. Without one, every caller runs as a single
//! process, as before. The collectives here are the few strata needs, over bytes; what the
//! bytes hold is each caller's business ([`crate::data_parallel`] for gradients).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// A group of processes ("ranks") that run the same command together.
pub trait World: Send + Sync {
    /// This process's rank, 0-based; rank 0 writes the outputs.
    fn rank(&self) -> usize;
    /// How many ranks there are.
    fn size(&self) -> usize;
    /// Every rank's `mine`, in rank order (a collective: every rank must call it, in the same
    /// order of calls).
    fn all_gather(&self, mine: &[u8]) -> Vec<Vec<u8>>;
    /// Ends every rank of the job with `code` (a rank that fails must not leave the others
    /// waiting in a collective).
    fn abort(&self, code: i32) -> !;
}

static WORLD: OnceLock<Box<dyn World>> = OnceLock::new();
static SPLIT_BATCHES: AtomicBool = AtomicBool::new(false);

/// Makes `world` the process's world (once; a second call is a bug).
pub fn join(world: Box<dyn World>) {
    assert!(WORLD.set(world).is_ok(), "the process joined a world twice");
}

/// The world the process joined, if any.
pub fn world() -> Option<&'static dyn World> {
    WORLD.get().map(|w| w.as_ref())
}

/// Whether this process writes the outputs: rank 0, or the only process.
pub fn is_root() -> bool {
    world().is_none_or(|w| w.rank() == 0)
}

/// Splits every training batch across the world's ranks (`strata train` under MPI). Off by
/// default: `cv` and `experiment` deal whole runs to ranks instead, each trained alone.
pub fn split_batches(on: bool) {
    SPLIT_BATCHES.store(on, Ordering::Relaxed);
}

/// The world training batches are split across, when [`split_batches`] is on.
pub fn batch_world() -> Option<&'static dyn World> {
    world().filter(|_| SPLIT_BATCHES.load(Ordering::Relaxed))
}

/// The items `0..n` dealt round-robin to the ranks: this rank's (all of them without a world).
pub fn dealt(n: usize) -> impl Iterator<Item = usize> {
    let (rank, size) = world().map_or((0, 1), |w| (w.rank(), w.size()));
    (0..n).filter(move |i| i % size == rank)
}
