//! Trials run several at a time ([`run_in_waves`]; `mpirun -n N strata tune` deals each wave to
//! the ranks). A wave of `at_once` trials is chosen as ASHA chooses for parallel workers: one
//! after the other, each from the trials scored before the wave — a trial of the wave is not
//! ranked in its rung, nor can it be the incumbent, until the wave is done — and a bracket ends
//! only when its last trials are scored (a short wave waits for them). So the trials are a
//! function of the seed, the scores and `at_once`, not of how many processes train the wave;
//! `at_once` 1 is halving's one-at-a-time search ([`super::halving::run`]). Under a budget, a
//! trial joins the wave only if it and the trials before it on its process fit in what was
//! left when the wave began (N processes: up to N trials' time at once), and the first that
//! does not ends the search once the wave has run. The first wave is one trial: until a trial
//! has been timed the budget cannot tell whether a second fits.
//!
//! `strata tune` chooses [`DEFAULT_AT_ONCE`] trials at a time unless told, with or without
//! MPI, so the same command line gives the same trials on any number of ranks.

use std::time::Instant;

use super::halving::{Job, Next, Pace, Plan, Scheduler, Score, Slot, Stop, Trial};
use super::space::Assignment;

/// The trials a wave holds when `--trials-at-once` is left out: the same number with or
/// without MPI and for any number of ranks, so that `mpirun -n N strata tune …` trains the
/// trials `strata tune …` trains (the trials depend on it, not on N). 4 keeps 1, 2 and 4 ranks
/// busy (with N ranks trial j of a wave runs on rank j mod N). What it costs: a wave's trials
/// are chosen before any of them is scored, so one process ranks a promotion or steps around
/// a new best up to 3 trials later than one-at-a-time would (`--trials-at-once 1`).
pub const DEFAULT_AT_ONCE: usize = 4;

/// How many trials run at once: a wave of `at_once` trials is chosen from the scores of the
/// trials before it, then trained (dealt round-robin to `lanes` processes, each training its
/// share one after the other), and every score is known before the next wave is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waves {
    /// Trials in a wave (at least 1; 1 is the plain sequential search).
    pub at_once: usize,
    /// Processes a wave is dealt to (at least 1), for the budget: a trial joins the wave only
    /// when the trials before it on its process and it fit in what is left.
    pub lanes: usize,
}

/// What training a wave gave: each trial's score and seconds, in the wave's order, and the
/// seconds since the search started when the whole wave was done — the same on every process
/// that runs the search, so that each makes the same next decisions.
pub struct WaveScores {
    pub scores: Vec<Score>,
    pub seconds: Vec<f64>,
    pub elapsed: f64,
}

/// Trains a wave: each assignment's score, the same on every process (see [`WaveScores`]);
/// the deadline is the budget's end, to cut a trial that runs past it.
pub type TrainWave<'a, E> = dyn FnMut(&[Assignment], Instant) -> Result<WaveScores, E> + 'a;

/// Runs the search in waves of `waves.at_once` trials: `train` trains a wave (it gets the
/// deadline, to cut a trial that runs past it) and returns every trial's score, the same on
/// every process that runs the search; `on_trial` sees each trial, in order, once its wave is
/// done. The trials depend on `at_once`, not on `lanes`: with `at_once` 1 this is
/// [`super::halving::run`].
///
/// The limits are checked as each trial is chosen: `--max-trials` counts the trials of the
/// wave too; the budget admits a trial when it and the trials before it on its lane fit in
/// what was left when the wave began. A trial that does not fit ends the search once the
/// trials chosen before it in the wave have run. The first wave is one trial, whatever
/// `at_once`: no trial's time is known before it.
pub fn run_in_waves<E>(
    plan: Plan,
    waves: Waves,
    train: &mut TrainWave<E>,
    on_trial: &mut dyn FnMut(&Trial),
) -> Result<(Vec<Trial>, Stop), E> {
    let (at_once, lanes) = (waves.at_once.max(1), waves.lanes.max(1));
    let budget = plan.limits.budget.as_secs_f64();
    let deadline = Instant::now() + plan.limits.budget;
    let mut scheduler = Scheduler::new(&plan);
    let (mut trials, mut pace, mut elapsed) = (Vec::<Trial>::new(), Pace::default(), 0.0);
    loop {
        let left = budget - elapsed;
        let mut wave: Vec<Job> = Vec::new();
        let mut load = vec![0.0; lanes];
        let mut stop = None;
        // nothing is known of a trial's time before the first is timed: it runs alone
        let room = if pace.seen.is_empty() { 1 } else { at_once };
        while wave.len() < room {
            // the share of the search done, 0–1, which narrows the steps around the
            // incumbent: of `--max-trials` when it is given (so the trials stay a function of
            // the seed), else of the wall-clock budget, as fastText's autotune measures it
            let spent = match plan.limits.max_trials {
                Some(m) => (trials.len() + wave.len()) as f64 / m.max(1) as f64,
                None => elapsed / budget,
            }
            .clamp(0.0, 1.0);
            let job = match scheduler.next(&trials, &wave, spent) {
                Next::Run(job) => job,
                Next::Wait => break,
                Next::Stop(why) => {
                    stop = Some(why);
                    break;
                }
            };
            if plan.limits.max_trials.is_some_and(|m| trials.len() + wave.len() >= m) {
                stop = Some(Stop::MaxTrials);
                break;
            }
            let lane = wave.len() % lanes;
            load[lane] += pace.estimate(job.slot.config, job.assignment.epochs);
            if left <= 0.0 || load[lane] > left {
                stop = Some(Stop::Budget);
                break;
            }
            wave.push(job);
        }
        if wave.is_empty() {
            // a bracket waits only for trials of the wave: an empty wave has a reason to stop
            return Ok((trials, stop.unwrap_or(Stop::Exhausted)));
        }
        let assignments: Vec<Assignment> = wave.iter().map(|j| j.assignment.clone()).collect();
        let done = train(&assignments, deadline)?;
        elapsed = done.elapsed;
        let mut cut = false;
        for ((job, score), seconds) in wave.into_iter().zip(done.scores).zip(done.seconds) {
            pace.seen.push((job.slot.config, seconds, score.epochs_trained.max(1)));
            let Slot { bracket, rung, config } = job.slot;
            let number = trials.len() + 1;
            let trial = Trial { number, bracket, rung, config, assignment: job.assignment, score, seconds };
            on_trial(&trial);
            trials.push(trial);
            cut |= score.cut;
        }
        if cut {
            return Ok((trials, Stop::Budget));
        }
        if let Some(why) = stop {
            return Ok((trials, why));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tune::halving::{Hyperband, Limits, LOCAL};
    use crate::tune::space::{Domain, EpochRange, Param, Space};
    use std::time::Duration;

    fn lr_space() -> Space {
        let lr = Param { name: "lr".into(), domain: Domain::LogUniform { lo: 1e-3, hi: 1.0 }, integer: false };
        Space { params: vec![lr], epochs: EpochRange { min: 1, max: 9 }, zero_together: Vec::new(), memory: None }
    }

    /// Runs a search in waves on a made-up objective (accuracy grows with lr and epochs),
    /// each trial taking a second per epoch on a made-up clock: a wave takes as long as its
    /// busiest lane. Returns the trials, why it stopped, and each wave's trials.
    fn waves(waves: Waves, limits: Limits, local: f64) -> (Vec<Trial>, Stop, Vec<Vec<Assignment>>) {
        let space = lr_space();
        let first = Some(Assignment { values: vec![("lr".into(), 0.1)], epochs: 9 });
        let plan = Plan {
            space: &space,
            hyperband: Hyperband::new(space.epochs, 3),
            seed: 3,
            limits,
            first,
            local,
            ridge: false,
        };
        let (mut clock, mut seen) = (0.0, Vec::new());
        let mut train = |jobs: &[Assignment], _: Instant| -> Result<WaveScores, ()> {
            seen.push(jobs.to_vec());
            let mut lanes = vec![0.0; waves.lanes];
            let scores = jobs
                .iter()
                .enumerate()
                .map(|(j, a)| {
                    lanes[j % waves.lanes] += a.epochs as f64;
                    let accuracy = 0.5 + 0.1 * a.get("lr").unwrap() + 0.01 * a.epochs as f64;
                    Score { accuracy, loss: 1.0 - accuracy, epochs_trained: a.epochs, cut: false, diverged: false }
                })
                .collect();
            clock += lanes.iter().fold(0.0f64, |m, &l| m.max(l));
            Ok(WaveScores { scores, seconds: jobs.iter().map(|a| a.epochs as f64).collect(), elapsed: clock })
        };
        let (trials, stop) = run_in_waves(plan, waves, &mut train, &mut |_| {}).unwrap();
        (trials, stop, seen)
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_wave_ranks_no_trial_before_it_is_scored_and_the_lanes_change_no_trial() {
        let limits = Limits { budget: HOUR, max_trials: Some(20) };
        let (trials, stop, seen) = waves(Waves { at_once: 4, lanes: 1 }, limits, 1.0 / 3.0);
        assert_eq!((trials.len(), stop), (20, Stop::MaxTrials));
        // wave 1: the defaults' trial alone (no trial's time is known yet); wave 2: four
        // chosen from its score alone: no promotion (bracket 1 has scored nothing)
        assert_eq!((seen[0].len(), seen[1].len()), (1, 4));
        assert!(trials[1..5].iter().all(|t| t.bracket == 1 && (t.rung == 0 || t.rung == LOCAL)), "{trials:?}");
        // a promotion comes only from trials of earlier waves
        let mut before = 0;
        for wave in &seen {
            for t in &trials[before..before + wave.len()] {
                if t.rung != 0 && t.rung != LOCAL {
                    let from = trials.iter().find(|u| u.config == t.config && u.rung == t.rung - 1).unwrap();
                    assert!(from.number <= before, "trial {} promoted from {} of its own wave", t.number, from.number);
                }
            }
            before += wave.len();
        }
        assert!(trials.iter().any(|t| t.rung == 1) && trials.iter().any(|t| t.rung == LOCAL), "{trials:?}");
        // dealt to 2 or 4 lanes, the same trials
        for lanes in [2, 4] {
            let (other, _, _) = waves(Waves { at_once: 4, lanes }, limits, 1.0 / 3.0);
            assert_eq!(other, trials, "{lanes} lanes");
        }
        // one at a time is another search: a promotion as soon as a rung has scored 3
        let (one, _, seen) = waves(Waves { at_once: 1, lanes: 1 }, limits, 1.0 / 3.0);
        assert!(seen.iter().all(|w| w.len() == 1));
        assert_ne!(one, trials);
    }

    /// Issue 16 point 3 (the default of 4 at once): before any trial is timed the budget cannot
    /// admit a second, so the first wave is one trial — 4 untimed trials would have run 12
    /// made-up seconds of a 5-second budget.
    #[test]
    fn the_first_wave_is_one_trial_so_the_budget_never_admits_an_untimed_one() {
        let limits = Limits { budget: Duration::from_secs(5), max_trials: None };
        for lanes in [1, 4] {
            let (trials, stop, seen) = waves(Waves { at_once: 4, lanes }, limits, 2.0 / 3.0);
            assert_eq!((trials.len(), stop), (1, Stop::Budget), "{lanes} lanes: {trials:?}");
            assert_eq!(seen, [vec![trials[0].assignment.clone()]]);
        }
    }

    /// Issue 16 point 3: with one number of epochs every bracket is one configuration at one
    /// rung, which promotes nothing: a wave does not wait for it to be scored (it once did,
    /// so every wave after the first held one trial and a second rank never trained).
    #[test]
    fn brackets_of_one_rung_fill_the_wave() {
        let lr = Param { name: "lr".into(), domain: Domain::LogUniform { lo: 1e-3, hi: 1.0 }, integer: false };
        let space =
            Space { params: vec![lr], epochs: EpochRange { min: 3, max: 3 }, zero_together: Vec::new(), memory: None };
        let first = Some(Assignment { values: vec![("lr".into(), 0.1)], epochs: 3 });
        let limits = Limits { budget: HOUR, max_trials: Some(9) };
        let plan = Plan {
            space: &space,
            hyperband: Hyperband::new(space.epochs, 3),
            seed: 3,
            limits,
            first,
            local: 0.0,
            ridge: false,
        };
        let mut sizes = Vec::new();
        let mut train = |jobs: &[Assignment], _: Instant| -> Result<WaveScores, ()> {
            sizes.push(jobs.len());
            let score = Score { accuracy: 0.5, loss: 0.5, epochs_trained: 3, cut: false, diverged: false };
            Ok(WaveScores { scores: vec![score; jobs.len()], seconds: vec![1.0; jobs.len()], elapsed: 1.0 })
        };
        let (trials, _) = run_in_waves(plan, Waves { at_once: 4, lanes: 2 }, &mut train, &mut |_| {}).unwrap();
        assert_eq!(trials.len(), 9);
        assert_eq!(sizes, [1, 4, 4], "the defaults' trial alone, then full waves");
    }

    #[test]
    fn the_budget_admits_a_wave_lane_by_lane() {
        // 40 made-up seconds: the defaults' 9 epochs, then waves of 1-epoch trials
        let limits = Limits { budget: Duration::from_secs(40), max_trials: None };
        let (alone, stop, _) = waves(Waves { at_once: 4, lanes: 1 }, limits, 0.0);
        assert_eq!(stop, Stop::Budget);
        let (two, _, seen) = waves(Waves { at_once: 4, lanes: 2 }, limits, 0.0);
        // two lanes train a wave in half the time: more trials fit
        assert!(two.len() > alone.len(), "{} on two lanes, {} on one", two.len(), alone.len());
        let spent: f64 = seen
            .iter()
            .map(|w| {
                let mut lanes = [0.0f64; 2];
                w.iter().enumerate().for_each(|(j, a)| lanes[j % 2] += a.epochs as f64);
                lanes[0].max(lanes[1])
            })
            .sum();
        assert!(spent <= 40.0, "a wave starts only when its lanes fit: {spent} s");
    }
}
