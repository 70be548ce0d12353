//! `workflow::tune` (issue 13): Hyperband's promotions, the seed fixing the trials, the budget
//! ending the search before a trial that cannot finish, and a real search beating chance.

use std::time::{Duration, Instant};

use strata_data::{Example, LabelMap};
use strata_model::zoo::Knobs;
use strata_text::{PadSequences, TokenizerConfig};
use strata_train::schedule::Schedule;
use strata_train::{FitOptions, OptimizerKind};
use strata_workflow::pipeline::{ModelSettings, Probes, TextSettings, TrainData, TrainSettings};
use strata_workflow::tune::{
    halving, local, search, Assignment, Domain, EpochRange, Hyperband, Limits, Param, Score, Space, Stop, Trial,
    TuneOptions,
};
use strata_workflow::WorkflowError;

fn lr_space(epochs: EpochRange) -> Space {
    Space {
        params: vec![
            Param { name: "lr".into(), domain: Domain::LogUniform { lo: 1e-3, hi: 1.0 }, integer: false },
            Param { name: "units".into(), domain: Domain::Values(vec![4.0, 8.0]), integer: true },
        ],
        epochs,
        zero_together: Vec::new(),
        memory: None,
    }
}

/// Runs Hyperband on a made-up objective (accuracy grows with lr and epochs).
fn synthetic(seed: u64, limits: Limits, per_epoch: Duration) -> (Vec<Trial>, Stop) {
    let space = lr_space(EpochRange { min: 1, max: 9 });
    let plan = halving::Plan {
        space: &space,
        hyperband: Hyperband::new(space.epochs, 3),
        seed,
        limits,
        first: None,
        local: 0.0,
        ridge: false,
    };
    let mut objective = |a: &Assignment, _deadline: Instant| -> Result<Score, ()> {
        std::thread::sleep(per_epoch * a.epochs as u32);
        let accuracy = 0.5 + 0.04 * a.get("lr").unwrap().ln().abs().recip().min(5.0) + 0.001 * a.epochs as f64;
        Ok(Score { accuracy, loss: 1.0 - accuracy, epochs_trained: a.epochs, cut: false, diverged: false })
    };
    halving::run(plan, &mut objective, &mut |_| {}).unwrap()
}

const LONG: Duration = Duration::from_secs(3600);

#[test]
fn each_promotion_is_of_the_rungs_best_third_and_trains_three_times_longer() {
    let (trials, stop) = synthetic(7, Limits { budget: LONG, max_trials: Some(60) }, Duration::ZERO);
    assert_eq!(stop, Stop::MaxTrials);
    let first: Vec<&Trial> = trials.iter().filter(|t| t.bracket == 1).collect();
    // bracket 1 of R = 9, η = 3: 9 configurations at 1 epoch, the best on to 3, then 9
    let at = |rung: usize| first.iter().filter(|t| t.rung == rung).count();
    assert_eq!(at(0), 9);
    assert!((3..=5).contains(&at(1)) && (1..=2).contains(&at(2)), "{} {}", at(1), at(2));
    for t in &first {
        assert_eq!(t.assignment.epochs, [1, 3, 9][t.rung]);
        if t.rung == 0 {
            continue;
        }
        // when it was sent up, it was in the top third of the rung below, as run so far
        let mut below: Vec<&Trial> =
            first.iter().copied().filter(|e| e.rung == t.rung - 1 && e.number < t.number).collect();
        below.sort_by(|a, b| halving::best_first(a, b));
        let top = &below[..below.len() / 3];
        let earlier = top.iter().find(|e| e.config == t.config).expect("promoted from the top third");
        assert_eq!(earlier.assignment.values, t.assignment.values, "a promoted configuration keeps its values");
        let again = first.iter().filter(|e| e.rung == t.rung && e.config == t.config).count();
        assert_eq!(again, 1, "sent up once");
    }
    // the first promotion comes after 3 bottom-rung trials, not after all 9
    assert_eq!(first[3].rung, 1);
    assert!(trials.iter().any(|t| t.bracket == 2), "then the next bracket");
}

#[test]
fn the_defaults_run_first_outside_the_brackets() {
    let space = lr_space(EpochRange { min: 1, max: 9 });
    let defaults = Assignment { values: vec![("lr".into(), 0.5), ("units".into(), 8.0)], epochs: 5 };
    let limits = Limits { budget: LONG, max_trials: Some(11) };
    let plan = halving::Plan {
        space: &space,
        hyperband: Hyperband::new(space.epochs, 3),
        seed: 7,
        limits,
        first: Some(defaults.clone()),
        local: 0.0,
        ridge: false,
    };
    let mut objective = |_: &Assignment, _: Instant| -> Result<Score, ()> {
        Ok(Score { accuracy: 0.5, loss: 0.5, epochs_trained: 1, cut: false, diverged: false })
    };
    let (trials, _) = halving::run(plan, &mut objective, &mut |_| {}).unwrap();
    assert_eq!((trials[0].bracket, trials[0].config, &trials[0].assignment), (0, 1, &defaults));
    // then bracket 1 as without it, its configurations numbered after
    let (plain, _) = synthetic(7, Limits { budget: LONG, max_trials: Some(10) }, Duration::ZERO);
    let fresh = |t: &[Trial]| t.iter().filter(|t| t.rung == 0).map(|t| t.assignment.values.clone()).collect::<Vec<_>>();
    let n = fresh(&plain).len();
    assert_eq!(fresh(&trials[1..])[..n], fresh(&plain)[..], "bracket 1 draws what it draws without it");
    assert!(trials[1..].iter().all(|t| t.bracket == 1 && t.config >= 2));
}

#[test]
fn the_seed_fixes_the_trials() {
    let limits = Limits { budget: LONG, max_trials: Some(20) };
    let (a, _) = synthetic(1, limits, Duration::ZERO);
    let (b, _) = synthetic(1, limits, Duration::ZERO);
    let (c, _) = synthetic(2, limits, Duration::ZERO);
    let values = |t: &[Trial]| t.iter().map(|t| (t.assignment.clone(), t.config)).collect::<Vec<_>>();
    assert_eq!(values(&a), values(&b));
    assert_ne!(values(&a), values(&c));
}

#[test]
fn the_budget_ends_the_search_before_a_trial_that_cannot_finish() {
    let budget = Duration::from_millis(600);
    let started = Instant::now();
    let (trials, stop) = synthetic(3, Limits { budget, max_trials: None }, Duration::from_millis(20));
    let took = started.elapsed();
    assert_eq!(stop, Stop::Budget);
    assert!(trials.len() >= 5, "{} trials", trials.len());
    // no trial was started that the pace said would overrun (each is ≤ 9 × 20 ms)
    assert!(took < budget + Duration::from_millis(150), "{took:?}");
    // and the trials are the seed's sequence: a prefix of an unbounded run's
    let (all, _) = synthetic(3, Limits { budget: LONG, max_trials: Some(trials.len()) }, Duration::ZERO);
    let values = |t: &[Trial]| t.iter().map(|t| t.assignment.clone()).collect::<Vec<_>>();
    assert_eq!(values(&trials), values(&all));
}

/// Label 1 iff the text holds a "good" word.
fn corpus(n: usize) -> (Vec<Example>, LabelMap, Vec<usize>) {
    let (good, bad) = (["great", "fine", "lovely", "superb"], ["awful", "poor", "dull", "weak"]);
    let filler = ["the", "a", "movie", "was", "and", "plot", "it", "really"];
    let examples: Vec<Example> = (0..n)
        .map(|i| {
            let word = if i % 2 == 1 { good[i % 4] } else { bad[(i / 2) % 4] };
            let mut words: Vec<&str> = (0..(3 + i % 5)).map(|k| filler[(i * 7 + k * 3) % filler.len()]).collect();
            words.insert(i % words.len(), word);
            Example { text: words.join(" "), label: (i % 2).to_string(), line: i + 1 }
        })
        .collect();
    let labels = LabelMap::from_labels(examples.iter().map(|e| e.label.as_str()));
    let y = examples.iter().map(|e| labels.index(&e.label).unwrap()).collect();
    (examples, labels, y)
}

/// A small LSTM with the trial's lr, units and epochs.
fn settings(a: &Assignment) -> Result<TrainSettings, WorkflowError> {
    let units = a.get("units").unwrap() as usize;
    let model = ModelSettings::named("seed", 8, Knobs { units: Some(units), ..Knobs::default() })?;
    let opts = FitOptions { epochs: a.epochs, batch_size: 16, ..FitOptions::default() };
    Ok(TrainSettings {
        text: TextSettings {
            tokenizer: TokenizerConfig { num_words: Some(50), oov_token: Some("<OOV>".into()), ..Default::default() },
            pad: PadSequences::keras(10),
        },
        schedule: Schedule::end_to_end(1, a.epochs),
        model,
        fit: FitOptions { optimizer: OptimizerKind::Adam { lr: a.get("lr").unwrap() as f32 }, ..opts },
        validation_split: 0.0,
        probes: Probes::Off,
        embeddings: None,
        init_from: None,
        linear: None,
        level_heads: Vec::new(),
        nbsvm: None,
    })
}

#[test]
fn a_search_on_a_few_hundred_lines_beats_chance_and_repeats() {
    let (examples, labels, y) = corpus(300);
    let (train_idx, val_idx): (Vec<usize>, Vec<usize>) = (0..300).partition(|i| i % 5 != 0);
    let data = TrainData { examples: &examples, labels: &labels, y: &y, train_idx: &train_idx, val_idx: &val_idx };
    let options = TuneOptions {
        space: lr_space(EpochRange { min: 1, max: 9 }),
        eta: 3,
        seed: 0,
        limits: Limits { budget: LONG, max_trials: Some(6) },
        first: None,
        local: 0.0,
        ridge: false,
    };
    let run = || {
        let mut lines = Vec::new();
        let result = search(data, &options, &settings, &mut |t| lines.push(t.number)).unwrap();
        assert_eq!(lines, (1..=6).collect::<Vec<_>>(), "on_trial sees every trial in order");
        result
    };
    let (first, second) = (run(), run());
    assert_eq!(first.stop, Stop::MaxTrials);
    let best = first.best_trial().unwrap();
    assert!(first.trials.iter().all(|t| t.score.accuracy <= best.score.accuracy));
    assert!(best.score.accuracy > 0.7, "best val accuracy {}", best.score.accuracy);
    let model = &first.best.as_ref().unwrap().model;
    let texts: Vec<&str> = val_idx.iter().map(|&i| examples[i].text.as_str()).collect();
    let val_y: Vec<usize> = val_idx.iter().map(|&i| y[i]).collect();
    assert_eq!(model.evaluate(&texts, &val_y).accuracy, best.score.accuracy, "the kept model is the best trial's");
    let scores = |r: &strata_workflow::tune::TuneResult| r.trials.iter().map(|t| t.score.accuracy).collect::<Vec<_>>();
    assert_eq!(scores(&first), scores(&second), "same seed and threads, same trials");
}

/// Issue 13 review: a space with a single point (or values drawn again) never trains the same
/// assignment at the same epochs twice; when a round of brackets has nothing new, it ends.
#[test]
fn the_same_assignment_is_never_trained_twice_and_a_single_point_space_ends() {
    let space = Space {
        params: vec![Param { name: "lr".into(), domain: Domain::Values(vec![0.1]), integer: false }],
        epochs: EpochRange { min: 1, max: 9 },
        zero_together: Vec::new(),
        memory: None,
    };
    let first = Some(Assignment { values: vec![("lr".into(), 0.1)], epochs: 3 });
    let limits = Limits { budget: LONG, max_trials: Some(50) };
    let plan = halving::Plan {
        space: &space,
        hyperband: Hyperband::new(space.epochs, 3),
        seed: 1,
        limits,
        first,
        local: 0.0,
        ridge: false,
    };
    let mut trained: Vec<Assignment> = Vec::new();
    let mut objective = |a: &Assignment, _deadline: Instant| -> Result<Score, ()> {
        assert!(!trained.contains(a), "{} at {} epochs trained twice", a.describe(), a.epochs);
        trained.push(a.clone());
        Ok(Score {
            accuracy: 0.5 + 0.01 * a.epochs as f64,
            loss: 0.5,
            epochs_trained: a.epochs,
            cut: false,
            diverged: false,
        })
    };
    let (trials, stop) = halving::run(plan, &mut objective, &mut |_| {}).unwrap();
    assert_eq!(stop, Stop::Exhausted);
    let epochs: Vec<usize> = trials.iter().map(|t| t.assignment.epochs).collect();
    assert_eq!(epochs, [3, 1, 9], "the defaults' 3, then each rung's epochs once (3 is already trained)");
    // and the epochs trials run start at the first rung, which can be above the space's least
    assert_eq!(Hyperband::new(EpochRange { min: 2, max: 100 }, 3).rung_epochs(), EpochRange { min: 4, max: 100 });
}

/// Runs the search with two thirds of its configurations drawn around the incumbent on the
/// made-up objective, sleeping `per_epoch` per epoch.
fn with_steps(seed: u64, max_trials: usize, per_epoch: Duration) -> Vec<Trial> {
    let space = lr_space(EpochRange { min: 1, max: 27 });
    let limits = Limits { budget: LONG, max_trials: Some(max_trials) };
    let hyperband = Hyperband::new(space.epochs, 3);
    let plan = halving::Plan { space: &space, hyperband, seed, limits, first: None, local: 2.0 / 3.0, ridge: false };
    let mut objective = |a: &Assignment, _deadline: Instant| -> Result<Score, ()> {
        std::thread::sleep(per_epoch * a.epochs as u32);
        // best near lr 0.1 with 8 units, better with epochs
        let lr = a.get("lr").unwrap();
        let accuracy = 0.9 - 0.05 * (lr / 0.1).ln().abs() - 0.01 * (a.get("units").unwrap() - 8.0).abs()
            + 0.0001 * a.epochs as f64;
        Ok(Score { accuracy, loss: 1.0 - accuracy, epochs_trained: a.epochs, cut: false, diverged: false })
    };
    halving::run(plan, &mut objective, &mut |_| {}).unwrap().0
}

/// Issue 13 point 4: with `--max-trials` the steps narrow with the share of the trials run,
/// so the trial sequence is the seed's, however long the trials take; and two thirds of the
/// new configurations are steps from the best trial before them.
#[test]
fn steps_around_the_incumbent_keep_the_trials_a_function_of_the_seed() {
    let fast = with_steps(4, 40, Duration::ZERO);
    let slow = with_steps(4, 40, Duration::from_micros(300));
    let key = |t: &[Trial]| t.iter().map(|t| (t.rung, t.config, t.assignment.clone())).collect::<Vec<_>>();
    assert_eq!(key(&fast), key(&slow), "the clock changed the trials");
    assert_ne!(key(&fast), key(&with_steps(5, 40, Duration::ZERO)), "another seed, other trials");
    let local: Vec<&Trial> = fast.iter().filter(|t| t.rung == halving::LOCAL).collect();
    let fresh = fast.iter().filter(|t| t.rung == 0).count() + local.len();
    assert!(local.len() * 2 > fresh && local.len() < fresh, "{} steps of {fresh} new configurations", local.len());
    // a step from the best trial before it is Gaussian in ln(lr × epochs) (the rate moves
    // against the epochs: local::coupled_rate), with the width the share of --max-trials run
    // gives (σ = step_fraction · ln(1/0.001)): no step past 3σ (plus the 3-digit rounding of a
    // drawn rate), and the steps' mean (moved/σ)² — 1 for a Gaussian, a little less where the
    // domain clamps a step — below 2. Uniform steps over the domain fail both: late in the
    // search σ is 0.1 · 6.9, and most uniform moves from lr 0.1 pass 2.1.
    let mut squares = Vec::new();
    for t in &local {
        let before = &fast[..t.number - 1];
        let best = before.iter().min_by(|a, b| halving::best_first(a, b)).unwrap();
        let amount = |a: &Assignment| a.get("lr").unwrap() * a.epochs as f64;
        let moved = (amount(&t.assignment) / amount(&best.assignment)).ln().abs();
        let sigma = local::step_fraction(before.len() as f64 / 40.0) * 1000f64.ln();
        assert!(moved <= 3.0 * sigma + 0.01, "trial {} moved lr by {moved}, σ {sigma}", t.number);
        squares.push((moved / sigma).powi(2));
        assert!((1..=27).contains(&t.assignment.epochs));
    }
    let mean_square = squares.iter().sum::<f64>() / squares.len() as f64;
    assert!(mean_square < 2.0, "steps of {mean_square} σ² on average: {squares:?}");
    // and the steps found the objective's best region
    let best_lr =
        |t: &[Trial]| t.iter().min_by(|a, b| halving::best_first(a, b)).unwrap().assignment.get("lr").unwrap();
    assert!((best_lr(&fast) / 0.1).ln().abs() < 0.3, "best lr {}", best_lr(&fast));
}

/// Issue 13 point 4: with `ridge` (the linear model) a promotion keeps its configuration's
/// lr × epochs — its rate divided by the epochs' growth — and every other value; without it
/// (networks) a promotion keeps the rate, as before. Same seed, same fresh draws either way.
#[test]
fn a_linear_promotion_keeps_lr_times_epochs_and_a_networks_keeps_its_rate() {
    let space = lr_space(EpochRange { min: 1, max: 27 });
    let run = |ridge: bool| {
        let limits = Limits { budget: LONG, max_trials: Some(60) };
        let plan = halving::Plan {
            space: &space,
            hyperband: Hyperband::new(space.epochs, 3),
            seed: 2,
            limits,
            first: None,
            local: 0.0,
            ridge,
        };
        // best near lr × epochs = 1: the ridge
        let mut objective = |a: &Assignment, _: Instant| -> Result<Score, ()> {
            let accuracy = 0.9 - 0.05 * (a.get("lr").unwrap() * a.epochs as f64).ln().abs();
            Ok(Score { accuracy, loss: 1.0 - accuracy, epochs_trained: a.epochs, cut: false, diverged: false })
        };
        halving::run(plan, &mut objective, &mut |_| {}).unwrap().0
    };
    for ridge in [true, false] {
        let trials = run(ridge);
        let promoted: Vec<&Trial> = trials.iter().filter(|t| t.rung > 0).collect();
        assert!(promoted.len() >= 5, "{trials:?}");
        for t in promoted {
            let first = trials.iter().find(|u| u.config == t.config && u.rung == 0).unwrap();
            let (lr, lr0) = (t.assignment.get("lr").unwrap(), first.assignment.get("lr").unwrap());
            assert_eq!(t.assignment.get("units"), first.assignment.get("units"));
            let amount = |a: &Assignment| a.get("lr").unwrap() * a.epochs as f64;
            if ridge {
                // (the rate rounded to 3 digits, and held to its range's floor)
                let kept = (amount(&t.assignment) / amount(&first.assignment) - 1.0).abs() < 0.01;
                assert!(
                    kept || lr == 1e-3,
                    "trial {}: lr {lr} × {} from {lr0} × {}",
                    t.number,
                    t.assignment.epochs,
                    first.assignment.epochs
                );
            } else {
                assert_eq!(lr, lr0, "trial {}", t.number);
            }
        }
    }
    let fresh =
        |t: &[Trial]| t.iter().filter(|t| t.rung == 0).map(|t| t.assignment.clone()).take(9).collect::<Vec<_>>();
    assert_eq!(fresh(&run(true)), fresh(&run(false)), "the bracket's first draws are the seed's");
}
