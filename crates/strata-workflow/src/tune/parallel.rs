//! Trials several at a time, and in an MPI job (`mpirun -n N strata tune`) dealt to the ranks:
//! trial `j` of a wave (see [`super::waves`]) to rank `j mod N`, every score gathered at every
//! rank bit for bit ([`crate::dealt`]) before the next wave is chosen, so every rank draws the
//! same next trials and the search is that of one process choosing as many at a time.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use strata_model::Classifier;
use strata_train::{ranks, Progress};

use super::halving::{self, Hyperband, Score, Trial};
use super::space::Assignment;
use super::waves::{WaveScores, Waves};
use super::{Best, TuneOptions, TuneResult, MAX_BUDGET};
use crate::error::WorkflowError;
use crate::pipeline::{train, TrainData, TrainSettings};

/// [`super::search`] with `at_once` trials chosen at a time (see [`super::waves::run_in_waves`]) and, in
/// an MPI job (`mpirun -n N strata tune`), dealt to the ranks: trial `j` of a wave to rank
/// `j mod N`. Every trial's score is gathered at every rank, bit for bit, before the next
/// wave is chosen, so every rank draws the same next trials; the trials depend on `at_once`
/// and not on N. A rank whose trial fails returns its error at once (the CLI ends the job).
/// Rank 0 alone gets the best model (`TuneResult::best` is `None` on the other ranks): kept if
/// it trained the best trial itself, else trained again from the trial's settings — the same
/// bits, as training is deterministic for a seed and thread count.
pub fn search_in_waves<E: From<WorkflowError>>(
    data: TrainData,
    options: &TuneOptions,
    at_once: usize,
    settings_for: &dyn Fn(&Assignment) -> Result<TrainSettings, E>,
    on_trial: &mut dyn FnMut(&Trial),
) -> Result<TuneResult, E> {
    assert!(!data.val_idx.is_empty(), "tune scores trials on a validation part; the caller makes one");
    let started = Instant::now();
    let world = ranks::world();
    let (rank, lanes) = world.map_or((0, 1), |w| (w.rank(), w.size()));
    let plan = halving::Plan {
        space: &options.space,
        hyperband: Hyperband::new(options.space.epochs, options.eta),
        seed: options.seed,
        limits: options.limits,
        first: options.first.clone(),
        local: options.local,
        ridge: options.ridge,
    };
    // the best so far: its score, its trial's index, and its model where this rank trained it
    let mut best: Option<(Score, usize, Option<Classifier>)> = None;
    let mut count = 0;
    let mut train_wave = |jobs: &[Assignment], deadline: Instant| -> Result<WaveScores, E> {
        let mut mine = Vec::new();
        // the one model of this rank's trials that can become the best: the first of them to
        // score highest, and only if it beats the best before the wave
        let mut candidate: Option<(usize, Score, Classifier)> = None;
        for job in (0..jobs.len()).filter(|j| j % lanes == rank) {
            let t0 = Instant::now();
            let (score, model) = train_trial(data, &settings_for(&jobs[job])?, deadline, usize::MAX)?;
            mine.push(Scored::new(job, score, t0.elapsed().as_secs_f64(), started.elapsed().as_secs_f64()));
            if beats(&score, candidate.as_ref().map(|c| &c.1).or(best.as_ref().map(|b| &b.0))) {
                candidate = Some((job, score, model));
            }
        }
        let all = match world {
            Some(w) => crate::dealt::gather_exact(w, &mine),
            None => mine,
        };
        let mut scores = vec![None; jobs.len()];
        let mut seconds = vec![0.0; jobs.len()];
        let mut elapsed: f64 = 0.0;
        for s in &all {
            scores[s.job] = Some(s.score());
            seconds[s.job] = f64::from_bits(s.seconds);
            // the wave ends when its slowest rank is done
            elapsed = elapsed.max(f64::from_bits(s.elapsed));
        }
        let scores: Vec<Score> = scores.into_iter().map(|s| s.expect("every trial of the wave was trained")).collect();
        for (job, score) in scores.iter().enumerate() {
            if beats(score, best.as_ref().map(|b| &b.0)) {
                let model = candidate.take_if(|c| c.0 == job).map(|c| c.2);
                best = Some((*score, count + job, model));
            }
        }
        count += jobs.len();
        Ok(WaveScores { scores, seconds, elapsed })
    };
    let (trials, stop) = super::waves::run_in_waves(plan, Waves { at_once, lanes }, &mut train_wave, on_trial)?;
    let best = match best {
        Some((_, trial, model)) if ranks::is_root() => {
            let trained_again = model.is_none();
            let model = match model {
                Some(model) => model,
                // another rank trained it: the same settings (cut where it was) give its bits
                None => {
                    let t = &trials[trial];
                    let stop_after = if t.score.cut { t.score.epochs_trained } else { usize::MAX };
                    let far = Instant::now() + Duration::from_secs_f64(MAX_BUDGET);
                    train_trial(data, &settings_for(&t.assignment)?, far, stop_after)?.1
                }
            };
            Some(Best { trial, model, trained_again })
        }
        _ => None,
    };
    Ok(TuneResult { trials, best, stop, seconds: started.elapsed().as_secs_f64() })
}

/// Whether `a` is a better trial than `best` (any, when there is none): higher accuracy, then
/// lower loss (an earlier trial keeps a tie). A diverged trial (its loss became NaN) failed: it
/// is never the best.
fn beats(a: &Score, best: Option<&Score>) -> bool {
    !a.diverged && best.is_none_or(|b| a.accuracy > b.accuracy || (a.accuracy == b.accuracy && a.loss < b.loss))
}

/// Trains one trial: its score (a diverged one scored 0 with an infinite loss) and its model.
/// Training stops at the first epoch end past `deadline`, or after `stop_after` epochs.
fn train_trial(
    data: TrainData,
    settings: &TrainSettings,
    deadline: Instant,
    stop_after: usize,
) -> Result<(Score, Classifier), WorkflowError> {
    let mut progress = Deadline { at: deadline, cut: false, epochs: 0, stop_after };
    let trained = train(data, settings, &mut progress)?;
    let validation = trained.validation.expect("a validation part gives a validation score");
    let diverged = trained.diverged.is_some();
    let epochs_trained = trained.history.len();
    let score = Score {
        accuracy: if diverged { 0.0 } else { validation.accuracy },
        loss: if diverged { f64::INFINITY } else { validation.loss },
        epochs_trained,
        // the deadline can pass during the last epoch: a trial is cut only when epochs
        // were left
        cut: progress.cut && epochs_trained < settings.schedule.epochs(),
        diverged,
    };
    Ok((score, trained.saved))
}

/// A trial's score as it travels between the ranks, with its seconds and the rank's clock:
/// its floats as their bits (an infinite loss has no JSON number).
#[derive(Serialize, Deserialize)]
struct Scored {
    /// Its place in the wave.
    job: usize,
    accuracy: u64,
    loss: u64,
    epochs_trained: usize,
    cut: bool,
    diverged: bool,
    seconds: u64,
    /// Seconds since the search started on the rank that trained it, when it was done.
    elapsed: u64,
}

impl Scored {
    fn new(job: usize, s: Score, seconds: f64, elapsed: f64) -> Self {
        Scored {
            job,
            accuracy: s.accuracy.to_bits(),
            loss: s.loss.to_bits(),
            epochs_trained: s.epochs_trained,
            cut: s.cut,
            diverged: s.diverged,
            seconds: seconds.to_bits(),
            elapsed: elapsed.to_bits(),
        }
    }

    fn score(&self) -> Score {
        Score {
            accuracy: f64::from_bits(self.accuracy),
            loss: f64::from_bits(self.loss),
            epochs_trained: self.epochs_trained,
            cut: self.cut,
            diverged: self.diverged,
        }
    }
}

/// Stops a network's training at the first epoch end past the deadline (the trainer's
/// `after_epoch` hook), or after `stop_after` epochs (a cut trial trained again); shows
/// nothing, and reads no validation score but the last.
struct Deadline {
    at: Instant,
    cut: bool,
    epochs: usize,
    stop_after: usize,
}

impl Progress for Deadline {
    fn after_epoch(&mut self) -> ControlFlow<()> {
        self.epochs += 1;
        if self.epochs >= self.stop_after {
            return ControlFlow::Break(());
        }
        if Instant::now() >= self.at {
            self.cut = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// A trial is scored by its last epoch's validation: the linear model skips the others'.
    fn every_epoch_validated(&self) -> bool {
        false
    }
}
