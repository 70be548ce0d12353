//! What a training run is given and gives back: its options, the per-epoch records, the
//! progress hooks, the checkpointed state.
//!
//! The entry points ([`crate::fit()`],
//! [`crate::fit_schedule`], [`crate::fit_schedule_from`]) and the loop are in
//! [`crate::trainer`], the batch step in `batch`, the optimizers in `optimizer`.
//!
//! Determinism: the shuffle comes from the seed, chunks are fixed by the thread count, and
//! chunk gradients are summed in chunk order — so the same seed and thread count give the same
//! numbers, bit for bit. Each stage starts a fresh optimizer (as recompiling a Keras model
//! between stages does), and backward stops at the stage's lowest trainable layer.

pub use crate::batch::{stage_groups, BatchStepper, NonFinite, PaddingShare};
pub use crate::optimizer::{OptimizerKind, OptimizerSnapshot, OptimizerState};
use crate::schedule::Schedule;
pub use strata_model::infer::Dataset;
use strata_model::infer::Evaluation;
use strata_model::model::Model;

#[derive(Clone, Debug)]
pub struct FitOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub optimizer: OptimizerKind,
    pub seed: u64,
    pub shuffle: bool,
    /// Keras's `EarlyStopping(monitor="val_loss", patience=N, restore_best_weights=True)`, per
    /// stage: stop a stage after `N` epochs without a better monitored figure, and end it with the
    /// weights of its best epoch. Needs validation data.
    pub early_stopping: Option<usize>,
    /// What early stopping watches (Keras's `monitor=`).
    pub monitor: Monitor,
    /// Keras's `kernel_constraint=MaxNorm(s)` on the head (Kim's CNN: 3).
    pub max_norm: Option<f32>,
    /// `--sparse-embedding-updates`: the optimizer updates only the embedding rows a batch used
    /// (PyTorch's SparseAdam, TF's LazyAdam: the step count stays global, unused rows' moments
    /// are not decayed). Off, Adam updates every row as Keras's does. Adadelta has no lazy form
    /// and updates every row either way (the CLI refuses the pair).
    pub sparse_embedding_updates: bool,
    /// `--bucket-by-length`: each epoch's batches hold texts of similar length (see
    /// `bucket.rs`). With it, or with a model that masks padding (and has no convolution:
    /// `step_window::cut_is_exact`), every training batch is cut to the columns that hold a
    /// real token.
    pub bucket_by_length: bool,
    /// `--class-weight` as asked (`balanced` or a file); the workflow turns it into
    /// `class_weights` on each training part (`ClassWeight::weights`).
    pub class_weight: Option<crate::class_weight::ClassWeight>,
    /// Each training text's loss (final and auxiliary heads) times the weight of its class,
    /// one per class; `None` is every weight 1. Validation is unweighted, as Keras's
    /// `class_weight=` applies to training only.
    pub class_weights: Option<Vec<f32>>,
    /// `--level-workers N`: a `decoupled` stage's levels cut into N groups, each with a thread of
    /// its own stepping on one pool of all the threads, pipelined one batch apart
    /// (`level_pipeline`); 1 steps every level together on all threads (lock-step). Other stages
    /// ignore it.
    pub level_workers: usize,
    /// `--adversarial EPS` (with `--adversarial-weight`): adversarial training on the
    /// embedding output (`strata_model::adversarial`, Miyato et al. 2017). Not with a pipelined
    /// `--level-workers` stage, whose upper groups never see the embedding.
    pub adversarial: Option<strata_model::adversarial::Adversarial>,
}

/// The validation figure early stopping watches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Monitor {
    /// `val_loss`, lower is better (Keras's default).
    #[default]
    ValLoss,
    /// `val_accuracy`, higher is better.
    ValAccuracy,
}

impl Monitor {
    /// The figure as a cost (lower is better).
    pub(crate) fn cost(self, v: &Evaluation) -> f64 {
        match self {
            Monitor::ValLoss => v.loss,
            Monitor::ValAccuracy => -v.accuracy,
        }
    }
}

impl Default for FitOptions {
    /// The seed's `fit(epochs=10, batch_size=32)` with Adam.
    fn default() -> Self {
        FitOptions {
            epochs: 10,
            batch_size: 32,
            optimizer: OptimizerKind::Adam { lr: 1e-3 },
            seed: 0,
            shuffle: true,
            early_stopping: None,
            monitor: Monitor::ValLoss,
            max_norm: None,
            sparse_embedding_updates: false,
            bucket_by_length: false,
            class_weight: None,
            class_weights: None,
            level_workers: 1,
            adversarial: None,
        }
    }
}

/// One epoch's numbers, as Keras's `History` has them, plus where in the schedule it was.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochRecord {
    /// 1-based stage number, its name, and the number of stages.
    pub stage: usize,
    pub stage_name: String,
    pub stages: usize,
    /// 1-based epoch within the stage, and the stage's epochs.
    pub epoch: usize,
    pub epochs: usize,
    pub loss: f64,
    pub accuracy: f64,
    pub val_loss: Option<f64>,
    pub val_accuracy: Option<f64>,
    /// Learning rate at the end of the epoch (before per-group multipliers).
    pub lr: f32,
    pub seconds: f64,
}

/// Hooks for the caller: batch progress, finished epochs, finished stages.
pub trait Progress {
    fn on_batch(&mut self, _done: usize, _total: usize) {}
    fn on_epoch(&mut self, _record: &EpochRecord) {}
    /// A line about the run worth telling the user (e.g. the pretrained vectors' coverage).
    fn on_note(&mut self, _line: &str) {}
    /// A line about the run the user should act on (e.g. a flag whose value looks wrong for
    /// this data); unlike a note, a command line prints it under `-q` too. A progress that
    /// wraps another passes it on; by default it is a note.
    fn on_warning(&mut self, line: &str) {
        self.on_note(line)
    }
    /// After each stage, with the model as that stage left it (auxiliary heads included).
    fn on_stage_end(&mut self, _stage: usize, _name: &str, _model: &Model) {}
    /// Write a checkpoint every this many epochs (0: never).
    fn checkpoint_every(&self) -> usize {
        0
    }
    /// A checkpoint: everything needed to continue training bit-identically. `Break` (a
    /// checkpoint that could not be written; the caller keeps its error) stops training at
    /// once, as Lightning does: going on would end a run that cannot be resumed.
    fn on_checkpoint(&mut self, _state: &TrainState) -> std::ops::ControlFlow<()> {
        std::ops::ControlFlow::Continue(())
    }
    /// Once training ends, when its batches were cut to their real tokens (bucketing, or a
    /// model that masks padding): how many of the steps computed were real tokens.
    fn on_padding(&mut self, _share: &PaddingShare) {}
    /// After every epoch (and its checkpoint, if one was due): `Break` ends training there,
    /// with the weights as they are — a caller's own limit, such as `strata tune`'s budget.
    fn after_epoch(&mut self) -> std::ops::ControlFlow<()> {
        std::ops::ControlFlow::Continue(())
    }
    /// Whether anything reads the validation scores of the epochs before the last (`on_epoch`'s
    /// `val_*`). When this is false the linear model scores only its last epoch (`strata
    /// tune`'s trials read the last score alone, and scoring every epoch cost several percent
    /// of a search); only the linear model reads it: a network's trainer and NBSVM score every
    /// epoch whatever this says.
    fn every_epoch_validated(&self) -> bool {
        true
    }
}

/// Where training stands at an epoch boundary — enough to continue it and end with exactly the
/// weights an uninterrupted run would have (same seed and thread count).
#[derive(Clone, Debug, PartialEq)]
pub struct TrainState {
    /// Stage to continue (0-based) and epochs of it already done.
    pub stage: usize,
    pub epochs_done: usize,
    /// Shuffles drawn and optimizer steps taken so far (to replay the RNG and the lr schedule).
    pub shuffles: usize,
    pub step: usize,
    pub params: Vec<f32>,
    /// The optimizer's per-parameter state within the current stage (`None` at a stage start,
    /// and for SGD, which has none).
    pub optimizer: Option<OptimizerSnapshot>,
    pub history: Vec<EpochRecord>,
    pub early_stops: Vec<(usize, usize, usize)>,
    /// Early stopping within the current stage: its best epoch so far, and epochs since.
    pub best: Option<Best>,
    pub waited: usize,
}

/// A `Progress` that shows nothing.
pub struct Silent;
impl Progress for Silent {}

/// What training did, beyond the per-epoch history.
#[derive(Clone, Debug, Default)]
pub struct Fitted {
    pub history: Vec<EpochRecord>,
    /// Early stops: (stage, epoch it stopped after, best epoch restored).
    pub early_stops: Vec<(usize, usize, usize)>,
    /// Set when a loss or its gradient became NaN or infinite: training stopped and the
    /// weights are those from before that batch (it was not stepped).
    pub diverged: Option<String>,
}

/// What a run trains on and how.
#[derive(Clone, Copy)]
pub struct FitInput<'a> {
    pub train: &'a Dataset<'a>,
    /// Scored after every epoch (val_loss, val_accuracy); what early stopping watches.
    pub val: Option<&'a Dataset<'a>>,
    pub schedule: &'a Schedule,
    pub opts: &'a FitOptions,
}

/// A stage's best epoch so far by the monitored figure, with its weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Best {
    /// The monitored figure as a cost (lower is better).
    pub cost: f64,
    /// 1-based epoch within the stage.
    pub epoch: usize,
    pub weights: Vec<f32>,
}
