//! The model crate's one error type: what is wrong with a model as declared (by flags, a model
//! file or config.json), with the data the CLI needs for its one line
//! `error: FILE:LINE: … (hint: …)`.

/// A model that cannot be built as declared.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A setting a flag controls: `{flag} {problem}`, with what to do.
    #[error("{flag} {problem}{}", hint_suffix(.hint))]
    Flag { flag: &'static str, problem: String, hint: Option<&'static str> },
    /// A layer of the body (1-based `index`) that breaks its type's shape rule.
    #[error("layer {index} ({kind}): {rule}")]
    Layer { index: usize, kind: &'static str, rule: Misfit },
    /// The top layer gives a sequence, or rows of sentences.
    #[error("the top layer must give one vector per text (hint: end with a pooling or recurrent layer)")]
    TopIsNotOneVector,
    #[error("the model needs at least one layer with parameters above the embedding")]
    NoLevels,
    #[error("the data has {classes} class(es); a classifier needs at least 2")]
    TooFewClasses { classes: usize },
    #[error("the model's sizes overflow (hint: smaller --num-words or widths)")]
    Overflow,
    #[error("--maxlen {maxlen} is shorter than the widest convolution ({needed}) (hint: raise --maxlen)")]
    TooFewSteps { maxlen: usize, needed: usize },
    #[error("unknown --model '{name}' (hint: use one of {})", known.join(", "))]
    UnknownModel { name: String, known: &'static [&'static str] },
    /// A model file's problem, at a line (1-based) of the file.
    #[error("{origin}:{line}: {problem}{}", format_hint(problem))]
    File { origin: String, line: usize, problem: Box<ModelError> },
    /// A model file that is not the TOML it should be (the parser's words).
    #[error("{0}")]
    Syntax(String),
    #[error("no [[layer]] tables")]
    NoLayers,
    /// A config.json whose model no strata wrote.
    #[error("{0}")]
    Config(String),
}

/// What a layer type's shape rule found wrong with where a layer is (its own words; the model
/// adds which layer).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Misfit(pub String);

impl From<&str> for Misfit {
    fn from(s: &str) -> Misfit {
        Misfit(s.to_string())
    }
}

/// A model file's problem that carries no hint of its own gets the format's (one hint a line).
fn format_hint(problem: &ModelError) -> &'static str {
    if problem.to_string().contains("(hint:") {
        ""
    } else {
        " (hint: see `strata train --help` and the README for the [[layer]] format)"
    }
}

fn hint_suffix(hint: &Option<&'static str>) -> String {
    hint.map(|h| format!(" (hint: {h})")).unwrap_or_default()
}
