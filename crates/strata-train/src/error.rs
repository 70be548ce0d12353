//! The trainer's error types, with the data the CLI needs for its one line
//! `error: FILE:LINE: … (hint: …)`: [`ScheduleError`], a schedule that cannot be built as
//! declared (by `--schedule`, `--freeze`, `--lr-mult` or a schedule file), and
//! [`ResumeError`], a checkpoint that does not fit the run it should continue.

/// A schedule that cannot be built as declared.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error("unknown schedule '{name}' (hint: use one of {})", known.join(", "))]
    UnknownSchedule { name: String, known: &'static [&'static str] },
    /// A group name the model does not have; `known` lists the names a user can give.
    #[error("unknown layer '{name}' (hint: the layers are {})", known.join(", "))]
    UnknownLayer { name: String, known: Vec<String> },
    /// `--freeze` leaves a stage (1-based `stage`, named `name`) with nothing to train.
    #[error("--freeze leaves stage {stage} [{name}] with nothing to train (hint: freeze fewer layers)")]
    NothingToTrain { stage: usize, name: String },
    /// A stage declared with `epochs = 0`.
    #[error("epochs must be at least 1 (hint: set epochs = N in the stage)")]
    NoEpochs,
    /// A stage declared with more epochs than any run could use (and whose sum could overflow).
    #[error("epochs = {epochs} is more than {max} (hint: set epochs = N with N ≤ {max})")]
    TooManyEpochs { epochs: usize, max: usize },
    /// A `heads` key that is neither the final head nor a level; `first` and `last` name the
    /// model's lowest and highest levels.
    #[error("heads: '{name}' is not 'head' or a level (hint: use head or {first} … {last})")]
    NotAHead { name: String, first: String, last: String },
    /// A `heads` weight that is negative or not a number.
    #[error("heads: the weight of '{name}' must be a number ≥ 0 (hint: 1.0 for a full loss, 0 for none)")]
    BadWeight { name: String },
    /// An `lr_mult` that is negative or not a number (a negative one ascends the gradient).
    #[error(
        "lr_mult: the multiplier of '{name}' must be a number ≥ 0 (hint: 1.0 keeps the rate, 0 freezes the group)"
    )]
    BadLrMult { name: String },
    /// A stage whose heads all weigh 0: nothing gives it a loss.
    #[error("no head has a weight above 0 (hint: give one head a positive weight)")]
    NoLoss,
    /// A stage trains level `name`, which no head reads (directly or through a level above).
    #[error(
        "trains {name} but no head reads it or a layer above it (hint: add heads = {{ {name} = 1.0 }} or a head above it)"
    )]
    Unread { name: String },
    /// A stage whose `train` list selects nothing.
    #[error("trains nothing (hint: list layers in train = [...])")]
    TrainsNothing,
    /// A schedule file that is not valid TOML, or not the `[[stage]]` format; `message` is the
    /// parser's.
    #[error("{message} (hint: see `strata train --help` for the [[stage]] format)")]
    Syntax { message: String },
    /// A schedule file without stages.
    #[error("no [[stage]] tables (hint: declare at least one stage)")]
    NoStages,
    /// A schedule file's problem at a line (1-based) of the file, in a stage (1-based) if it
    /// is one stage's: `origin:line: stage N: problem`.
    #[error("{origin}:{line}: {}{problem}", stage_prefix(.stage))]
    File { origin: String, line: usize, stage: Option<usize>, problem: Box<ScheduleError> },
}

fn stage_prefix(stage: &Option<usize>) -> String {
    stage.map(|s| format!("stage {s}: ")).unwrap_or_default()
}

/// A checkpoint that does not fit the model, schedule or optimizer of the run it should
/// continue.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ResumeError {
    /// The checkpoint's weights are another model's.
    #[error("the checkpoint does not match this model: it holds {saved} parameters, the model has {model}")]
    Params { saved: usize, model: usize },
    /// The checkpoint has finished more stages (`finished`) than the schedule has (`stages`).
    #[error(
        "the checkpoint does not match this schedule: it has finished {finished} stage(s) but the schedule has {stages}"
    )]
    Stage { finished: usize, stages: usize },
    /// The checkpoint holds another optimizer's state.
    #[error("the checkpoint holds {saved} state that does not fit this run's {run} optimizer")]
    Optimizer { saved: &'static str, run: &'static str },
    /// The checkpoint's optimizer state is sized for another model.
    #[error(
        "the checkpoint holds {optimizer} state for {saved} parameters that does not fit this run's {run} parameters"
    )]
    OptimizerSize { optimizer: &'static str, saved: usize, run: usize },
}
