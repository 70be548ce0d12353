//! `strata pretrain`: unlabelled text → a model's lower levels (skip-gram vectors for the
//! embedding, a next-word language model for the LSTM/GRU levels above it) → `OUT/model/`, a
//! pretrained folder that `--init-from OUT` loads by tensor name.
//! `--init-from DIR` continues an earlier pretrained folder on new text instead (ULMFiT's
//! second stage; `strata_workflow::pretrain_from`): its vocabulary, model and tensors.
//!
//! The run folder works as train's does: claimed before any training (a bad `--out` fails at
//! once, an earlier run is replaced only with `--overwrite`), `args.json` for `--resume`, a
//! language-model checkpoint after every epoch in `OUT/checkpoint/`, and `history.csv`
//! (reproducible: no wall time in it).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use strata_model::atomic::claim_dir;
use strata_model::folder::write_atomic;
use strata_model::owned::{check_replaceable, Claimed, Owned};
use strata_model::pretrained;
use strata_model::zoo::{self, Knobs};
use strata_train::pretrain::language_model::{level_lr_mult, LanguageModel, LmConfig, LmEpoch, LmProgress, LmState};
use strata_train::pretrain::lm_checkpoint::{checkpoint_exists, load_checkpoint, save_checkpoint};
use strata_train::pretrain::skipgram::{SkipGramConfig, SkipGramEpoch};
use strata_train::pretrain::subwords::Subwords;
use strata_workflow::pretrain::{self as workflow, Objective, PretrainProgress, PretrainSettings, Resume};
use strata_workflow::pretrain_from::StartFrom;

use crate::args::PretrainArgs;
use crate::progress::{float, note};
use crate::run_args::RunArgs;
use crate::settings::MAX_CHAR_NGRAM;
use strata_train::history::thousands;

/// `Skip-gram 1/5 - 12s - loss: 2.3456 - 812,345 words/s`
fn skipgram_line(r: &SkipGramEpoch) -> String {
    format!(
        "Skip-gram {}/{} - {:.0}s - loss: {} - {} words/s",
        r.epoch,
        r.epochs,
        r.seconds,
        float(r.loss),
        thousands(r.words_per_sec.max(0.0).round() as u64)
    )
}

/// `history.csv`: one row per epoch of either objective. Losses are written in full (Rust's
/// shortest exact form) so that a resumed run reads skip-gram's back unchanged. `train
/// --schedule ulmfit` writes its language model's epochs in this form too (`lm_history.csv`).
pub(crate) fn history_csv(skipgram: &[SkipGramEpoch], lm: &[LmEpoch]) -> String {
    let mut s = String::from("objective,epoch,loss,val_perplexity\n");
    for r in skipgram {
        let _ = writeln!(s, "skipgram,{},{},", r.epoch, r.loss);
    }
    for r in lm {
        let _ = writeln!(s, "lm,{},{},{}", r.epoch, r.loss, r.val_perplexity);
    }
    s
}

/// Skip-gram's epochs from a run's `history.csv` (what a resumed run does not train again).
fn skipgram_history(run: &Path, epochs: usize) -> Result<Vec<SkipGramEpoch>> {
    let path = run.join("history.csv");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow!("{}: cannot read: {e} (hint: restore the run folder)", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.first() != Some(&"skipgram") {
            continue;
        }
        let (epoch, loss) = match (f.get(1).and_then(|v| v.parse().ok()), f.get(2).and_then(|v| v.parse().ok())) {
            (Some(e), Some(l)) => (e, l),
            _ => bail!("{}:{}: not objective,epoch,loss,… (hint: restore the run folder)", path.display(), i + 1),
        };
        out.push(SkipGramEpoch { epoch, epochs, loss, words_per_sec: 0.0, seconds: 0.0 });
    }
    Ok(out)
}

/// Prints each epoch, keeps `history.csv` current, and checkpoints the language model.
struct Printer {
    out: PathBuf,
    skipgram: Vec<SkipGramEpoch>,
    lm: Vec<LmEpoch>,
    /// The first write that failed; the run stops with it once training returns.
    failed: Option<anyhow::Error>,
}

impl Printer {
    fn write_history(&mut self) {
        let csv = history_csv(&self.skipgram, &self.lm);
        if let Err(e) = write_atomic(&self.out.join("history.csv"), csv.as_bytes()) {
            self.failed.get_or_insert(e.into());
        }
    }
}

impl LmProgress for Printer {
    fn on_epoch(&mut self, record: &LmEpoch, state: &LmState) {
        note(record.line());
        self.lm = state.history.clone();
        self.write_history();
        if self.failed.is_none() {
            if let Err(e) = save_checkpoint(&self.out, state) {
                self.failed =
                    Some(anyhow::Error::from(e).context(format!("the checkpoint after epoch {} failed", record.epoch)));
            }
        }
    }
}

impl PretrainProgress for Printer {
    fn on_skipgram_epoch(&mut self, record: &SkipGramEpoch) {
        note(skipgram_line(record));
        self.skipgram.push(record.clone());
        self.write_history();
    }
}

impl PretrainArgs {
    /// `--minn`, `--maxn`, `--sg-buckets` checked: `None` when `--maxn` is 0 (no subwords);
    /// `--minn` or `--sg-buckets` without them is refused, not ignored.
    fn subwords(&self) -> Result<Option<Subwords>> {
        let maxn = self.maxn;
        if maxn == 0 {
            let given = [("--minn", self.minn), ("--sg-buckets", self.sg_buckets)];
            if let Some((flag, Some(n))) = given.into_iter().find(|(_, v)| v.is_some()) {
                bail!("{flag} {n} needs --maxn: subwords are on only with --maxn above 0 (hint: add --maxn 6 for fastText's n-grams of 3 to 6 characters, or leave out {flag})");
            }
            return Ok(None);
        }
        let buckets = self.sg_buckets.unwrap_or(DEFAULT_SG_BUCKETS);
        let minn = self.minn.unwrap_or(DEFAULT_MINN);
        if maxn > MAX_CHAR_NGRAM {
            bail!("--maxn {maxn} is more than {MAX_CHAR_NGRAM} characters (hint: fastText's skip-gram uses --minn 3 --maxn 6)");
        }
        if minn == 0 || minn > maxn {
            bail!(
                "--minn {minn} and --maxn {maxn} are no range of character n-gram lengths (hint: 1 ≤ minn ≤ maxn, e.g. --minn 3 --maxn 6; --maxn 0 turns subwords off)"
            );
        }
        if buckets == 0 {
            bail!("--sg-buckets 0 leaves the character n-grams nowhere to go (hint: fastText uses 2000000, or leave out --maxn)");
        }
        Ok(Some(Subwords { minn, maxn, buckets }))
    }
}

/// fastText's shortest character n-gram (`-minn 3`), for `--maxn` without `--minn`.
const DEFAULT_MINN: usize = 3;

/// fastText's hash buckets (`-bucket 2000000`), for `--maxn` without `--sg-buckets`.
const DEFAULT_SG_BUCKETS: usize = 2_000_000;

/// Pretraining keeps more words than a classifier's recipe (seed 10000): unlabelled text is
/// plentiful, and a classifier started from the folder takes its vocabulary.
const PRETRAIN_NUM_WORDS: usize = 20000;

impl PretrainArgs {
    /// With `--init-from DIR`, DIR read, after checking that no text flag given differs from
    /// its tokenizer (the vocabulary is the folder's); without it, `None`.
    fn start(&self) -> Result<Option<StartFrom>> {
        let Some(dir) = &self.init_from else { return Ok(None) };
        let start = StartFrom::load(dir)?;
        // --out's model/ is replaced as the run starts and written as it ends: a run that
        // continued its own output would lose its starting point to a --resume
        let within = |out: &Path| -> Option<bool> {
            let from = std::fs::canonicalize(strata_model::folder::resolve(dir)).ok()?;
            Some(from.starts_with(std::fs::canonicalize(out).ok()?))
        };
        if self.resume.is_none() && self.out.as_deref().and_then(within) == Some(true) {
            bail!(
                "--init-from {} is inside --out: this run would replace the folder it starts from (hint: write the continued model to another --out)",
                dir.display()
            );
        }
        self.text.agree_with(&start.folder.tokenizer.config, dir)?;
        Ok(Some(start))
    }

    /// Checks ranges and builds the settings.
    fn settings(&self) -> Result<PretrainSettings> {
        if self.model == crate::choices::Model::Nbsvm && self.model_file.is_none() {
            bail!("NBSVM has no levels to pretrain (hint: train it directly with `strata train --model nbsvm`, or pretrain a network such as --model seed)");
        }
        if self.model == crate::choices::Model::Linear && self.model_file.is_none() {
            bail!(
                "the linear model has no levels to pretrain (hint: train it directly with `strata train --model linear`, or pretrain a network such as --model seed)"
            );
        }
        let start = self.start()?;
        let num_words = match &start {
            Some(st) => st.folder.file.model.vocab_size,
            None => self.text.num_words.unwrap_or(PRETRAIN_NUM_WORDS),
        };
        let recipe = if self.model_file.is_none() { zoo::recipe(self.model.name()) } else { zoo::SEED_RECIPE };
        let embedding_dim = match &start {
            Some(st) => st.folder.file.model.embedding_dim,
            None => self.embedding_dim.unwrap_or(recipe.embedding_dim),
        };
        let at_least_one = [
            (embedding_dim, "--embedding-dim", "128"),
            (self.units.unwrap_or(1), "--units", "64"),
            (self.window, "--window", "5"),
            (self.negatives, "--negatives", "5"),
            (self.sg_epochs, "--sg-epochs", "5"),
            (self.epochs, "--epochs", "2"),
            (self.bptt, "--bptt", "70"),
            (self.batch_size, "--batch-size", "32"),
            (self.samples, "--samples", "1024"),
        ];
        for (v, flag, default) in at_least_one {
            if v == 0 {
                bail!("{flag} must be at least 1 (hint: the default is {default})");
            }
        }
        let most = [(self.negatives, "--negatives", 1000, "word2vec uses 5 to 25")];
        for (v, flag, limit, hint) in most {
            if v > limit {
                bail!("{flag} {v} is more than strata's limit of {limit} (hint: {hint})");
            }
        }
        if num_words.checked_mul(embedding_dim).is_none_or(|n| n > strata_model::limits::MAX_PARAMS) {
            bail!(
                "--num-words {} × --embedding-dim {embedding_dim} is more than strata's limit of {} parameters (hint: lower --num-words or --embedding-dim)",
                num_words,
                strata_model::limits::MAX_PARAMS
            );
        }
        if num_words < 2 {
            bail!("--num-words must be at least 2: index 0 is padding (hint: pretrain's default is 20000)");
        }
        if !(0.0..1.0).contains(&self.validation_split) {
            bail!("--validation-split must be in [0, 1) (hint: 0.02 holds out a fiftieth)");
        }
        for (v, flag, default) in [(self.lr, "--lr", "0.001"), (self.sg_lr, "--sg-lr", "0.025")] {
            if !(v > 0.0 && v.is_finite()) {
                bail!("{flag} must be a positive number (hint: the default is {default})");
            }
        }
        for (v, flag) in [(self.dropout, "--dropout"), (self.dropout_embedding, "--dropout-embedding")] {
            if !(0.0..1.0).contains(&v) {
                bail!("{flag} must be in [0, 1) (hint: 0 turns it off)");
            }
        }
        if let Some(f) = self.lr_decay_per_level.filter(|f| !(*f > 0.0 && f.is_finite())) {
            bail!("--lr-decay-per-level {f} must be a positive number (hint: ULMFiT divides by 2.6 a level down)");
        }
        if !(self.clip_norm >= 0.0 && self.clip_norm.is_finite()) {
            bail!("--clip-norm must be a non-negative number (hint: 0 turns it off)");
        }
        if !(self.sample >= 0.0 && self.sample.is_finite()) {
            bail!("--sample must be a non-negative number (hint: 0 turns subsampling off; word2vec uses 1e-4)");
        }
        strata_model::limits::check_layers(self.layers)?;
        let subwords = self.subwords()?;
        let knobs = Knobs { units: self.units, layers: self.layers, sentences: None };
        let model = crate::settings::model_settings(self.model, self.model_file.as_deref(), embedding_dim, knobs)?;
        let threads = rayon::current_num_threads();
        Ok(PretrainSettings {
            text: self.text.config(num_words),
            model,
            objective: self.objective.into(),
            subwords,
            skipgram: SkipGramConfig {
                dim: embedding_dim,
                window: self.window,
                negatives: self.negatives,
                min_count: self.min_count,
                epochs: self.sg_epochs,
                sample: self.sample,
                lr: self.sg_lr,
                seed: self.seed,
                threads,
            },
            lm: LmConfig {
                bptt: self.bptt,
                batch_size: self.batch_size,
                epochs: self.epochs,
                lr: self.lr,
                samples: self.samples,
                dropout_embedding: self.dropout_embedding,
                dropout: self.dropout,
                clip_norm: self.clip_norm,
                seed: self.seed,
                threads,
                lr_decay_per_level: self.lr_decay_per_level,
                slanted: self.slanted_triangular_lr,
            },
            validation_split: self.validation_split,
            seed: self.seed,
            start,
        })
    }

    /// Every `--data` file's texts, in order; a file with no text at all is refused.
    fn texts(&self) -> Result<Vec<String>> {
        let opts = strata_data::ReadOptions {
            format: self.format.map(Into::into),
            text_col: self.text_col.clone(),
            label_col: "label".into(),
        };
        let mut texts = Vec::new();
        for path in &self.data {
            let these = strata_data::read_inputs(path, &opts)?;
            if these.iter().all(|t| t.trim().is_empty()) {
                bail!("{}: no text in the file (hint: give one document per line)", path.display());
            }
            texts.extend(these.into_iter().filter(|t| !t.trim().is_empty()));
        }
        Ok(texts)
    }
}

/// The files of an `--init-from` folder a run reads.
const INIT_FILES: [&str; 3] = ["model.safetensors", "vocab.json", "config.json"];

/// Claims `out` for a new run (replacing an earlier one only with `--overwrite`) and records
/// how the run started; for `--resume`, reads where it stands instead.
fn prepare(a: &PretrainArgs, out: &Path, objective: Objective) -> Result<Resume> {
    if a.resume.is_some() {
        check_replaceable(&out.join("model"), Owned::Model)?;
        let lm = matches!(objective, Objective::Lm | Objective::Both);
        if lm && checkpoint_exists(out)? {
            let state = load_checkpoint(out)?;
            let plural = if state.epochs_done == 1 { "" } else { "s" };
            note(format_args!("Resuming from the checkpoint after {} epoch{plural}", state.epochs_done));
            let skipgram = (objective == Objective::Both).then(|| skipgram_history(out, a.sg_epochs)).transpose()?;
            return Ok(Resume { skipgram, lm: Some(state) });
        }
        eprintln!("warning: {}: no checkpoint yet; starting the run from the beginning", out.display());
        return Ok(Resume::default());
    }
    let inner = [("model", Owned::Model), ("checkpoint", Owned::Checkpoint)];
    if claim_dir(out, Owned::Run, a.overwrite, &inner)? == Claimed::Replacing {
        super::train::clear_run(out, &inner)?;
    }
    // the --init-from folder's tensors, vocabulary and record are inputs of the run like the
    // data: a --resume refuses to continue on a folder that changed since
    let init = a.init_from.as_deref().map(strata_model::folder::resolve);
    let init_files: Vec<PathBuf> = init.iter().flat_map(|d| INIT_FILES.map(|f| d.join(f))).collect();
    let inputs: Vec<&Path> = a.data.iter().chain(&a.model_file).chain(&init_files).map(PathBuf::as_path).collect();
    RunArgs::now(&inputs)?.write(out)?;
    Ok(Resume::default())
}

/// Says what the run reads and which levels it pretrains, and why the others are not.
fn announce(docs: &workflow::Documents, plan: &workflow::LevelPlan, objective: Objective) {
    let mut levels = vec![match objective {
        Objective::Lm => "embedding (language model)".to_string(),
        Objective::Both => "embedding (skip-gram, then language model)".to_string(),
        _ => "embedding (skip-gram)".to_string(),
    }];
    if objective != Objective::SkipGram {
        levels.extend(plan.lm.iter().map(|l| format!("{} (language model)", l.name)));
    }
    let mut not: Vec<String> = plan.not.iter().map(|(n, why)| format!("{n} ({why})")).collect();
    if objective == Objective::SkipGram {
        not = plan.lm.iter().map(|l| format!("{} (--objective skipgram)", l.name)).chain(not).collect();
    }
    not.push("head (learned from labels)".into());
    note(format_args!(
        "Pretrain on {} documents ({} tokens), {} held out; vocabulary {}",
        docs.train.docs.len(),
        thousands(docs.train.tokens() as u64),
        docs.heldout.docs.len(),
        docs.train.vocab_size
    ));
    note(format_args!("Pretraining: {}; not pretrained: {}", levels.join(", "), not.join(", ")));
}

/// Says each level's language-model rate when ULMFiT's rates are on: `Language model rates:
/// lm_decoder and lstm_1 at 0.001, lstm_0 at 3.846e-4, embedding at 1.479e-4 (÷ 2.6 a level
/// down), slanted triangular (from a 32nd up to them over the first 10% of the steps, then back)`.
fn announce_rates(lm: &LmConfig, plan: &workflow::LevelPlan) {
    let rates = match lm.lr_decay_per_level {
        None if !lm.slanted => return,
        None => format!("every level at {}", lm.lr),
        Some(d) => {
            // bottom up: the embedding, then the language model's levels
            let names: Vec<&str> =
                std::iter::once("embedding").chain(plan.lm.iter().map(|l| l.name.as_str())).collect();
            let top = names.len() - 1;
            let below = (0..top).rev().map(|l| format!("{} at {:.3e}", names[l], lm.lr * level_lr_mult(d, top - l)));
            let levels: Vec<String> =
                std::iter::once(format!("lm_decoder and {} at {}", names[top], lm.lr)).chain(below).collect();
            format!("{} (÷ {d} a level down)", levels.join(", "))
        }
    };
    let slanted = if lm.slanted {
        ", slanted triangular (from a 32nd up to them over the first 10% of the steps, then back)"
    } else {
        ""
    };
    note(format_args!("Language model rates: {rates}{slanted}"));
}

/// Says which parts start from the `--init-from` folder and which start fresh.
fn announce_start(st: &StartFrom, plan: &workflow::PretrainPlan) {
    let (loaded, fresh) = if plan.objective == Objective::SkipGram {
        (vec!["embedding".to_string()], Vec::new())
    } else {
        let (v, e) = (plan.config.vocab_size, plan.config.embedding_dim);
        st.lm_parts(&LanguageModel::new(v, e, plan.levels.lm.clone(), 0).params)
    };
    let name = |p: &String| {
        if p == "lm_decoder" {
            "lm_decoder (the language model's output layer)".into()
        } else {
            p.clone()
        }
    };
    let loaded: Vec<String> = loaded.iter().map(name).collect();
    let fresh: Vec<String> = fresh.iter().map(name).collect();
    let fresh = if fresh.is_empty() { String::new() } else { format!("; starting fresh: {}", fresh.join(", ")) };
    note(format_args!(
        "Continuing {}: loaded {}{fresh}; its vocabulary of {} kept",
        st.dir.display(),
        loaded.join(", "),
        st.folder.file.model.vocab_size
    ));
}

pub fn run(a: PretrainArgs) -> Result<()> {
    let Some(out) = a.out.clone() else { bail!("pretrain needs --data and --out (hint: or --resume DIR)") };
    let s = a.settings()?;
    let texts = a.texts()?;
    let docs = match &s.start {
        Some(st) => workflow::documents_with(st.folder.tokenizer.clone(), &texts, s.validation_split, s.seed),
        None => workflow::documents(&texts, &s.text, s.validation_split, s.seed),
    };
    if docs.train.tokens() == 0 {
        let files: Vec<String> = a.data.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "{}: no word of the text is in the vocabulary (hint: check --filters, --tokenizer and --text-col)",
            files.join(", ")
        );
    }
    // every check that can refuse the run comes before --out is claimed
    let plan = workflow::plan(&docs, &s)?;
    announce(&docs, &plan.levels, plan.objective);
    if let Some(st) = &s.start {
        announce_start(st, &plan);
    }
    if plan.objective != Objective::SkipGram {
        announce_rates(&s.lm, &plan.levels);
    }
    let resume = prepare(&a, &out, plan.objective)?;
    let skipgram = resume.skipgram.clone().unwrap_or_default();
    let mut printer = Printer { out: out.clone(), skipgram, lm: Vec::new(), failed: None };
    let done = workflow::pretrain(&docs, &s, &plan, &mut printer, resume)?;
    if let Some(e) = printer.failed {
        return Err(e.context("pretraining stopped"));
    }
    if !done.skipgram.is_empty() && done.skipgram.iter().all(|r| r.loss == 0.0) {
        eprintln!(
            "warning: skip-gram trained on no word pair: every word is below --min-count {} or subsampled away (--sample {}); the embedding keeps its initial values",
            a.min_count, a.sample
        );
    }
    let model_dir = out.join("model");
    pretrained::save(&model_dir, &done.pretrained)?;
    write_atomic(&out.join("history.csv"), history_csv(&done.skipgram, &done.lm).as_bytes())?;
    let file = &done.pretrained.file;
    let metrics = serde_json::json!({
        "objective": file.objective,
        "levels": file.levels,
        "skipgram_loss": file.skipgram.as_ref().and_then(|r| r.loss),
        "lm_loss": file.lm.as_ref().and_then(|r| r.loss),
        "val_perplexity": file.lm.as_ref().and_then(|r| r.val_perplexity),
        "train_documents": file.train_documents,
        "train_tokens": file.train_tokens,
        "heldout_documents": file.heldout_documents,
        "heldout_tokens": file.heldout_tokens,
        "model": model_dir,
    });
    write_atomic(&out.join("metrics.json"), serde_json::to_string_pretty(&metrics)?.as_bytes())?;
    if a.json {
        println!("{metrics}");
        return Ok(());
    }
    let perplexity =
        file.lm.as_ref().and_then(|r| r.val_perplexity).map_or(String::new(), |p| format!(", val_perplexity {p:.2}"));
    println!(
        "pretrained {}{perplexity}; saved to {} (use it with --init-from {})",
        file.levels.join(", "),
        model_dir.display(),
        out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_keras_and_word2vec_print_them() {
        let r = SkipGramEpoch { epoch: 1, epochs: 5, loss: 2.34561, words_per_sec: 812_345.4, seconds: 12.2 };
        assert_eq!(skipgram_line(&r), "Skip-gram 1/5 - 12s - loss: 2.3456 - 812,345 words/s");
        let r = LmEpoch {
            epoch: 1,
            epochs: 2,
            loss: 4.12341,
            val_perplexity: 123.454,
            tokens_per_sec: 61_234.0,
            seconds: 41.0,
        };
        assert_eq!(r.line(), "Epoch 1/2 - 41s - loss: 4.1234 - val_perplexity: 123.4540 - 61,234 tokens/s");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
    }

    #[test]
    fn a_resumed_run_reads_skipgram_s_losses_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let sg: Vec<SkipGramEpoch> = (1..=2)
            .map(|epoch| SkipGramEpoch {
                epoch,
                epochs: 2,
                loss: 0.1 + 1.0 / 3.0 * epoch as f64,
                words_per_sec: 0.0,
                seconds: 0.0,
            })
            .collect();
        let lm = [LmEpoch { epoch: 1, epochs: 2, loss: 5.0, val_perplexity: 90.0, tokens_per_sec: 1.0, seconds: 1.0 }];
        std::fs::write(dir.path().join("history.csv"), history_csv(&sg, &lm)).unwrap();
        assert_eq!(skipgram_history(dir.path(), 2).unwrap(), sg);
        std::fs::write(dir.path().join("history.csv"), "objective,epoch,loss,val_perplexity\nskipgram,x,1,\n").unwrap();
        let e = skipgram_history(dir.path(), 2).unwrap_err().to_string();
        assert!(e.contains("history.csv:2:") && e.contains("hint"), "{e}");
    }
}
