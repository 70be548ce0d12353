//! Command-line flags. Defaults are the seed's Keras values: `Tokenizer(num_words=10000,
//! oov_token="<OOV>")`, `pad_sequences(maxlen=100)`, `Embedding(10000, 128) → LSTM(64) →
//! Dense(1)`, Adam(1e-3), `fit(epochs=10, batch_size=32)`.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand};
use strata_data::{Format, ReadOptions};
use strata_model::model_file;
use strata_model::zoo::Knobs;
use strata_text::{PadSequences, Segmenter, Side, TokenizerConfig, KERAS_FILTERS};
use strata_train::fit::Monitor;
use strata_train::schedule::Schedule;
use strata_train::{FitOptions, OptimizerKind};
use strata_workflow::pipeline::{ModelSettings, Probes, TextSettings, TrainSettings};

#[derive(Parser)]
#[command(name = "strata", version, about = "Train, compare, explain and serve text classifiers")]
pub struct Cli {
    /// Worker threads (one batch chunk each); results are reproducible for a given seed and
    /// thread count. Default: all cores.
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Train a model on a labelled file and save it
    Train(TrainCmd),
    /// Score a saved model on a labelled file
    Test(TestCmd),
    /// Predict labels for lines of text (a file, or - for stdin)
    Predict(PredictCmd),
    /// Stratified k-fold cross-validation
    Cv(CvCmd),
    /// Train the seed model on a built-in corpus (no files, no network)
    Demo(DemoCmd),
    /// Linear probes: what each layer of a saved model makes linearly readable
    Probe(ProbeCmd),
    /// Every schedule on the same folds, seed and epoch budget, with a report
    Experiment(ExperimentCmd),
    /// Which words decided a prediction (occlusion saliency per token)
    Explain(ExplainCmd),
    /// Serve a model over HTTP: JSON predict API and a predict page
    Serve(ServeCmd),
}

/// How to read a labelled file.
#[derive(Args, Clone)]
pub struct ReadArgs {
    /// Input format; detected from the extension or first line when omitted
    #[arg(long, value_parser = clap::value_parser!(Format))]
    pub format: Option<Format>,
    /// Text column (CSV) or field (JSONL)
    #[arg(long, default_value = "text")]
    pub text_col: String,
    /// Label column (CSV) or field (JSONL)
    #[arg(long, default_value = "label")]
    pub label_col: String,
}

impl ReadArgs {
    pub fn options(&self) -> ReadOptions {
        ReadOptions { format: self.format, text_col: self.text_col.clone(), label_col: self.label_col.clone() }
    }
}

/// Everything that shapes training.
#[derive(Args, Clone)]
pub struct TrainArgs {
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Sequence length after padding/truncation (default 100; for han, words per sentence,
    /// default 40)
    #[arg(long)]
    pub maxlen: Option<usize>,
    /// Keep the num_words-1 most frequent words (index 0 is padding), as Keras does
    #[arg(long, default_value_t = 10000)]
    pub num_words: usize,
    /// Token for out-of-vocabulary words (index 1); "" for none
    #[arg(long, default_value = "<OOV>")]
    pub oov_token: String,
    /// Keep case (Keras lower=False)
    #[arg(long)]
    pub no_lower: bool,
    /// word (Keras's split on spaces), char (one token per character, Keras char_level=True; good
    /// for Chinese), or jieba (Chinese word segmentation, embedded dictionary)
    #[arg(long, default_value = "word")]
    pub tokenizer: String,
    /// Characters instead of words (Keras char_level=True; same as --tokenizer char)
    #[arg(long)]
    pub char_level: bool,
    /// Characters treated as separators (Keras `filters`)
    #[arg(long, default_value = KERAS_FILTERS, hide_default_value = true)]
    pub filters: String,
    #[arg(long, default_value = "pre", value_parser = clap::value_parser!(Side))]
    pub padding: Side,
    #[arg(long, default_value = "pre", value_parser = clap::value_parser!(Side))]
    pub truncating: Side,
    /// seed (one LSTM), seed-stacked (LSTM(return_sequences) → LSTM), gru (Keras
    /// reset_after=True), bilstm (Bidirectional(LSTM)), kim-cnn (Kim 2014: widths 3, 4, 5 × 100
    /// maps, ReLU, max over time, dropout 0.5) or han (Yang 2016: word BiGRU + attention →
    /// sentence BiGRU + attention); --layers stacks recurrent layers
    #[arg(long, default_value = "seed")]
    pub model: String,
    /// A model declared in TOML as [[layer]] tables; overrides --model
    #[arg(long, long_help = model_file_help())]
    pub model_file: Option<PathBuf>,
    /// Stacked recurrent layers (seed-stacked defaults to 2, the others to 1)
    #[arg(long)]
    pub layers: Option<usize>,
    /// Recurrent units per direction (default 64; han 50), or kim-cnn's maps per width (100)
    #[arg(long)]
    pub units: Option<usize>,
    /// han: sentences per text (default 15); texts are split on . ! ? 。！？ and <br />
    #[arg(long)]
    pub max_sentences: Option<usize>,
    #[arg(long, default_value_t = 128)]
    pub embedding_dim: usize,
    /// Embeddings start uniform in ±A (Keras's Embedding default 0.05; kim-cnn 0.25, Kim's)
    #[arg(long, value_name = "A")]
    pub embedding_init: Option<f32>,
    /// adam (Keras defaults), sgd (plain gradient descent) or adadelta (Keras defaults; Kim's
    /// CNN used it with --lr 1.0)
    #[arg(long, default_value = "adam")]
    pub optimizer: String,
    /// Learning rate (default 1e-3 for adam and adadelta, 0.01 for sgd)
    #[arg(long)]
    pub lr: Option<f32>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// end-to-end, layerwise, deep-supervision or gradual-unfreeze; --epochs is the budget
    /// shared by the stages
    #[arg(long, default_value = "end-to-end")]
    pub schedule: String,
    /// A schedule declared in TOML as [[stage]] tables (train = [...], heads = {...},
    /// lr_mult = {...}, epochs = N); overrides --schedule
    #[arg(long)]
    pub schedule_file: Option<PathBuf>,
    /// layerwise: epochs of a last stage that trains every layer (taken from the budget)
    #[arg(long, default_value_t = 0)]
    pub finetune_epochs: usize,
    /// deep-supervision: weight of each auxiliary loss
    #[arg(long, default_value_t = 0.3)]
    pub aux_weight: f32,
    /// Layers that never train, e.g. embedding,lstm_0
    #[arg(long, value_delimiter = ',')]
    pub freeze: Vec<String>,
    /// Per-layer learning-rate multipliers, e.g. embedding=0.1,lstm_0=0.5
    #[arg(long, value_delimiter = ',')]
    pub lr_mult: Vec<String>,
    /// Skip the linear probes of every layer after each stage
    #[arg(long)]
    pub no_probes: bool,
    /// Stop a stage after N epochs without a lower val_loss and keep its best weights (Keras's
    /// EarlyStopping(patience=N, restore_best_weights=True)); needs validation data
    #[arg(long)]
    pub early_stopping: Option<usize>,
    /// What --early-stopping watches: val_loss (Keras's default) or val_accuracy
    #[arg(long, default_value = "val_loss")]
    pub monitor: String,
    /// Rescale each output unit's head weights to an L2 norm of at most S after every step
    /// (Keras kernel_constraint=MaxNorm(S); Kim's CNN: 3)
    #[arg(long, value_name = "S")]
    pub max_norm: Option<f32>,
}

impl TrainArgs {
    /// Checks ranges and builds the settings; `validation_split` comes from the command.
    pub fn settings(&self, validation_split: f64) -> Result<TrainSettings> {
        self.settings_for(validation_split, None)
    }

    /// The settings with `schedule` (a name) in place of `--schedule`.
    pub fn settings_for(&self, validation_split: f64, schedule: Option<&str>) -> Result<TrainSettings> {
        let maxlen = self.maxlen.unwrap_or(if self.model == "han" && self.model_file.is_none() { 40 } else { 100 });
        let positive = [
            (self.epochs, "--epochs", "10"),
            (self.batch_size, "--batch-size", "32"),
            (maxlen, "--maxlen", "100"),
            (self.units.unwrap_or(1), "--units", "64"),
            (self.max_sentences.unwrap_or(1), "--max-sentences", "15"),
            (self.embedding_dim, "--embedding-dim", "128"),
        ];
        for (v, flag, seed) in positive {
            if v == 0 {
                bail!("{flag} must be at least 1 (hint: the seed uses {seed})");
            }
        }
        if self.num_words < 2 {
            bail!("--num-words must be at least 2: index 0 is padding (hint: the seed uses 10000)");
        }
        if !(0.0..1.0).contains(&validation_split) {
            bail!("--validation-split must be in [0, 1) (hint: 0.1 holds out a tenth)");
        }
        if !(self.aux_weight.is_finite() && self.aux_weight >= 0.0) {
            bail!("--aux-weight must be a non-negative number (hint: deep supervision uses 0.3)");
        }
        strata_model::limits::check_layers(self.layers)?;
        let model = match &self.model_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("{}: cannot read: {e} (hint: check the path)", path.display()))?;
                model_file::parse(&text, &path.display().to_string(), self.embedding_dim)?
            }
            None => {
                let knobs = Knobs { units: self.units, layers: self.layers, sentences: self.max_sentences };
                ModelSettings::named(&self.model, self.embedding_dim, knobs)?
            }
        };
        let mut model = model;
        if let Some(a) = self.embedding_init {
            if !(a.is_finite() && a >= 0.0) {
                bail!("--embedding-init must be a non-negative number (hint: Keras uses 0.05)");
            }
            model.embedding_init = a;
        }
        // sizes that would overflow or abort an allocation, before any data is read
        strata_model::limits::check_training(&model.config(self.num_words, 2), maxlen, self.batch_size)?;
        let optimizer = match self.optimizer.as_str() {
            "adam" => OptimizerKind::Adam { lr: self.lr.unwrap_or(1e-3) },
            "sgd" => OptimizerKind::Sgd { lr: self.lr.unwrap_or(0.01) },
            "adadelta" => OptimizerKind::Adadelta { lr: self.lr.unwrap_or(1e-3) },
            other => bail!("unknown --optimizer '{other}' (hint: use adam, sgd or adadelta)"),
        };
        if !(optimizer.lr() > 0.0 && optimizer.lr().is_finite()) {
            bail!("--lr must be a positive number (hint: Keras's Adam uses 0.001)");
        }
        Ok(TrainSettings {
            text: TextSettings {
                tokenizer: TokenizerConfig {
                    num_words: Some(self.num_words),
                    filters: self.filters.clone(),
                    lower: !self.no_lower,
                    split: " ".into(),
                    char_level: self.char_level || self.tokenizer == "char",
                    oov_token: (!self.oov_token.is_empty()).then(|| self.oov_token.clone()),
                    segmenter: match self.tokenizer.as_str() {
                        "word" | "char" => Segmenter::Keras,
                        "jieba" => Segmenter::Jieba,
                        other => bail!("unknown --tokenizer '{other}' (hint: use word, char or jieba)"),
                    },
                },
                pad: PadSequences { maxlen, padding: self.padding, truncating: self.truncating },
            },
            schedule: self.schedule(&model, schedule)?,
            model,
            fit: FitOptions {
                epochs: self.epochs,
                batch_size: self.batch_size,
                optimizer,
                seed: self.seed,
                shuffle: true,
                early_stopping: self.early_stopping,
                monitor: match self.monitor.as_str() {
                    "val_loss" => Monitor::ValLoss,
                    "val_accuracy" => Monitor::ValAccuracy,
                    other => bail!("unknown --monitor '{other}' (hint: use val_loss or val_accuracy)"),
                },
                max_norm: match self.max_norm {
                    Some(s) if !(s > 0.0 && s.is_finite()) => {
                        bail!("--max-norm must be a positive number (hint: Kim uses 3)")
                    }
                    other => other,
                },
            },
            validation_split,
            probes: if self.no_probes { Probes::Off } else { Probes::EveryStage },
        })
    }
}

#[derive(Args)]
pub struct TrainCmd {
    /// Labelled data: TSV (label<TAB>text), CSV with a header, JSONL or fastText
    #[arg(long, required_unless_present = "resume")]
    pub data: Option<PathBuf>,
    /// Run folder to write (model/, history.csv, run.toml, metrics.json)
    #[arg(long, required_unless_present = "resume")]
    pub out: Option<PathBuf>,
    /// Write a checkpoint (weights, optimizer state, progress) every N epochs, atomically, to
    /// OUT/checkpoint/
    #[arg(long)]
    pub checkpoint_every: Option<usize>,
    /// Continue the run in DIR from its last checkpoint, with the flags it was started with
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Fraction held out (stratified, seeded) for val_loss / val_accuracy
    #[arg(long, default_value_t = 0.1)]
    pub validation_split: f64,
    /// A labelled file to validate on instead (Keras validation_data=), e.g. a dev split;
    /// overrides --validation-split
    #[arg(long)]
    pub validation_data: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub train: TrainArgs,
}

#[derive(Args)]
pub struct TestCmd {
    /// Model folder (or the run folder holding model/)
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Args)]
pub struct PredictCmd {
    #[arg(long)]
    pub model: PathBuf,
    /// One text per line; - or nothing reads stdin
    pub input: Option<PathBuf>,
    /// Print the K most probable labels for each text
    #[arg(long, default_value_t = 1)]
    pub top_k: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct CvCmd {
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value_t = 10)]
    pub folds: usize,
    /// Fraction of each training part held out for val_loss / val_accuracy (0: none; the
    /// held-out fold is the test set either way)
    #[arg(long, default_value_t = 0.0)]
    pub validation_split: f64,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub train: TrainArgs,
}

#[derive(Args)]
pub struct ProbeCmd {
    /// Model folder (or the run folder holding model/)
    #[arg(long)]
    pub model: PathBuf,
    /// Labelled data; probes are fitted on part of it and scored on the rest
    #[arg(long)]
    pub data: PathBuf,
    /// Fraction held out (stratified) to score the probes
    #[arg(long, default_value_t = 0.2)]
    pub holdout: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write probes.json (default: beside the model folder)
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Args)]
pub struct ExperimentCmd {
    /// Labelled data for k-fold cross-validation
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long, default_value_t = 10)]
    pub folds: usize,
    /// A fixed split instead of folds: training file (with --test, and --dev if the data has
    /// one; otherwise --validation-split of it is held out)
    #[arg(long = "train")]
    pub train_file: Option<PathBuf>,
    #[arg(long)]
    pub dev: Option<PathBuf>,
    #[arg(long)]
    pub test: Option<PathBuf>,
    /// Schedules to compare
    #[arg(long, value_delimiter = ',', default_value = "end-to-end,layerwise,deep-supervision,gradual-unfreeze")]
    pub schedules: Vec<String>,
    /// Fraction of each fold's training part held out for learning curves and probes
    #[arg(long, default_value_t = 0.1)]
    pub validation_split: f64,
    /// Folder for results.json, report.md and report/index.html
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub train: TrainArgs,
}

#[derive(Args)]
pub struct ExplainCmd {
    /// Model folder (or the run folder holding model/)
    #[arg(long)]
    pub model: PathBuf,
    /// The text to explain
    pub text: String,
    /// Also write the explanation as a page with each word shaded
    #[arg(long)]
    pub html: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ServeCmd {
    /// Model folder (or the run folder holding model/)
    #[arg(long)]
    pub model: PathBuf,
    /// Address to bind (loopback by default; 0.0.0.0 exposes the server to the network)
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Largest request body in bytes; larger ones get 413
    #[arg(long, default_value_t = 1 << 20)]
    pub max_body: usize,
}

#[derive(Args)]
pub struct DemoCmd {
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Examples in the generated corpus (80% train, 20% held out)
    #[arg(long, default_value_t = 5000)]
    pub size: usize,
}

impl TrainArgs {
    /// The schedule from `--schedule-file`, or the named one, with `--freeze` and `--lr-mult`.
    fn schedule(&self, model: &ModelSettings, name: Option<&str>) -> Result<Schedule> {
        let config = model.config(2, 2);
        let mut schedule = match (&self.schedule_file, name) {
            (Some(path), None) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("{}: cannot read: {e} (hint: check the path)", path.display()))?;
                Schedule::from_toml(&text, &path.display().to_string(), &config)?
            }
            _ => Schedule::named(
                name.unwrap_or(&self.schedule),
                &config,
                self.epochs,
                self.finetune_epochs,
                self.aux_weight,
            )?,
        };
        if self.finetune_epochs >= self.epochs && schedule.name == "layerwise" {
            bail!("--finetune-epochs must be less than --epochs (hint: the layer stages need epochs too)");
        }
        let mut mults = Vec::new();
        for item in &self.lr_mult {
            let parsed = item.split_once('=').and_then(|(k, v)| v.parse::<f32>().ok().map(|v| (k.to_string(), v)));
            match parsed {
                Some((k, v)) if v >= 0.0 && v.is_finite() => mults.push((k, v)),
                _ => bail!("--lr-mult '{item}' is not layer=number (hint: e.g. --lr-mult embedding=0.1)"),
            }
        }
        schedule.freeze(&self.freeze, &config)?;
        schedule.scale_lr(&mults, &config)?;
        Ok(schedule)
    }
}

/// For `train --resume DIR`: the command line the run was started with (saved in
/// DIR/args.json), with `--resume DIR` added.
pub fn resumed(dir: &std::path::Path) -> Result<Cli> {
    let path = dir.join("args.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        anyhow::anyhow!("{}: cannot read: {e} (hint: resume a run started with --checkpoint-every)", path.display())
    })?;
    let argv: Vec<String> = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: corrupt: {e} (hint: restore the run folder)", path.display()))?;
    let mut cli = Cli::try_parse_from(&argv)
        .map_err(|e| anyhow::anyhow!("{}: {} (hint: restore the run folder)", path.display(), e.kind()))?;
    match &mut cli.command {
        Command::Train(t) => t.resume = Some(dir.to_path_buf()),
        _ => bail!("{}: not a `strata train` command line (hint: restore the run folder)", path.display()),
    }
    Ok(cli)
}

/// Sets rayon's global pool to `threads` (default: all cores).
pub fn init_threads(threads: Option<usize>) -> Result<()> {
    let n = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if n == 0 {
        bail!("--threads must be at least 1");
    }
    rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    Ok(())
}

/// `--model-file`'s long help, with the layer types from the registry.
fn model_file_help() -> String {
    let types: Vec<String> = strata_model::layers::LayerSpec::TYPES.iter().map(|t| format!("\"{t}\"")).collect();
    format!("A model declared in TOML as [[layer]] tables (type = {}); overrides --model", types.join(", "))
}
