//! From labelled text to trained, evaluated and saved models: the steps `strata train`,
//! `test`, `predict` and `cv` share.
//!
//! The tokenizer is always fitted on the training part only, so validation and test words the
//! model never saw become OOV, as they would in use.

use std::time::Instant;

use serde::Serialize;
use std::path::Path;

use strata_data::{read_vectors, stratified_split, DataError, Example, LabelMap};
use strata_text::{PadSequences, Tokenizer, TokenizerConfig};

use crate::error::WorkflowError;
use crate::probe::{probe_layers, ProbeResult};
pub use crate::splits::TrainData;
use crate::splits::{kfold_splits, mean_std, score_with_classes};
use strata_model::encode::{encode_texts, Encoding};
use strata_model::folder::SavedModel;
use strata_model::infer::{evaluate, Dataset, Evaluation};
pub use strata_model::infer::{predict, Prediction};
use strata_model::model::Model;
pub use strata_model::model::ModelSettings;
use strata_model::Classifier;
use strata_train::class_weight::{describe_weights, ClassWeight};
use strata_train::fit::{EpochRecord, FitInput, FitOptions, Progress, TrainState};
use strata_train::fit_schedule_from;
use strata_train::history::thousands;
use strata_train::ranks;
use strata_train::schedule::Schedule;

/// How text becomes ids.
#[derive(Clone, Debug)]
pub struct TextSettings {
    pub tokenizer: TokenizerConfig,
    pub pad: PadSequences,
}

#[derive(Clone, Debug)]
pub struct TrainSettings {
    pub text: TextSettings,
    pub model: ModelSettings,
    pub fit: FitOptions,
    /// How training proceeds in stages (end-to-end is one stage of `fit.epochs`).
    pub schedule: Schedule,
    /// Fraction of the training data held out (stratified, seeded) for val_loss/val_accuracy.
    pub validation_split: f64,
    /// When to probe every layer (needs validation data).
    pub probes: Probes,
    /// Pretrained word vectors the embedding starts from (`--embeddings`), where given.
    pub embeddings: Option<std::path::PathBuf>,
    /// A model (or run) folder whose tokenizer and matching tensors the model starts from
    /// (`--init-from`); its vocabulary is the model's, not fitted on the training texts.
    pub init_from: Option<crate::init_from::InitFrom>,
    /// fastText's linear model instead of the network `model` describes (`--model linear`):
    /// then `model`, `schedule`, `probes` and `fit`'s batch size and optimizer are unused;
    /// `fit.epochs` and `fit.seed` are its epochs and seed (`crate::linear`).
    pub linear: Option<crate::linear::LinearSettings>,
    /// NBSVM instead of a network (`--model nbsvm`): as with `linear`, the network fields are
    /// unused; `fit.seed` is its seed (`crate::nbsvm`).
    pub nbsvm: Option<crate::nbsvm::NbsvmSettings>,
    /// A label tree's per-level heads (`--hierarchy per-level`): for each upper level, each
    /// class's node there; empty for none. Trained beside the leaf head, dropped before saving.
    pub level_heads: Vec<Vec<usize>>,
}

/// Class indices of `examples`; a label the map does not know is an error naming its line.
pub fn label_indices(examples: &[Example], labels: &LabelMap, path: &str) -> Result<Vec<usize>, DataError> {
    examples
        .iter()
        .map(|e| {
            labels.index(&e.label).ok_or_else(|| {
                DataError::new(
                    path,
                    Some(e.line),
                    format!("label '{}' is not one the model knows ({})", e.label, labels.labels().join(", ")),
                    "test with data labelled like the training data",
                )
            })
        })
        .collect()
}

/// A trained model with its history and its validation score.
pub struct Trained {
    pub saved: Classifier,
    pub history: Vec<EpochRecord>,
    /// Early stops: (stage, epoch it stopped after, best epoch restored).
    pub early_stops: Vec<(usize, usize, usize)>,
    /// Why training stopped on a non-finite loss, if it did.
    pub diverged: Option<String>,
    pub validation: Option<Evaluation>,
    /// Linear probes of every layer after each stage (empty without validation data or when
    /// `TrainSettings::probes` is off).
    pub probes: Vec<StageProbes>,
    /// The language-model stage's epochs, for a schedule that has one (ulmfit); else empty.
    pub language_model: Vec<strata_train::pretrain::language_model::LmEpoch>,
}

/// When linear probes run during training.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probes {
    Off,
    /// After the last stage only (experiments, which report the final model).
    Final,
    /// After every stage (`strata train`).
    EveryStage,
}

/// The probes run after one stage.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StageProbes {
    pub stage: usize,
    pub name: String,
    pub probes: Vec<ProbeResult>,
}

/// Passes progress through and probes every layer when a stage ends.
struct Probing<'a> {
    inner: &'a mut dyn Progress,
    train: Dataset<'a>,
    val: Option<Dataset<'a>>,
    results: Vec<StageProbes>,
    /// Only probe after this stage (1-based), if set.
    only_stage: Option<usize>,
}

impl Progress for Probing<'_> {
    fn on_batch(&mut self, done: usize, total: usize) {
        self.inner.on_batch(done, total);
    }

    fn on_epoch(&mut self, record: &EpochRecord) {
        self.inner.on_epoch(record);
    }

    fn checkpoint_every(&self) -> usize {
        self.inner.checkpoint_every()
    }

    fn on_checkpoint(&mut self, state: &TrainState) -> std::ops::ControlFlow<()> {
        self.inner.on_checkpoint(state)
    }

    fn after_epoch(&mut self) -> std::ops::ControlFlow<()> {
        self.inner.after_epoch()
    }

    fn on_note(&mut self, line: &str) {
        self.inner.on_note(line);
    }

    fn on_warning(&mut self, line: &str) {
        self.inner.on_warning(line);
    }

    fn on_padding(&mut self, share: &strata_train::fit::PaddingShare) {
        self.inner.on_padding(share);
    }

    fn every_epoch_validated(&self) -> bool {
        self.inner.every_epoch_validated()
    }

    fn on_stage_end(&mut self, stage: usize, name: &str, model: &Model) {
        if let Some(val) = self.val.as_ref().filter(|_| self.only_stage.is_none_or(|s| s == stage)) {
            let probes = probe_layers(model, (self.train.ids, self.train.labels), (val.ids, val.labels), self.train.t);
            self.results.push(StageProbes { stage, name: name.to_string(), probes });
        }
        self.inner.on_stage_end(stage, name, model);
    }
}

/// Fits the tokenizer on `data.train_idx`, trains a fresh model, evaluates on `data.val_idx`
/// each epoch.
pub fn train(data: TrainData, s: &TrainSettings, progress: &mut dyn Progress) -> Result<Trained, WorkflowError> {
    train_from(data, s, progress, None)
}

/// `train`, continuing from a checkpoint's state when given (the tokenizer and the data are
/// rebuilt from the same inputs, so they come out identical). A schedule with a language-model
/// stage (ulmfit) runs that stage first (`crate::ulmfit`).
pub fn train_from(
    data: TrainData,
    s: &TrainSettings,
    progress: &mut dyn Progress,
    resume: Option<TrainState>,
) -> Result<Trained, WorkflowError> {
    if let Some(linear) = &s.linear {
        let (epochs, seed, tokenizer) = (s.fit.epochs, s.fit.seed, &s.text.tokenizer);
        let train_y: Vec<usize> = data.train_idx.iter().map(|&i| data.y[i]).collect();
        let class_weights = class_weights(&s.fit, data.labels, &train_y, progress)?;
        let level_heads = &s.level_heads;
        let run = crate::linear::LinearRun { data, tokenizer, epochs, seed, class_weights, level_heads };
        let trained = crate::linear::train(run, linear, progress)?;
        return Ok(Trained {
            saved: Classifier::Linear(trained.model),
            history: trained.history,
            early_stops: Vec::new(),
            diverged: trained.diverged,
            validation: trained.validation,
            probes: Vec::new(),
            language_model: Vec::new(),
        });
    }
    if let Some(nbsvm) = &s.nbsvm {
        let trained = crate::nbsvm::train(data, &s.text.tokenizer, nbsvm, s.fit.seed, progress)?;
        return Ok(Trained {
            saved: Classifier::Nbsvm(trained.model),
            history: trained.history,
            early_stops: Vec::new(),
            diverged: None,
            validation: trained.validation,
            probes: Vec::new(),
            language_model: Vec::new(),
        });
    }
    if s.schedule.language_model.is_none() {
        return fit_classifier(data, s, progress, resume);
    }
    // the classifier's tensors must fit before the language model spends its epochs
    if let Some(init) = &s.init_from {
        crate::init_from::check(&s.model, init)?;
    }
    // a resumed run fine-tunes again: the same seed and threads give the same levels
    let texts = |idx: &[usize]| idx.iter().map(|&i| data.examples[i].text.as_str()).collect::<Vec<_>>();
    let (train, heldout) = (texts(data.train_idx), texts(data.val_idx));
    let lm_texts = crate::ulmfit::LmTexts { train: &train, heldout: &heldout };
    let tuned = crate::ulmfit::fine_tune(s.init_from.as_ref(), &s.schedule, lm_texts, &s.fit, progress)?;
    let tuned_settings = TrainSettings { init_from: Some(tuned.init), ..s.clone() };
    let mut trained = fit_classifier(data, &tuned_settings, progress, resume)?;
    trained.language_model = tuned.history;
    Ok(trained)
}

/// The classifier's training: every stage of `s.schedule` from the model `s` describes.
fn fit_classifier(
    data: TrainData,
    s: &TrainSettings,
    progress: &mut dyn Progress,
    resume: Option<TrainState>,
) -> Result<Trained, WorkflowError> {
    let TrainData { examples, labels, y, train_idx, val_idx } = data;
    let texts = |idx: &[usize]| idx.iter().map(|&i| examples[i].text.as_str()).collect::<Vec<_>>();
    let (train_texts, val_texts) = (texts(train_idx), texts(val_idx));
    let tokenizer = match &s.init_from {
        Some(init) => init.tokenizer.clone(),
        None => {
            let mut tokenizer = Tokenizer::new(s.text.tokenizer.clone());
            tokenizer.fit_on_texts(&train_texts);
            tokenizer
        }
    };
    let config = s.model.config(tokenizer.vocab_size(), labels.len());
    config.validate()?;
    config.check_steps(s.text.pad.maxlen)?;
    let encoding = Encoding { pad: s.text.pad, sentences: config.sentences() };
    let t = encoding.ids_per_text();
    let enc = |texts: &[&str]| encode_texts(&tokenizer, texts, &encoding);
    let (train_ids, val_ids) = (enc(&train_texts), enc(&val_texts));
    let pick = |idx: &[usize]| idx.iter().map(|&i| y[i]).collect::<Vec<_>>();
    let (train_y, val_y) = (pick(train_idx), pick(val_idx));
    let train_set = Dataset { ids: &train_ids, labels: &train_y, t };
    let val_set = Dataset { ids: &val_ids, labels: &val_y, t };
    let val = (!val_y.is_empty()).then_some(&val_set);
    let fit = FitOptions { class_weights: class_weights(&s.fit, labels, &train_y, progress)?, ..s.fit.clone() };
    let mut model = Model::new(config, s.fit.seed);
    if let Some(path) = &s.embeddings {
        let coverage = load_embeddings(&mut model, &tokenizer, path, s.text.tokenizer.lower)?;
        progress.on_note(&coverage);
    }
    if let Some(init) = &s.init_from {
        let line = crate::init_from::copy_tensors_continuing(&mut model, init, labels)?;
        progress.on_note(&line);
        progress.on_note(&crate::init_from::vocabulary_line(init, &train_texts));
    }
    if !s.level_heads.is_empty() {
        model.add_level_heads(&s.level_heads, s.fit.seed);
    }
    let mut probing = Probing {
        inner: progress,
        train: train_set,
        val: val.filter(|_| s.probes != Probes::Off).copied(),
        results: Vec::new(),
        only_stage: (s.probes == Probes::Final).then_some(s.schedule.stages.len()),
    };
    let input = FitInput { train: &train_set, val, schedule: &s.schedule, opts: &fit };
    let fitted = fit_schedule_from(&mut model, input, &mut probing, resume)?;
    let probes = probing.results;
    model.drop_aux_heads();
    model.drop_level_heads();
    let validation = val.map(|v| evaluate(&model, v));
    let saved = SavedModel { model, tokenizer, labels: labels.clone(), pad: s.text.pad, structure: Default::default() };
    Ok(Trained {
        saved: Classifier::Network(saved),
        history: fitted.history,
        early_stops: fitted.early_stops,
        diverged: fitted.diverged,
        validation,
        probes,
        language_model: Vec::new(),
    })
}

/// `--class-weight` turned into one weight per class of `labels` for a model trained on texts
/// of classes `train_y` (`balanced` counts them: the training part, never validation or test),
/// said in a note; `None` without the flag.
pub fn class_weights(
    fit: &FitOptions,
    labels: &LabelMap,
    train_y: &[usize],
    progress: &mut dyn Progress,
) -> Result<Option<Vec<f32>>, WorkflowError> {
    let Some(cw) = &fit.class_weight else { return Ok(None) };
    let weights = cw.weights(labels, train_y)?;
    let on = match cw {
        ClassWeight::Balanced => format!("balanced on the {} training texts", thousands(train_y.len() as u64)),
        ClassWeight::File { .. } => format!("from {}", cw.describe()),
    };
    progress.on_note(&format!("Class weights ({on}): {}", describe_weights(labels, &weights)));
    Ok(Some(weights))
}

/// Overwrites the embedding rows of the vocabulary words (ids 1.. below the vocabulary size)
/// found in the vectors file at `path`, in both copies of a multichannel model; padding and
/// words not in the file keep their init.
/// Returns the coverage line to print.
pub(crate) fn load_embeddings(
    model: &mut Model,
    tokenizer: &Tokenizer,
    path: &Path,
    lower: bool,
) -> Result<String, WorkflowError> {
    let (vocab, e) = (model.config.vocab_size, model.config.embedding_dim);
    let index = tokenizer.word_index();
    let row_of = |w: &str| index.get(w).map(|&i| i as usize).filter(|&i| i >= 1 && i < vocab);
    let vectors = read_vectors(path, row_of, lower)?;
    let shown = path.display().to_string();
    if vectors.dim != e {
        let message = format!("the vectors have {} values and the model's embedding has {e}", vectors.dim);
        return Err(DataError::new(&shown, Some(1), message, "leave out --embedding-dim to take the file's").into());
    }
    // a multichannel model's static copy takes the same vectors: both channels start equal
    for table in model.embedding_tables().collect::<Vec<_>>() {
        let weights = &mut model.params.data[table];
        for (row, v) in &vectors.rows {
            weights[row * e..(row + 1) * e].copy_from_slice(v);
        }
    }
    let words = (vocab - 1).min(index.len());
    let found = vectors.rows.len();
    let percent = if words == 0 { 0.0 } else { 100.0 * found as f64 / words as f64 };
    Ok(format!(
        "Embeddings: {} of {} words found in {shown} ({percent:.1}%); the rest start random",
        thousands(found as u64),
        thousands(words as u64)
    ))
}

/// Splits all examples into train and validation parts by `s.validation_split`.
pub fn holdout(y: &[usize], s: &TrainSettings) -> (Vec<usize>, Vec<usize>) {
    let all: Vec<usize> = (0..y.len()).collect();
    if s.validation_split <= 0.0 {
        return (all, Vec::new());
    }
    stratified_split(&all, y, s.validation_split, s.fit.seed)
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct FoldResult {
    pub fold: usize,
    pub accuracy: f64,
    /// The mean over classes of each class's F1 on the fold's test part (scikit-learn's
    /// `f1_score(average="macro")`): what `--class-weight` is for.
    pub macro_f1: f64,
    pub loss: f64,
    pub n_train: usize,
    pub n_test: usize,
    pub seconds: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CvReport {
    pub folds: Vec<FoldResult>,
    pub mean_accuracy: f64,
    /// Population standard deviation over folds (numpy's default, `ddof=0`).
    pub std_accuracy: f64,
    pub mean_macro_f1: f64,
    pub std_macro_f1: f64,
    pub epochs: usize,
    pub seconds: f64,
}

/// Labelled examples as a data set: the texts, the label map, each example's class index.
#[derive(Clone, Copy)]
pub struct Labelled<'a> {
    pub examples: &'a [Example],
    pub labels: &'a LabelMap,
    pub y: &'a [usize],
}

/// What `cross_validate` calls with each fold's result and, in one process, its trained model.
pub type OnFold<'a> = dyn FnMut(&FoldResult, Option<&Classifier>) -> Result<(), WorkflowError> + 'a;

/// Stratified k-fold cross-validation of `data`: for each fold, train on the others (minus the
/// validation split, if any) and test on it. `on_fold` sees each result as it finishes, with
/// the fold's trained model (`cv --save-models` saves it; `None` under MPI, where rank 0 sees
/// the gathered results after every fold ran); its error ends the run.
pub fn cross_validate(
    data: Labelled,
    k: usize,
    s: &TrainSettings,
    progress: &mut dyn Progress,
    on_fold: &mut OnFold,
) -> Result<CvReport, WorkflowError> {
    let Labelled { examples, labels, y } = data;
    let started = Instant::now();
    let mut results = Vec::with_capacity(k);
    let splits = kfold_splits(y, k, s.validation_split, s.fit.seed);
    // under MPI, fold f on rank f mod N (strata_train::ranks); alone, every fold here
    for f in ranks::dealt(splits.len()) {
        let split = &splits[f];
        let t0 = Instant::now();
        let data = TrainData { examples, labels, y, train_idx: &split.train, val_idx: &split.val };
        let trained = train(data, s, progress)?;
        if let Some(why) = trained.diverged {
            return Err(WorkflowError::Diverged { run: format!("fold {}", f + 1), why });
        }
        // one pass over the test fold gives the loss, the accuracy and the classes macro F1 reads
        let (ev, predicted) = score_with_classes(&trained.saved, examples, y, &split.test);
        let truth: Vec<usize> = split.test.iter().map(|&i| y[i]).collect();
        let r = FoldResult {
            fold: f + 1,
            accuracy: ev.accuracy,
            macro_f1: strata_model::metrics::report(&truth, &predicted, labels.labels()).macro_f1,
            loss: ev.loss,
            n_train: split.train.len(),
            n_test: split.test.len(),
            seconds: t0.elapsed().as_secs_f64(),
        };
        if ranks::world().is_none() {
            on_fold(&r, Some(&trained.saved))?;
        }
        results.push(r);
    }
    if let Some(world) = ranks::world() {
        results = crate::dealt::gather_exact(world, &results);
        results.sort_by_key(|r| r.fold);
        for r in &results {
            on_fold(r, None)?;
        }
    }
    let (mean, std) = mean_std(&results.iter().map(|r| r.accuracy).collect::<Vec<_>>());
    let (mean_macro_f1, std_macro_f1) = mean_std(&results.iter().map(|r| r.macro_f1).collect::<Vec<_>>());
    Ok(CvReport {
        folds: results,
        mean_accuracy: mean,
        std_accuracy: std,
        mean_macro_f1,
        std_macro_f1,
        epochs: s.fit.epochs,
        seconds: started.elapsed().as_secs_f64(),
    })
}
