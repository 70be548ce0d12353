//! `strata train`: read, hold out a validation part, train, and write the run folder.
//!
//! The run folder is claimed before epoch 1 (`owned.rs`): a bad `--out` fails at once, an
//! earlier run is replaced only with `--overwrite`, and nothing strata did not write is ever
//! replaced. A checkpoint that cannot be written stops the run with its error.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use serde::Serialize;
use strata_data::LabelMap;
use strata_model::atomic::claim_dir;
use strata_model::folder::write_atomic;
use strata_model::owned::{check_replaceable, remove_owned_dir, Claimed, Owned};
use strata_train::checkpoint;
use strata_train::fit::{Monitor, PaddingShare, TrainState};
use strata_train::history::{history_csv, timings_csv};
use strata_train::{EpochRecord, Progress};
use strata_workflow::pipeline::{holdout, label_indices, train_from, TrainData, TrainSettings};
use strata_workflow::probe::probe_table;
use strata_workflow::WorkflowError;

use crate::args::TrainCmd;
use crate::commands::model_card::RunData;
use crate::progress::EpochPrinter;
use crate::run_args::RunArgs;
use strata_workflow::model_card::CardFacts;

/// `run.toml`: the resolved configuration, so a run can be repeated from its folder.
#[derive(Serialize)]
struct RunRecord {
    data: PathBuf,
    validation_split: f64,
    validation_data: Option<PathBuf>,
    /// `--embeddings`, with the SHA-256 of the file the run started from
    embeddings: Option<PathBuf>,
    embeddings_sha256: Option<String>,
    /// `--init-from`, with the SHA-256 of the model.safetensors the run started from
    init_from: Option<PathBuf>,
    init_from_sha256: Option<String>,
    threads: usize,
    seed: u64,
    model: String,
    embedding_dim: usize,
    epochs: usize,
    batch_size: usize,
    optimizer: String,
    #[serde(serialize_with = "shortest")]
    lr: f32,
    early_stopping: Option<usize>,
    monitor: String,
    #[serde(serialize_with = "shortest_some")]
    max_norm: Option<f32>,
    #[serde(serialize_with = "shortest")]
    embedding_init: f32,
    /// `--multichannel` (written only when set, so single-channel runs read as before)
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    multichannel: bool,
    /// `--sparse-embedding-updates` (written only when set: Keras's Adam updates every row)
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    sparse_embedding_updates: bool,
    /// `--adversarial` and `--adversarial-weight` (written only when set)
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "shortest_some")]
    adversarial: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "shortest_some")]
    adversarial_weight: Option<f32>,
    /// `--mask-padding` and `--bucket-by-length` (written only when set)
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    mask_padding: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    bucket_by_length: bool,
    /// `--level-workers` (written only above 1: the numbers depend on it)
    #[serde(skip_serializing_if = "lock_step")]
    level_workers: usize,
    /// padding: a network's only (the linear model reads every word)
    maxlen: Option<usize>,
    num_words: usize,
    oov_token: String,
    lower: bool,
    char_level: bool,
    padding: Option<String>,
    truncating: Option<String>,
    /// `--class-weight` as given (`balanced` or the file; absent without it)
    #[serde(skip_serializing_if = "Option::is_none")]
    class_weight: Option<String>,
    /// the weight of each label in the training loss, as computed on the training part
    #[serde(skip_serializing_if = "Option::is_none")]
    class_weights: Option<std::collections::BTreeMap<String, f32>>,
    /// `--model linear`'s own settings (tables after values: TOML writes them last)
    linear: Option<strata_model::linear::LinearConfig>,
    /// the body, as a model file would list it (empty for the linear model)
    layer: Vec<strata_model::model::LayerSpec>,
}

/// An f32 written as its shortest decimal (`0.001`), not widened to f64 first
/// (`0.0010000000474974513`): the value as typed on the command line.
fn shortest<S: serde::Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(v.to_string().parse().unwrap_or(f64::from(*v)))
}

/// [`shortest`] for an optional value.
pub(crate) fn shortest_some<S: serde::Serializer>(v: &Option<f32>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => shortest(v, s),
        None => s.serialize_none(),
    }
}

/// The note line on the training batches' padding that a benchmark parses: `padding: 23.1% of
/// the computed steps were real tokens (412,330 of 1,784,000); without bucketing: 21.0%
/// (412,330 of 1,964,000)` (the second share is of batches of full length, uncut).
pub(crate) fn padding_line(share: &PaddingShare) -> String {
    use strata_train::history::thousands;
    let pct = |of: u64| if of == 0 { 0.0 } else { 100.0 * share.real as f64 / of as f64 };
    format!(
        "padding: {:.1}% of the computed steps were real tokens ({} of {}); without bucketing: {:.1}% ({} of {})",
        pct(share.computed),
        thousands(share.real),
        thousands(share.computed),
        pct(share.uncut),
        thousands(share.real),
        thousands(share.uncut)
    )
}

/// With `--init-from` a classifier that shares a label with the data, the labels of the
/// continued model (the folder's, then the data's new ones: `continue_head`) and each
/// example's class among them, said in a note; else the data's own.
pub(crate) fn continued_labels(s: &mut TrainSettings, labels: LabelMap, y: Vec<usize>) -> (LabelMap, Vec<usize>) {
    let Some(init) = s.init_from.as_mut() else { return (labels, y) };
    let Some(theirs) = &init.labels else { return (labels, y) };
    match strata_workflow::continue_head::continued_labels(&init.dir, theirs, &labels, &y) {
        Some(c) => {
            crate::progress::note(&c.note);
            init.continue_head = true;
            (c.labels, c.y)
        }
        None => (labels, y),
    }
}

/// Passes progress through and writes a checkpoint when training asks for one.
struct Checkpointing {
    inner: EpochPrinter,
    dir: PathBuf,
    every: usize,
    failed: Option<strata_data::DataError>,
    /// The training batches' share of real tokens, when they were cut
    padding: Option<PaddingShare>,
}

impl Progress for Checkpointing {
    fn on_batch(&mut self, done: usize, total: usize) {
        self.inner.on_batch(done, total);
    }
    fn on_epoch(&mut self, r: &EpochRecord) {
        self.inner.on_epoch(r);
    }
    fn on_note(&mut self, line: &str) {
        self.inner.on_note(line);
    }
    fn on_warning(&mut self, line: &str) {
        self.inner.on_warning(line);
    }
    fn checkpoint_every(&self) -> usize {
        self.every
    }
    fn on_padding(&mut self, share: &PaddingShare) {
        self.padding = Some(*share);
    }
    fn on_checkpoint(&mut self, state: &TrainState) -> ControlFlow<()> {
        if !strata_train::ranks::is_root() {
            return ControlFlow::Continue(()); // rank 0 writes the run folder
        }
        match checkpoint::save(&self.dir, state) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.failed = Some(e);
                ControlFlow::Break(())
            }
        }
    }
}

/// Why the run trains another number of epochs than `--epochs` (or the recipe's) asks, if it
/// does: a schedule file sets its own, and a built-in schedule gives each stage at least one.
fn epochs_differ(a: &TrainCmd, s: &TrainSettings) -> Option<String> {
    let (runs, budget) = (s.schedule.epochs(), s.fit.epochs);
    if runs == budget {
        return None;
    }
    match &a.train.schedule_file {
        // without --epochs the file's count is the only one asked for
        Some(file) => a.train.epochs.map(|_| {
            format!(
                "--epochs {budget} is not used: {} sets its own epochs, {runs} in all (run.toml records {runs})",
                file.display()
            )
        }),
        None if s.schedule.name == "decoupled" => Some(format!(
            "the decoupled schedule trains its levels at once for {runs} epochs, not {budget}: what layerwise gives one level of {budget} (run.toml records {runs})"
        )),
        None => Some(format!(
            "the {} schedule trains {runs} epochs, not {budget}: each of its {} stages needs at least one epoch (run.toml records {runs})",
            s.schedule.name,
            s.schedule.stages.len()
        )),
    }
}

/// Removes from a replaced run folder every file and folder strata writes there (and nothing
/// else), so that none of the old run's outputs (say `probes.json` after `--no-probes`) is left
/// beside the new run's, and `--resume` can never continue the old run.
pub(crate) fn clear_run(out: &Path, inner: &[(&str, Owned)]) -> Result<()> {
    for name in Owned::Run.unmarked_files() {
        let path = out.join(name);
        if let Some((_, kind)) = inner.iter().find(|(n, _)| n == name) {
            remove_owned_dir(&path, *kind)?;
        } else if path.is_file() {
            std::fs::remove_file(&path)
                .map_err(|e| anyhow!("{}: cannot remove: {e} (hint: check the folder)", path.display()))?;
        }
    }
    Ok(())
}

/// Makes `out` this run's folder before training starts: claimed (or, resumed, already the
/// run's), its model folder replaceable, and a replaced run's outputs gone (`clear_run`).
/// Returns the checkpoint to resume from.
pub(crate) fn prepare(a: &TrainCmd, out: &Path, every: usize) -> Result<Option<TrainState>> {
    if a.resume.is_none() && !strata_train::ranks::is_root() {
        return Ok(None); // rank 0 claims the run folder; the others only read its checkpoint
    }
    if a.resume.is_some() {
        check_replaceable(&out.join("model"), Owned::Model)?;
        if checkpoint::exists(out)? {
            let state = checkpoint::load(out)?;
            crate::progress::note(format_args!("Resuming from the checkpoint after {} epochs", state.history.len()));
            return Ok(Some(state));
        }
        eprintln!(
            "warning: {}: no checkpoint yet (the run stopped before its first); starting it from epoch 1",
            out.display()
        );
        return Ok(None);
    }
    let inner = [("model", Owned::Model), ("checkpoint", Owned::Checkpoint)];
    if claim_dir(out, Owned::Run, a.overwrite, &inner)? == Claimed::Replacing {
        clear_run(out, &inner)?;
    }
    if every > 0 {
        // --init-from's tensors and vocabulary are inputs of the run like the data
        let init = a.train.init_from.as_deref().map(strata_model::folder::resolve);
        let [init_tensors, init_vocab] = ["model.safetensors", "vocab.json"].map(|f| init.as_ref().map(|d| d.join(f)));
        let inputs: Vec<&Path> = [
            &a.data,
            &a.validation_data,
            &a.train.model_file,
            &a.train.schedule_file,
            &a.train.embeddings,
            &init_tensors,
            &init_vocab,
        ]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .collect();
        RunArgs::now(&inputs)?.write(out)?;
    }
    Ok(None)
}

pub fn run(a: TrainCmd) -> Result<()> {
    // one rank of several (mpirun): each batch split across the ranks (data_parallel)
    let ranks = strata_train::ranks::world().map_or(1, |w| w.size());
    if ranks > 1 && (a.multi.multi_label || a.train.model == crate::choices::Model::Linear) {
        anyhow::bail!("under mpirun, train runs the networks data-parallel, not --model linear or --multi-label (hint: run it without mpirun; `mpirun … strata cv|experiment` deals their folds to ranks)");
    }
    strata_train::ranks::split_batches(true);
    if a.multi.multi_label {
        return super::train_multi::run(a);
    }
    super::train_multi::refuse_without_multi_label(&a.multi)?;
    // checked before --out is claimed; stored beside the model once it is saved
    let reject_below = crate::tree_report::reject_below(a.tree.reject_below)?;
    let (Some(data), Some(out)) = (a.data.clone(), a.out.clone()) else {
        anyhow::bail!("train needs --data and --out (hint: or --resume DIR)");
    };
    let split = if a.validation_data.is_some() { 0.0 } else { a.validation_split };
    let mut s = a.train.settings(split)?;
    if s.linear.is_some() && a.checkpoint_every.is_some() {
        anyhow::bail!("--checkpoint-every is for the networks, not --model linear (hint: a linear model trains in seconds; leave it out)");
    }
    if a.train.early_stopping.is_some_and(|n| n > 0) && split == 0.0 && a.validation_data.is_none() {
        anyhow::bail!(
            "--early-stopping watches val_loss, and there is no validation data (hint: add --validation-split 0.1)"
        );
    }
    let (mut examples, labels, y) = super::labelled(&data, &a.read.options())?;
    let (labels, mut y) = continued_labels(&mut s, labels, y);
    if let Some(c) = &s.fit.class_weight {
        // a weights file that misses or adds a label is refused before --out is claimed
        c.weights(&labels, &[])?;
    }
    // validation labels must be training labels, so the training file's paths are all to check
    let tree = crate::tree_report::structure(&a.tree, &[(&examples[..], data.display().to_string())], &labels)?;
    let s = crate::tree_report::with_level_heads(s, &a.tree, &labels)?;
    let (train_idx, val_idx) = match &a.validation_data {
        // Keras's validation_data=: a file of its own (e.g. a dataset's dev split)
        Some(path) => {
            let val = strata_data::read_examples(path, &a.read.options())?;
            let val_y = label_indices(&val, &labels, &path.display().to_string())?;
            let n = examples.len();
            super::warn_if_sorted_by_label(&data, &y);
            examples.extend(val);
            y.extend(val_y);
            ((0..n).collect(), (n..examples.len()).collect())
        }
        None => {
            if s.validation_split <= 0.0 {
                super::warn_if_sorted_by_label(&data, &y);
            }
            holdout(&y, &s)
        }
    };
    crate::progress::note(format_args!(
        "Train on {} samples, validate on {} samples ({} classes: {})",
        train_idx.len(),
        val_idx.len(),
        labels.len(),
        labels.labels().join(", ")
    ));
    // the linear model has no schedule: its one stage is no layers' plan
    for (k, stage) in s.schedule.stages.iter().enumerate().filter(|_| s.linear.is_none()) {
        crate::progress::detail(format_args!(
            "Schedule {}: stage {}/{} [{}], {} epochs",
            s.schedule.name,
            k + 1,
            s.schedule.stages.len(),
            stage.name,
            stage.epochs
        ));
    }
    if let Some(why) = epochs_differ(&a, &s) {
        eprintln!("warning: {why}");
    }
    let every = a.checkpoint_every.unwrap_or(0);
    if s.linear.is_some() && a.checkpoint_every.is_some() {
        anyhow::bail!(
            "the linear model writes no checkpoints (hint: it trains in seconds; leave out --checkpoint-every)"
        );
    }
    if a.checkpoint_every == Some(0) {
        anyhow::bail!("--checkpoint-every must be at least 1 (hint: 1 writes one after every epoch)");
    }
    let resume = prepare(&a, &out, every)?;
    crate::settings::padding_notes(&s).into_iter().for_each(crate::progress::note);
    let mut progress =
        Checkpointing { inner: EpochPrinter::new(), dir: out.clone(), every, failed: None, padding: None };
    let input = TrainData { examples: &examples, labels: &labels, y: &y, train_idx: &train_idx, val_idx: &val_idx };
    let mut trained = train_from(input, &s, &mut progress, resume).map_err(|e| match e {
        WorkflowError::Resume(m) => {
            anyhow!("{}: {m} (hint: resume with the same strata version and data)", out.display())
        }
        other => other.into(),
    })?;
    if !strata_train::ranks::is_root() {
        return Ok(()); // rank 0 holds the same weights, and writes them
    }
    if let Some(e) = progress.failed {
        let done = trained.history.len();
        return Err(
            anyhow::Error::from(e).context(format!("training stopped after epoch {done}: its checkpoint failed"))
        );
    }

    for (stage, epoch, best) in &trained.early_stops {
        let figure = if s.fit.monitor == Monitor::ValAccuracy { "highest val_accuracy" } else { "lowest val_loss" };
        crate::progress::note(format_args!(
            "Early stopping: stage {stage} stopped after epoch {epoch}; restored the weights of epoch {best} ({figure})"
        ));
    }
    if let Some(share) = progress.padding {
        crate::progress::note(padding_line(&share));
    }
    let linear = s.linear.as_ref();
    if let (Some(why), Some(l)) = (&trained.diverged, linear) {
        // NaN weights, and no copy of the last good ones (they would be as big as the model)
        anyhow::bail!("{why}; nothing was saved (hint: lower --lr, e.g. --lr {})", (l.lr / 2.0).min(0.5));
    }
    let network = linear.is_none();
    let record = RunRecord {
        data: data.clone(),
        validation_split: split,
        validation_data: a.validation_data.clone(),
        embeddings: a.train.embeddings.clone(),
        embeddings_sha256: a.train.embeddings.as_deref().map(crate::run_args::sha256_file).transpose()?,
        init_from: a.train.init_from.clone(),
        init_from_sha256: a
            .train
            .init_from
            .as_deref()
            .map(|d| crate::run_args::sha256_file(&strata_model::folder::resolve(d).join("model.safetensors")))
            .transpose()?,
        threads: rayon::current_num_threads(),
        seed: s.fit.seed,
        model: if linear.is_some() { "linear".into() } else { s.model.architecture.clone() },
        embedding_dim: linear.map_or(s.model.embedding_dim, |l| l.config.dim),
        epochs: s.schedule.epochs(),
        // the linear model's SGD steps on one text at a time
        batch_size: if linear.is_some() { 1 } else { s.fit.batch_size },
        optimizer: if linear.is_some() { "sgd".into() } else { a.train.optimizer.name().into() },
        lr: linear.map_or(s.fit.optimizer.lr(), |l| l.lr),
        early_stopping: s.fit.early_stopping,
        monitor: a.train.monitor.name().into(),
        max_norm: s.fit.max_norm,
        embedding_init: s.model.embedding_init,
        multichannel: s.model.multichannel,
        sparse_embedding_updates: s.fit.sparse_embedding_updates,
        adversarial: s.fit.adversarial.map(|a| a.epsilon),
        adversarial_weight: s.fit.adversarial.map(|a| a.weight),
        mask_padding: s.model.mask_padding,
        bucket_by_length: s.fit.bucket_by_length,
        level_workers: s.fit.level_workers,
        maxlen: network.then_some(s.text.pad.maxlen),
        num_words: s.text.tokenizer.num_words.unwrap_or_default(),
        oov_token: s.text.tokenizer.oov_token.clone().unwrap_or_default(),
        lower: s.text.tokenizer.lower,
        char_level: s.text.tokenizer.char_level,
        padding: network.then(|| format!("{:?}", s.text.pad.padding).to_lowercase()),
        truncating: network.then(|| format!("{:?}", s.text.pad.truncating).to_lowercase()),
        class_weight: s.fit.class_weight.as_ref().map(|c| c.describe()),
        class_weights: match &s.fit.class_weight {
            Some(c) => {
                let train_y: Vec<usize> = train_idx.iter().map(|&i| y[i]).collect();
                let weights = c.weights(&labels, &train_y)?;
                Some(labels.labels().iter().cloned().zip(weights).collect())
            }
            None => None,
        },
        linear: linear.map(|l| l.config.clone()),
        layer: if network { s.model.layers.clone() } else { Vec::new() },
    };
    if let Some(structure) = &tree {
        trained.saved.set_structure(structure.clone());
    }
    let files: Vec<(&str, &Path)> = std::iter::once(("training", data.as_path()))
        .chain(a.validation_data.as_deref().map(|v| ("validation", v)))
        .collect();
    let run_data = RunData { files, examples: &examples, y: &y, train_idx: &train_idx, val_idx: &val_idx };
    let facts = CardFacts {
        epochs: trained.history.len(),
        seed: s.fit.seed,
        class_weight: s.fit.class_weight.as_ref().map(|c| c.describe()),
        init_from: a.train.init_from.clone(),
        ..CardFacts::default()
    };
    let card = super::model_card::card(&trained.saved, &run_data, facts, &out.join("model"))?;
    trained.saved.save_with_card(&out.join("model"), &card)?;
    if let Some(p) = reject_below {
        strata_model::stored_reject::write(&out.join("model"), p)?;
    }
    write_atomic(&out.join("history.csv"), history_csv(&trained.history).as_bytes())?;
    write_atomic(&out.join("timings.csv"), timings_csv(&trained.history).as_bytes())?;
    if !trained.language_model.is_empty() {
        // ulmfit's language-model epochs, as pretrain's history.csv has them: their own file,
        // so that history.csv keeps the classifier's columns under every schedule
        let csv = super::pretrain::history_csv(&[], &trained.language_model);
        write_atomic(&out.join("lm_history.csv"), csv.as_bytes())?;
    }
    write_atomic(&out.join("run.toml"), toml::to_string(&record)?.as_bytes())?;
    let mut metrics = serde_json::json!({
        "train_loss": trained.history.last().map(|r| r.loss),
        "train_accuracy": trained.history.last().map(|r| r.accuracy),
        "val_loss": trained.validation.map(|v| v.loss),
        "val_accuracy": trained.validation.map(|v| v.accuracy),
        "n_train": train_idx.len(),
        "n_val": val_idx.len(),
        "epochs": trained.history.len(),
        "model": out.join("model"),
    });
    if let Some(p) = progress.padding {
        // the training batches' token steps: real, computed (cut), and uncut (maxlen)
        metrics["padding_steps"] = serde_json::json!({ "real": p.real, "computed": p.computed, "uncut": p.uncut });
    }
    let hierarchy = tree.as_ref().and_then(|_| {
        let texts: Vec<&str> = val_idx.iter().map(|&i| examples[i].text.as_str()).collect();
        let truth: Vec<usize> = val_idx.iter().map(|&i| y[i]).collect();
        let predictions = if texts.is_empty() { Vec::new() } else { trained.saved.predict(&texts) };
        (!texts.is_empty()).then(|| crate::tree_report::comparison(&trained.saved, &truth, &predictions)).flatten()
    });
    if let Some(c) = &hierarchy {
        // flat and top-down on the validation part: per level, leaf and hierarchical scores
        metrics["hierarchy"] = serde_json::to_value(c)?;
    }
    write_atomic(&out.join("metrics.json"), serde_json::to_string_pretty(&metrics)?.as_bytes())?;
    if let Some(c) = hierarchy.as_ref().filter(|_| !a.json) {
        println!("Validation part, label tree (flat and top-down decoding of the same model):");
        print!("{}", crate::tree_report::comparison_table(c));
    }
    if !trained.probes.is_empty() {
        write_atomic(&out.join("probes.json"), serde_json::to_string_pretty(&trained.probes)?.as_bytes())?;
        // under --json, stdout is the one metrics object; the probes are in probes.json
        for sp in trained.probes.iter().filter(|_| !a.json) {
            println!("Linear probes after stage {} [{}] (logistic regression, val accuracy):", sp.stage, sp.name);
            print!("{}", probe_table(&sp.probes));
        }
    }
    if let Some(why) = &trained.diverged {
        anyhow::bail!(
            "{why}; the last good model is saved in {} (hint: lower --lr, or check the data)",
            out.join("model").display()
        );
    }
    if a.json {
        println!("{metrics}");
        return Ok(());
    }
    match trained.validation {
        Some(v) => println!(
            "val_accuracy {:.4}  val_loss {:.4}  model saved to {}",
            v.accuracy,
            v.loss,
            out.join("model").display()
        ),
        None => println!("model saved to {}", out.join("model").display()),
    }
    Ok(())
}

/// Whether `--level-workers` is 1: every level stepped together, as before the flag.
fn lock_step(level_workers: &usize) -> bool {
    *level_workers == 1
}
