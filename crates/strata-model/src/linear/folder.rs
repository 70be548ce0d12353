//! Linear model folders: the same three files as every model — `config.json` (`format:
//! "strata-linear"`, the [`LinearConfig`], the labels, the tokenizer settings),
//! `model.safetensors` (`input` and `output` under those names) and `vocab.json` (the
//! dictionary: words and counts) — written atomically, read back with a clear error for every
//! missing or damaged piece. A model with per-level heads also has `level_heads` in
//! config.json (each upper level's node of every class) and `level_output` in the tensors.

use std::collections::HashSet;
use std::path::Path;

use safetensors::tensor::SafeTensors;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use strata_data::{DataError, LabelMap};
use strata_text::{Segmenter, TokenizerConfig};

use crate::folder::{err, format_of, read_tensor, tensors_file, write_dir_atomic, RETRAIN};
use crate::label_structure::LabelStructure;
use crate::linear::{Dictionary, LinearConfig, LinearModel, LINEAR_FORMAT, LINEAR_FORMAT_VERSION};
use crate::owned::Owned;
use strata_nn::linear_sgd::level_nodes;

/// `config.json` of a linear model.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinearFile {
    format: String,
    format_version: u32,
    strata_version: String,
    model: LinearConfig,
    /// Hugging Face's shape: `{"0": "neg", "1": "pos"}`.
    id2label: Map<String, Value>,
    /// Its inverse, `{"neg": 0, "pos": 1}` (absent in folders written before issue 15).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    label2id: Map<String, Value>,
    /// Several labels a text with their thresholds, or a tree's separator and decoding (issue
    /// 15); absent for one label a text, so single-label folders keep their bytes.
    #[serde(default, skip_serializing_if = "LabelStructure::is_single")]
    label_structure: LabelStructure,
    /// `train --reject-below P` (issue 15 point 4): read by predict, test and serve through
    /// `stored_reject`; absent when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reject_below: Option<f32>,
    /// `--hierarchy per-level`: for each upper level of the label tree, the node of every class
    /// (its head's rows are `level_output`); absent for a flat model, whose bytes stay as they were.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    level_heads: Vec<Vec<usize>>,
    tokenizer: TokenizerConfig,
}

/// `vocab.json` of a linear model: the dictionary, most frequent word first.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VocabFile {
    words: Vec<String>,
    counts: Vec<u64>,
}

pub fn save(dir: &Path, model: &LinearModel) -> Result<(), DataError> {
    save_with(dir, model, &[])
}

/// [`save`], with `extra` files (the model card, `README.md`) written in the same atomic step.
pub fn save_with(dir: &Path, model: &LinearModel, extra: &[(&str, Vec<u8>)]) -> Result<(), DataError> {
    let file = LinearFile {
        format: LINEAR_FORMAT.into(),
        format_version: LINEAR_FORMAT_VERSION,
        strata_version: env!("CARGO_PKG_VERSION").into(),
        model: model.config.clone(),
        id2label: match model.labels.id2label() {
            Value::Object(m) => m,
            _ => unreachable!("id2label is an object"),
        },
        label2id: match model.labels.label2id() {
            Value::Object(m) => m,
            _ => unreachable!("label2id is an object"),
        },
        label_structure: model.structure.clone(),
        reject_below: None,
        level_heads: model.levels.clone(),
        tokenizer: model.tokenizer.clone(),
    };
    let vocab = VocabFile { words: model.dict.words.clone(), counts: model.dict.counts.clone() };
    let dim = model.config.dim;
    let mut tensors = vec![
        ("input".to_string(), vec![model.rows(), dim], model.input.as_slice()),
        ("output".to_string(), vec![model.labels.len(), dim], model.output.as_slice()),
    ];
    if !model.levels.is_empty() {
        tensors.push(("level_output".to_string(), vec![level_rows(&model.levels), dim], model.level_output.as_slice()));
    }
    let tensors = tensors_file(tensors);
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("config.json", serde_json::to_vec_pretty(&file).expect("config serialises")),
        ("model.safetensors", tensors),
        ("vocab.json", serde_json::to_vec(&vocab).expect("vocabulary serialises")),
    ];
    files.extend(extra.iter().cloned());
    write_dir_atomic(dir, Owned::Model, &files)
}

/// Rows of all the level heads together.
fn level_rows(levels: &[Vec<usize>]) -> usize {
    levels.iter().map(|n| level_nodes(n)).sum()
}

/// What in a config no model can be read with (n-grams with no bucket to hash them into, …).
fn config_problem(c: &LinearConfig) -> Option<String> {
    if c.dim == 0 {
        return Some("dim is 0".into());
    }
    if c.word_ngrams == 0 {
        return Some("word_ngrams is 0".into());
    }
    if c.buckets == 0 && (c.word_ngrams > 1 || c.maxn > 0) {
        return Some("buckets is 0 but the model has n-grams to hash".into());
    }
    None
}

/// A linear model folder from the bytes of its three files (`dir` names them in errors).
pub fn parse_folder(dir: &Path, config: &[u8], tensors: &[u8], vocab: &[u8]) -> Result<LinearModel, DataError> {
    let cfg_path = dir.join("config.json");
    if let Some(format) = format_of(config).filter(|f| f != LINEAR_FORMAT) {
        return Err(err(&cfg_path, format!("format is '{format}', not '{LINEAR_FORMAT}'"), RETRAIN));
    }
    let file: LinearFile =
        serde_json::from_slice(config).map_err(|e| err(&cfg_path, format!("corrupt: {e}"), RETRAIN))?;
    if file.format_version > LINEAR_FORMAT_VERSION {
        return Err(err(
            &cfg_path,
            format!("format_version {} is newer than this strata reads ({LINEAR_FORMAT_VERSION})", file.format_version),
            "upgrade strata",
        ));
    }
    if let Some(problem) = config_problem(&file.model) {
        return Err(err(&cfg_path, problem, RETRAIN));
    }
    let t = &file.tokenizer;
    if t.segmenter == Segmenter::Keras && !t.char_level && t.split.is_empty() {
        return Err(err(&cfg_path, "the tokenizer's split is empty", RETRAIN));
    }
    let labels = crate::folder::labels_of(&file.id2label, &cfg_path)?;
    if labels.is_empty() {
        return Err(err(&cfg_path, "id2label is empty", RETRAIN));
    }
    crate::folder::check_label2id(&file.label2id, &labels, &cfg_path)?;
    if let Some((l, n)) = file.level_heads.iter().enumerate().find(|(_, n)| n.len() != labels.len()) {
        let problem = format!("level_heads[{l}] has {} nodes for {} labels", n.len(), labels.len());
        return Err(err(&cfg_path, problem, RETRAIN));
    }
    // every node a head has is some class's, so a damaged map cannot ask for huge heads
    if let Some(l) = file.level_heads.iter().position(|n| level_nodes(n) > labels.len()) {
        return Err(err(&cfg_path, format!("level_heads[{l}] names a node past its {} labels", labels.len()), RETRAIN));
    }

    let vocab_path = dir.join("vocab.json");
    let v: VocabFile = serde_json::from_slice(vocab).map_err(|e| err(&vocab_path, format!("corrupt: {e}"), RETRAIN))?;
    if v.words.len() != v.counts.len() {
        return Err(err(&vocab_path, format!("{} words but {} counts", v.words.len(), v.counts.len()), RETRAIN));
    }
    let mut seen = HashSet::with_capacity(v.words.len());
    if let Some(w) = v.words.iter().find(|w| !seen.insert(w.as_str())) {
        return Err(err(&vocab_path, format!("the word '{w}' is listed twice"), RETRAIN));
    }
    let dict = Dictionary::from_words(v.words, v.counts);

    let st_path = dir.join("model.safetensors");
    let dim = file.model.dim;
    let rows = dict.len().checked_add(file.model.buckets).filter(|&r| r <= u32::MAX as usize);
    let Some(rows) = rows else {
        return Err(err(&cfg_path, "more input rows (words + buckets) than strata can index", RETRAIN));
    };
    // Check the sizes before allocating: a damaged config must not ask for terabytes.
    let needed = (rows + labels.len() + level_rows(&file.level_heads)).checked_mul(dim).and_then(|n| n.checked_mul(4));
    if needed.is_none_or(|n| n > tensors.len()) {
        return Err(err(&st_path, "corrupt: smaller than config.json and vocab.json describe", RETRAIN));
    }
    let st = SafeTensors::deserialize(tensors).map_err(|e| err(&st_path, format!("corrupt: {e}"), RETRAIN))?;
    let read = |name: &str, shape: [usize; 2]| -> Result<Vec<f32>, DataError> {
        let mut data = vec![0.0; shape[0] * shape[1]];
        read_tensor(&st, name, &shape, &st_path, &mut data)?;
        Ok(data)
    };
    let input = read("input", [rows, dim])?;
    let output = read("output", [labels.len(), dim])?;
    let level_output = if file.level_heads.is_empty() {
        Vec::new()
    } else {
        read("level_output", [level_rows(&file.level_heads), dim])?
    };
    Ok(LinearModel {
        config: file.model,
        tokenizer: file.tokenizer,
        dict,
        labels: LabelMap::from_vec(labels),
        input,
        output,
        structure: file.label_structure,
        levels: file.level_heads,
        level_output,
    })
}
