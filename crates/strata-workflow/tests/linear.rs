//! `--model linear` through the workflow: the dictionary comes from the training part only,
//! every epoch reaches the progress hooks as one stage called "linear" with its validation
//! score (only the last when the hooks read no other), the model learns a separable task, and a seed and thread count give the same bits.

use strata_data::{Example, LabelMap};
use strata_model::linear::{LinearConfig, LinearLoss};
use strata_model::Classifier;
use strata_text::TokenizerConfig;
use strata_train::{EpochRecord, Progress};
use strata_workflow::linear::{train, LinearRun, LinearSettings, LinearTrained};
use strata_workflow::pipeline::TrainData;

/// 400 reviews: a positive or negative cue word among shared filler words (and, in the
/// validation part only, a word the training part never has).
fn examples() -> (Vec<Example>, LabelMap, Vec<usize>) {
    let good = ["great", "wonderful", "superb", "moving"];
    let bad = ["dull", "awful", "boring", "weak"];
    let filler = ["the", "film", "was", "a", "plot", "and", "acting", "story"];
    let examples: Vec<Example> = (0..400)
        .map(|i| {
            let cue = if i % 2 == 0 { good[i / 2 % 4] } else { bad[i / 2 % 4] };
            let mut words: Vec<&str> = (0..6).map(|k| filler[(i * 7 + k * 3) % 8]).collect();
            words.insert(i % 5, cue);
            if i >= 320 {
                words.push("unseenword");
            }
            Example { text: words.join(" "), label: if i % 2 == 0 { "pos" } else { "neg" }.into(), line: i + 1 }
        })
        .collect();
    let labels = LabelMap::from_labels(["neg", "pos"]);
    let y = examples.iter().map(|e| labels.index(&e.label).unwrap()).collect();
    (examples, labels, y)
}

#[derive(Default)]
struct Epochs(Vec<EpochRecord>, LastOnly);

/// Whether the progress reads only the last epoch's validation score (`strata tune`'s trials).
#[derive(Default)]
struct LastOnly(bool);

impl Progress for Epochs {
    fn on_epoch(&mut self, record: &EpochRecord) {
        self.0.push(record.clone());
    }

    fn every_epoch_validated(&self) -> bool {
        !self.1 .0
    }
}

fn settings(loss: LinearLoss) -> LinearSettings {
    LinearSettings { config: LinearConfig { dim: 10, buckets: 1000, loss, ..LinearConfig::default() }, lr: 0.5 }
}

fn run(threads: usize, loss: LinearLoss, seed: u64) -> (LinearTrained, Vec<EpochRecord>) {
    run_reading(threads, settings(loss), seed, Epochs::default())
}

fn run_reading(
    threads: usize,
    settings: LinearSettings,
    seed: u64,
    mut progress: Epochs,
) -> (LinearTrained, Vec<EpochRecord>) {
    let (examples, labels, y) = examples();
    let (train_idx, val_idx): (Vec<usize>, Vec<usize>) = ((0..320).collect(), (320..400).collect());
    let tokenizer = TokenizerConfig { num_words: None, ..TokenizerConfig::default() };
    let linear_run = LinearRun {
        data: TrainData { examples: &examples, labels: &labels, y: &y, train_idx: &train_idx, val_idx: &val_idx },
        tokenizer: &tokenizer,
        epochs: 5,
        seed,
        class_weights: None,
        level_heads: &[],
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let trained = pool.install(|| train(linear_run, &settings, &mut progress)).unwrap();
    (trained, progress.0)
}

#[test]
fn learns_and_reports_every_epoch_as_one_linear_stage() {
    for loss in [LinearLoss::Softmax, LinearLoss::OneVsAll] {
        let (trained, epochs) = run(1, loss, 0);
        assert_eq!(epochs.len(), 5);
        assert_eq!(trained.history, epochs);
        for (k, e) in epochs.iter().enumerate() {
            assert_eq!((e.stage, e.stages, e.stage_name.as_str(), e.epoch, e.epochs), (1, 1, "linear", k + 1, 5));
            assert!(e.val_loss.is_some_and(f64::is_finite) && e.seconds >= 0.0);
        }
        assert!((epochs[4].lr - 0.0).abs() < 1e-6, "lr falls to 0: {}", epochs[4].lr);
        let val = trained.validation.expect("a validation score");
        assert_eq!(Some(val.accuracy), epochs[4].val_accuracy);
        assert!(val.accuracy >= 0.95, "{loss:?}: validation accuracy {}", val.accuracy);
        assert!(epochs[4].loss < epochs[0].loss);
    }
}

/// A progress that reads only the last epoch's score (a tune trial) gets the same model and
/// the same last score; the epochs before the last are not scored.
#[test]
fn only_the_last_epoch_is_validated_when_no_other_score_is_read() {
    let (every, every_epochs) = run(1, LinearLoss::Softmax, 3);
    let (last, last_epochs) = run_reading(1, settings(LinearLoss::Softmax), 3, Epochs(Vec::new(), LastOnly(true)));
    assert_eq!((&every.model.input, &every.model.output), (&last.model.input, &last.model.output));
    assert_eq!(last.validation.map(|v| v.accuracy), every.validation.map(|v| v.accuracy));
    assert_eq!(last_epochs[4].val_loss, every_epochs[4].val_loss);
    assert!(last_epochs[..4].iter().all(|e| e.val_loss.is_none() && e.val_accuracy.is_none()), "{last_epochs:?}");
    assert!(every_epochs.iter().all(|e| e.val_loss.is_some()));
}

/// A trial whose loss stops being finite ends at that epoch, and a progress that reads only the
/// last score still gets one there (tune ranks diverged trials by it).
#[test]
fn a_diverged_run_that_reads_only_the_last_score_is_scored_where_it_stopped() {
    let diverging = LinearSettings { lr: 1e30, ..settings(LinearLoss::Softmax) };
    let (trained, epochs) = run_reading(1, diverging, 3, Epochs(Vec::new(), LastOnly(true)));
    assert!(trained.diverged.is_some() && epochs.len() < 5, "{:?}, {} epochs", trained.diverged, epochs.len());
    assert!(trained.validation.is_some(), "no validation score where it stopped");
    assert_eq!(epochs.last().and_then(|e| e.val_accuracy), trained.validation.map(|v| v.accuracy));
    assert!(epochs[..epochs.len() - 1].iter().all(|e| e.val_loss.is_none()));
}

#[test]
fn the_dictionary_holds_the_training_words_only() {
    let (trained, _) = run(1, LinearLoss::Softmax, 0);
    let dict = &trained.model.dict;
    assert!(dict.id("great").is_some() && dict.id("film").is_some());
    assert_eq!(dict.id("unseenword"), None, "a word of the validation part only");
    assert_eq!(trained.model.rows(), dict.len() + 1000);
}

#[test]
fn a_seed_and_thread_count_give_the_same_bits() {
    for threads in [1, 2] {
        let (a, _) = run(threads, LinearLoss::Softmax, 4);
        let (b, _) = run(threads, LinearLoss::Softmax, 4);
        assert!(a.model.input == b.model.input && a.model.output == b.model.output, "{threads} threads differ");
    }
    let (a, _) = run(1, LinearLoss::Softmax, 4);
    let (c, _) = run(1, LinearLoss::Softmax, 5);
    assert!(a.model.input != c.model.input, "another seed, other weights");
}

#[test]
fn one_class_is_refused() {
    let (examples, _, _) = examples();
    let labels = LabelMap::from_labels(["pos"]);
    let tokenizer = TokenizerConfig::default();
    let run = LinearRun {
        data: TrainData { examples: &examples, labels: &labels, y: &[0; 400], train_idx: &[0, 1, 2], val_idx: &[] },
        tokenizer: &tokenizer,
        epochs: 1,
        seed: 0,
        class_weights: None,
        level_heads: &[],
    };
    let err = train(run, &settings(LinearLoss::Softmax), &mut Epochs::default()).err().expect("refused");
    assert!(err.to_string().contains("class"), "{err}");
}

/// `pipeline::train` hands `--model linear` to `linear::train` and returns its model.
#[test]
fn the_pipeline_trains_a_linear_classifier() {
    use strata_model::zoo::Knobs;
    use strata_text::PadSequences;
    use strata_train::fit::FitOptions;
    use strata_train::schedule::Schedule;
    use strata_workflow::pipeline::{self, ModelSettings, Probes, TextSettings, TrainData, TrainSettings};
    let (examples, labels, y) = examples();
    let s = TrainSettings {
        text: TextSettings {
            tokenizer: TokenizerConfig { num_words: None, ..Default::default() },
            pad: PadSequences::keras(1),
        },
        model: ModelSettings::named("seed", 4, Knobs::default()).unwrap(),
        fit: FitOptions { epochs: 3, ..FitOptions::default() },
        schedule: Schedule::end_to_end(1, 3),
        validation_split: 0.0,
        probes: Probes::Off,
        embeddings: None,
        init_from: None,
        linear: Some(settings(LinearLoss::Softmax)),
        level_heads: Vec::new(),
        nbsvm: None,
    };
    let (train_idx, val_idx): (Vec<usize>, Vec<usize>) = ((0..320).collect(), (320..400).collect());
    let data = TrainData { examples: &examples, labels: &labels, y: &y, train_idx: &train_idx, val_idx: &val_idx };
    let trained = pipeline::train(data, &s, &mut Epochs::default()).unwrap();
    assert!(matches!(trained.saved, Classifier::Linear(_)));
    assert_eq!(trained.history.len(), 3);
    assert!(trained.validation.unwrap().accuracy >= 0.95);
}

/// A run of `settings` with `lr` and `min_count`, training on `train_idx`, validating on the rest.
fn run_with(lr: f32, min_count: u64, train_idx: &[usize]) -> Result<LinearTrained, strata_workflow::WorkflowError> {
    let (examples, labels, y) = examples();
    let val_idx: Vec<usize> = (0..400).filter(|i| !train_idx.contains(i)).collect();
    let tokenizer = TokenizerConfig { num_words: None, ..TokenizerConfig::default() };
    let run = LinearRun {
        data: TrainData { examples: &examples, labels: &labels, y: &y, train_idx, val_idx: &val_idx },
        tokenizer: &tokenizer,
        epochs: 5,
        seed: 1,
        class_weights: None,
        level_heads: &[],
    };
    let mut s = settings(LinearLoss::Softmax);
    s.lr = lr;
    s.config.min_count = min_count;
    train(run, &s, &mut Epochs::default())
}

#[test]
fn a_loss_that_becomes_nan_stops_training_and_says_so() {
    let train_idx: Vec<usize> = (0..320).collect();
    let trained = run_with(1e20, 1, &train_idx).unwrap();
    let why = trained.diverged.expect("diverged");
    let last = trained.history.last().unwrap();
    assert!(!last.loss.is_finite());
    assert_eq!(why, format!("the linear model's loss became {} in epoch {}", last.loss, last.epoch));
    assert!(trained.history.len() < 5, "training stopped at the first bad epoch");
    assert_eq!(run_with(0.5, 1, &train_idx).unwrap().diverged, None);
}

#[test]
fn an_empty_dictionary_or_training_part_is_refused_in_one_line() {
    let train_idx: Vec<usize> = (0..320).collect();
    let err = run_with(0.5, 1000, &train_idx).err().expect("refused").to_string();
    assert_eq!(err, "no word of the 320 training texts occurs --min-count 1000 times (hint: lower --min-count)");
    let err = run_with(0.5, 1, &[]).err().expect("refused").to_string();
    assert!(err.starts_with("no text is left to train the linear model on") && !err.contains('\n'), "{err}");
}

/// `tune`: a trial whose loss becomes NaN failed — accuracy 0, loss +inf, never the best — and
/// the search goes on.
#[test]
fn tune_scores_a_diverged_trial_as_failed_and_goes_on() {
    use strata_model::zoo::Knobs;
    use strata_text::PadSequences;
    use strata_train::fit::FitOptions;
    use strata_train::schedule::Schedule;
    use strata_workflow::pipeline::{ModelSettings, Probes, TextSettings, TrainData, TrainSettings};
    use strata_workflow::tune::{search, Assignment, Domain, EpochRange, Limits, Param, Space, TuneOptions};
    let (examples, labels, y) = examples();
    let settings_for = |a: &Assignment| -> Result<TrainSettings, strata_workflow::WorkflowError> {
        let mut linear = settings(LinearLoss::Softmax);
        linear.lr = a.get("lr").unwrap() as f32;
        Ok(TrainSettings {
            text: TextSettings {
                tokenizer: TokenizerConfig { num_words: None, ..Default::default() },
                pad: PadSequences::keras(1),
            },
            model: ModelSettings::named("seed", 4, Knobs::default()).unwrap(),
            fit: FitOptions { epochs: a.epochs, ..FitOptions::default() },
            schedule: Schedule::end_to_end(1, a.epochs),
            validation_split: 0.0,
            probes: Probes::Off,
            embeddings: None,
            init_from: None,
            linear: Some(linear),
            level_heads: Vec::new(),
            nbsvm: None,
        })
    };
    let (train_idx, val_idx): (Vec<usize>, Vec<usize>) = ((0..320).collect(), (320..400).collect());
    let data = TrainData { examples: &examples, labels: &labels, y: &y, train_idx: &train_idx, val_idx: &val_idx };
    for values in [vec![1e20], vec![1e20, 0.5]] {
        let options = TuneOptions {
            space: Space {
                params: vec![Param { name: "lr".into(), domain: Domain::Values(values.clone()), integer: false }],
                epochs: EpochRange { min: 1, max: 3 },
                zero_together: Vec::new(),
                memory: None,
            },
            eta: 3,
            seed: 0,
            limits: Limits { budget: std::time::Duration::from_secs(3600), max_trials: Some(6) },
            first: Some(Assignment { values: vec![("lr".into(), 1e20)], epochs: 3 }),
            local: 0.0,
            ridge: false,
        };
        let result = search(data, &options, &settings_for, &mut |_| {}).expect("the search goes on");
        // the search goes on past a failed trial (an assignment is trained once per epochs, so
        // a one-point space ends early)
        assert!(result.trials.len() >= 2, "{values:?}: {} trials", result.trials.len());
        for t in result.trials.iter().filter(|t| t.assignment.get("lr") == Some(1e20)) {
            assert_eq!((t.score.accuracy, t.score.loss), (0.0, f64::INFINITY), "a failed trial: {t:?}");
        }
        match result.best_trial() {
            None => assert_eq!(values, [1e20], "only failed trials: no best"),
            Some(best) => assert_eq!(best.assignment.get("lr"), Some(0.5)),
        }
    }
}
