//! `strata pretrain` without the command line: unlabelled texts → tokenizer and corpus (with a
//! seeded held-out part for perplexity) → skip-gram vectors and/or a next-word language model
//! over the model's lower levels → a pretrained folder in memory. It decides which levels a
//! model can pretrain (the run of one-directional LSTM/GRU layers directly above the embedding)
//! and says why the others cannot; the objectives themselves are strata-train's.

use strata_data::DataError;
use strata_model::error::ModelError;
use strata_model::model::{LayerSpec, ModelConfig, ModelSettings};
use strata_model::pretrained::{
    format_version_for, LmRecord, Pretrained, PretrainedFile, SkipGramRecord, SubwordRecord, PRETRAINED_FORMAT,
};
use strata_nn::{init, Cell, ParamStore, Rng};
use strata_text::{Tokenizer, TokenizerConfig};
use strata_train::pretrain::corpus::Corpus;
use strata_train::pretrain::language_model::{self, LanguageModel, LmConfig, LmEpoch, LmLevel, LmProgress, LmState};
use strata_train::pretrain::skipgram::{self, SkipGramConfig, SkipGramEpoch};
use strata_train::pretrain::subwords::{Subwords, WordNgrams};

use crate::pretrain_from::{self, StartFrom};
use crate::WorkflowError;

/// What `--objective` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Objective {
    /// Both when the model has language-model levels, else skip-gram.
    Auto,
    SkipGram,
    Lm,
    /// Skip-gram vectors first, then the language model starting from them.
    Both,
}

impl Objective {
    pub fn name(self) -> &'static str {
        match self {
            Objective::Auto => "auto",
            Objective::SkipGram => "skipgram",
            Objective::Lm => "lm",
            Objective::Both => "both",
        }
    }

    fn skipgram(self) -> bool {
        matches!(self, Objective::SkipGram | Objective::Both)
    }

    fn lm(self) -> bool {
        matches!(self, Objective::Lm | Objective::Both)
    }
}

/// Everything that shapes a pretraining run.
#[derive(Clone, Debug)]
pub struct PretrainSettings {
    pub text: TokenizerConfig,
    pub model: ModelSettings,
    pub objective: Objective,
    /// `dim` is overwritten with the model's embedding width.
    pub skipgram: SkipGramConfig,
    /// fastText's character n-grams for the skip-gram (`--maxn` > 0); `None` is word2vec's.
    pub subwords: Option<Subwords>,
    pub lm: LmConfig,
    /// Fraction of the documents held out (seeded) for the language model's perplexity.
    pub validation_split: f64,
    pub seed: u64,
    /// `--init-from`: the folder the run continues (its vocabulary and model are the run's;
    /// `text` and `model` above are then not used).
    pub start: Option<StartFrom>,
}

/// Which of a model's levels the language model trains, and the others with why not.
#[derive(Clone, Debug, PartialEq)]
pub struct LevelPlan {
    pub lm: Vec<LmLevel>,
    /// `(level name, why it is not pretrained)`.
    pub not: Vec<(String, String)>,
}

/// The language model's levels: the one-directional LSTM and GRU layers directly above the
/// embedding (dropout between them is the LM's own business), up to the first layer of any other
/// kind. A next-word model reads left to right, so a bidirectional layer — and everything above
/// the first layer it cannot be — stays untrained.
pub fn lm_levels(config: &ModelConfig) -> Result<LevelPlan, ModelError> {
    let (mut lm, mut not) = (Vec::new(), Vec::new());
    let (mut stopped, mut sentences): (Option<String>, bool) = (None, false);
    for p in config.placed()? {
        sentences |= p.spec.layer().sentences().is_some();
        if !p.spec.layer().has_params() {
            continue;
        }
        let recurrent = match &p.spec {
            LayerSpec::Lstm(c) => Some((Cell::Lstm, c.units, c.bidirectional)),
            LayerSpec::Gru(c) => Some((Cell::Gru, c.units, c.bidirectional)),
            _ => None,
        };
        let why = match (recurrent, &stopped) {
            (_, Some(first)) => format!("above {first}, which a language model cannot train"),
            (None, None) => "not an LSTM or GRU layer".into(),
            (Some((_, _, true)), None) => "bidirectional: a next-word model reads left to right".into(),
            (Some(_), None) if sentences => "reads sentences, not the word stream".into(),
            (Some((cell, units, false)), None) => {
                lm.push(LmLevel { name: p.name, cell, units });
                continue;
            }
        };
        stopped.get_or_insert_with(|| p.name.clone());
        not.push((p.name, why));
    }
    Ok(LevelPlan { lm, not })
}

/// `--objective` with `auto` decided and the others checked against the model.
pub fn resolve_objective(asked: Objective, plan: &LevelPlan) -> Result<Objective, ModelError> {
    match asked {
        Objective::Auto if plan.lm.is_empty() => Ok(Objective::SkipGram),
        Objective::Auto => Ok(Objective::Both),
        Objective::Lm | Objective::Both if plan.lm.is_empty() => Err(ModelError::Flag {
            flag: "--objective",
            problem: format!(
                "{} needs an LSTM or GRU layer (one direction) directly above the embedding",
                asked.name()
            ),
            hint: Some("use --objective skipgram for this model, or a model such as seed or gru"),
        }),
        other => Ok(other),
    }
}

/// `--objective` decided against an `--init-from` folder: `auto` continues what the folder
/// holds (the language model when it has every level of `plan`, else the skip-gram vectors); a
/// language-model objective over a folder without the language model's levels is refused.
pub fn continued_objective(start: &StartFrom, asked: Objective, plan: &LevelPlan) -> Result<Objective, DataError> {
    let has_lm = !plan.lm.is_empty() && plan.lm.iter().all(|l| start.has_level(&l.name));
    match asked {
        Objective::Auto if has_lm => Ok(Objective::Lm),
        Objective::Auto => Ok(Objective::SkipGram),
        Objective::Lm | Objective::Both if !has_lm => {
            let wanted: Vec<&str> = plan.lm.iter().map(|l| l.name.as_str()).collect();
            Err(pretrain_from::refuse(
                &start.dir,
                format!(
                    "has no language model to continue: its levels are {}, --objective {} needs {}",
                    start.folder.file.levels.join(", "),
                    asked.name(),
                    if wanted.is_empty() { "an LSTM or GRU level".into() } else { wanted.join(", ") }
                ),
                "continue its vectors with --objective skipgram, or pretrain the language model first without --init-from",
            ))
        }
        other => Ok(other),
    }
}

/// The texts as the objectives read them.
#[derive(Clone, Debug)]
pub struct Documents {
    pub tokenizer: Tokenizer,
    pub train: Corpus,
    /// Held out for perplexity; never trained on.
    pub heldout: Corpus,
}

/// Fits the tokenizer on every text, encodes them (texts with no word in the vocabulary are
/// dropped: they teach nothing), and holds out `split` of the documents, chosen by `seed`.
pub fn documents<S: AsRef<str> + Sync>(texts: &[S], text: &TokenizerConfig, split: f64, seed: u64) -> Documents {
    let mut tokenizer = Tokenizer::new(text.clone());
    tokenizer.fit_on_texts(texts);
    documents_with(tokenizer, texts, split, seed)
}

/// [`documents`] with a tokenizer already fitted (`--init-from`'s): the vocabulary is kept as
/// it is, never refitted on `texts`.
pub fn documents_with<S: AsRef<str> + Sync>(tokenizer: Tokenizer, texts: &[S], split: f64, seed: u64) -> Documents {
    let vocab_size = tokenizer.vocab_size();
    let docs: Vec<Vec<u32>> = tokenizer.texts_to_sequences(texts).into_iter().filter(|d| !d.is_empty()).collect();
    let mut order: Vec<usize> = (0..docs.len()).collect();
    Rng::derive(seed, 0x5052_4554).shuffle(&mut order);
    let held = ((docs.len() as f64 * split).round() as usize).min(docs.len().saturating_sub(1));
    let mut heldout_idx = order[..held].to_vec();
    heldout_idx.sort_unstable();
    let (mut train, mut heldout) = (Vec::new(), Vec::new());
    for (i, d) in docs.into_iter().enumerate() {
        if heldout_idx.binary_search(&i).is_ok() {
            heldout.push(d);
        } else {
            train.push(d);
        }
    }
    Documents { tokenizer, train: Corpus { docs: train, vocab_size }, heldout: Corpus { docs: heldout, vocab_size } }
}

/// What the caller hears: skip-gram's epochs, and the language model's batches and epochs (each
/// epoch with the state to checkpoint).
pub trait PretrainProgress: LmProgress {
    fn on_skipgram_epoch(&mut self, _record: &SkipGramEpoch) {}
}

/// Where a resumed run stands: skip-gram's finished epochs (it is not run again) and the
/// language model's checkpoint.
#[derive(Clone, Debug, Default)]
pub struct Resume {
    pub skipgram: Option<Vec<SkipGramEpoch>>,
    pub lm: Option<LmState>,
}

/// A finished run: the folder to write and each objective's epochs.
#[derive(Clone, Debug)]
pub struct Pretraining {
    pub pretrained: Pretrained,
    pub objective: Objective,
    pub skipgram: Vec<SkipGramEpoch>,
    pub lm: Vec<LmEpoch>,
}

/// What a run will do, decided once before any work: the model the levels belong to (checked
/// against the limits; no head, so `num_classes` is a placeholder), which of its levels a
/// language model can learn, and the objectives resolved.
#[derive(Clone, Debug)]
pub struct PretrainPlan {
    pub config: ModelConfig,
    pub levels: LevelPlan,
    pub objective: Objective,
}

pub fn plan(docs: &Documents, s: &PretrainSettings) -> Result<PretrainPlan, WorkflowError> {
    let config = match &s.start {
        Some(start) => start.folder.file.model.clone(),
        None => s.model.config(docs.train.vocab_size, 2),
    };
    config.validate()?;
    strata_model::limits::check_training(&config, s.lm.bptt, s.lm.batch_size)?;
    let levels = lm_levels(&config)?;
    let objective = match &s.start {
        Some(start) => resolve_objective(continued_objective(start, s.objective, &levels)?, &levels)?,
        None => resolve_objective(s.objective, &levels)?,
    };
    if s.subwords.is_some() && !objective.skipgram() {
        return Err(ModelError::Flag {
            flag: "--maxn",
            problem: format!("subwords are the skip-gram's, and --objective {} trains none", objective.name()),
            hint: Some("use --objective skipgram or both, or leave out --maxn"),
        }
        .into());
    }
    // the language model's rates on a run that trains none: refused, not ignored
    let rates =
        [("--lr-decay-per-level", s.lm.lr_decay_per_level.is_some()), ("--slanted-triangular-lr", s.lm.slanted)];
    if let Some((flag, _)) = rates.into_iter().find(|(_, on)| *on && !objective.lm()) {
        return Err(ModelError::Flag {
            flag,
            problem: "sets the language model's rates, and this run trains skip-gram vectors only".into(),
            hint: Some("--objective lm or both, on a model with an LSTM or GRU level, or leave the flag out"),
        }
        .into());
    }
    Ok(PretrainPlan { config, levels, objective })
}

/// Runs the objectives `plan` names on `docs`.
pub fn pretrain<P: PretrainProgress>(
    docs: &Documents,
    s: &PretrainSettings,
    plan: &PretrainPlan,
    progress: &mut P,
    resume: Resume,
) -> Result<Pretraining, WorkflowError> {
    let (config, objective) = (plan.config.clone(), plan.objective);
    let plan = &plan.levels;
    let (v, e) = (config.vocab_size, config.embedding_dim);
    if let Some(state) = &resume.lm {
        check_checkpoint_fits(&state.model, v, e, &plan.lm)?;
    }
    let mut sg_epochs = Vec::new();
    let mut vectors = None;
    // (also on a resumed run, whose config.json must read as the uninterrupted run's)
    let ngrams = s.subwords.filter(|_| objective.skipgram()).map(|sw| word_ngrams(docs, sw));
    let bucket_rows = ngrams.as_ref().map(WordNgrams::distinct_buckets);
    // a resumed LM carries its embedding: skip-gram's vectors are already in it
    if objective.skipgram() && objective.lm() && resume.lm.is_some() {
        sg_epochs = resume.skipgram.clone().unwrap_or_default();
    } else if objective.skipgram() {
        let mut w = vec![0.0f32; v * e];
        match s.start.as_ref().and_then(StartFrom::embedding) {
            Some(from) => w.copy_from_slice(from),
            None => init::uniform(&mut w, config.embedding_init, &mut Rng::derive(s.seed, 0x5347)),
        }
        let cfg = SkipGramConfig { dim: e, seed: s.seed, ..s.skipgram.clone() };
        let on_epoch = &mut |r: &SkipGramEpoch| progress.on_skipgram_epoch(r);
        sg_epochs = match &ngrams {
            None => skipgram::train(&docs.train, &mut w, &cfg, on_epoch),
            Some(ngrams) => skipgram::train_with_subwords(&docs.train, ngrams, &mut w, &cfg, on_epoch),
        };
        if let Some(r) = sg_epochs.iter().find(|r| !r.loss.is_finite()) {
            let why = format!("the loss became {} in epoch {}", r.loss, r.epoch);
            return Err(WorkflowError::Diverged { run: "skip-gram".into(), why: why + " (lower --sg-lr)" });
        }
        vectors = Some(w);
    }
    let mut tensors = ParamStore::default();
    let mut lm_epochs = Vec::new();
    if objective.lm() {
        let state = match resume.lm {
            Some(state) => state,
            None => {
                let mut model = LanguageModel::new(v, e, plan.lm.clone(), s.seed);
                if let Some(start) = &s.start {
                    start.copy_into(&mut model.params);
                }
                if let Some(w) = &vectors {
                    model.params.get_mut("embedding.weight").copy_from_slice(w);
                }
                LmState::fresh(model)
            }
        };
        let cfg = LmConfig { seed: s.seed, ..s.lm.clone() };
        let done = language_model::train(state, &docs.train, &docs.heldout, &cfg, progress);
        lm_epochs = done.history.clone();
        if let Some(r) = lm_epochs.iter().find(|r| !r.loss.is_finite() || r.val_perplexity.is_infinite()) {
            let why = format!("the loss became {} in epoch {}", r.loss, r.epoch);
            return Err(WorkflowError::Diverged { run: "language model".into(), why });
        }
        tensors = done.model.params;
    } else if let Some(w) = vectors {
        let range = tensors.add("embedding.weight", &[v, e]);
        tensors.data[range].copy_from_slice(&w);
    }
    let ran = Ran { objective, lm_levels: &plan.lm, skipgram: &sg_epochs, bucket_rows, lm: &lm_epochs };
    let file = folder_file(docs, s, config, &ran);
    let pretrained = Pretrained { file, tensors, tokenizer: docs.tokenizer.clone() };
    Ok(Pretraining { pretrained, objective, skipgram: sg_epochs, lm: lm_epochs })
}

/// Every corpus id's character n-grams: the tokenizer's word for each id below the vocabulary
/// size (none for padding and the OOV token, which is no word).
fn word_ngrams(docs: &Documents, subwords: Subwords) -> WordNgrams {
    let mut words = vec![""; docs.train.vocab_size];
    let oov = docs.tokenizer.config.oov_token.as_deref();
    for (word, &id) in docs.tokenizer.word_index() {
        if (id as usize) < words.len() && Some(word.as_str()) != oov {
            words[id as usize] = word;
        }
    }
    WordNgrams::new(&words, subwords)
}

/// A checkpoint is resumed only into the run that wrote it: the same vocabulary, width and
/// levels (a checkpoint copied in from another run would index past the vocabulary).
fn check_checkpoint_fits(lm: &LanguageModel, v: usize, e: usize, levels: &[LmLevel]) -> Result<(), WorkflowError> {
    if lm.vocab_size == v && lm.embedding_dim == e && lm.levels == levels {
        return Ok(());
    }
    let describe = |v: usize, e: usize, levels: &[LmLevel]| {
        let names: Vec<String> = levels.iter().map(|l| format!("{} {}", l.name, l.units)).collect();
        format!("vocabulary {v}, embedding {e}, levels [{}]", names.join(", "))
    };
    Err(strata_data::DataError::new(
        "checkpoint/state.json",
        None,
        format!(
            "the checkpoint is of another model ({}) than this run's ({})",
            describe(lm.vocab_size, lm.embedding_dim, &lm.levels),
            describe(v, e, levels)
        ),
        "resume the run folder that wrote this checkpoint, or start again with --overwrite",
    )
    .into())
}

/// What a run trained: the objectives, the language model's levels and each one's epochs.
#[derive(Clone, Copy)]
struct Ran<'a> {
    objective: Objective,
    lm_levels: &'a [LmLevel],
    skipgram: &'a [SkipGramEpoch],
    /// With subwords: the distinct buckets trained.
    bucket_rows: Option<usize>,
    lm: &'a [LmEpoch],
}

/// `config.json` of the finished run: what was trained, with which settings, on how much text.
fn folder_file(docs: &Documents, s: &PretrainSettings, config: ModelConfig, ran: &Ran) -> PretrainedFile {
    let Ran { objective, lm_levels, skipgram: sg_epochs, bucket_rows, lm: lm_epochs } = *ran;
    let mut levels = vec!["embedding".to_string()];
    if objective.lm() {
        levels.extend(lm_levels.iter().map(|l| l.name.clone()));
    }
    let sk = &s.skipgram;
    let lm = &s.lm;
    // absolute, so that a resumed run (whose paths are resolved against the first run's working
    // folder) records what the uninterrupted one does
    let init_from = s.start.as_ref().map(|st| std::path::absolute(&st.dir).unwrap_or_else(|_| st.dir.clone()));
    let init_from = init_from.map(|d| d.display().to_string());
    let lm_record = objective.lm().then(|| LmRecord {
        epochs: lm.epochs,
        bptt: lm.bptt,
        batch_size: lm.batch_size,
        lr: lm.lr,
        samples: lm.samples,
        dropout_embedding: lm.dropout_embedding,
        dropout: lm.dropout,
        clip_norm: lm.clip_norm,
        lr_decay_per_level: lm.lr_decay_per_level,
        slanted_triangular_lr: lm.slanted,
        loss: lm_epochs.last().map(|r| r.loss),
        val_perplexity: lm_epochs.last().map(|r| r.val_perplexity).filter(|_| !docs.heldout.docs.is_empty()),
    });
    PretrainedFile {
        format: PRETRAINED_FORMAT.into(),
        format_version: format_version_for(init_from.as_deref(), lm_record.as_ref()),
        strata_version: env!("CARGO_PKG_VERSION").into(),
        model: config,
        levels,
        objective: objective.name().into(),
        skipgram: objective.skipgram().then(|| SkipGramRecord {
            window: sk.window,
            negatives: sk.negatives,
            min_count: sk.min_count,
            sample: sk.sample,
            epochs: sk.epochs,
            lr: sk.lr,
            loss: sg_epochs.last().map(|r| r.loss),
            subwords: s.subwords.map(|sw| SubwordRecord {
                minn: sw.minn,
                maxn: sw.maxn,
                buckets: sw.buckets,
                bucket_rows: bucket_rows.unwrap_or(0),
            }),
        }),
        lm: lm_record,
        train_documents: docs.train.docs.len(),
        train_tokens: docs.train.tokens(),
        heldout_documents: docs.heldout.docs.len(),
        heldout_tokens: docs.heldout.tokens(),
        text: docs.tokenizer.config.clone(),
        seed: s.seed,
        init_from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_model::layers::{GruConfig, LstmConfig};
    use strata_model::zoo::{self, Knobs};

    fn named(name: &str, knobs: Knobs) -> ModelConfig {
        ModelSettings::named(name, 8, knobs).unwrap().config(50, 2)
    }

    #[test]
    fn the_lm_levels_are_the_one_directional_recurrent_run_above_the_embedding() {
        let seed = lm_levels(&named("seed-stacked", Knobs::default())).unwrap();
        let names: Vec<&str> = seed.lm.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["lstm_0", "lstm_1"]);
        assert!(seed.not.is_empty());
        let gru = lm_levels(&named("gru", Knobs { units: Some(5), ..Knobs::default() })).unwrap();
        assert_eq!(gru.lm, [LmLevel { name: "gru_0".into(), cell: Cell::Gru, units: 5 }]);
        let han = lm_levels(&named("han", Knobs::default())).unwrap();
        assert!(han.lm.is_empty());
        assert!(han.not[0].0 == "bigru_0" && han.not[0].1.contains("bidirectional"), "{:?}", han.not);
        let bilstm = lm_levels(&named("bilstm", Knobs::default())).unwrap();
        assert!(bilstm.lm.is_empty() && bilstm.not[0].1.contains("bidirectional"), "{:?}", bilstm.not);
        let cnn = lm_levels(&named("kim-cnn", Knobs::default())).unwrap();
        assert!(cnn.lm.is_empty() && cnn.not[0].1.contains("not an LSTM"), "{:?}", cnn.not);
        // an LSTM above a bidirectional one is not trained either, and says why
        let mixed = ModelSettings {
            architecture: "custom".into(),
            embedding_dim: 8,
            layers: vec![
                GruConfig { units: 4, bidirectional: false }.into(),
                LstmConfig { units: 4, bidirectional: true }.into(),
                LstmConfig { units: 4, bidirectional: false }.into(),
            ],
            embedding_init: zoo::named_embedding_init("seed"),
            multichannel: false,
            mask_padding: false,
        };
        let plan = lm_levels(&mixed.config(50, 2)).unwrap();
        assert_eq!(plan.lm.len(), 1);
        assert_eq!(plan.not.len(), 2);
        assert!(plan.not[1].1.contains("above bilstm_0"), "{:?}", plan.not);
    }

    #[test]
    fn auto_is_both_with_lm_levels_and_skipgram_without() {
        let with = lm_levels(&named("seed", Knobs::default())).unwrap();
        let without = lm_levels(&named("kim-cnn", Knobs::default())).unwrap();
        assert_eq!(resolve_objective(Objective::Auto, &with).unwrap(), Objective::Both);
        assert_eq!(resolve_objective(Objective::Auto, &without).unwrap(), Objective::SkipGram);
        let e = resolve_objective(Objective::Lm, &without).unwrap_err().to_string();
        assert!(e.contains("--objective") && e.contains("hint"), "{e}");
    }

    #[test]
    fn the_held_out_documents_are_seeded_and_never_in_training() {
        let texts: Vec<String> = (0..100).map(|i| format!("w{} w{}", i % 7, i % 11)).collect();
        let cfg = TokenizerConfig { num_words: Some(20), ..TokenizerConfig::default() };
        let a = documents(&texts, &cfg, 0.1, 3);
        let b = documents(&texts, &cfg, 0.1, 3);
        assert_eq!(a.heldout, b.heldout);
        assert_eq!((a.train.docs.len(), a.heldout.docs.len()), (90, 10));
        assert_eq!(a.train.vocab_size, 20);
        let c = documents(&texts, &cfg, 0.1, 4);
        assert_ne!(a.heldout, c.heldout, "another seed holds out other documents");
        // empty texts teach nothing and are dropped; one document is never all held out
        let one = documents(&["", "only words"], &cfg, 0.5, 0);
        assert_eq!((one.train.docs.len(), one.heldout.docs.len()), (1, 0));
    }
}
