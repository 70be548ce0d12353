//! The flag groups several commands share: how to read a labelled file (`ReadArgs`), how text
//! becomes tokens (`TokenizerArgs`) and how a model is built and trained (`TrainArgs`, which
//! train, cv, experiment and tune flatten). `settings.rs` gives them their meaning.

use clap::Args;
use std::path::PathBuf;
use strata_data::ReadOptions;
use strata_model::zoo;
use strata_text::KERAS_FILTERS;

use crate::choices;

const DATA: &str = "Data";
const TEXT: &str = "Text";
const MODEL: &str = "Model";
const TRAINING: &str = "Training";
const SCHEDULE: &str = "Schedule";
const OUTPUT: &str = "Output";
/// How to read a labelled file.
#[derive(Args, Clone)]
pub struct ReadArgs {
    /// Input format; detected from the extension or first line when omitted
    #[arg(long, value_enum, help_heading = DATA)]
    pub format: Option<choices::Format>,
    /// Text column (CSV) or field (JSONL)
    #[arg(long, default_value = "text", help_heading = DATA)]
    pub text_col: String,
    /// Label column (CSV) or field (JSONL)
    #[arg(long, default_value = "label", help_heading = DATA)]
    pub label_col: String,
}

impl ReadArgs {
    pub fn options(&self) -> ReadOptions {
        ReadOptions {
            format: self.format.map(Into::into),
            text_col: self.text_col.clone(),
            label_col: self.label_col.clone(),
        }
    }
}

/// Several labels a text (issue 15): how `train` reads them and decides.
#[derive(Args, Clone, Default)]
pub struct MultiLabelArgs {
    /// Texts may carry several labels (fastText's several __label__s, a JSONL list, a TSV/CSV
    /// label column split on --label-sep): one sigmoid per label with binary cross-entropy
    /// (fastText's -loss ova), a threshold per label tuned on the validation part (best F1)
    #[arg(long, help_heading = DATA)]
    pub multi_label: bool,
    /// With --multi-label: the separator of the labels in a TSV or CSV label column (e.g. '|')
    #[arg(long, value_name = "SEP", help_heading = DATA)]
    pub label_sep: Option<String>,
    /// With --multi-label: predict every label whose probability is at least P, one threshold
    /// for all labels, instead of the thresholds tuned on the validation part
    #[arg(long, value_name = "P", help_heading = TRAINING)]
    pub threshold: Option<f32>,
}

/// How text becomes tokens (Keras's `Tokenizer`), shared by the commands that fit one.
#[derive(Args, Clone)]
pub struct TokenizerArgs {
    /// Keep the num_words-1 most frequent words (index 0 is padding), as Keras does (default:
    /// the model's recipe, seed 10000; pretrain 20000)
    #[arg(long, help_heading = TEXT)]
    pub num_words: Option<usize>,
    /// Token for out-of-vocabulary words (index 1); "" for none
    #[arg(long, default_value = "<OOV>", help_heading = TEXT)]
    pub oov_token: String,
    /// Keep case (Keras lower=False)
    #[arg(long, help_heading = TEXT)]
    pub no_lower: bool,
    /// word (Keras's split on spaces), char (one token per character, Keras char_level=True; good
    /// for Chinese), or jieba (Chinese word segmentation, embedded dictionary)
    #[arg(long, value_enum, default_value_t = choices::Tokenizer::Word, help_heading = TEXT)]
    pub tokenizer: choices::Tokenizer,
    /// Characters instead of words (Keras char_level=True; same as --tokenizer char)
    #[arg(long, help_heading = TEXT)]
    pub char_level: bool,
    /// Characters treated as separators (Keras `filters`; default: Keras's punctuation set)
    #[arg(long, default_value = KERAS_FILTERS, hide_default_value = true, help_heading = TEXT)]
    pub filters: String,
}

/// Everything that shapes training.
#[derive(Args, Clone)]
pub struct TrainArgs {
    /// Passes over the training data (the budget all stages of a schedule share). Default: the
    /// model's recipe (seed 10, linear 25; see --model)
    #[arg(long, help_heading = TRAINING)]
    pub epochs: Option<usize>,
    /// Examples per gradient step (Keras fit's batch_size). Default: the model's recipe (seed 32)
    #[arg(long, help_heading = TRAINING)]
    pub batch_size: Option<usize>,
    /// Batches of texts of similar length, each padded only to its own longest text: each
    /// epoch's seeded shuffle is sorted by length in pools of 50 batches, and the batches are
    /// shuffled (seeded). Every training batch is then cut to the steps that hold a real token
    #[arg(long, help_heading = TRAINING)]
    pub bucket_by_length: bool,
    /// Sequence length after padding/truncation (default: the model's recipe, seed 100; for
    /// han, words per sentence, 30)
    #[arg(long, help_heading = TEXT)]
    pub maxlen: Option<usize>,
    #[command(flatten)]
    pub text: TokenizerArgs,
    /// Which end of a short sequence gets the padding zeros (Keras pad_sequences padding=)
    #[arg(long, value_enum, default_value_t = choices::Side::Pre, help_heading = TEXT)]
    pub padding: choices::Side,
    /// Which end of a long sequence is cut (Keras pad_sequences truncating=)
    #[arg(long, value_enum, default_value_t = choices::Side::Pre, help_heading = TEXT)]
    pub truncating: choices::Side,
    /// seed (one LSTM), seed-stacked (LSTM(return_sequences) → LSTM), gru (Keras
    /// reset_after=True), bilstm (Bidirectional(LSTM)), kim-cnn (Kim 2014: widths 3, 4, 5 × 100
    /// maps, ReLU, max over time, dropout 0.5) or han (Yang 2016: word BiGRU + attention →
    /// sentence BiGRU + attention); --layers stacks recurrent layers. Each trains with its
    /// recipe unless a flag says otherwise
    #[arg(long, value_enum, default_value_t = choices::Model::Seed, long_help = model_help(), help_heading = MODEL)]
    pub model: choices::Model,
    /// A model declared in TOML as [[layer]] tables; overrides --model
    #[arg(long, long_help = model_file_help(), help_heading = MODEL)]
    pub model_file: Option<PathBuf>,
    /// Stacked recurrent layers (seed-stacked defaults to 2, the others to 1)
    #[arg(long, help_heading = MODEL)]
    pub layers: Option<usize>,
    /// Recurrent units per direction (default 64; han 50), or kim-cnn's maps per width (100)
    #[arg(long, help_heading = MODEL)]
    pub units: Option<usize>,
    /// han: sentences per text (default 15); texts are split on . ! ? 。！？ and <br />
    #[arg(long, help_heading = MODEL)]
    pub max_sentences: Option<usize>,
    /// Length of each word's embedding vector (Keras Embedding output_dim). Default: the model's
    /// recipe (seed 128, kim-cnn and bilstm 300)
    #[arg(long, help_heading = MODEL)]
    pub embedding_dim: Option<usize>,
    /// Start the embedding from pretrained word vectors: word2vec text or binary, fastText .vec
    /// or GloVe text (found from the file). Vocabulary words in the file take its vector (a word
    /// the file only has capitalised takes that one); the rest keep the uniform init. Without
    /// --embedding-dim the file's length is the embedding's; with --freeze embedding the
    /// vectors stay as loaded (Kim's CNN-static)
    #[arg(long, value_name = "FILE", help_heading = MODEL)]
    pub embeddings: Option<PathBuf>,
    /// Start from an earlier model (a model folder, or a run folder holding model/): its
    /// vocabulary is the new model's, and every tensor below the head whose name and shape match
    /// one in its model.safetensors is copied in (the head starts fresh). Text flags that differ
    /// from its tokenizer are refused; pair with --freeze to keep the loaded layers
    #[arg(long, value_name = "DIR", help_heading = MODEL)]
    pub init_from: Option<PathBuf>,
    /// Embeddings start uniform in ±A (Keras's Embedding default 0.05; kim-cnn 0.25, Kim's)
    #[arg(long, value_name = "A", help_heading = MODEL)]
    pub embedding_init: Option<f32>,
    /// Kim's CNN-multichannel: a static copy of the pretrained vectors beside the trained one,
    /// each token giving [trained ; static] to the layers above (which see twice the embedding
    /// length). Needs --embeddings or --init-from; with --freeze embedding both copies stay
    #[arg(long, help_heading = MODEL)]
    pub multichannel: bool,
    /// Padding costs nothing: recurrent layers skip padded steps, forward and backward (Keras's
    /// Embedding(mask_zero=True); a bidirectional layer reverses only the real tokens), and
    /// batches are cut to their real tokens. Recorded in the model, so predict, test, explain
    /// and serve use it too. Pooling and attention skip padding always
    #[arg(long, help_heading = MODEL)]
    pub mask_padding: bool,
    /// adam (Keras defaults), sgd (plain gradient descent) or adadelta (Keras defaults; Kim's
    /// CNN used it with --lr 1.0)
    #[arg(long, value_enum, default_value_t = choices::Optimizer::Adam, help_heading = TRAINING)]
    pub optimizer: choices::Optimizer,
    /// Learning rate (default 1e-3 for adam and adadelta, 0.01 for sgd; adam: the model's recipe,
    /// kim-cnn and bilstm 3e-4; --model linear: 1.0, falling linearly to 0)
    #[arg(long, help_heading = TRAINING)]
    pub lr: Option<f32>,
    /// Seed of the initial weights, the shuffles, the splits and dropout: the same seed and
    /// --threads give the same numbers
    #[arg(long, default_value_t = 0, help_heading = TRAINING)]
    pub seed: u64,
    /// end-to-end, layerwise, deep-supervision, gradual-unfreeze or ulmfit (needs --init-from a
    /// pretrained language model); --epochs is the budget shared by the classifier's stages
    /// (ulmfit first fine-tunes the language model for as many epochs again)
    #[arg(long, value_enum, default_value_t = choices::Schedule::EndToEnd, help_heading = SCHEDULE)]
    pub schedule: choices::Schedule,
    /// A schedule declared in TOML as [[stage]] tables (train = [...], heads = {...},
    /// lr_mult = {...}, epochs = N); overrides --schedule
    #[arg(long, help_heading = SCHEDULE)]
    pub schedule_file: Option<PathBuf>,
    /// layerwise: epochs of a last stage that trains every layer (taken from the budget)
    #[arg(long, default_value_t = 0, help_heading = SCHEDULE)]
    pub finetune_epochs: usize,
    /// deep-supervision: weight of each auxiliary loss
    #[arg(long, default_value_t = DEFAULT_AUX_WEIGHT, help_heading = SCHEDULE)]
    pub aux_weight: f32,
    /// A `decoupled` stage's levels cut into N contiguous groups of about equal cost, each with a
    /// thread of its own stepping on one pool of all the threads, pipelined one batch apart:
    /// group g trains on batch t−g from group g−1's output. Deterministic for a seed, thread
    /// count and N; 1 (the default) steps every level together on all threads. At most one group
    /// a level (a HAN's word levels, below its sentences layer, count as one)
    #[arg(long, value_name = "N", default_value_t = 1, help_heading = SCHEDULE)]
    pub level_workers: usize,
    /// Layers that never train, e.g. embedding,lstm_0
    #[arg(long, value_delimiter = ',', help_heading = SCHEDULE)]
    pub freeze: Vec<String>,
    /// Per-layer learning-rate multipliers, e.g. embedding=0.1,lstm_0=0.5
    #[arg(long, value_delimiter = ',', help_heading = SCHEDULE)]
    pub lr_mult: Vec<String>,
    /// Skip the linear probes of every layer after each stage
    #[arg(long, help_heading = OUTPUT)]
    pub no_probes: bool,
    /// Stop a stage after N epochs without a lower val_loss and keep its best weights (Keras's
    /// EarlyStopping(patience=N, restore_best_weights=True)); needs validation data. Default: the
    /// model's recipe (kim-cnn and bilstm 2, han 1, on 10% held out if the command holds out
    /// nothing); 0 turns it off
    #[arg(long, help_heading = TRAINING)]
    pub early_stopping: Option<usize>,
    /// What --early-stopping watches: val_loss (Keras's default) or val_accuracy
    #[arg(long, value_enum, default_value_t = choices::Monitor::ValLoss, help_heading = TRAINING)]
    pub monitor: choices::Monitor,
    /// Rescale each output unit's head weights to an L2 norm of at most S after every step
    /// (Keras kernel_constraint=MaxNorm(S); Kim's CNN: 3)
    #[arg(long, value_name = "S", help_heading = TRAINING)]
    pub max_norm: Option<f32>,
    /// The optimizer updates only the embedding rows each batch uses (PyTorch's SparseAdam, TF's
    /// LazyAdam: rows a batch does not use keep their moments undecayed; the step count stays
    /// global): much less work with a large vocabulary. adam and sgd (whose numbers it leaves
    /// as they are); Keras's Adam, the default, updates every row
    #[arg(long, help_heading = TRAINING)]
    pub sparse_embedding_updates: bool,
    /// Adversarial training (Miyato et al. 2017): each batch also trains on its texts with the
    /// embedding output moved a step of L2 norm EPS per text the way that raises the loss most
    /// (Keras NSL's adv_step_size), at twice the cost a batch. EPS is in the embedding's units:
    /// choose it on validation data
    #[arg(long, value_name = "EPS", help_heading = TRAINING)]
    pub adversarial: Option<f32>,
    /// The weight of --adversarial's loss beside the clean one (Miyato's 1; Keras NSL's
    /// adv_multiplier)
    #[arg(long, value_name = "W", help_heading = TRAINING)]
    pub adversarial_weight: Option<f32>,
    /// Weigh each class's texts in the training loss, for imbalanced classes: `balanced`
    /// (scikit-learn's and Keras's n / (k · count of the class), counted on each training part)
    /// or a FILE of `label<TAB>weight` lines naming every label. Every model and schedule
    #[arg(long, value_name = "balanced|FILE", help_heading = TRAINING)]
    pub class_weight: Option<String>,
    #[command(flatten)]
    pub linear: crate::args_linear::LinearArgs,
    #[command(flatten)]
    pub nbsvm: crate::args_nbsvm::NbsvmArgs,
}

/// `--aux-weight`'s default (`settings` refuses any other with `--model linear`).
pub const DEFAULT_AUX_WEIGHT: f32 = 0.3;

/// `--model-file`'s long help, with the layer types from the registry.
fn model_file_help() -> String {
    let types: Vec<String> = strata_model::layers::LayerSpec::TYPES.iter().map(|t| format!("\"{t}\"")).collect();
    format!("A model declared in TOML as [[layer]] tables (type = {}); overrides --model", types.join(", "))
}

/// `--model`'s long help: the models and, from `zoo::recipe` and the linear model's defaults,
/// the defaults each trains with.
fn model_help() -> String {
    use strata_workflow::linear::{DEFAULT_EPOCHS, DEFAULT_LR};
    let d = strata_model::linear::LinearConfig::default();
    format!(
        "seed (one LSTM), seed-stacked (LSTM(return_sequences) → LSTM), gru, bilstm, kim-cnn (Kim 2014), han \
         (Yang 2016), linear (fastText's supervised model) or nbsvm (Wang & Manning 2012's NB-LR on word n-grams). A flag you leave out takes the model's recipe:\n{}\n\
         linear: --epochs {DEFAULT_EPOCHS} --lr {DEFAULT_LR:?} (sgd, falling linearly to 0) --dim {} --word-ngrams {} \
         --buckets {} --min-count {} [fastText's supervised tutorial]",
        zoo::recipes_help(),
        d.dim,
        d.word_ngrams,
        d.buckets,
        d.min_count
    )
}
