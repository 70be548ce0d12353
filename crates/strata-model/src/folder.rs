//! Model folders: `config.json`, `model.safetensors` and `vocab.json`, written atomically and
//! read back with a clear error for every missing or damaged piece.
//!
//! A folder is written whole into a temporary sibling and renamed into place (`atomic.rs`), so a
//! crash or a full disk never leaves a half-written model where a good one was. Single files
//! (history, metrics) go through a temporary file and a rename for the same reason.

use crate::encode::{encode_texts, Encoding};
use crate::limits::{ids_per_text, MAX_IDS_PER_TEXT, MAX_LAYERS};
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use strata_data::{DataError, LabelMap};
use strata_text::{PadSequences, Side, Tokenizer, VocabError};

pub use crate::atomic::{recover_dir, write_atomic, write_dir_atomic};
use crate::error::ModelError;
use crate::label_structure::LabelStructure;
use crate::model::{Model, ModelConfig};
use crate::owned::Owned;

pub const MODEL_FORMAT: &str = "strata-model";
pub const MODEL_FORMAT_VERSION: u32 = 1;
/// What `strata pretrain` writes in the same three files (`pretrained.rs`): levels, no
/// classifier. Named here so that loading a model can refuse one by name.
pub const PRETRAINED_FORMAT: &str = "strata-pretrained";
/// What a linear model folder says it is (`linear/folder.rs`).
pub const LINEAR_FORMAT: &str = "strata-linear";

/// The `format` field of a `config.json`, if it has one (for telling folder kinds apart).
pub fn format_of(config_json: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(config_json).ok()?;
    v.get("format")?.as_str().map(str::to_string)
}

/// `config.json`: what the model is and how to turn text into its input.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub format: String,
    pub format_version: u32,
    pub strata_version: String,
    pub model: ModelConfig,
    /// Hugging Face's shape: `{"0": "neg", "1": "pos"}`.
    pub id2label: Map<String, Value>,
    /// Its inverse, `{"neg": 0, "pos": 1}`, as Hugging Face writes it beside `id2label`
    /// (absent in folders written before issue 15).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub label2id: Map<String, Value>,
    /// One label per text, several, or a tree (absent before issue 15: one).
    #[serde(default)]
    pub label_structure: LabelStructure,
    /// `train --reject-below P` (issue 15 point 4): read by predict, test and serve through
    /// `stored_reject`; absent when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_below: Option<f32>,
    pub maxlen: usize,
    pub padding: Side,
    pub truncating: Side,
}

/// Everything needed to predict: the model, its tokenizer, its labels, its padding.
#[derive(Clone, Debug)]
pub struct SavedModel {
    pub model: Model,
    pub tokenizer: Tokenizer,
    pub labels: LabelMap,
    pub pad: PadSequences,
    /// How the labels are read (`config.json`'s `label_structure`).
    pub structure: LabelStructure,
}

impl SavedModel {
    /// How this model's input is encoded.
    pub fn encoding(&self) -> Encoding {
        Encoding { pad: self.pad, sentences: self.model.config.sentences() }
    }

    /// Ids for `texts`, `[N, ids_per_text]`, as the model reads them.
    pub fn encode<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Vec<u32> {
        encode_texts(&self.tokenizer, texts, &self.encoding())
    }
}

pub(crate) fn err(path: &Path, message: impl Into<String>, hint: &str) -> DataError {
    DataError::new(&path.display().to_string(), None, message, hint)
}

pub(crate) const RETRAIN: &str =
    "the model folder is incomplete or damaged; retrain it with `strata train` or restore it";

/// The F32 tensor `name` of `st` (its file `path`) into `dst`, refused in one error naming it
/// when it is missing, of another type or `shape`, or holds a NaN or infinite weight (which
/// makes every score NaN, read as a confident label) — for every model folder.
pub(crate) fn read_tensor(
    st: &SafeTensors,
    name: &str,
    shape: &[usize],
    path: &Path,
    dst: &mut [f32],
) -> Result<(), DataError> {
    let t = st.tensor(name).map_err(|_| err(path, format!("tensor '{name}' is missing"), RETRAIN))?;
    if t.dtype() != Dtype::F32 || t.shape() != shape {
        let problem = format!("tensor '{name}' is {:?} {:?}, expected F32 {shape:?}", t.dtype(), t.shape());
        return Err(err(path, problem, RETRAIN));
    }
    for (d, c) in dst.iter_mut().zip(t.data().chunks_exact(4)) {
        *d = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    if let Some(at) = dst.iter().position(|v| !v.is_finite()) {
        return Err(err(
            path,
            format!("tensor '{name}' holds {} at index {at}", dst[at]),
            "the weights are damaged; retrain the model or restore the folder",
        ));
    }
    Ok(())
}

/// The labels of a `config.json`'s `id2label` (`{"0": "neg", "1": "pos"}`), in id order; a
/// missing id or a label with a NUL is an error naming the file (both model families).
pub fn labels_of(id2label: &Map<String, Value>, cfg_path: &Path) -> Result<Vec<String>, DataError> {
    let mut labels = Vec::with_capacity(id2label.len());
    for i in 0..id2label.len() {
        match id2label.get(&i.to_string()).and_then(Value::as_str) {
            Some(l) if l.contains('\0') => {
                return Err(err(cfg_path, format!("the label of id {i} contains a NUL character"), RETRAIN))
            }
            Some(l) => labels.push(l.to_string()),
            None => return Err(err(cfg_path, format!("id2label has no string for id {i}"), RETRAIN)),
        }
    }
    Ok(labels)
}

/// A `config.json`'s `label2id` (`{"neg": 0, "pos": 1}`), where it has one (folders before
/// issue 15 do not), must be the inverse of its `id2label` (`labels`, in id order): a label
/// it lacks, gives another id, or names no label is an error naming the file.
pub fn check_label2id(label2id: &Map<String, Value>, labels: &[String], cfg_path: &Path) -> Result<(), DataError> {
    if label2id.is_empty() {
        return Ok(());
    }
    const HINT: &str = "label2id must be id2label's inverse: fix or remove label2id, or retrain the model";
    for (id, label) in labels.iter().enumerate() {
        match label2id.get(label).and_then(Value::as_u64) {
            Some(v) if v == id as u64 => {}
            Some(v) => {
                let message = format!("label2id gives '{label}' id {v}, and id2label gives it id {id}");
                return Err(err(cfg_path, message, HINT));
            }
            None => return Err(err(cfg_path, format!("label2id has no id for '{label}' of id2label"), HINT)),
        }
    }
    if let Some(extra) = label2id.keys().find(|l| !labels.contains(l)) {
        return Err(err(cfg_path, format!("label2id names '{extra}', which id2label does not have"), HINT));
    }
    Ok(())
}

/// Resolves a user's `--model DIR`: the model folder itself, or a run folder holding `model/`.
pub fn resolve(dir: &Path) -> PathBuf {
    let inner = dir.join("model");
    if !dir.join("config.json").exists() && inner.join("config.json").exists() {
        inner
    } else {
        dir.to_path_buf()
    }
}

/// A safetensors file of named f32 tensors, written here rather than by the crate so that the
/// header's key order (and so the file's bytes) is the same on every run: the crate keeps
/// `__metadata__` in a `HashMap`. Layout: u64 LE header length, JSON header padded with spaces
/// to 8 bytes, then the tensors' little-endian data in header order. Reading uses the crate.
pub fn tensors_file<'a>(tensors: impl IntoIterator<Item = (String, Vec<usize>, &'a [f32])>) -> Vec<u8> {
    let tensors: Vec<(String, Vec<usize>, &[f32])> = tensors.into_iter().collect();
    let mut header = Map::new();
    header.insert(
        "__metadata__".into(),
        serde_json::json!({"format": "strata", "format_version": MODEL_FORMAT_VERSION.to_string()}),
    );
    let mut offset = 0usize;
    for (name, shape, data) in &tensors {
        let len = data.len() * 4;
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len]}),
        );
        offset += len;
    }
    let mut json = serde_json::to_vec(&Value::Object(header)).expect("header serialises");
    json.resize(json.len().div_ceil(8) * 8, b' ');
    let mut out = Vec::with_capacity(8 + json.len() + offset);
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    for (_, _, data) in &tensors {
        out.extend(data.iter().flat_map(|v| v.to_le_bytes()));
    }
    out
}

fn safetensors_bytes(model: &Model) -> Vec<u8> {
    tensors_file(
        model.params.specs.iter().map(|s| (s.name.clone(), s.shape.clone(), &model.params.data[s.range.clone()])),
    )
}

/// Saves a model folder at `dir`, replacing any previous one only once the new one is whole,
/// and only if strata wrote it (`owned.rs`); the folder carries the model's marker.
pub fn save(dir: &Path, saved: &SavedModel) -> Result<(), DataError> {
    save_with(dir, saved, &[])
}

/// [`save`], with `extra` files (the model card, `README.md`) written in the same atomic step.
pub fn save_with(dir: &Path, saved: &SavedModel, extra: &[(&str, Vec<u8>)]) -> Result<(), DataError> {
    let file = ModelFile {
        format: MODEL_FORMAT.into(),
        format_version: MODEL_FORMAT_VERSION,
        strata_version: env!("CARGO_PKG_VERSION").into(),
        model: saved.model.config.clone(),
        id2label: match saved.labels.id2label() {
            Value::Object(m) => m,
            _ => unreachable!("id2label is an object"),
        },
        label2id: match saved.labels.label2id() {
            Value::Object(m) => m,
            _ => unreachable!("label2id is an object"),
        },
        label_structure: saved.structure.clone(),
        reject_below: None,
        maxlen: saved.pad.maxlen,
        padding: saved.pad.padding,
        truncating: saved.pad.truncating,
    };
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("config.json", serde_json::to_vec_pretty(&file).expect("config serialises")),
        ("model.safetensors", safetensors_bytes(&saved.model)),
        ("vocab.json", saved.tokenizer.to_json().into_bytes()),
    ];
    files.extend(extra.iter().cloned());
    write_dir_atomic(dir, Owned::Model, &files)
}

fn read(path: &Path) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|e| {
        let what =
            if e.kind() == std::io::ErrorKind::NotFound { "missing".to_string() } else { format!("cannot read: {e}") };
        err(path, what, RETRAIN)
    })
}

/// Loads a model folder (or a run folder containing `model/`).
pub fn load(dir: &Path) -> Result<SavedModel, DataError> {
    let dir = resolve(dir);
    if !dir.is_dir() {
        return Err(err(&dir, "no such model folder", "pass the --out folder of `strata train`"));
    }
    let [config, tensors, vocab] = read_files(&dir)?;
    parse_folder(&dir, &config, &tensors, &vocab)
}

/// The bytes of a model folder's three files, `config.json`, `model.safetensors` and
/// `vocab.json`; a missing one is an error naming it.
pub fn read_files(dir: &Path) -> Result<[Vec<u8>; 3], DataError> {
    if !dir.is_dir() {
        return Err(err(dir, "no such model folder", "pass the --out folder of `strata train`"));
    }
    Ok([read(&dir.join("config.json"))?, read(&dir.join("model.safetensors"))?, read(&dir.join("vocab.json"))?])
}

/// A model folder from the bytes of its three files (`dir` names them in errors).
pub fn parse_folder(dir: &Path, config: &[u8], tensors: &[u8], vocab: &[u8]) -> Result<SavedModel, DataError> {
    let cfg_path = dir.join("config.json");
    if format_of(config).as_deref() == Some(PRETRAINED_FORMAT) {
        return Err(err(
            dir,
            "holds pretrained levels, not a classifier",
            "use it with --init-from DIR in train, cv or experiment; predict, test and serve need a trained model",
        ));
    }
    if format_of(config).as_deref() == Some(LINEAR_FORMAT) {
        return Err(err(
            dir,
            "holds a linear model, which has no levels",
            "--init-from and probe need a network's folder (any --model but linear)",
        ));
    }
    let file: ModelFile =
        serde_json::from_slice(config).map_err(|e| err(&cfg_path, format!("corrupt: {e}"), RETRAIN))?;
    if file.format != MODEL_FORMAT {
        return Err(err(&cfg_path, format!("format is '{}', not '{MODEL_FORMAT}'", file.format), RETRAIN));
    }
    if file.format_version > MODEL_FORMAT_VERSION {
        return Err(err(
            &cfg_path,
            format!("format_version {} is newer than this strata reads ({MODEL_FORMAT_VERSION})", file.format_version),
            "upgrade strata",
        ));
    }
    // Placing a layer scans the layers above it (quadratic in the list): bound it first.
    if file.model.layers.len() > MAX_LAYERS {
        let n = file.model.layers.len();
        return Err(err(&cfg_path, format!("{n} layers, more than strata's limit of {MAX_LAYERS}"), RETRAIN));
    }
    file.model.validate().map_err(|m| {
        // the model's own hints speak of flags; for a folder, the folder's hint is the one
        let m = m.to_string();
        err(&cfg_path, m.split(" (hint: ").next().unwrap_or(&m), RETRAIN)
    })?;
    if file.maxlen == 0 {
        return Err(err(&cfg_path, "maxlen is 0", RETRAIN));
    }
    let sentences = file.model.sentences();
    if ids_per_text(file.maxlen, sentences).is_none() {
        let per = sentences.map(|s| format!(" × {s} sentences")).unwrap_or_default();
        return Err(err(
            &cfg_path,
            format!("maxlen {}{per} is more than strata's limit of {MAX_IDS_PER_TEXT} ids per text", file.maxlen),
            RETRAIN,
        ));
    }
    if let Err(ModelError::TooFewSteps { maxlen, needed }) = file.model.check_steps(file.maxlen) {
        let problem = format!("maxlen {maxlen} is shorter than the widest convolution ({needed})");
        return Err(err(&cfg_path, problem, RETRAIN));
    }
    let labels = labels_of(&file.id2label, &cfg_path)?;
    check_label2id(&file.label2id, &labels, &cfg_path)?;
    if labels.len() != file.model.num_classes {
        return Err(err(&cfg_path, format!("{} labels for {} classes", labels.len(), file.model.num_classes), RETRAIN));
    }
    check_multi_label(&file, labels.len(), &cfg_path)?;

    let st_path = dir.join("model.safetensors");
    // Check the sizes before allocating: a damaged config must not ask for terabytes.
    match file.model.param_count() {
        Some(n) if n.saturating_mul(4) <= tensors.len() => {}
        _ => return Err(err(&st_path, "corrupt: smaller than config.json describes", RETRAIN)),
    }
    let tensors = SafeTensors::deserialize(tensors).map_err(|e| err(&st_path, format!("corrupt: {e}"), RETRAIN))?;
    let mut model = Model::zeros(file.model.clone());
    for spec in model.params.specs.clone() {
        read_tensor(&tensors, &spec.name, &spec.shape, &st_path, &mut model.params.data[spec.range.clone()])?;
    }

    let vocab_path = dir.join("vocab.json");
    let text = std::str::from_utf8(vocab).map_err(|_| err(&vocab_path, "corrupt: not UTF-8", RETRAIN))?;
    let tokenizer = Tokenizer::from_json(text, &vocab_path.display().to_string()).map_err(|e| match e {
        VocabError::Version { found, .. } => err(
            &vocab_path,
            format!("vocabulary format_version {found} is newer than this strata reads"),
            "upgrade strata",
        ),
        VocabError::Parse { detail, .. } => err(&vocab_path, format!("corrupt: {detail}"), RETRAIN),
    })?;
    if tokenizer.vocab_size() > file.model.vocab_size {
        return Err(err(
            &vocab_path,
            format!("vocabulary needs {} ids but the model has {}", tokenizer.vocab_size(), file.model.vocab_size),
            RETRAIN,
        ));
    }
    // `vocab_size` counts the words kept by `num_words`; the OOV id is given even past it.
    let oov = tokenizer.config.oov_token.as_ref().and_then(|t| tokenizer.word_index().get(t));
    if let Some(&id) = oov.filter(|&&id| id as usize >= file.model.vocab_size) {
        return Err(err(
            &vocab_path,
            format!("the OOV token's id {id} is outside the model's {} ids", file.model.vocab_size),
            RETRAIN,
        ));
    }
    Ok(SavedModel {
        model,
        tokenizer,
        labels: LabelMap::from_vec(labels),
        pad: PadSequences { maxlen: file.maxlen, padding: file.padding, truncating: file.truncating },
        structure: file.label_structure,
    })
}

/// A multi-label network (issue 15, point 2) says so twice: `model.multi_label` (its head's
/// width) and `label_structure` (its thresholds, one per label, each a probability); the two
/// must agree.
fn check_multi_label(file: &ModelFile, labels: usize, cfg_path: &Path) -> Result<(), DataError> {
    match (&file.label_structure, file.model.multi_label) {
        (LabelStructure::Multi { thresholds }, true) => {
            if thresholds.len() != labels {
                let problem = format!("{} thresholds for {labels} labels", thresholds.len());
                return Err(err(cfg_path, problem, RETRAIN));
            }
            if let Some(t) = thresholds.iter().find(|t| !(0.0..=1.0).contains(*t)) {
                return Err(err(cfg_path, format!("threshold {t} is not a probability"), RETRAIN));
            }
            Ok(())
        }
        (LabelStructure::Multi { .. }, false) => {
            Err(err(cfg_path, "label_structure is multi but the model is not multi_label", RETRAIN))
        }
        (_, true) => Err(err(cfg_path, "the model is multi_label but label_structure is not multi", RETRAIN)),
        _ => Ok(()),
    }
}
