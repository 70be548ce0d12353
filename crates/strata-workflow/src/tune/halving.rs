//! Hyperband (Li et al., JMLR 2018): brackets of successive halving over epochs. A bracket
//! draws `n` configurations, trains each for `r` epochs, and the best `1/η` go on to train
//! again, from scratch, for `η·r` epochs, up to the most epochs; brackets go from the most
//! aggressive (many configurations, few epochs) to plain random search at the most epochs, and
//! start over until the budget or `--max-trials` ends the search.
//!
//! Within a bracket, promotions follow ASHA (Li et al., MLSys 2020) rather than waiting for a
//! rung to finish: before each trial, the highest rung whose top `⌊n/η⌋` (of the `n` it has
//! run so far) holds a configuration not yet sent up sends it up; otherwise the next fresh
//! configuration starts at the bottom rung. A budget that ends mid-bracket has then already
//! trained its most promising configurations for many epochs (plain successive halving would
//! have spent it all on the bottom rung: 81 one-epoch trials before the first promotion).
//!
//! A plan may start with one given assignment (the model's defaults, as `strata train` trains
//! it, as fastText's autotune starts from its default arguments): trial 1, bracket 0, outside
//! the halving, so the search is never worse on validation than the untuned model.
//!
//! A promotion of the linear model keeps `lr × epochs` rather than the rate
//! ([`Plan::ridge`], [`super::ridge`]): its rate decays over all its epochs, so the same rate
//! at η times the epochs is η times the learning.
//!
//! An assignment already trained at the same epochs (the same values drawn again, or a space
//! with a single point) is not trained again: its earlier trial's score ranks it in its rung.
//! When a whole round of brackets draws nothing new, the search ends (`Stop::Exhausted`).
//!
//! Each new configuration is, with probability `Plan::local` (a coin from the seeded RNG, once
//! a best trial exists), a step around the incumbent instead of a random draw
//! ([`super::local`], fastText's autotune): a trial at the epochs the step gives, outside the
//! rungs (`Trial::rung` is [`LOCAL`]), in place of the bracket's next random configuration.
//! With `local` 0 no coin is drawn and the search is plain Hyperband.
//!
//! The trials form one sequence fixed by the seed and the scores (a configuration is drawn
//! when it starts, promotions and the incumbent follow the scores, which are deterministic for
//! a seed and thread count) and the step's width, which narrows with the budget spent: with
//! `--max-trials` that is the share of the trials run, so the sequence is fixed; without it,
//! the share of the wall-clock budget, so the clock moves the steps a little. The clock also
//! decides where the sequence stops: a trial whose estimated time does not fit in what is left
//! of the budget is not started, and the search ends there. The objective may cut a trial that
//! runs past the budget (`Score::cut`); the search ends after it.
//!
//! Trials can also run several at a time, as ASHA runs on parallel workers: [`super::waves`].

use std::time::{Duration, Instant};

use strata_nn::Rng;

use super::space::{Assignment, EpochRange, Space};
use super::waves::{WaveScores, Waves};
use super::{local, ridge};

/// The RNG stream of the configurations, apart from the streams training draws from the seed.
const TUNE_STREAM: u64 = 0x7475_6e65;

/// The `rung` of a trial drawn around the incumbent, outside the bracket's rungs.
pub const LOCAL: usize = usize::MAX;

/// The brackets of Hyperband over `epochs` with reduction factor `eta`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hyperband {
    pub epochs: EpochRange,
    pub eta: usize,
    /// Rungs of the most aggressive bracket, less one: the largest `s` with
    /// `min · ηˢ ≤ max`.
    pub s_max: usize,
}

/// One bracket: how many configurations it starts, and the epochs of each of its rungs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bracket {
    pub configs: usize,
    pub rungs: Vec<usize>,
}

impl Hyperband {
    /// Panics if `eta < 2` or `epochs.min` is 0 or above `epochs.max` (the CLI checks both).
    pub fn new(epochs: EpochRange, eta: usize) -> Self {
        assert!(eta >= 2 && epochs.min >= 1 && epochs.min <= epochs.max, "bad Hyperband settings");
        let mut s_max = 0;
        while epochs.min.saturating_mul(eta.saturating_pow(s_max as u32 + 1)) <= epochs.max {
            s_max += 1;
        }
        Hyperband { epochs, eta, s_max }
    }

    /// Bracket `b` (0-based, counting on forever): `s = s_max - b mod (s_max + 1)` rungs after
    /// the first, `⌈(s_max+1)/(s+1) · ηˢ⌉` configurations, rung `i` at `max · η^(i−s)` epochs.
    pub fn bracket(&self, b: usize) -> Bracket {
        let s = self.s_max - b % (self.s_max + 1);
        let eta = self.eta as f64;
        let configs = ((self.s_max + 1) as f64 / (s + 1) as f64 * eta.powi(s as i32)).ceil() as usize;
        let max = self.epochs.max as f64;
        let rungs = (0..=s).map(|i| ((max / eta.powi((s - i) as i32)).round() as usize).max(1)).collect();
        Bracket { configs, rungs }
    }

    /// The epochs trials actually run: from the first rung of the most aggressive bracket
    /// (`max / η^s_max`, rounded, which can be more than `epochs.min`) to `epochs.max`.
    pub fn rung_epochs(&self) -> EpochRange {
        EpochRange { min: self.bracket(0).rungs[0], max: self.epochs.max }
    }

    /// How many of `n` configurations go on to the next rung.
    pub fn keep(&self, n: usize) -> usize {
        (n / self.eta).max(1)
    }
}

/// What training one configuration gave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    pub accuracy: f64,
    pub loss: f64,
    /// Epochs it trained (fewer than asked when early stopping or the budget cut it).
    pub epochs_trained: usize,
    /// Stopped because the budget ran out.
    pub cut: bool,
    /// Its loss became NaN: it failed, scored 0 with an infinite loss.
    pub diverged: bool,
}

impl Score {
    /// How the trial ended, as `trials.csv` and the trial's line say it.
    pub fn status(&self) -> TrialStatus {
        match (self.diverged, self.cut) {
            (true, _) => TrialStatus::Diverged,
            (false, true) => TrialStatus::Cut,
            (false, false) => TrialStatus::Ok,
        }
    }
}

/// How a trial ended: trained as asked (early stopping included), diverged (NaN loss), or cut
/// by the budget before its last epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrialStatus {
    Ok,
    Diverged,
    Cut,
}

impl TrialStatus {
    pub fn name(self) -> &'static str {
        match self {
            TrialStatus::Ok => "ok",
            TrialStatus::Diverged => "diverged",
            TrialStatus::Cut => "cut",
        }
    }
}

/// One trial as it ran.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// 1-based, in the order they ran.
    pub number: usize,
    /// 1-based bracket (0: the defaults' trial) and 0-based rung within it ([`LOCAL`]: a step
    /// around the incumbent, outside the rungs).
    pub bracket: usize,
    pub rung: usize,
    /// 1-based configuration: the same number on every rung it reaches.
    pub config: usize,
    pub assignment: Assignment,
    pub score: Score,
    pub seconds: f64,
}

/// Where the search ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub budget: Duration,
    pub max_trials: Option<usize>,
}

/// Why the search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `--max-trials` trials ran.
    MaxTrials,
    /// The next trial would not have finished within the budget, or one was cut.
    Budget,
    /// A whole round of brackets drew only assignments already trained: the space (a single
    /// point, or a few values) has nothing new to try.
    Exhausted,
}

/// What `run` needs besides the objective.
pub struct Plan<'a> {
    pub space: &'a Space,
    pub hyperband: Hyperband,
    pub seed: u64,
    pub limits: Limits,
    /// Trained first, before the brackets (bracket 0): the model's defaults, if given.
    pub first: Option<Assignment>,
    /// The share of new configurations drawn around the incumbent (0: plain Hyperband).
    pub local: f64,
    /// A promotion keeps `lr × epochs` (the linear model: [`super::ridge`]); else it keeps
    /// the values.
    pub ridge: bool,
}

/// Seconds per epoch seen so far, to tell whether a trial fits in what is left.
#[derive(Default)]
pub(super) struct Pace {
    /// (configuration, seconds, epochs) of each trial.
    pub(super) seen: Vec<(usize, f64, usize)>,
}

impl Pace {
    /// Seconds `config` will take at `epochs`: from its own last trial if it had one, else at
    /// the mean pace of every trial so far (0 before the first).
    pub(super) fn estimate(&self, config: usize, epochs: usize) -> f64 {
        if let Some(&(_, s, e)) = self.seen.iter().rev().find(|(c, _, _)| *c == config) {
            return s * epochs as f64 / e.max(1) as f64;
        }
        let per_epoch: f64 = self.seen.iter().map(|&(_, s, e)| s / e.max(1) as f64).sum::<f64>();
        per_epoch / self.seen.len().max(1) as f64 * epochs as f64
    }
}

/// A bracket's rungs as ASHA keeps them: the trials each rung ran, and the configurations
/// each rung has sent up.
struct Rungs {
    /// Per rung, indices into the trials.
    done: Vec<Vec<usize>>,
    promoted: Vec<Vec<usize>>,
}

impl Rungs {
    /// The next configuration to send up, from the highest rung that has one: the best of its
    /// rung's top `⌊n/η⌋` (of the `n` it has scored; a trial still in flight, its index past
    /// `trials`, is not ranked yet) not sent up yet. Returns (rung to run at, configuration).
    fn promotion(&self, eta: usize, trials: &[Trial]) -> Option<(usize, usize)> {
        (0..self.done.len().saturating_sub(1)).rev().find_map(|k| {
            let mut ranked: Vec<&Trial> = self.done[k].iter().filter_map(|&i| trials.get(i)).collect();
            ranked.sort_by(|a, b| best_first(a, b));
            let top = ranked.len() / eta;
            ranked[..top].iter().find(|t| !self.promoted[k].contains(&t.config)).map(|t| (k + 1, t.config))
        })
    }
}

/// Higher accuracy first, then lower loss, then the earlier trial.
pub fn best_first(a: &Trial, b: &Trial) -> std::cmp::Ordering {
    b.score
        .accuracy
        .total_cmp(&a.score.accuracy)
        .then(a.score.loss.total_cmp(&b.score.loss))
        .then(a.number.cmp(&b.number))
}

/// Where a trial sits: its bracket (0 for the defaults' trial), rung and configuration.
#[derive(Clone, Copy)]
pub(super) struct Slot {
    pub(super) bracket: usize,
    pub(super) rung: usize,
    pub(super) config: usize,
}

/// One trial to run: where it sits and what it trains.
pub(super) struct Job {
    pub(super) slot: Slot,
    pub(super) assignment: Assignment,
}

/// What the search does next.
pub(super) enum Next {
    Run(Job),
    /// The bracket has nothing to start until the trials in the wave are scored.
    Wait,
    Stop(Stop),
}

/// The bracket under way: configurations not drawn yet, and its rungs.
struct Open {
    bracket: Bracket,
    fresh: usize,
    rungs: Rungs,
}

/// Chooses the trials, one at a time, from the trials scored so far and those chosen for the
/// wave under way (trained, but not scored yet: ASHA's trials in flight).
pub(super) struct Scheduler<'p> {
    plan: &'p Plan<'p>,
    rng: Rng,
    /// Configurations numbered so far.
    configs: usize,
    first: Option<Assignment>,
    /// The bracket under way (1-based; 0 before the first) and its state.
    b: usize,
    open: Option<Open>,
    /// Whether the current round of brackets (s_max + 1 of them) trained anything new.
    trained_this_round: bool,
}

impl<'p> Scheduler<'p> {
    pub(super) fn new(plan: &'p Plan<'p>) -> Self {
        Scheduler {
            plan,
            rng: Rng::derive(plan.seed, TUNE_STREAM),
            configs: 0,
            first: plan.first.clone(),
            b: 0,
            open: None,
            trained_this_round: false,
        }
    }

    /// The next trial of the search: a promotion, a fresh configuration (a random draw or a
    /// step around the incumbent, `spent` of the search done), or why there is none now.
    pub(super) fn next(&mut self, trials: &[Trial], wave: &[Job], spent: f64) -> Next {
        let plan = self.plan;
        if let Some(first) = self.first.take() {
            self.configs += 1;
            return Next::Run(Job { slot: Slot { bracket: 0, rung: 0, config: self.configs }, assignment: first });
        }
        loop {
            let Some(open) = &mut self.open else {
                self.b += 1;
                if (self.b - 1).is_multiple_of(plan.hyperband.s_max + 1) {
                    if self.b > 1 && !self.trained_this_round {
                        return Next::Stop(Stop::Exhausted);
                    }
                    self.trained_this_round = false;
                }
                let bracket = plan.hyperband.bracket(self.b - 1);
                let n = bracket.rungs.len();
                let rungs = Rungs { done: vec![Vec::new(); n], promoted: vec![Vec::new(); n] };
                self.open = Some(Open { fresh: bracket.configs, bracket, rungs });
                continue;
            };
            let (rung, config, assignment) = match open.rungs.promotion(plan.hyperband.eta, trials) {
                Some((rung, config)) => {
                    open.rungs.promoted[rung - 1].push(config);
                    let epochs = open.bracket.rungs[rung];
                    // the configuration as it last ran (a rung's promotion starts from the rung below)
                    let from = trials.iter().rev().find(|t| t.config == config).map(|t| &t.assignment);
                    let values = match from {
                        Some(from) if plan.ridge => ridge::promoted(plan.space, from, epochs),
                        Some(from) => from.values.clone(),
                        None => Vec::new(),
                    };
                    (rung, config, Assignment { values, epochs })
                }
                None if open.fresh == 0 => {
                    // a bracket ends once its last trials are scored: they may promote (a
                    // bracket of one rung promotes nothing, so the next starts at once)
                    if open.bracket.rungs.len() > 1 && wave.iter().any(|j| j.slot.bracket == self.b) {
                        return Next::Wait;
                    }
                    self.open = None;
                    continue;
                }
                None => {
                    // each configuration is drawn when it starts, so a step follows the
                    // latest incumbent
                    open.fresh -= 1;
                    self.configs += 1;
                    let coin = plan.local > 0.0 && f64::from(self.rng.uniform(0.0, 1.0)) < plan.local;
                    match local::incumbent(trials).map(|t| t.assignment.clone()).filter(|_| coin) {
                        Some(best) => (LOCAL, self.configs, local::around(plan.space, &best, spent, &mut self.rng)),
                        None => {
                            let values = plan.space.sample(&mut self.rng);
                            (0, self.configs, Assignment { values, epochs: open.bracket.rungs[0] })
                        }
                    }
                }
            };
            // the same values at the same epochs train the same model: its score is reused,
            // and it is no new trial (one in the wave is ranked once it is scored)
            let chosen = trials.iter().map(|t| &t.assignment).chain(wave.iter().map(|j| &j.assignment));
            if let Some(earlier) = chosen.into_iter().position(|a| *a == assignment) {
                if rung != LOCAL {
                    open.rungs.done[rung].push(earlier);
                }
                continue;
            }
            self.trained_this_round = true;
            if rung != LOCAL {
                // the index its trial will have; ranked once it is scored
                open.rungs.done[rung].push(trials.len() + wave.len());
            }
            return Next::Run(Job { slot: Slot { bracket: self.b, rung, config }, assignment });
        }
    }
}

/// Runs the search one trial at a time: `objective` trains one assignment (it gets the
/// deadline, to cut a trial that runs past it), `on_trial` sees each trial as it ends. Returns
/// the trials and why the search stopped.
pub fn run<E>(
    plan: Plan,
    objective: &mut dyn FnMut(&Assignment, Instant) -> Result<Score, E>,
    on_trial: &mut dyn FnMut(&Trial),
) -> Result<(Vec<Trial>, Stop), E> {
    let started = Instant::now();
    let mut wave = |jobs: &[Assignment], deadline: Instant| -> Result<WaveScores, E> {
        let (mut scores, mut seconds) = (Vec::new(), Vec::new());
        for a in jobs {
            let t0 = Instant::now();
            scores.push(objective(a, deadline)?);
            seconds.push(t0.elapsed().as_secs_f64());
        }
        Ok(WaveScores { scores, seconds, elapsed: started.elapsed().as_secs_f64() })
    };
    super::waves::run_in_waves(plan, Waves { at_once: 1, lanes: 1 }, &mut wave, on_trial)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_follow_li_et_al_table_for_81_epochs_and_eta_3() {
        // Li et al. 2018, Table 1: R = 81, η = 3 → s_max = 4; bracket s has n configurations
        // at r = 81·3^-s epochs.
        let hb = Hyperband::new(EpochRange { min: 1, max: 81 }, 3);
        assert_eq!(hb.s_max, 4);
        let b: Vec<Bracket> = (0..6).map(|b| hb.bracket(b)).collect();
        assert_eq!(b[0], Bracket { configs: 81, rungs: vec![1, 3, 9, 27, 81] });
        assert_eq!(b[1], Bracket { configs: 34, rungs: vec![3, 9, 27, 81] });
        assert_eq!(b[2], Bracket { configs: 15, rungs: vec![9, 27, 81] });
        assert_eq!(b[3], Bracket { configs: 8, rungs: vec![27, 81] });
        assert_eq!(b[4], Bracket { configs: 5, rungs: vec![81] });
        assert_eq!(b[5], b[0], "brackets start over");
        assert_eq!((hb.keep(81), hb.keep(27), hb.keep(2)), (27, 9, 1));
        // min == max: plain random search
        let flat = Hyperband::new(EpochRange { min: 5, max: 5 }, 3);
        assert_eq!(flat.bracket(0), Bracket { configs: 1, rungs: vec![5] });
    }
}
