//! A label-sorted file (MR's, Subj's and waimai's `all.tsv` are) must not decide which rare
//! words the vocabulary keeps. The tokenizer breaks frequency ties by first occurrence, as
//! Keras's does; if a fold's training part came in file order, every singleton cut by
//! `num_words` would come from the last class, and `<OOV>` would mark that class in training
//! only. Trained through cross-validation's splits and the validation hold-out, the kept
//! singletons come from both classes.

use strata_data::{Example, LabelMap};
use strata_model::zoo::Knobs;
use strata_text::{PadSequences, TokenizerConfig};
use strata_train::fit::{FitOptions, Silent};
use strata_train::schedule::Schedule;
use strata_workflow::pipeline::{holdout, train, ModelSettings, Probes, TextSettings, TrainData, TrainSettings};
use strata_workflow::splits::kfold_splits;

/// 200 examples sorted by label; each has its class's common word and one word of its own.
fn sorted_examples() -> (Vec<Example>, LabelMap, Vec<usize>) {
    let examples: Vec<Example> = (0..200)
        .map(|i| {
            let (label, common) = if i < 100 { ("subj", "feel") } else { ("obj", "plot") };
            Example { text: format!("{common} {common} rare{i}"), label: label.into(), line: i + 1 }
        })
        .collect();
    let labels = LabelMap::from_labels(["subj", "obj"]);
    let y = examples.iter().map(|e| labels.index(&e.label).unwrap()).collect();
    (examples, labels, y)
}

fn settings(validation_split: f64) -> TrainSettings {
    let model = ModelSettings::named("seed", 4, Knobs { units: Some(3), ..Knobs::default() }).unwrap();
    TrainSettings {
        text: TextSettings {
            // <OOV>, feel, plot and 80 of the 180 or so singletons
            tokenizer: TokenizerConfig { num_words: Some(84), oov_token: Some("<OOV>".into()), ..Default::default() },
            pad: PadSequences::keras(3),
        },
        schedule: Schedule::end_to_end(1, 1),
        model,
        fit: FitOptions { epochs: 1, batch_size: 16, ..FitOptions::default() },
        validation_split,
        probes: Probes::Off,
        embeddings: None,
        init_from: None,
        linear: None,
        level_heads: Vec::new(),
        nbsvm: None,
    }
}

/// How many kept singletons come from each class.
fn kept_rare_words(train_idx: &[usize], val_idx: &[usize], s: &TrainSettings) -> [usize; 2] {
    let (examples, labels, y) = sorted_examples();
    let trained =
        train(TrainData { examples: &examples, labels: &labels, y: &y, train_idx, val_idx }, s, &mut Silent).unwrap();
    let index = trained.saved.network().unwrap().tokenizer.word_index();
    let mut kept = [0, 0];
    for i in 0..200 {
        if index.get(&format!("rare{i}")).is_some_and(|&id| (id as usize) < 84) {
            kept[usize::from(i >= 100)] += 1;
        }
    }
    kept
}

#[test]
fn folds_keep_rare_words_of_both_classes() {
    let s = settings(0.1);
    let split = &kfold_splits(&sorted_examples().2, 5, s.validation_split, 1)[0];
    let kept = kept_rare_words(&split.train, &split.val, &s);
    assert_eq!(kept[0] + kept[1], 80);
    assert!(kept.iter().all(|&k| (25..=55).contains(&k)), "kept singletons per class: {kept:?}");
}

#[test]
fn the_validation_holdout_keeps_rare_words_of_both_classes() {
    let s = settings(0.2);
    let (train_idx, val_idx) = holdout(&sorted_examples().2, &s);
    let kept = kept_rare_words(&train_idx, &val_idx, &s);
    assert_eq!(kept[0] + kept[1], 80);
    assert!(kept.iter().all(|&k| (25..=55).contains(&k)), "kept singletons per class: {kept:?}");
}
