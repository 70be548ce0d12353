//! The MPI job a `strata` process may be one rank of (`--features mpi`): the one file that
//! speaks MPI (rsmpi over the system's OpenMPI or MPICH).
//!
//! A process joins the job's world only when a launcher started it — `mpirun`/`mpiexec`
//! (OpenMPI's `OMPI_COMM_WORLD_SIZE`, MPICH's `PMI_SIZE`), `srun` (`PMI_RANK`, `PMIX_RANK`) —
//! so the same binary run by hand behaves as one built without the feature. The world is handed
//! to strata-train's [`strata_train::ranks`], which data-parallel training and the dealing of
//! cv folds and experiment runs read. A rank that fails ends the whole job ([`leave`] calls
//! `MPI_Abort`): the others may be waiting for it in a collective, and would wait forever.

use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Count;
use strata_train::data_parallel::traffic;
use strata_train::ranks::{self, World};

/// Variables a launcher sets in every rank's environment.
const LAUNCHED_BY: [&str; 5] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK", "MPI_LOCALNRANKS"];

/// Joins the job's world if a launcher started this process; the universe ends MPI when
/// dropped (by [`leave`]).
pub fn join() -> Option<Universe> {
    if !LAUNCHED_BY.iter().any(|v| std::env::var_os(v).is_some()) {
        return None;
    }
    // every MPI call is made from the main thread (rayon's workers never call one)
    let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Funneled)?;
    let world = universe.world();
    ranks::join(Box::new(MpiWorld { rank: world.rank() as usize, size: world.size() as usize }));
    Some(universe)
}

/// Ends this rank: the whole job at once if it failed (`code` ≠ 0) and has other ranks; else,
/// on rank 0, a note of what data-parallel training exchanged, then `MPI_Finalize`.
pub fn leave(universe: Option<Universe>, code: u8) {
    let Some(world) = ranks::world() else { return };
    if code != 0 && world.size() > 1 {
        eprintln!(
            "error: rank {} of {} failed; ending the MPI job (hint: its error is above)",
            world.rank(),
            world.size()
        );
        world.abort(code.into());
    }
    let t = traffic();
    if ranks::is_root() && t.steps > 0 {
        crate::progress::note(format_args!(
            "data-parallel: {} ranks, {} steps, {:.0} samples/s, {} bytes sent per step by each rank, {:.1}% of the time in communication",
            world.size(),
            t.steps,
            t.samples as f64 / t.span_seconds.max(1e-9),
            t.bytes_sent / t.steps,
            100.0 * t.seconds / t.span_seconds.max(1e-9)
        ));
    }
    drop(universe);
}

/// `MPI_COMM_WORLD`, asked for at each call: rsmpi's communicator is not `Send`, and the
/// world is the same communicator every time.
struct MpiWorld {
    rank: usize,
    size: usize,
}

impl World for MpiWorld {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_gather(&self, mine: &[u8]) -> Vec<Vec<u8>> {
        let world = SimpleCommunicator::world();
        let len = Count::try_from(mine.len()).unwrap_or_else(|_| {
            eprintln!(
                "error: a message of {} bytes is over MPI's 2 GiB (hint: use more ranks or fewer threads per rank)",
                mine.len()
            );
            world.abort(2)
        });
        let mut counts = vec![0 as Count; self.size];
        world.all_gather_into(&len, &mut counts[..]);
        let displs: Vec<Count> = counts
            .iter()
            .scan(0 as Count, |at, &c| {
                let start = *at;
                *at += c;
                Some(start)
            })
            .collect();
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut all = vec![0u8; total];
        world.all_gather_varcount_into(mine, &mut PartitionMut::new(&mut all[..], &counts[..], &displs[..]));
        counts.iter().zip(&displs).map(|(&c, &d)| all[d as usize..(d + c) as usize].to_vec()).collect()
    }

    fn abort(&self, code: i32) -> ! {
        SimpleCommunicator::world().abort(code)
    }
}
