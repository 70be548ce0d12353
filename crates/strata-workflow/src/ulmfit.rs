//! ULMFiT's first stage (Howard & Ruder 2018, §3.2): the language model `--init-from` names is
//! fine-tuned on the target task's training texts — the split's training part, never its test
//! part — with discriminative learning rates and a slanted triangular rate; the classifier
//! then starts from the fine-tuned levels and learns by gradual unfreezing (the schedule's
//! stages, run by the trainer like any other schedule). This file runs that first stage and
//! hands its levels on as an `--init-from` folder; `pipeline::train_from` starts the classifier
//! from them; the language model itself is `strata_train::pretrain::language_model`.

use std::path::Path;
use std::sync::Arc;

use strata_data::DataError;
use strata_nn::{Cell, ParamStore};
use strata_text::Tokenizer;
use strata_train::fit::{FitOptions, Progress};
use strata_train::history::thousands;
use strata_train::pretrain::corpus::Corpus;
use strata_train::pretrain::language_model::{self, LanguageModel, LmConfig, LmEpoch, LmLevel, LmProgress, LmState};
use strata_train::schedule::{LanguageModelStage, Schedule};

use crate::error::WorkflowError;
use crate::init_from::InitFrom;

/// `init` with its tensors replaced by `tensors` (the fine-tuned language model's), so the
/// classifier loads them by name as it loads any `--init-from` folder's.
pub fn with_tensors(init: &InitFrom, tensors: ParamStore) -> InitFrom {
    InitFrom { tensors: Arc::new(tensors), ..init.clone() }
}

/// The language model a folder's tensors make: `embedding.weight [V, E]`, recurrent levels
/// `lstm_k.*` / `gru_k.*` bottom up, and the decoder `lm_decoder.weight [V, H_top]`,
/// `lm_decoder.bias [V]`. (The folder's config will name the levels; the tensor names say the
/// same.)
#[derive(Clone, Debug, PartialEq)]
pub struct LmShape {
    pub vocab_size: usize,
    pub embedding_dim: usize,
    pub levels: Vec<LmLevel>,
}

/// The language model in `tensors`; a folder without the embedding, a recurrent level or the
/// decoder is an error naming `dir`.
pub fn language_model_shape(tensors: &ParamStore, dir: &Path) -> Result<LmShape, DataError> {
    let shown = dir.display().to_string();
    let missing = |what: &str| {
        DataError::new(
            &shown,
            None,
            format!("holds no language model ({what}): a folder without the level ulmfit needs"),
            "give --init-from a folder `strata pretrain` wrote for a recurrent model, or choose another --schedule",
        )
    };
    let shape = |name: &str| tensors.find(name).map(|s| s.shape.clone());
    let Some([vocab_size, embedding_dim]) = shape("embedding.weight").and_then(|s| <[usize; 2]>::try_from(s).ok())
    else {
        return Err(missing("no embedding.weight"));
    };
    let mut levels: Vec<(usize, LmLevel)> = tensors
        .specs
        .iter()
        .filter_map(|spec| {
            let layer = spec.name.strip_suffix(".recurrent_kernel")?;
            let (kind, k) = layer.split_once('_')?;
            let cell = match kind {
                "lstm" => Cell::Lstm,
                "gru" => Cell::Gru,
                _ => return None,
            };
            let index = k.parse::<usize>().ok()?;
            Some((index, LmLevel { name: layer.to_string(), cell, units: *spec.shape.first()? }))
        })
        .collect();
    levels.sort_by_key(|(k, _)| *k);
    let Some((_, top)) = levels.last() else { return Err(missing("no lstm_k or gru_k level")) };
    match (shape("lm_decoder.weight"), shape("lm_decoder.bias")) {
        (Some(w), Some(b)) if w == [vocab_size, top.units] && b == [vocab_size] => {}
        (Some(w), Some(b)) => {
            let message = format!(
                "lm_decoder.weight is {w:?} and lm_decoder.bias {b:?}; the language model needs [{vocab_size}, {}] and [{vocab_size}]",
                top.units
            );
            return Err(DataError::new(&shown, None, message, "pretrain the folder again with `strata pretrain`"));
        }
        _ => return Err(missing("no lm_decoder.weight and lm_decoder.bias")),
    }
    Ok(LmShape { vocab_size, embedding_dim, levels: levels.into_iter().map(|(_, l)| l).collect() })
}

/// A schedule with a language-model stage (ulmfit) needs `--init-from` a folder that holds a
/// language model: checked with the settings, before any data is read or folder claimed.
pub fn check(schedule: &Schedule, init: Option<&InitFrom>) -> Result<(), WorkflowError> {
    if schedule.language_model.is_none() {
        return Ok(());
    }
    let init = init.ok_or_else(|| WorkflowError::NoLanguageModel { schedule: schedule.name.clone() })?;
    language_model_shape(&init.tensors, &init.dir)?;
    Ok(())
}

/// `texts` as a corpus of the folder's ids; an id the language model has no row for (none,
/// with the folder's own tokenizer) is dropped rather than read out of bounds.
fn corpus(tokenizer: &Tokenizer, texts: &[&str], vocab_size: usize) -> Corpus {
    let docs = tokenizer
        .texts_to_sequences(texts)
        .into_iter()
        .map(|d| d.into_iter().filter(|&id| id != 0 && (id as usize) < vocab_size).collect())
        .collect();
    Corpus { docs, vocab_size }
}

/// How the language model fine-tunes: ULMFiT's BPTT length, the run's batch size, rate, seed
/// and threads, AWD-LSTM-style dropout and clipping sized for a CPU.
fn lm_config(stage: &LanguageModelStage, fit: &FitOptions) -> LmConfig {
    LmConfig {
        bptt: 70,
        batch_size: fit.batch_size,
        epochs: stage.epochs,
        lr: fit.optimizer.lr(),
        samples: 256,
        dropout_embedding: 0.1,
        dropout: 0.2,
        clip_norm: 0.25,
        seed: fit.seed,
        threads: rayon::current_num_threads(),
        lr_decay_per_level: Some(stage.lr_decay_per_level),
        slanted: true,
    }
}

/// Keras's epoch line for the language model, named as the stage it is:
/// `Language model Epoch 2/5 - 41s - loss: 4.1234 - val_perplexity: 123.4540 - 61,234 tokens/s`.
pub fn lm_epoch_line(r: &LmEpoch) -> String {
    format!("Language model {}", r.line())
}

/// The language model's progress as the run's: batches to the bar, epochs as lines.
struct LmLines<'a> {
    inner: &'a mut dyn Progress,
}

impl LmProgress for LmLines<'_> {
    fn on_batch(&mut self, done: usize, total: usize) {
        self.inner.on_batch(done, total);
    }

    fn on_epoch(&mut self, record: &LmEpoch, _state: &LmState) {
        self.inner.on_note(&lm_epoch_line(record));
    }
}

/// The language model fine-tuned on one split's training texts.
pub struct FineTuned {
    /// The folder as the classifier reads it, with the fine-tuned tensors.
    pub init: InitFrom,
    pub history: Vec<LmEpoch>,
}

/// One split's texts the language model reads: the training part's training texts and the
/// held-out texts of that same part (never the split's test part).
pub struct LmTexts<'a> {
    pub train: &'a [&'a str],
    pub heldout: &'a [&'a str],
}

/// Fine-tunes the language model of `init` as `schedule`'s language-model stage says, on
/// `texts.train`, scoring perplexity on `texts.heldout`.
pub fn fine_tune(
    init: Option<&InitFrom>,
    schedule: &Schedule,
    texts: LmTexts,
    fit: &FitOptions,
    progress: &mut dyn Progress,
) -> Result<FineTuned, WorkflowError> {
    check(schedule, init)?;
    let (Some(init), Some(stage)) = (init, schedule.language_model) else {
        return Err(WorkflowError::NoLanguageModel { schedule: schedule.name.clone() });
    };
    let tensors = &init.tensors;
    let shape = language_model_shape(tensors, &init.dir)?;
    let tokenizer = &init.tokenizer;
    let train = corpus(tokenizer, texts.train, shape.vocab_size);
    let heldout = corpus(tokenizer, texts.heldout, shape.vocab_size);
    let mut model = LanguageModel::new(shape.vocab_size, shape.embedding_dim, shape.levels, fit.seed);
    for spec in model.params.specs.clone() {
        match tensors.find(&spec.name) {
            Some(src) if src.shape == spec.shape => {
                model.params.data[spec.range.clone()].copy_from_slice(&tensors.data[src.range.clone()]);
            }
            _ => {
                let message = format!("has no tensor {} {:?} for its language model", spec.name, spec.shape);
                let hint = "pretrain the folder again with `strata pretrain`";
                return Err(DataError::new(&init.dir.display().to_string(), None, message, hint).into());
            }
        }
    }
    progress.on_note(&format!(
        "Language model: fine-tuning {} on {} training text{} ({} tokens), {} epoch{}",
        init.dir.display(),
        thousands(train.docs.len() as u64),
        if train.docs.len() == 1 { "" } else { "s" },
        thousands(train.tokens() as u64),
        stage.epochs,
        if stage.epochs == 1 { "" } else { "s" }
    ));
    let state = LmState::fresh(model);
    let cfg = lm_config(&stage, fit);
    let state = language_model::train(state, &train, &heldout, &cfg, &mut LmLines { inner: progress });
    Ok(FineTuned { init: with_tensors(init, state.model.params), history: state.history })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(tensors: &[(&str, &[usize])]) -> ParamStore {
        let mut p = ParamStore::default();
        tensors.iter().for_each(|(n, s)| {
            p.add(n, s);
        });
        p
    }

    #[test]
    fn the_levels_come_from_the_tensor_names_bottom_up() {
        let p = store(&[
            ("embedding.weight", &[50, 8]),
            ("lstm_1.kernel", &[6, 16]),
            ("lstm_1.recurrent_kernel", &[4, 16]),
            ("lstm_1.bias", &[16]),
            ("lstm_0.kernel", &[8, 24]),
            ("lstm_0.recurrent_kernel", &[6, 24]),
            ("lstm_0.bias", &[24]),
            ("lm_decoder.weight", &[50, 4]),
            ("lm_decoder.bias", &[50]),
        ]);
        let shape = language_model_shape(&p, Path::new("PRE")).unwrap();
        assert_eq!((shape.vocab_size, shape.embedding_dim), (50, 8));
        let levels: Vec<(&str, Cell, usize)> =
            shape.levels.iter().map(|l| (l.name.as_str(), l.cell, l.units)).collect();
        assert_eq!(levels, [("lstm_0", Cell::Lstm, 6), ("lstm_1", Cell::Lstm, 4)]);
    }

    #[test]
    fn a_classifier_folder_is_not_a_language_model() {
        let p = store(&[
            ("embedding.weight", &[50, 8]),
            ("gru_0.kernel", &[8, 12]),
            ("gru_0.recurrent_kernel", &[4, 12]),
            ("gru_0.bias", &[2, 12]),
            ("head.kernel", &[4, 1]),
            ("head.bias", &[1]),
        ]);
        let e = language_model_shape(&p, Path::new("RUN/model")).unwrap_err().to_string();
        assert!(e.starts_with("RUN/model: holds no language model (no lm_decoder.weight and lm_decoder.bias)"), "{e}");
        assert!(e.contains("a folder without the level ulmfit needs") && e.contains("(hint: "), "{e}");
        let e = language_model_shape(&store(&[("embedding.weight", &[5, 2])]), Path::new("E")).unwrap_err();
        assert!(e.to_string().contains("no lstm_k or gru_k level"), "{e}");
        let mut wrong = p.clone();
        wrong.add("lm_decoder.weight", &[50, 5]);
        wrong.add("lm_decoder.bias", &[50]);
        let e = language_model_shape(&wrong, Path::new("W")).unwrap_err().to_string();
        assert!(e.contains("lm_decoder.weight is [50, 5]") && e.contains("[50, 4]"), "{e}");
    }

    #[test]
    fn epoch_lines_read_like_keras() {
        let r = LmEpoch {
            epoch: 2,
            epochs: 5,
            loss: 4.12344,
            val_perplexity: 123.454,
            tokens_per_sec: 61234.4,
            seconds: 41.2,
        };
        assert_eq!(
            lm_epoch_line(&r),
            "Language model Epoch 2/5 - 41s - loss: 4.1234 - val_perplexity: 123.4540 - 61,234 tokens/s"
        );
    }
}
