//! The trainer's errors, with the data the CLI needs for its one line
//! `error: FILE:LINE: … (hint: …)`: [`ScheduleError`], a schedule that cannot be built as
//! declared (by `--schedule`, `--freeze`, `--lr-mult` or a schedule file).

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
    /// A `heads` key that is neither the final head nor a level; `first` and `last` name the
    /// model's lowest and highest levels.
    #[error("heads: '{name}' is not 'head' or a recurrent layer (hint: use head or {first} … {last})")]
    NotAHead { name: String, first: String, last: String },
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
