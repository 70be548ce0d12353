//! `--model linear` in the workflows: fastText's supervised model trained on a split's
//! training part with strata's tokenizer, scored on its validation part after every epoch (only
//! after the last when the caller reads no other score: `Progress::every_epoch_validated`).
//! `pipeline::train` wraps the result as a `Trained` like any network's, so that `train`, `cv`,
//! `experiment` (where it is the baseline) and `tune` treat both families alike.

use strata_model::error::ModelError;
use strata_model::infer::Evaluation;
use strata_model::linear::dictionary::EOS;
use strata_model::linear::features::words_of;
use strata_model::linear::{Dictionary, LinearConfig, LinearModel};
use strata_text::TokenizerConfig;
use strata_train::history::thousands;
use strata_train::linear::{fit_linear, LinearEpoch, LinearFit};
use strata_train::{EpochRecord, Progress};

use crate::error::WorkflowError;
use crate::splits::TrainData;

/// The linear model's own settings; its epochs and seed are `TrainSettings::fit`'s.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearSettings {
    pub config: LinearConfig,
    /// Starting learning rate of the linearly decaying SGD (fastText's `-lr`).
    pub lr: f32,
}

/// The name experiments give the linear baseline's row.
pub const BASELINE_NAME: &str = "linear (baseline)";

/// The linear model's epochs and starting rate when the user gives none: the settings measured
/// as the baseline in issue 13 (fastText `-epoch 25 -lr 1.0`; fastText's own defaults, 5 and
/// 0.1, are far worse on this data).
pub const DEFAULT_EPOCHS: usize = 25;
pub const DEFAULT_LR: f32 = 1.0;

/// What one linear training run needs: the examples and which train and which validate, how
/// text splits into words, and the epochs and seed.
pub struct LinearRun<'a> {
    pub data: TrainData<'a>,
    pub tokenizer: &'a TokenizerConfig,
    pub epochs: usize,
    pub seed: u64,
    /// `--class-weight`, one weight per class, resolved on this training part
    /// (`pipeline::class_weights`); `None` is every weight 1.
    pub class_weights: Option<Vec<f32>>,
    /// `--hierarchy per-level`: for each upper level of the label tree, every class's node; the
    /// model trains one head per level beside the leaf head (`TrainSettings::level_heads`).
    pub level_heads: &'a [Vec<usize>],
}

/// A trained linear model, its epochs (one stage, "linear") and its last validation score.
pub struct LinearTrained {
    pub model: LinearModel,
    pub history: Vec<EpochRecord>,
    pub validation: Option<Evaluation>,
    /// Why training stopped early, when its loss became NaN or infinite (the model's weights
    /// are then broken: there is no copy of the last good ones to go back to).
    pub diverged: Option<String>,
}

/// Trains a linear model on `run.data.train_idx`, evaluating on `run.data.val_idx` after each epoch
/// (after the last only, when `progress` reads no other: `Progress::every_epoch_validated`);
/// each epoch reaches `progress` as an `EpochRecord`.
///
/// The dictionary is built from the training texts only (every word seen `min_count` times:
/// the tokenizer's `num_words` is not used); each text's input rows are computed once, before
/// the epochs. The threads are rayon's current pool's (`--threads`).
pub fn train(
    run: LinearRun,
    linear: &LinearSettings,
    progress: &mut dyn Progress,
) -> Result<LinearTrained, WorkflowError> {
    if run.data.labels.len() < 2 {
        return Err(ModelError::TooFewClasses { classes: run.data.labels.len() }.into());
    }
    if run.data.train_idx.is_empty() {
        return Err(WorkflowError::NoTrainingTexts { texts: run.data.val_idx.len() });
    }
    let train_texts: Vec<&str> = run.data.train_idx.iter().map(|&i| run.data.examples[i].text.as_str()).collect();
    let dict = Dictionary::build(&words_of(run.tokenizer, &train_texts), linear.config.min_count);
    // `</s>` (one a text) is no word: without a word, the model could only learn the class mix
    if dict.len() == usize::from(dict.id(EOS).is_some()) {
        let texts = run.data.train_idx.len();
        return Err(WorkflowError::EmptyDictionary { texts, min_count: linear.config.min_count });
    }
    let mut model =
        LinearModel::new(linear.config.clone(), run.tokenizer.clone(), dict, run.data.labels.clone(), run.seed);
    model.add_level_heads(run.level_heads);
    // each text's rows, and its tokens as fastText counts them (its words and `</s>`), once
    let val_texts: Vec<&str> = run.data.val_idx.iter().map(|&i| run.data.examples[i].text.as_str()).collect();
    let (train_rows, tokens): (Vec<Vec<u32>>, Vec<usize>) = model.encode(&train_texts).into_iter().unzip();
    let val_rows = model.encode_rows(&val_texts);
    let pick = |idx: &[usize]| idx.iter().map(|&i| run.data.y[i]).collect::<Vec<_>>();
    let (train_y, val_y) = (pick(run.data.train_idx), pick(run.data.val_idx));
    let fit = LinearFit {
        epochs: run.epochs,
        lr: linear.lr,
        seed: run.seed,
        threads: rayon::current_num_threads(),
        class_weights: run.class_weights.clone(),
    };
    let mut history = Vec::with_capacity(run.epochs);
    let mut validation = None;
    // the last epoch is the planned one, or the first whose loss is not finite (fit_linear
    // stops there)
    let every = progress.every_epoch_validated();
    let mut on_epoch = |m: &LinearModel, e: &LinearEpoch| {
        let started = std::time::Instant::now();
        let last = e.epoch == run.epochs || !e.loss.is_finite();
        let val = (!val_y.is_empty() && (every || last)).then(|| m.evaluate(&val_rows, &val_y));
        let record = EpochRecord {
            stage: 1,
            stage_name: "linear".into(),
            stages: 1,
            epoch: e.epoch,
            epochs: run.epochs,
            loss: e.loss,
            accuracy: e.accuracy,
            val_loss: val.map(|v| v.loss),
            val_accuracy: val.map(|v| v.accuracy),
            lr: e.lr,
            seconds: e.seconds + started.elapsed().as_secs_f64(),
        };
        progress.on_epoch(&record);
        history.push(record);
        validation = val;
    };
    let epochs = fit_linear(&mut model, &train_rows, &tokens, &train_y, &fit, &mut on_epoch);
    // `last` above restates fit_linear's stops; should it ever stop for another reason, the
    // epoch it stopped at is scored here rather than left without a validation score
    if let (None, Some(record), false) = (&validation, history.last_mut(), val_y.is_empty()) {
        let val = model.evaluate(&val_rows, &val_y);
        (record.val_loss, record.val_accuracy) = (Some(val.loss), Some(val.accuracy));
        validation = Some(val);
    }
    // `fit_linear` stops after the first epoch whose loss is not finite
    let diverged = epochs
        .last()
        .filter(|e| !e.loss.is_finite())
        .map(|e| format!("the linear model's loss became {} in epoch {}", e.loss, e.epoch));
    let seconds: f64 = epochs.iter().map(|e| e.seconds).sum();
    if seconds > 0.0 {
        let pass: usize = tokens.iter().sum();
        let rate = pass as f64 * epochs.len() as f64 / seconds / fit.threads as f64;
        progress.on_note(&format!(
            "linear: {} epochs over {} texts ({} tokens a pass) in {seconds:.3} s of SGD: {} words/s/thread ({} threads)",
            epochs.len(),
            thousands(train_rows.len() as u64),
            thousands(pass as u64),
            thousands(rate as u64),
            fit.threads
        ));
    }
    Ok(LinearTrained { model, history, validation, diverged })
}
