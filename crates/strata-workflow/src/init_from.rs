//! `--init-from DIR`: a new model starts from an earlier model's tensors. DIR is a trained
//! model folder or a `strata pretrain` folder. Every tensor below the head whose dotted name and
//! shape match one in DIR's `model.safetensors` is copied in; the head (a classifier for DIR's
//! own labels), any tensor DIR lacks, and DIR's tensors no classifier has (a language model's
//! `lm_decoder.*`) are left aside. A tensor of the same name but another shape, or a folder
//! sharing no tensor, is an error: the user asked for weights that cannot be carried over;
//! [`check`] finds it from the shapes alone, so commands refuse before any work.
//!
//! A multichannel model's static copy (`embedding.static_weight`) starts from DIR's own static
//! copy when DIR has one, else from DIR's `embedding.weight`: both channels start from the same
//! vectors, as in Kim's CNN-multichannel.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_data::{DataError, LabelMap};
use strata_model::model::{Model, ModelSettings, STATIC_EMBEDDING};
use strata_model::pretrained::{self, PRETRAINED_FORMAT};
use strata_nn::{ParamSpec, ParamStore};
use strata_text::Tokenizer;

/// Which kind of folder `--init-from` named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderKind {
    /// A trained classifier (`strata train`'s model folder).
    Classifier,
    /// Levels learned from unlabelled text (`strata pretrain`'s folder).
    Pretrained,
}

/// The folder `--init-from` names, read once: every fold of a cross-validation starts from the
/// same copy.
#[derive(Clone, Debug)]
pub struct InitFrom {
    /// As the user gave it, for messages.
    pub dir: PathBuf,
    /// Its vocabulary: the new model's.
    pub tokenizer: Tokenizer,
    /// Every tensor the folder holds (a classifier's head, a language model's `lm_decoder.*`
    /// included; `copy_tensors` skips both).
    pub tensors: Arc<ParamStore>,
    pub kind: FolderKind,
    /// A classifier's labels, in its class order (`None` for a pretrained folder): the head
    /// rows a continued model starts from (`continue_head`).
    pub labels: Option<LabelMap>,
    /// Whether the head continues from the folder's rows for the labels it knows
    /// (`continue_head`): set by `train` and `cv` when the folder is a classifier sharing a
    /// label with the data; off, the head starts fresh (experiment and tune compare levels).
    pub continue_head: bool,
}

impl InitFrom {
    /// Reads a model folder or a pretrained folder (or a run folder holding either as model/).
    pub fn load(dir: &Path) -> Result<Self, DataError> {
        let resolved = strata_model::folder::resolve(dir);
        let config = std::fs::read(resolved.join("config.json")).ok();
        let is_pretrained = config.as_deref().and_then(pretrained::format_of).is_some_and(|f| f == PRETRAINED_FORMAT);
        if config.is_none() && started_by_pretrain(dir) {
            return Err(DataError::new(
                &dir.join("model").display().to_string(),
                None,
                "does not exist yet: this `strata pretrain` run did not finish",
                format!("resume it with `strata pretrain --resume {}`", dir.display()),
            ));
        }
        let (tokenizer, tensors, kind, labels) = if is_pretrained {
            let p = pretrained::load(&resolved)?;
            (p.tokenizer, p.tensors, FolderKind::Pretrained, None)
        } else {
            let saved = strata_model::folder::load(dir)?;
            (saved.tokenizer, saved.model.params, FolderKind::Classifier, Some(saved.labels))
        };
        Ok(InitFrom {
            dir: dir.to_path_buf(),
            tokenizer,
            tensors: Arc::new(tensors),
            kind,
            labels,
            continue_head: false,
        })
    }
}

/// Whether the run folder `dir`'s `args.json` (the command line that started it, as an object
/// with `argv` or, from older strata, the bare list) names the `pretrain` command, skipping the
/// global flags (`--threads N`, `-q`, `-v`) that may come before it.
fn started_by_pretrain(dir: &Path) -> bool {
    let Some(json) = std::fs::read(dir.join("args.json")).ok().and_then(|b| serde_json::from_slice(&b).ok()) else {
        return false;
    };
    let json: serde_json::Value = json;
    let Some(argv) = json.get("argv").unwrap_or(&json).as_array() else { return false };
    let mut args = argv.iter().skip(1).filter_map(serde_json::Value::as_str);
    while let Some(arg) = args.next() {
        if arg == "--threads" {
            args.next();
        } else if !arg.starts_with('-') {
            return arg == "pretrain";
        }
    }
    false
}

/// Whether `init`'s tensors fit the model `model` makes over the folder's vocabulary: every
/// refusal of [`copy_tensors`], from the shapes alone, before any data is read, folder claimed
/// or language model fine-tuned. The head is never copied, so the class count is immaterial.
/// A model the settings cannot lay out is left to its own refusal (`ModelConfig::validate`).
pub fn check(model: &ModelSettings, init: &InitFrom) -> Result<(), DataError> {
    let config = model.config(init.tokenizer.vocab_size(), 2);
    let Some(shapes) = config.tensor_shapes() else { return Ok(()) };
    let shapes: Vec<(&str, &[usize])> = shapes.iter().map(|(n, s)| (n.as_str(), s.as_slice())).collect();
    sources(&shapes, &init.tensors, &init.dir).map(|_| ())
}

/// Copies `from`'s matching tensors into `model`; returns the line to print,
/// `Init from DIR: loaded embedding, lstm_0; fresh: head`. `dir` names the folder in messages.
pub fn copy_tensors(model: &mut Model, from: &ParamStore, dir: &Path) -> Result<String, DataError> {
    let (loaded, fresh) = copy_named(model, from, dir)?;
    Ok(init_line(dir, &loaded, &fresh))
}

/// [`copy_tensors`] from `init`, and, when `init` is a classifier the head continues from
/// (`InitFrom::continue_head`), its head's rows for the labels of `labels` it knows: the line names them,
/// `Init from DIR: loaded embedding, lstm_0, head rows of a, b; fresh: head rows of c`.
pub fn copy_tensors_continuing(model: &mut Model, init: &InitFrom, labels: &LabelMap) -> Result<String, DataError> {
    let (mut loaded, mut fresh) = copy_named(model, &init.tensors, &init.dir)?;
    let theirs = init.labels.as_ref().filter(|_| init.continue_head);
    let copied = theirs.and_then(|theirs| crate::continue_head::copy_head_rows(model, labels, &init.tensors, theirs));
    if let Some(copied) = copied {
        let new: Vec<&str> = labels.labels().iter().filter(|l| !copied.contains(l)).map(String::as_str).collect();
        fresh.retain(|n| n != "head");
        loaded.push(format!("head rows of {}", copied.join(", ")));
        if !new.is_empty() {
            fresh.push(format!("head rows of {}", new.join(", ")));
        }
    }
    Ok(init_line(&init.dir, &loaded, &fresh))
}

/// The vocabulary line of a run that starts from `init`: its vocabulary is kept (the new texts
/// never re-index it), and this many of the training texts' tokens are out of it (no id of
/// their own: the OOV token's, or dropped), with the words most often out, since a tokenizer
/// that writes a frequent word differently from the pretraining text shows there first (SST's
/// `n't` against IMDB's `doesn't`): `Vocabulary of DIR kept (1,203 words): 310 of 4,418 tokens
/// of the training texts (7.0%) are out of it, most often n't 52, lrb 20, 're 9`.
pub fn vocabulary_line(init: &InitFrom, texts: &[&str]) -> String {
    let tokenizer = &init.tokenizer;
    let oov = tokenizer.config.oov_token.as_ref().and_then(|t| tokenizer.word_index().get(t)).copied();
    let mut tokens = 0u64;
    let mut out: HashMap<String, u64> = HashMap::new();
    for text in texts {
        for (word, id) in tokenizer.token_ids(text) {
            tokens += 1;
            if id.is_none() || id == oov {
                *out.entry(word).or_default() += 1;
            }
        }
    }
    let total: u64 = out.values().sum();
    let percent = if tokens == 0 { 0.0 } else { 100.0 * total as f64 / tokens as f64 };
    let words = tokenizer.word_index().len().min(tokenizer.vocab_size().saturating_sub(1));
    let mut line = format!(
        "Vocabulary of {} kept ({} words): {} of {} tokens of the training texts ({percent:.1}%) are out of it",
        init.dir.display(),
        strata_train::history::thousands(words as u64),
        strata_train::history::thousands(total),
        strata_train::history::thousands(tokens)
    );
    if !out.is_empty() {
        line.push_str(", most often ");
        line.push_str(&most_often(out, MOST_OFTEN_SHOWN));
    }
    line
}

/// How many of the words most often out of a kept vocabulary its line names.
const MOST_OFTEN_SHOWN: usize = 5;

/// `n't 535, rrb 287, lrb 286`: the `shown` most frequent words, ties in word order.
fn most_often(counts: HashMap<String, u64>, shown: usize) -> String {
    let mut counts: Vec<(String, u64)> = counts.into_iter().collect();
    counts.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.truncate(shown);
    counts.iter().map(|(w, n)| format!("{w} {}", strata_train::history::thousands(*n))).collect::<Vec<_>>().join(", ")
}

/// Copies `from`'s matching tensors into `model`; returns the layers loaded and left fresh.
fn copy_named(model: &mut Model, from: &ParamStore, dir: &Path) -> Result<(Vec<String>, Vec<String>), DataError> {
    let specs = model.params.specs.clone();
    let shapes: Vec<(&str, &[usize])> = specs.iter().map(|s| (s.name.as_str(), s.shape.as_slice())).collect();
    let (sources, loaded, fresh) = sources(&shapes, from, dir)?;
    for (spec, src) in specs.iter().zip(sources) {
        if let Some(src) = src {
            model.params.data[spec.range.clone()].copy_from_slice(&from.data[src.range.clone()]);
        }
    }
    Ok((loaded, fresh))
}

/// `Init from DIR: loaded embedding, lstm_0; fresh: head`.
fn init_line(dir: &Path, loaded: &[String], fresh: &[String]) -> String {
    let fresh = if fresh.is_empty() { "none".to_string() } else { fresh.join(", ") };
    format!("Init from {}: loaded {}; fresh: {fresh}", dir.display(), loaded.join(", "))
}

/// Where each of the new model's tensors (`shapes`: name and shape, in store order) starts
/// from: `from`'s tensor of that name (a static copy's from `embedding.weight` when `from`
/// has none), or nothing (fresh; the head always: its rows are `continue_head`'s); with the
/// layers loaded and left fresh. A tensor of the same name and another shape, or no tensor
/// shared, is the error.
type Sources<'a> = (Vec<Option<&'a ParamSpec>>, Vec<String>, Vec<String>);
fn sources<'a>(shapes: &[(&str, &[usize])], from: &'a ParamStore, dir: &Path) -> Result<Sources<'a>, DataError> {
    let shown = dir.display().to_string();
    // layers in store order, each with whether all its tensors were loaded
    let mut layers: Vec<(&str, bool)> = Vec::new();
    let mut found = Vec::with_capacity(shapes.len());
    for &(name, shape) in shapes {
        let layer = name.split('.').next().unwrap_or(name);
        let source = from
            .find(name)
            .or_else(|| (name == STATIC_EMBEDDING).then(|| from.find("embedding.weight")).flatten())
            .filter(|_| layer != "head");
        if let Some(src) = source.filter(|src| src.shape != shape) {
            // named as the folder has it (a static copy may come from `embedding.weight`)
            let message = format!("tensor {} is {:?} there and {shape:?} in the new model", src.name, src.shape);
            let hint = shape_hint(shapes, from, layer, &shown);
            return Err(DataError::new(&shown, None, message, hint));
        }
        match layers.iter_mut().find(|(n, _)| *n == layer) {
            Some((_, all)) => *all &= source.is_some(),
            None => layers.push((layer, source.is_some())),
        }
        found.push(source);
    }
    let names = |loaded: bool| -> Vec<String> {
        layers.iter().filter(|(_, l)| *l == loaded).map(|(n, _)| n.to_string()).collect()
    };
    let (loaded, fresh) = (names(true), names(false));
    if loaded.is_empty() {
        return Err(DataError::new(
            &shown,
            None,
            "shares no tensor with the new model",
            "the layer names must match: train the new model with the same --model or --model-file layers",
        ));
    }
    Ok((found, loaded, fresh))
}

/// The hint for a tensor of `layer` whose shape differs. Above the embedding, a model and a
/// folder with different channel counts differ first in the lowest level, which reads E values
/// a word from one channel and 2E from two: that, not a size flag, is what to change.
fn shape_hint(shapes: &[(&str, &[usize])], from: &ParamStore, layer: &str, shown: &str) -> String {
    let new_multichannel = shapes.iter().any(|(n, _)| *n == STATIC_EMBEDDING);
    let folder_multichannel = from.find(STATIC_EMBEDDING).is_some();
    match (new_multichannel, folder_multichannel) {
        (true, false) if layer != "embedding" => format!(
            "a multichannel model's lowest level reads both copies of the embedding and {shown}'s reads one: start it from a folder of `strata pretrain --objective skipgram` (an embedding only) or from a multichannel model, or leave out --multichannel"
        ),
        (false, true) if layer != "embedding" => format!(
            "{shown} is a multichannel model, whose lowest level reads a static copy of the embedding beside the trained one: add --multichannel"
        ),
        _ => "give the new model the folder's sizes (--model, --units, --embedding-dim, --layers)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_model::layers::LstmConfig;
    use strata_model::model::ModelConfig;
    use strata_model::pretrained::{format_version_for, Pretrained, PretrainedFile};
    use strata_text::TokenizerConfig;

    #[test]
    fn a_pretrained_folder_gives_its_vocabulary_and_named_tensors_and_never_its_decoder() {
        let root = tempfile::tempdir().unwrap();
        let mut tokenizer = Tokenizer::new(TokenizerConfig { num_words: Some(6), ..TokenizerConfig::default() });
        tokenizer.fit_on_texts(&["a b c d e"]);
        let config = ModelConfig { embedding_dim: 4, ..ModelConfig::seed(6) };
        let mut tensors = ParamStore::default();
        let r = tensors.add("embedding.weight", &[6, 4]);
        tensors.data[r].iter_mut().enumerate().for_each(|(i, v)| *v = i as f32);
        tensors.add("lm_decoder.weight", &[6, 4]);
        let file = PretrainedFile {
            format: PRETRAINED_FORMAT.into(),
            format_version: format_version_for(None, None),
            strata_version: "test".into(),
            model: config.clone(),
            levels: vec!["embedding".into()],
            objective: "skipgram".into(),
            skipgram: None,
            lm: None,
            train_documents: 1,
            train_tokens: 5,
            heldout_documents: 0,
            heldout_tokens: 0,
            text: tokenizer.config.clone(),
            seed: 0,
            init_from: None,
        };
        // a run folder holding model/, as `strata pretrain --out` writes it
        let p = Pretrained { file, tensors: tensors.clone(), tokenizer };
        pretrained::save(&root.path().join("model"), &p).unwrap();
        let init = InitFrom::load(root.path()).unwrap();
        assert_eq!(init.kind, FolderKind::Pretrained);
        assert_eq!(init.tokenizer.word_index(), p.tokenizer.word_index());
        assert!(init.tensors.find("lm_decoder.weight").is_some(), "every tensor is read");
        let mut model = Model::new(config.clone(), 1);
        let line = copy_tensors(&mut model, &init.tensors, root.path()).unwrap();
        assert!(line.ends_with("loaded embedding; fresh: lstm_0, head"), "{line}");
        assert_eq!(model.params.get("embedding.weight"), tensors.get("embedding.weight"));
        assert!(model.params.find("lm_decoder.weight").is_none());
        // another embedding width: one error line naming the tensor
        let mut wide = Model::new(ModelConfig { embedding_dim: 8, ..ModelConfig::seed(6) }, 1);
        let e = copy_tensors(&mut wide, &init.tensors, root.path()).unwrap_err().to_string();
        assert!(e.contains("embedding.weight") && e.contains("hint"), "{e}");
        let mut wide = Model::new(ModelConfig { embedding_dim: 8, multichannel: true, ..ModelConfig::seed(6) }, 1);
        let e = copy_tensors(&mut wide, &init.tensors, root.path()).unwrap_err().to_string();
        assert!(e.contains("tensor embedding.weight is [6, 4] there and [6, 8]"), "{e}");
        // multichannel: the static copy is filled from the folder's embedding.weight
        let mut two = Model::new(ModelConfig { multichannel: true, ..config.clone() }, 1);
        let line = copy_tensors(&mut two, &init.tensors, root.path()).unwrap();
        assert!(line.ends_with("loaded embedding; fresh: lstm_0, head"), "{line}");
        assert_eq!(two.params.get(STATIC_EMBEDDING), tensors.get("embedding.weight"));
        assert_eq!(two.params.get("embedding.weight"), tensors.get("embedding.weight"));
    }

    #[test]
    fn an_unfinished_pretrain_run_is_to_be_resumed_and_an_unfinished_train_run_retrained() {
        let root = tempfile::tempdir().unwrap();
        let argv =
            |cmd: &str| serde_json::json!({"argv": ["strata", "--threads", "2", cmd, "--out", "run"], "cwd": "/"});
        std::fs::write(root.path().join("args.json"), argv("pretrain").to_string()).unwrap();
        let e = InitFrom::load(root.path()).unwrap_err().to_string();
        let resume = format!("resume it with `strata pretrain --resume {}`", root.path().display());
        assert!(e.contains("did not finish") && e.contains(&resume), "{e}");
        // older strata stored the bare command line
        std::fs::write(root.path().join("args.json"), r#"["strata", "pretrain", "--out", "run"]"#).unwrap();
        assert!(InitFrom::load(root.path()).unwrap_err().to_string().contains(&resume));
        std::fs::write(root.path().join("args.json"), argv("train").to_string()).unwrap();
        let e = InitFrom::load(root.path()).unwrap_err().to_string();
        assert!(e.contains("retrain it with `strata train`") && !e.contains("pretrain"), "{e}");
    }

    /// `tensors` as an `--init-from` folder named DIR with a vocabulary of `vocab` ids.
    fn folder(tensors: ParamStore, vocab: usize) -> InitFrom {
        let mut tokenizer = Tokenizer::new(TokenizerConfig { num_words: Some(vocab), ..TokenizerConfig::default() });
        tokenizer.fit_on_texts(&["a b c d e f g h"]);
        InitFrom {
            dir: "DIR".into(),
            tokenizer,
            tensors: Arc::new(tensors),
            kind: FolderKind::Classifier,
            labels: None,
            continue_head: false,
        }
    }

    /// The settings that make `config` (for any vocabulary and classes).
    fn settings(config: &ModelConfig) -> ModelSettings {
        ModelSettings {
            architecture: config.architecture.clone(),
            embedding_dim: config.embedding_dim,
            layers: config.layers.clone(),
            embedding_init: config.embedding_init,
            multichannel: config.multichannel,
            mask_padding: config.mask_padding,
        }
    }

    #[test]
    fn check_refuses_what_the_copy_would_and_names_a_channel_count_that_differs_either_way() {
        let one = ModelConfig { embedding_dim: 3, ..ModelConfig::seed(6) };
        let two = ModelConfig { multichannel: true, ..one.clone() };
        let trained = |c: &ModelConfig| folder(Model::new(c.clone(), 1).params, 6);
        check(&settings(&one), &trained(&one)).unwrap();
        check(&settings(&two), &trained(&two)).unwrap();
        // a one-channel folder's level under a multichannel model: what fits, not "a pretrained
        // folder" (a `strata pretrain --objective both` folder is one and does not)
        let e = check(&settings(&two), &trained(&one)).unwrap_err().to_string();
        assert!(e.starts_with("DIR: tensor lstm_0.kernel is [3, 256] there and [6, 256] in the new model"), "{e}");
        assert!(e.contains("`strata pretrain --objective skipgram`") && e.contains("leave out --multichannel"), "{e}");
        // the copy refuses with the same line: the check is its refusal, made early
        let mut model = Model::new(two.clone(), 2);
        let copied = copy_tensors(&mut model, &trained(&one).tensors, Path::new("DIR")).unwrap_err().to_string();
        assert_eq!(copied, e);
        // a multichannel folder under one channel: the folder is multichannel
        let e = check(&settings(&one), &trained(&two)).unwrap_err().to_string();
        assert!(e.contains("(hint: DIR is a multichannel model") && e.ends_with("add --multichannel)"), "{e}");
        // another width with the same channels keeps the sizes hint
        let narrow = ModelConfig { layers: vec![LstmConfig { units: 8, bidirectional: false }.into()], ..two.clone() };
        let e = check(&settings(&narrow), &trained(&two)).unwrap_err().to_string();
        assert!(e.contains("lstm_0.kernel") && e.contains("--units"), "{e}");
        // a folder sharing nothing
        let e = check(&settings(&one), &folder(ParamStore::default(), 6)).unwrap_err().to_string();
        assert!(e.contains("shares no tensor"), "{e}");
    }

    #[test]
    fn a_multichannel_source_gives_its_own_static_copy() {
        let config = ModelConfig { embedding_dim: 3, multichannel: true, ..ModelConfig::seed(5) };
        let mut source = Model::new(config.clone(), 1);
        // the source's trained copy moved away from its static copy
        let trained = source.layout.embedding.clone();
        source.params.data[trained].iter_mut().for_each(|v| *v += 1.0);
        let mut model = Model::new(config, 2);
        copy_tensors(&mut model, &source.params, Path::new("SRC")).unwrap();
        assert_eq!(model.params.get(STATIC_EMBEDDING), source.params.get(STATIC_EMBEDDING));
        assert_eq!(model.params.get("embedding.weight"), source.params.get("embedding.weight"));
        assert_ne!(model.params.get(STATIC_EMBEDDING), model.params.get("embedding.weight"));
    }
}
