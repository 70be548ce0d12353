//! Command-line flags, declared: their names, help, headings and defaults (`settings.rs` turns
//! them into the settings a run uses). Defaults are the seed's Keras values:
//! `Tokenizer(num_words=10000, oov_token="<OOV>")`, `pad_sequences(maxlen=100)`,
//! `Embedding(10000, 128) → LSTM(64) → Dense(1)`, Adam(1e-3), `fit(epochs=10, batch_size=32)`.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

pub use crate::args_train::{MultiLabelArgs, ReadArgs, TokenizerArgs, TrainArgs};
use crate::choices;

// The headings `--help` groups flags under.
const DATA: &str = "Data";
const MODEL: &str = "Model";
const TRAINING: &str = "Training";
const SCHEDULE: &str = "Schedule";
const OUTPUT: &str = "Output";
const SERVER: &str = "Server";

/// `strata --version`: the crate version and the commit it was built from (see build.rs).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("STRATA_COMMIT"), ")");

#[derive(Parser)]
#[command(name = "strata", version = VERSION, about = "Train, compare, explain and serve text classifiers")]
pub struct Cli {
    /// Worker threads (one batch chunk each); results are reproducible for a given seed and
    /// thread count. Default: all cores.
    #[arg(long, global = true, help_heading = TRAINING)]
    pub threads: Option<usize>,
    /// Print no progress lines on stderr (epochs, folds, stages); results and errors still print
    #[arg(short, long, global = true, conflicts_with = "verbose", help_heading = OUTPUT)]
    pub quiet: bool,
    /// Print more detail on stderr: the schedule's stages before training, the learning rate on
    /// each epoch line
    #[arg(short, long, global = true, help_heading = OUTPUT)]
    pub verbose: bool,
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
    /// The seed model, then its stacked model end-to-end and layer by layer, on a built-in corpus (no files, no network)
    Demo(DemoCmd),
    /// Linear probes: what each layer of a saved model makes linearly readable
    Probe(ProbeCmd),
    /// Every schedule on the same folds, seed and epoch budget, with a report
    Experiment(ExperimentCmd),
    /// Re-render a finished experiment's report.md and report/index.html from its results.json
    Report(ReportCmd),
    /// Which words decided a prediction (occlusion saliency per token)
    Explain(ExplainCmd),
    /// Serve a model over HTTP: JSON predict API and a predict page
    Serve(ServeCmd),
    /// Print a shell completion script on stdout, e.g. `strata completions bash`
    Completions(CompletionsCmd),
    /// Learn a model's lower levels from unlabelled text (skip-gram vectors, a next-word LSTM/GRU
    /// language model) into a folder `--init-from` loads
    Pretrain(PretrainArgs),
    /// Search a model's hyperparameters on a validation split within a time budget
    /// (successive halving over epochs), and keep the best run
    Tune(crate::args_tune::TuneCmd),
    /// Write a model as an ONNX file (token ids in, probabilities out), or the ids it reads
    Export(ExportCmd),
    /// Make a Keras model (.keras or .h5) and its Tokenizer.to_json() into a strata model folder
    ImportKeras(crate::args_import_keras::ImportKerasCmd),
    /// Make several trained models into one ensemble folder (soft voting: the weighted mean of
    /// their probabilities), weights given or tuned on a validation file
    Ensemble(crate::args_ensemble::EnsembleCmd),
}

/// `strata export`: the model as ONNX, or the ids the ONNX graph reads for some texts.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["onnx", "ids"])))]
pub struct ExportCmd {
    /// Model folder (or the run folder holding model/)
    #[arg(long, help_heading = MODEL)]
    pub model: PathBuf,
    /// Write the model as an ONNX file (opset 17) to --out: input_ids int64 [N, T] in (the ids
    /// --ids writes; for the linear model its input rows, padded with -1), probabilities float
    /// [N, K] out, as predict prints them; the tokenizer stays outside the graph
    #[arg(long, requires = "out", help_heading = OUTPUT)]
    pub onnx: bool,
    /// Write the ids the ONNX graph reads for each text of INPUT: one line of space-separated
    /// ids per text, on stdout or into --out
    #[arg(long, requires = "input", help_heading = OUTPUT)]
    pub ids: bool,
    /// Texts for --ids, one per line; .csv, .jsonl/.ndjson and .tsv files give their text
    /// column or field; - reads stdin
    #[arg(long, help_heading = DATA)]
    pub input: Option<PathBuf>,
    /// Input format; default: from the extension, else one text a line
    #[arg(long, value_enum, help_heading = DATA)]
    pub format: Option<choices::Format>,
    /// Text column (CSV) or field (JSONL) of the input
    #[arg(long, default_value = "text", help_heading = DATA)]
    pub text_col: String,
    /// File to write (atomically): the .onnx file, or the ids; an existing file is replaced
    /// only if it is an ONNX file strata wrote (--onnx) or not the input (--ids)
    #[arg(short = 'o', long, value_name = "FILE", help_heading = OUTPUT)]
    pub out: Option<PathBuf>,
}

#[derive(Args)]
pub struct CompletionsCmd {
    /// The shell to complete for
    #[arg(help_heading = OUTPUT)]
    pub shell: clap_complete::Shell,
}

#[derive(Args)]
pub struct TrainCmd {
    /// Labelled data: TSV (label<TAB>text), CSV with a header, JSONL or fastText
    #[arg(long, required_unless_present = "resume", help_heading = DATA)]
    pub data: Option<PathBuf>,
    /// Run folder to write (model/, history.csv, run.toml, metrics.json): a new or empty
    /// folder, or an earlier run's with --overwrite; checked before training starts
    #[arg(short = 'o', long, required_unless_present = "resume", help_heading = OUTPUT)]
    pub out: Option<PathBuf>,
    /// Replace the earlier run in --out (strata replaces only what it wrote there)
    #[arg(long, help_heading = OUTPUT)]
    pub overwrite: bool,
    /// Print the final metrics as one JSON object on stdout instead of the summary line:
    /// {"train_loss", "train_accuracy" (last epoch), "val_loss", "val_accuracy" (the saved
    /// model on the validation part; null without one), "n_train", "n_val" (examples),
    /// "epochs" (epochs run), "model" (the saved model folder)}; the same is in OUT/metrics.json
    #[arg(long, help_heading = OUTPUT)]
    pub json: bool,
    /// Write a checkpoint (weights, optimizer state, progress) every N epochs, atomically, to
    /// OUT/checkpoint/
    #[arg(long, help_heading = OUTPUT)]
    pub checkpoint_every: Option<usize>,
    /// Continue the run in DIR from its last checkpoint, with the flags it was started with
    /// (from any directory; refused if its data changed). Other flags given with --resume must
    /// match the run's: a different --epochs, --data, --lr… is refused, not applied (--json, -q
    /// and -v are this command's own). A run killed before its first checkpoint starts again
    /// from epoch 1, with a warning
    #[arg(long, value_name = "DIR", help_heading = TRAINING)]
    pub resume: Option<PathBuf>,
    /// Fraction held out (stratified, seeded) for val_loss / val_accuracy
    #[arg(long, default_value_t = 0.1, help_heading = DATA)]
    pub validation_split: f64,
    /// A labelled file to validate on instead (Keras validation_data=), e.g. a dev split;
    /// overrides --validation-split
    #[arg(long, help_heading = DATA)]
    pub validation_data: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub multi: MultiLabelArgs,
    #[command(flatten)]
    pub train: TrainArgs,
    #[command(flatten)]
    pub tree: crate::args_tree::TreeArgs,
}

/// `strata pretrain`: its own text and model flags (num_words 20000 by default), the two
/// objectives' knobs, and a run folder like train's. The LM defaults are provisional (issue 12).
#[derive(Args)]
pub struct PretrainArgs {
    /// Unlabelled text, one document per line; a .tsv, .csv, .jsonl or (with --format fasttext)
    /// fastText file gives its text column. Repeat for several files
    #[arg(long, required_unless_present = "resume", help_heading = DATA)]
    pub data: Vec<PathBuf>,
    /// Input format of every --data file; default: from the extension, else one text a line
    #[arg(long, value_enum, help_heading = DATA)]
    pub format: Option<choices::Format>,
    /// Text column (CSV) or field (JSONL)
    #[arg(long, default_value = "text", help_heading = DATA)]
    pub text_col: String,
    /// Fraction of the documents held out (seeded) for the language model's val_perplexity
    #[arg(long, default_value_t = 0.02, help_heading = DATA)]
    pub validation_split: f64,
    /// Run folder to write (model/ is the pretrained folder, history.csv, args.json): a new or
    /// empty folder, or an earlier run's with --overwrite; checked before training starts
    #[arg(short = 'o', long, required_unless_present = "resume", help_heading = OUTPUT)]
    pub out: Option<PathBuf>,
    /// Replace the earlier run in --out (strata replaces only what it wrote there)
    #[arg(long, help_heading = OUTPUT)]
    pub overwrite: bool,
    /// Print the results as one JSON object on stdout (what OUT/metrics.json holds)
    #[arg(long, help_heading = OUTPUT)]
    pub json: bool,
    /// Continue the run in DIR from its last language-model checkpoint, with the flags it was
    /// started with
    #[arg(long, value_name = "DIR", help_heading = TRAINING)]
    pub resume: Option<PathBuf>,
    /// Continue an earlier pretrained folder (or the run folder holding it) on this --data:
    /// ULMFiT's second stage, the language model fine-tuned on the target task's texts. Its
    /// vocabulary is kept (never refitted), its model is this run's, and the embedding, the
    /// language model's levels and its output layer start from the folder's tensors (said on
    /// stderr); --objective auto continues what the folder holds. Adam starts afresh
    #[arg(long, value_name = "DIR", help_heading = MODEL,
          conflicts_with_all = ["model", "model_file", "embedding_dim", "units", "layers"])]
    pub init_from: Option<PathBuf>,
    #[command(flatten)]
    pub text: TokenizerArgs,
    /// The model whose levels to pretrain, as in train (seed: embedding 128 + LSTM 64)
    #[arg(long, value_enum, default_value_t = choices::Model::Seed, help_heading = MODEL)]
    pub model: choices::Model,
    /// A model declared in TOML as [[layer]] tables; overrides --model
    #[arg(long, help_heading = MODEL)]
    pub model_file: Option<PathBuf>,
    /// Length of each word's vector (default: the model's recipe, seed 128)
    #[arg(long, help_heading = MODEL)]
    pub embedding_dim: Option<usize>,
    /// Recurrent units per direction (default 64)
    #[arg(long, help_heading = MODEL)]
    pub units: Option<usize>,
    /// Stacked recurrent layers
    #[arg(long, help_heading = MODEL)]
    pub layers: Option<usize>,
    /// skipgram (word vectors for embedding), lm (a next-word model over embedding and the LSTM/GRU
    /// levels directly above it), both (skip-gram vectors start the LM), or auto (both when the
    /// model has such levels, else skipgram)
    #[arg(long, value_enum, default_value_t = choices::Objective::Auto, help_heading = TRAINING)]
    pub objective: choices::Objective,
    /// Skip-gram: largest distance between centre and context word (word2vec -window)
    #[arg(long, default_value_t = 5, help_heading = TRAINING)]
    pub window: usize,
    /// Skip-gram: negative samples per pair (word2vec -negative)
    #[arg(long, default_value_t = 5, help_heading = TRAINING)]
    pub negatives: usize,
    /// Skip-gram: words seen fewer times keep their initial vector (word2vec -min-count)
    #[arg(long, default_value_t = 5, help_heading = TRAINING)]
    pub min_count: u64,
    /// Skip-gram: subsampling threshold of frequent words, 0 for none (word2vec -sample)
    #[arg(long, default_value_t = 1e-4, help_heading = TRAINING)]
    pub sample: f64,
    /// Skip-gram: passes over the text (word2vec -iter)
    #[arg(long, default_value_t = 5, help_heading = TRAINING)]
    pub sg_epochs: usize,
    /// Skip-gram: starting learning rate, decayed linearly (word2vec -alpha)
    #[arg(long, default_value_t = 0.025, help_heading = TRAINING)]
    pub sg_lr: f32,
    /// Skip-gram subwords: shortest character n-gram of `<word>` (fastText -minn); only with
    /// --maxn. Default 3
    #[arg(long, help_heading = TRAINING)]
    pub minn: Option<usize>,
    /// Skip-gram subwords: longest character n-gram, 0 for none (fastText -maxn; its skip-gram
    /// uses 6). With subwords a word's vector is the mean of its own and its n-grams', so words
    /// below --min-count get vectors too
    #[arg(long, default_value_t = 0, help_heading = TRAINING)]
    pub maxn: usize,
    /// Skip-gram subwords: hash buckets of the character n-grams (fastText -bucket); only with
    /// --maxn. Memory grows with the buckets the vocabulary uses, not with this number. Default
    /// 2000000
    #[arg(long, help_heading = TRAINING)]
    pub sg_buckets: Option<usize>,
    /// Language model: passes over the text
    #[arg(long, default_value_t = 2, help_heading = TRAINING)]
    pub epochs: usize,
    /// Language model: truncated-BPTT length in tokens
    #[arg(long, default_value_t = 70, help_heading = TRAINING)]
    pub bptt: usize,
    /// Language model: parallel token streams per batch
    #[arg(long, default_value_t = 32, help_heading = TRAINING)]
    pub batch_size: usize,
    /// Language model: Adam's learning rate
    #[arg(long, default_value_t = 0.001, help_heading = TRAINING)]
    pub lr: f32,
    /// Language model: negative words sampled per batch for the sampled softmax
    #[arg(long, default_value_t = 1024, help_heading = TRAINING)]
    pub samples: usize,
    /// Language model: dropout on the embedding's output
    #[arg(long, default_value_t = 0.1, help_heading = TRAINING)]
    pub dropout_embedding: f32,
    /// Language model: dropout between levels and on the top level's output
    #[arg(long, default_value_t = 0.25, help_heading = TRAINING)]
    pub dropout: f32,
    /// Language model: gradient-norm clip, 0 for none
    #[arg(long, default_value_t = 0.25, help_heading = TRAINING)]
    pub clip_norm: f32,
    /// Language model: ULMFiT's discriminative learning rates. The top level and the output
    /// layer train at --lr, each level below (the embedding last) at the rate of the one above
    /// divided by F (ULMFiT: 2.6). Default: every level at --lr
    #[arg(long, value_name = "F", help_heading = TRAINING)]
    pub lr_decay_per_level: Option<f32>,
    /// Language model: ULMFiT's slanted triangular learning rate over all steps of all epochs:
    /// a linear rise from --lr/32 to --lr over the first 10% of the steps, then a linear fall
    /// back to --lr/32
    #[arg(long, help_heading = TRAINING)]
    pub slanted_triangular_lr: bool,
    /// Seed of the initial weights, the held-out documents, sampling and dropout: the same seed
    /// and --threads give the same folder
    #[arg(long, default_value_t = 0, help_heading = TRAINING)]
    pub seed: u64,
}

#[derive(Args)]
pub struct TestCmd {
    /// Model folder (or the run folder holding model/)
    #[arg(long, help_heading = MODEL)]
    pub model: PathBuf,
    /// Labelled data to score the model on (same formats as train's --data)
    #[arg(long, help_heading = DATA)]
    pub data: PathBuf,
    /// Print the scores as one JSON object (n, accuracy, precision, recall, f1, macro_f1,
    /// micro_f1, per_class, labels, confusion)
    #[arg(long, help_heading = OUTPUT)]
    pub json: bool,
    /// Also write each row's text, gold label, predicted label and its probability to FILE:
    /// JSONL if it ends in .jsonl, .ndjson or .json, else TSV with a header row
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub predictions: Option<PathBuf>,
    /// For a multi-label model: the separator of the labels in a TSV or CSV label column
    #[arg(long, value_name = "SEP", help_heading = DATA)]
    pub label_sep: Option<String>,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub reject: crate::args_tree::RejectArgs,
}

#[derive(Args)]
#[command(after_help = "One output line per input line, always: a blank input line (empty or only spaces) gets a \
blank output line, as in fastText's predict (in jsonl, an object whose label and score are null), so \
output line N answers input line N. CSV input gives one output line per record.")]
pub struct PredictCmd {
    /// Model folder (or the run folder holding model/)
    #[arg(long, help_heading = MODEL)]
    pub model: PathBuf,
    /// One text per line; .csv, .jsonl/.ndjson and .tsv files give their text column or field.
    /// - or nothing reads stdin
    #[arg(help_heading = DATA)]
    pub input: Option<PathBuf>,
    /// Input format; default: from the extension, else one text a line
    #[arg(long, value_enum, help_heading = DATA)]
    pub format: Option<choices::Format>,
    /// Text column (CSV) or field (JSONL) of the input
    #[arg(long, default_value = "text", help_heading = DATA)]
    pub text_col: String,
    /// Print the K most probable labels for each text (a multi-label model prints every label
    /// above its threshold, most probable first: at most K of them when K is above 1)
    #[arg(long, default_value_t = 1, help_heading = OUTPUT)]
    pub top_k: usize,
    /// Write the predictions to FILE (written whole, atomically) instead of stdout
    #[arg(long, short, value_name = "FILE", help_heading = OUTPUT)]
    pub output: Option<PathBuf>,
    /// tsv: label<TAB>score; jsonl: one JSON object a line; fasttext: __label__X score, as
    /// fastText's predict-prob. Default: jsonl for an --output ending in .jsonl, .ndjson or
    /// .json, else tsv
    #[arg(long, value_enum, help_heading = OUTPUT)]
    pub output_format: Option<choices::PredictionFormat>,
    /// Same as --output-format jsonl: one JSON object per text, {"text", "label", "score"}, or
    /// {"text", "top_k": [{"label", "score"}, ...]} with --top-k above 1, or for a multi-label
    /// model {"text", "labels": [{"label", "score"}, ...]}
    #[arg(long, conflicts_with = "output_format", help_heading = OUTPUT)]
    pub json: bool,
    /// Answer "none of the known labels" (__none__, score of the best label) when the top
    /// probability is below P (0 to 1): out-of-scope rejection
    #[arg(long, value_name = "P", help_heading = OUTPUT)]
    pub reject_below: Option<f32>,
    /// Predict only shard I (0 to N-1) of the input file: the lines that start in its I-th of N
    /// equal byte ranges, written to OUTPUT.shard-IIIII-of-NNNNN (cat them in name order for the
    /// whole). Default: the MPI rank (OMPI_COMM_WORLD_RANK, PMI_RANK), the Slurm array task
    /// (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job's JOB_COMPLETION_INDEX
    #[arg(long, value_name = "I", help_heading = DATA)]
    pub shard_index: Option<u64>,
    /// The number of shards N; default: the MPI size (OMPI_COMM_WORLD_SIZE, PMI_SIZE) or
    /// SLURM_ARRAY_TASK_COUNT (a Kubernetes Indexed Job needs it given)
    #[arg(long, value_name = "N", help_heading = DATA)]
    pub shard_count: Option<u64>,
}

#[derive(Args)]
pub struct CvCmd {
    /// Labelled data to split into folds (same formats as train's --data)
    #[arg(long, help_heading = DATA)]
    pub data: PathBuf,
    /// Number of stratified folds (K); each is the test set once
    #[arg(long, default_value_t = 10, help_heading = DATA)]
    pub folds: usize,
    /// Fraction of each training part held out for val_loss / val_accuracy (0: none; the
    /// held-out fold is the test set either way)
    #[arg(long, default_value_t = 0.0, help_heading = DATA)]
    pub validation_split: f64,
    /// Print the result as one JSON object: {"folds": [{"fold", "accuracy", "loss", "n_train",
    /// "n_test", "seconds"}], "mean_accuracy", "std_accuracy" (over folds), "epochs", "seconds"}
    #[arg(long, help_heading = OUTPUT)]
    pub json: bool,
    /// Write the folds to FILE before training, one `line<TAB>fold` per example (its 1-based
    /// line in --data, the 0-based fold that tests it: fold 0 is the report's fold 1), so another
    /// tool can be scored on the same splits; never the --data file
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub folds_out: Option<PathBuf>,
    /// Save each fold's trained model as DIR/fold-K (K 0-based, the folds --folds-out writes),
    /// so per-fold models can be tested, served or made into ensembles
    #[arg(long, value_name = "DIR", help_heading = OUTPUT)]
    pub save_models: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub multi: MultiLabelArgs,
    #[command(flatten)]
    pub train: TrainArgs,
}

#[derive(Args)]
pub struct ProbeCmd {
    /// Model folder (or the run folder holding model/)
    #[arg(long, help_heading = MODEL)]
    pub model: PathBuf,
    /// Labelled data; probes are fitted on part of it and scored on the rest
    #[arg(long, help_heading = DATA)]
    pub data: PathBuf,
    /// Fraction held out (stratified) to score the probes
    #[arg(long, default_value_t = 0.2, help_heading = DATA)]
    pub holdout: f64,
    /// Seed of the held-out split and the probes' training
    #[arg(long, default_value_t = 0, help_heading = TRAINING)]
    pub seed: u64,
    /// Where to write the probes as JSON (default: probes-<data file stem>.json beside the model
    /// folder); never the --data file
    #[arg(short = 'o', long, help_heading = OUTPUT)]
    pub out: Option<PathBuf>,
    /// Print the probes as JSON (what probes.json holds) instead of a table
    #[arg(long, help_heading = OUTPUT)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Args)]
pub struct ExperimentCmd {
    /// Labelled data for k-fold cross-validation
    #[arg(long, help_heading = DATA)]
    pub data: Option<PathBuf>,
    /// Number of stratified folds with --data; every schedule trains on the same folds
    #[arg(long, default_value_t = 10, help_heading = DATA)]
    pub folds: usize,
    /// A fixed split instead of folds: training file (with --test, and --dev if the data has
    /// one; otherwise --validation-split of it is held out)
    #[arg(long = "train", help_heading = DATA)]
    pub train_file: Option<PathBuf>,
    /// The fixed split's validation file (learning curves and probes)
    #[arg(long, help_heading = DATA)]
    pub dev: Option<PathBuf>,
    /// The fixed split's test file (the accuracy each schedule is compared on)
    #[arg(long, help_heading = DATA)]
    pub test: Option<PathBuf>,
    /// Schedules to compare. With --init-from, each runs from scratch and from the folder's
    /// levels ("NAME (pretrained)") on the same folds; ulmfit runs only pretrained
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "end-to-end,layerwise,deep-supervision,gradual-unfreeze",
        help_heading = SCHEDULE
    )]
    pub schedules: Vec<choices::Schedule>,
    /// Fraction of each fold's training part held out for learning curves and probes
    #[arg(long, default_value_t = 0.1, help_heading = DATA)]
    pub validation_split: f64,
    /// Run every schedule under R seeds (--seed, --seed+1, …), splits made again under each;
    /// the report counts wins over every (split, seed) pair
    #[arg(long, default_value_t = 1, help_heading = SCHEDULE)]
    pub repeats: usize,
    /// Folder for results.json, report.md and report/index.html: a new or empty folder, or an
    /// earlier experiment's with --overwrite; checked before training starts
    #[arg(short = 'o', long, help_heading = OUTPUT)]
    pub out: PathBuf,
    /// Replace the earlier experiment in --out (strata replaces only what it wrote there)
    #[arg(long, help_heading = OUTPUT)]
    pub overwrite: bool,
    /// Print results.json on stdout instead of the markdown report
    #[arg(long, help_heading = OUTPUT)]
    pub json: bool,
    /// The model every schedule is compared against, trained on the same splits and shown as the
    /// first row of every result: fastText's linear model with its defaults (the linear flags,
    /// --buckets, --dim, …, configure it), or none
    #[arg(long, value_enum, default_value_t = choices::Baseline::Linear, help_heading = SCHEDULE)]
    pub baseline: choices::Baseline,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub train: TrainArgs,
    #[command(flatten)]
    pub tree: crate::args_tree::ExperimentTreeArgs,
    // `--multi-label`, `--label-sep`, `--threshold`: several labels a text, every model
    // compared on the multi-label figures (micro F1 first)
    #[command(flatten)]
    pub multi: MultiLabelArgs,
}

#[derive(Args)]
pub struct ReportCmd {
    /// The experiment's folder (what `strata experiment --out` wrote: it holds results.json)
    #[arg(help_heading = DATA)]
    pub run: PathBuf,
}

#[derive(Args)]
pub struct ExplainCmd {
    /// Model folder (or the run folder holding model/)
    #[arg(long, help_heading = MODEL)]
    pub model: PathBuf,
    /// The text to explain
    #[arg(help_heading = DATA)]
    pub text: String,
    /// Also write the explanation as a page with each word shaded
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub html: Option<PathBuf>,
    /// Names to show for the model's labels, e.g. 0=neg,1=pos for data that labels its classes
    /// by number
    #[arg(long, value_delimiter = ',', value_parser = label_name, value_name = "LABEL=NAME", help_heading = MODEL)]
    pub label_names: Vec<(String, String)>,
    /// Print the explanation as one JSON object: {"text", "label", "score", "tokens": [{"token",
    /// "in_vocabulary", "occlusion", "gradient_x_input", ...}]}
    #[arg(long, help_heading = OUTPUT)]
    pub json: bool,
}

#[derive(Args)]
pub struct ServeCmd {
    /// Model folder (or the run folder holding model/)
    #[arg(long, help_heading = MODEL)]
    pub model: PathBuf,
    /// Address to bind (loopback by default; 0.0.0.0 exposes the server to the network)
    #[arg(long, default_value = "127.0.0.1", help_heading = SERVER)]
    pub host: String,
    /// TCP port to listen on
    #[arg(long, default_value_t = 8080, help_heading = SERVER)]
    pub port: u16,
    /// Largest request body in bytes; larger ones get 413
    #[arg(long, default_value_t = 1 << 20, help_heading = SERVER)]
    pub max_body: usize,
    /// Names to answer with for the model's labels, e.g. 0=neg,1=pos for data that labels its
    /// classes by number; the API, /v1/model and the page use them
    #[arg(long, value_delimiter = ',', value_parser = label_name, value_name = "LABEL=NAME", help_heading = MODEL)]
    pub label_names: Vec<(String, String)>,
    /// Texts in one /v1/predict request; more get 413 (like TEI's max client batch size)
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..), help_heading = SERVER)]
    pub max_inputs: u32,
    /// Predict requests waiting for the model; when full, new ones get 503 with Retry-After
    /// (TorchServe's job_queue_size)
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..), help_heading = SERVER)]
    pub queue_depth: u32,
    /// Seconds a request may take before it is answered 408 and its work dropped (TorchServe's
    /// default_response_timeout)
    #[arg(long, default_value_t = 30.0, value_parser = positive_seconds, help_heading = SERVER)]
    pub deadline: f64,
    /// Seconds a client may take to send a request's headers; idle kept-alive connections are
    /// closed after as long
    #[arg(long, default_value_t = 10.0, value_parser = positive_seconds, help_heading = SERVER)]
    pub header_timeout: f64,
    /// Tokens in one /v1/explain text; longer ones get 413
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..), help_heading = SERVER)]
    pub max_explain_tokens: u32,
    /// Explanations computed at once; more get 429 with Retry-After
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..), help_heading = SERVER)]
    pub max_concurrent_explains: u32,
    /// Open connections; further clients wait to be accepted (kept under `ulimit -n`)
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..), help_heading = SERVER)]
    pub max_connections: u32,
    /// Seconds SIGTERM or Ctrl-C waits for requests in flight before dropping them
    #[arg(long, default_value_t = 10.0, value_parser = positive_seconds, help_heading = SERVER)]
    pub drain: f64,
    /// Answer "none of the known labels" ([{"label": "__none__", "score": top probability}])
    /// for a text whose top probability is below P (0 to 1): out-of-scope rejection
    #[arg(long, value_name = "P", help_heading = SERVER)]
    pub reject_below: Option<f32>,
}

/// A duration in seconds for `strata serve`: positive and finite.
fn positive_seconds(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() && v < 1e9 => Ok(v),
        _ => Err(format!("{s:?} is not a positive number of seconds")),
    }
}

#[derive(Args)]
pub struct DemoCmd {
    /// Epochs of the seed model, and the budget each schedule of the stacked model gets
    #[arg(long, default_value_t = 10, help_heading = TRAINING)]
    pub epochs: usize,
    /// Seeds the corpus, the split and every model
    #[arg(long, default_value_t = 0, help_heading = TRAINING)]
    pub seed: u64,
    /// Examples in the generated corpus (80% train, 20% held out)
    #[arg(long, default_value_t = 5000, help_heading = DATA)]
    pub size: usize,
}

/// One `LABEL=NAME` of `--label-names`.
fn label_name(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((label, name)) if !label.is_empty() && !name.trim().is_empty() => Ok((label.into(), name.trim().into())),
        _ => Err(format!("'{s}' is not LABEL=NAME (e.g. 0=neg,1=pos)")),
    }
}
