//! `--model nbsvm` in the workflows: NBSVM's features found on a split's training part with
//! strata's tokenizer, NB-LR trained on them (strata-train's `nbsvm.rs`), scored on the
//! validation part. `pipeline::train` wraps the result as a `Trained` like any other model's,
//! so that `train`, `cv` and `test`/`predict`/`serve` on its folder treat it as they treat the rest.
//! It has no epochs: its history is one record ("nbsvm", epoch 1 of 1).

use std::collections::HashSet;

use strata_model::error::ModelError;
use strata_model::infer::Evaluation;
use strata_model::label_structure::LabelStructure;
use strata_model::nbsvm::features::{feature_ids, tokenizer_for, NgramSplitter};
use strata_model::nbsvm::{NbsvmConfig, NbsvmModel};
use strata_text::TokenizerConfig;
use strata_train::history::thousands;
use strata_train::nbsvm::{fit_nbsvm, NbsvmFit};
use strata_train::{EpochRecord, Progress};

use crate::error::WorkflowError;
use crate::splits::TrainData;

/// NBSVM's settings; its seed is `TrainSettings::fit`'s.
#[derive(Clone, Debug, PartialEq)]
pub struct NbsvmSettings {
    pub config: NbsvmConfig,
}

/// A trained NBSVM model, its one history record and its validation score.
pub struct NbsvmTrained {
    pub model: NbsvmModel,
    pub history: Vec<EpochRecord>,
    pub validation: Option<Evaluation>,
}

/// Trains NBSVM on `data.train_idx` (features: every n-gram of the training texts), scores
/// it on `data.val_idx`. The heads train on rayon's current pool (`--threads`), each alone.
pub fn train(
    data: TrainData,
    tokenizer: &TokenizerConfig,
    settings: &NbsvmSettings,
    seed: u64,
    progress: &mut dyn Progress,
) -> Result<NbsvmTrained, WorkflowError> {
    use rayon::prelude::*;
    let started = std::time::Instant::now();
    if data.labels.len() < 2 {
        return Err(ModelError::TooFewClasses { classes: data.labels.len() }.into());
    }
    if data.train_idx.is_empty() {
        return Err(WorkflowError::NoTrainingTexts { texts: data.val_idx.len() });
    }
    let config = settings.config.clone();
    let tokenizer = tokenizer_for(tokenizer, &config.punctuation);
    let splitter = NgramSplitter::with(&tokenizer, &config.punctuation, config.word_ngrams);
    let texts = |idx: &[usize]| idx.iter().map(|&i| data.examples[i].text.as_str()).collect::<Vec<_>>();
    let (train_texts, val_texts) = (texts(data.train_idx), texts(data.val_idx));
    let train_keys: Vec<Vec<u32>> = train_texts.par_iter().map(|t| splitter.keys(t)).collect();
    let mut keys: Vec<u32> = train_keys.iter().flatten().copied().collect::<HashSet<u32>>().into_iter().collect();
    keys.sort_unstable();
    if keys.is_empty() {
        return Err(WorkflowError::NoNgrams { texts: train_texts.len() });
    }
    let rows: Vec<Vec<u32>> = train_keys.par_iter().map(|k| feature_ids(&keys, k)).collect();
    drop(train_keys);
    let pick = |idx: &[usize]| idx.iter().map(|&i| data.y[i]).collect::<Vec<_>>();
    let (train_y, val_y) = (pick(data.train_idx), pick(data.val_idx));
    let fit = NbsvmFit { alpha: config.alpha, beta: config.beta, c: config.c, seed };
    let weights = fit_nbsvm(&rows, &train_y, data.labels.len(), keys.len(), &fit);
    let model = NbsvmModel {
        config,
        tokenizer,
        labels: data.labels.clone(),
        keys,
        weight: weights.weight,
        bias: weights.bias,
        structure: LabelStructure::Single,
    };
    let fitted = started.elapsed().as_secs_f64();
    progress.on_note(&format!(
        "nbsvm: {} n-gram features (orders 1–{}) from {} texts, heads solved ({}) in {:?} passes, {fitted:.2} s",
        thousands(model.keys.len() as u64),
        model.config.word_ngrams,
        thousands(rows.len() as u64),
        model.heads(),
        weights.iterations,
    ));
    let train_eval = model.evaluate(&rows, &train_y);
    let validation = (!val_y.is_empty()).then(|| model.evaluate(&model.encode(&val_texts), &val_y));
    let record = EpochRecord {
        stage: 1,
        stage_name: "nbsvm".into(),
        stages: 1,
        epoch: 1,
        epochs: 1,
        loss: train_eval.loss,
        accuracy: train_eval.accuracy,
        val_loss: validation.map(|v| v.loss),
        val_accuracy: validation.map(|v| v.accuracy),
        lr: 0.0,
        seconds: started.elapsed().as_secs_f64(),
    };
    progress.on_epoch(&record);
    Ok(NbsvmTrained { model, history: vec![record], validation })
}
