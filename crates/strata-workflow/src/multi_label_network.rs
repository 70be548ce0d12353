//! Multi-label training of a network (issue 15, point 2): any `--model` but linear, trained
//! with one sigmoid per label and binary cross-entropy summed over the labels against each
//! text's multi-hot row (`strata_train::trainer::fit_schedule_multi`), then a threshold per
//! label tuned on the validation part as the linear model's are (`crate::multi_label_run`). The
//! folder says `model.multi_label` and `label_structure: {"kind": "multi", ...}`, so predict,
//! test, cv and serve read it as they read a multi-label linear model.

use strata_model::encode::{encode_texts, Encoding};
use strata_model::folder::SavedModel;
use strata_model::infer::{predict_padded, Dataset};
use strata_model::label_structure::LabelStructure;
use strata_model::model::Model;
use strata_model::multi_label::metrics::evaluate;
use strata_model::Classifier;
use strata_text::Tokenizer;
use strata_train::fit::{FitInput, FitOptions, Progress};
use strata_train::multi_hot::{multi_hot_rows, MultiHot};
use strata_train::trainer::fit_schedule_multi;

use crate::error::WorkflowError;
use crate::multi_label_run::{thresholds_for, MultiData, MultiTrained};
use crate::pipeline::TrainSettings;

/// What a network's multi-label training does not build, refused before anything runs:
/// class weights (one label a text), a label tree's per-level heads, `--init-from`'s head
/// continued, and ulmfit's language-model stage.
pub fn check(s: &TrainSettings) -> Result<(), WorkflowError> {
    let refuse = |what, hint| Err(WorkflowError::MultiLabelRefused { what, hint });
    if s.fit.class_weight.is_some() || s.fit.class_weights.is_some() {
        return refuse("class weights (one weight per class, and a text has several)", "leave out --class-weight");
    }
    if !s.level_heads.is_empty() {
        return refuse("a label tree's per-level heads", "leave out --hierarchy");
    }
    if s.init_from.is_some() {
        return refuse("from --init-from", "leave out --init-from, or give --embeddings FILE");
    }
    if s.schedule.language_model.is_some() {
        return refuse("ulmfit's language-model stage", "choose another --schedule, e.g. end-to-end");
    }
    Ok(())
}

/// Trains `s`'s network multi-label on `data.train_idx`, tunes a threshold per label on
/// `data.val_idx` unless `threshold` fixes one for all, and scores the validation part.
pub fn train(
    data: MultiData,
    s: &TrainSettings,
    threshold: Option<f32>,
    progress: &mut dyn Progress,
) -> Result<MultiTrained, WorkflowError> {
    check(s)?;
    let text = |i: &usize| data.examples[*i].text.as_str();
    let train_texts: Vec<&str> = data.train_idx.iter().map(text).collect();
    let val_texts: Vec<&str> = data.val_idx.iter().map(text).collect();
    let mut tokenizer = Tokenizer::new(s.text.tokenizer.clone());
    tokenizer.fit_on_texts(&train_texts);
    let classes = data.labels.len();
    let mut config = s.model.config(tokenizer.vocab_size(), classes);
    config.multi_label = true;
    config.validate()?;
    config.check_steps(s.text.pad.maxlen)?;
    let encoding = Encoding { pad: s.text.pad, sentences: config.sentences() };
    let t = encoding.ids_per_text();
    let (train_ids, val_ids) =
        (encode_texts(&tokenizer, &train_texts, &encoding), encode_texts(&tokenizer, &val_texts, &encoding));
    let pick = |idx: &[usize]| idx.iter().map(|&i| data.y[i].clone()).collect::<Vec<_>>();
    let (train_y, val_y) = (pick(data.train_idx), pick(data.val_idx));
    // the data sets' one class a text is the first of its labels (read only for their length)
    let first = |y: &[Vec<usize>]| y.iter().map(|l| l.first().copied().unwrap_or(0)).collect::<Vec<_>>();
    let (train_first, val_first) = (first(&train_y), first(&val_y));
    let train_set = Dataset { ids: &train_ids, labels: &train_first, t };
    let val_set = Dataset { ids: &val_ids, labels: &val_first, t };
    let (train_hot, val_hot) = (multi_hot_rows(&train_y, classes), multi_hot_rows(&val_y, classes));
    let mut model = Model::new(config, s.fit.seed);
    if let Some(path) = &s.embeddings {
        let coverage = crate::pipeline::load_embeddings(&mut model, &tokenizer, path, s.text.tokenizer.lower)?;
        progress.on_note(&coverage);
    }
    let fit = FitOptions { class_weights: None, ..s.fit.clone() };
    let val = (!val_y.is_empty()).then_some(&val_set);
    let input = FitInput { train: &train_set, val, schedule: &s.schedule, opts: &fit };
    let fitted = fit_schedule_multi(&mut model, input, MultiHot { train: &train_hot, val: &val_hot }, progress);
    model.drop_aux_heads();
    let mut saved = SavedModel {
        model,
        tokenizer,
        labels: data.labels.clone(),
        pad: s.text.pad,
        structure: LabelStructure::Single,
    };
    let val_probs: Vec<Vec<f32>> = predict_padded(&saved, &val_ids).into_iter().map(|p| p.probs).collect();
    let (thresholds, tuned) = thresholds_for(threshold, &val_probs, &val_y, classes);
    let validation = (!val_y.is_empty()).then(|| evaluate(&val_probs, &val_y, &thresholds));
    saved.structure = LabelStructure::Multi { thresholds };
    Ok(MultiTrained {
        model: Classifier::Network(saved),
        history: fitted.history,
        validation,
        tuned,
        diverged: fitted.diverged,
    })
}
