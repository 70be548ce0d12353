//! Runs dealt to the ranks of an MPI job (`mpirun -n N strata cv|experiment|tune`), and their
//! results gathered back so that every rank holds all of them, as one process would have: an
//! experiment's folds × seeds × schedules are dealt together ([`deal_runs`]).
//!
//! Results travel as CBOR (RFC 8949): a float is written in a width that holds it exactly, so the
//! gathered figures are the very numbers the ranks computed — NaN and infinities included, which
//! JSON cannot carry — and `results.json` matches a single process's.

use serde::de::DeserializeOwned;
use serde::Serialize;
use strata_train::ranks::{self, World};

/// The runs of every schedule of an experiment — `schedules × runs` pairs, pair `k·runs + i`
/// being run `i` of schedule `k` — dealt round-robin to the ranks all together, so that no rank
/// waits for another schedule's turn while runs remain; `train(k, i)` computes a pair on its
/// rank. Every rank returns each schedule's outcomes in run order, as one process computes
/// them (schedule after schedule, in the same order as here).
pub(crate) fn deal_runs<T, E>(
    schedules: usize,
    runs: usize,
    mut train: impl FnMut(usize, usize) -> Result<T, E>,
) -> Result<Vec<Vec<T>>, E>
where
    T: Serialize + DeserializeOwned,
{
    let mut mine = Vec::new();
    for pair in ranks::dealt(schedules * runs) {
        mine.push((pair, train(pair / runs, pair % runs)?));
    }
    let mut all = match ranks::world() {
        Some(world) => gather_exact(world, &mine),
        None => mine,
    };
    all.sort_by_key(|(pair, _)| *pair);
    let mut per_schedule: Vec<Vec<T>> = (0..schedules).map(|_| Vec::with_capacity(runs)).collect();
    for (pair, outcome) in all {
        per_schedule[pair / runs].push(outcome);
    }
    Ok(per_schedule)
}

/// Every rank's `mine`, in rank order, each value exactly as its rank had it.
pub(crate) fn gather_exact<T: Serialize + DeserializeOwned>(world: &dyn World, mine: &[T]) -> Vec<T> {
    let mut bytes = Vec::new();
    ciborium::into_writer(mine, &mut bytes).expect("results serialize to memory");
    let all = world.all_gather(&bytes);
    all.iter()
        .flat_map(|bytes| ciborium::from_reader::<Vec<T>, _>(&bytes[..]).expect("a rank's results read back"))
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
    fn gathered_values_keep_every_bit_of_their_floats() {
        // values whose shortest decimal a best-effort parser may read one bit off
        let mut rng = xorshift(7);
        let floats: Vec<f64> = (0..2000).map(|_| f64::from_bits(rng())).filter(|x| x.is_finite()).collect();
        let mine = vec![(floats.clone(), "a label".to_string(), 3usize)];
        let back: Vec<(Vec<f64>, String, usize)> = gather_exact(&Alone, &mine);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back[0].0), bits(&floats));
        assert_eq!((&back[0].1[..], back[0].2), ("a label", 3));
    }

    #[test]
    fn every_schedules_runs_come_back_in_run_order_and_a_failure_stops_the_deal() {
        let mut order = Vec::new();
        let per: Result<Vec<Vec<usize>>, ()> = deal_runs(3, 4, |k, i| {
            order.push((k, i));
            Ok(10 * k + i)
        });
        assert_eq!(per.unwrap(), vec![vec![0, 1, 2, 3], vec![10, 11, 12, 13], vec![20, 21, 22, 23]]);
        let schedule_by_schedule: Vec<(usize, usize)> = (0..3).flat_map(|k| (0..4).map(move |i| (k, i))).collect();
        assert_eq!(order, schedule_by_schedule, "one process trains schedule after schedule");
        let mut trained = 0;
        let failed = deal_runs(2, 3, |k, i| {
            trained += 1;
            if (k, i) == (1, 0) {
                Err("diverged")
            } else {
                Ok(())
            }
        });
        assert_eq!((failed, trained), (Err("diverged"), 4), "nothing after the failing run");
        assert!(deal_runs(0, 5, |_, _| Ok::<(), ()>(())).unwrap().is_empty());
        assert_eq!(deal_runs(2, 0, |_, _| Ok::<(), ()>(())).unwrap(), vec![vec![], vec![]]);
    }

    #[test]
    fn gathered_values_keep_non_finite_floats() {
        // a diverged run's loss is NaN; JSON would write null and fail to read it back
        let mine = vec![(f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f32::NAN, -0.0f64)];
        let back: Vec<(f64, f64, f64, f32, f64)> = gather_exact(&Alone, &mine);
        let (a, b, c, d, e) = back[0];
        assert_eq!(a.to_bits(), f64::NAN.to_bits());
        assert_eq!((b, c), (f64::INFINITY, f64::NEG_INFINITY));
        assert!(d.is_nan());
        assert_eq!(e.to_bits(), (-0.0f64).to_bits());
    }

    /// xorshift64: random bit patterns, every exponent included.
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }
}
