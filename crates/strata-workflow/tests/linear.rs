//! `--model linear` through the workflow: the dictionary comes from the training part only,
//! every epoch reaches the progress hooks as one stage called "linear" with its validation
//! score, the model learns a separable task, and a seed and thread count give the same bits.

use strata_data::{Example, LabelMap};
use strata_model::linear::{LinearConfig, LinearLoss};
use strata_model::Classifier;
use strata_text::TokenizerConfig;
use strata_train::{EpochRecord, Progress};
use strata_workflow::linear::{train, LinearRun, LinearSettings, LinearTrained};

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
struct Epochs(Vec<EpochRecord>);

impl Progress for Epochs {
    fn on_epoch(&mut self, record: &EpochRecord) {
        self.0.push(record.clone());
    }
}

fn settings(loss: LinearLoss) -> LinearSettings {
    LinearSettings { config: LinearConfig { dim: 10, buckets: 1000, loss, ..LinearConfig::default() }, lr: 0.5 }
}

fn run(threads: usize, loss: LinearLoss, seed: u64) -> (LinearTrained, Vec<EpochRecord>) {
    let (examples, labels, y) = examples();
    let (train_idx, val_idx): (Vec<usize>, Vec<usize>) = ((0..320).collect(), (320..400).collect());
    let tokenizer = TokenizerConfig { num_words: None, ..TokenizerConfig::default() };
    let linear_run = LinearRun {
        examples: &examples,
        labels: &labels,
        y: &y,
        train_idx: &train_idx,
        val_idx: &val_idx,
        tokenizer: &tokenizer,
        epochs: 5,
        seed,
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let mut progress = Epochs::default();
    let trained = pool.install(|| train(linear_run, &settings(loss), &mut progress)).unwrap();
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
        examples: &examples,
        labels: &labels,
        y: &[0; 400],
        train_idx: &[0, 1, 2],
        val_idx: &[],
        tokenizer: &tokenizer,
        epochs: 1,
        seed: 0,
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
    };
    let (train_idx, val_idx): (Vec<usize>, Vec<usize>) = ((0..320).collect(), (320..400).collect());
    let data = TrainData { examples: &examples, labels: &labels, y: &y, train_idx: &train_idx, val_idx: &val_idx };
    let trained = pipeline::train(data, &s, &mut Epochs::default()).unwrap();
    assert!(matches!(trained.saved, Classifier::Linear(_)));
    assert_eq!(trained.history.len(), 3);
    assert!(trained.validation.unwrap().accuracy >= 0.95);
}
