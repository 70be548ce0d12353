//! Issue 13: every experiment's baseline is fastText's linear model with its defaults, made in
//! one place from the experiment's first schedule, and run first on the same splits and seeds;
//! its row is marked as the baseline, keeps its own epochs and is held to no epoch budget.

use strata_data::{Example, LabelMap};
use strata_model::linear::LinearConfig;
use strata_model::zoo::Knobs;
use strata_text::{PadSequences, TokenizerConfig};
use strata_train::fit::{FitOptions, Progress, Silent};
use strata_train::schedule::Schedule;
use strata_workflow::experiment::{
    baseline_settings, run, with_baseline, Experiment, ExperimentProgress, RunId, SeededSplits,
};
use strata_workflow::linear::{BASELINE_NAME, DEFAULT_EPOCHS, DEFAULT_LR};
use strata_workflow::pipeline::{ModelSettings, Probes, TextSettings, TrainSettings};
use strata_workflow::splits::kfold_splits;

fn settings() -> TrainSettings {
    let model = ModelSettings::named("seed", 4, Knobs { units: Some(3), ..Knobs::default() }).unwrap();
    TrainSettings {
        text: TextSettings {
            tokenizer: TokenizerConfig { num_words: Some(30), oov_token: Some("<OOV>".into()), ..Default::default() },
            pad: PadSequences::keras(6),
        },
        schedule: Schedule::end_to_end(1, 2),
        model,
        fit: FitOptions { epochs: 2, batch_size: 16, seed: 11, ..FitOptions::default() },
        validation_split: 0.2,
        probes: Probes::Final,
        embeddings: Some("vectors.txt".into()),
        init_from: None,
        linear: None,
        level_heads: Vec::new(),
        nbsvm: None,
    }
}

#[test]
fn the_baseline_is_the_linear_model_with_its_defaults_under_the_experiments_seed() {
    let first = settings();
    let b = baseline_settings(&first, LinearConfig::default());
    let linear = b.linear.as_ref().expect("a linear model");
    assert_eq!((&linear.config, linear.lr), (&LinearConfig::default(), DEFAULT_LR));
    // the linear flags given configure it
    let small = LinearConfig { buckets: 20_000, dim: 10, ..LinearConfig::default() };
    assert_eq!(baseline_settings(&first, small.clone()).linear.unwrap().config, small);
    assert_eq!(b.fit.epochs, DEFAULT_EPOCHS, "its own epochs, not the schedules' budget");
    assert_eq!(b.fit.seed, 11, "the experiment's seed");
    assert_eq!(b.validation_split, 0.2);
    assert_eq!(b.text.tokenizer.num_words, None, "every word, as fastText keeps");
    assert_eq!(b.text.tokenizer.oov_token, first.text.tokenizer.oov_token, "the same tokenizer otherwise");
    assert!(b.embeddings.is_none() && b.init_from.is_none(), "nothing pretrained");
    assert_eq!(b.probes, Probes::Off);

    let schedules = with_baseline(vec![("end-to-end".into(), first)], LinearConfig::default());
    let names: Vec<&str> = schedules.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, [BASELINE_NAME, "end-to-end"]);
    assert!(
        with_baseline(Vec::new(), LinearConfig::default()).is_empty(),
        "no schedules, nothing to make a baseline from"
    );
}

struct Quiet(Silent);

impl ExperimentProgress for Quiet {
    fn epochs(&mut self) -> &mut dyn Progress {
        &mut self.0
    }
    fn run_started(&mut self, _: &RunId) {}
    fn run_finished(&mut self, _: &RunId, _: f64) {}
}

#[test]
fn the_baseline_runs_first_on_the_same_splits_and_is_marked() {
    let (good, bad) = (["great", "fine", "lovely"], ["awful", "poor", "dull"]);
    let examples: Vec<Example> = (0..80)
        .map(|i| {
            let (label, word) = if i % 2 == 0 { ("pos", good[i % 3]) } else { ("neg", bad[i % 3]) };
            Example { text: format!("the film was {word} really"), label: label.into(), line: i + 1 }
        })
        .collect();
    let labels = LabelMap::from_labels(["pos", "neg"]);
    let y: Vec<usize> = examples.iter().map(|e| labels.index(&e.label).unwrap()).collect();
    let mut s = settings();
    s.embeddings = None;
    let runs = vec![SeededSplits {
        seed: 11,
        splits: kfold_splits(&y, 2, 0.2, 11)
            .into_iter()
            .enumerate()
            .map(|(i, s)| (format!("fold {}", i + 1), s))
            .collect(),
    }];
    let small = LinearConfig { buckets: 20_000, ..LinearConfig::default() };
    let schedules = with_baseline(vec![("end-to-end".into(), s)], small);
    let e = Experiment {
        examples: &examples,
        labels: &labels,
        y: &y,
        runs: &runs,
        schedules: &schedules,
        data: "generated".into(),
        protocol: "2-fold cross-validation".into(),
    };
    let r = run(&e, &mut Quiet(Silent)).unwrap();
    let (base, e2e) = (&r.schedules[0], &r.schedules[1]);
    assert_eq!((base.name.as_str(), base.baseline), (BASELINE_NAME, true));
    assert!(!e2e.baseline);
    assert_eq!(r.baseline().map(|b| b.name.as_str()), Some(BASELINE_NAME));
    assert_eq!(base.split_accuracy.len(), 2, "one score per fold");
    assert!(base.mean_accuracy > 0.6, "a word per class is learnable: {}", base.mean_accuracy);
    assert!(base.seconds > 0.0);
    assert_eq!((base.epochs, base.budget, base.budget_note.as_deref()), (DEFAULT_EPOCHS, None, None));
    assert!(base.probes.is_empty() && base.probes_before.is_empty() && base.scratch.is_none());
    assert_eq!(e2e.budget, Some(2));
    assert_eq!(r.model, "seed", "the report names the schedules' model");
}
