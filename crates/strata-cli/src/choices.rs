//! The closed sets of choices on the command line, as clap `ValueEnum`s: clap checks them, lists
//! them in `--help` as `[possible values: …]` and completes them in the shell. Each is mapped
//! here, once, to what the library takes — its own enum where it has one (`Format`, `Side`,
//! `Monitor`, `OptimizerKind`), or the name it looks up (`ModelSettings::named`,
//! `Schedule::named`); the tests keep these sets equal to the libraries' lists.
//!
//! Variants carry `//` comments, not doc comments: a doc comment on a variant would turn clap's
//! one-line `[possible values: …]` into a list, and the flags' own help already says what each
//! value does.

use clap::ValueEnum;
use strata_text::Segmenter;
use strata_train::OptimizerKind;

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Tsv,
    Csv,
    #[value(alias = "json")]
    Jsonl,
    #[value(name = "fasttext")]
    FastText,
}

impl From<Format> for strata_data::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Tsv => strata_data::Format::Tsv,
            Format::Csv => strata_data::Format::Csv,
            Format::Jsonl => strata_data::Format::Jsonl,
            Format::FastText => strata_data::Format::FastText,
        }
    }
}

/// `--padding` and `--truncating`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Side {
    Pre,
    Post,
}

impl From<Side> for strata_text::Side {
    fn from(s: Side) -> Self {
        match s {
            Side::Pre => strata_text::Side::Pre,
            Side::Post => strata_text::Side::Post,
        }
    }
}

/// `--tokenizer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Tokenizer {
    Word,
    Char,
    Jieba,
}

impl Tokenizer {
    /// Whether tokens are characters (Keras `char_level`).
    pub fn char_level(self) -> bool {
        self == Tokenizer::Char
    }

    pub fn segmenter(self) -> Segmenter {
        match self {
            Tokenizer::Word | Tokenizer::Char => Segmenter::Keras,
            Tokenizer::Jieba => Segmenter::Jieba,
        }
    }
}

/// `--model`: the zoo's named models (`strata_model::zoo::NAMED_MODELS`), and fastText's
/// linear model (`strata_model::linear`) and NBSVM (`strata_model::nbsvm`), which are no layer lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Model {
    Seed,
    SeedStacked,
    Gru,
    Bilstm,
    KimCnn,
    Han,
    Linear,
    Nbsvm,
}

impl Model {
    /// The name `ModelSettings::named` looks up.
    pub fn name(self) -> &'static str {
        match self {
            Model::Seed => "seed",
            Model::SeedStacked => "seed-stacked",
            Model::Gru => "gru",
            Model::Bilstm => "bilstm",
            Model::KimCnn => "kim-cnn",
            Model::Han => "han",
            Model::Linear => "linear",
            Model::Nbsvm => "nbsvm",
        }
    }
}

/// `--loss` of the linear model (`strata_model::linear::LinearLoss`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LinearLoss {
    Softmax,
    Ova,
}

impl From<LinearLoss> for strata_model::linear::LinearLoss {
    fn from(l: LinearLoss) -> Self {
        match l {
            LinearLoss::Softmax => strata_model::linear::LinearLoss::Softmax,
            LinearLoss::Ova => strata_model::linear::LinearLoss::OneVsAll,
        }
    }
}

/// `experiment --baseline`: the model every schedule is compared against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Baseline {
    Linear,
    None,
}

/// `--optimizer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Optimizer {
    Adam,
    Sgd,
    Adadelta,
}

impl Optimizer {
    /// The name written to `run.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Adam => "adam",
            Optimizer::Sgd => "sgd",
            Optimizer::Adadelta => "adadelta",
        }
    }

    /// The optimizer at `lr`, or at its default rate (Keras's: 1e-3 for Adam and — as strata
    /// has always used — Adadelta, 0.01 for SGD).
    pub fn with_lr(self, lr: Option<f32>) -> OptimizerKind {
        match self {
            Optimizer::Adam => OptimizerKind::Adam { lr: lr.unwrap_or(1e-3) },
            Optimizer::Sgd => OptimizerKind::Sgd { lr: lr.unwrap_or(0.01) },
            Optimizer::Adadelta => OptimizerKind::Adadelta { lr: lr.unwrap_or(1e-3) },
        }
    }
}

/// `--schedule` and `--schedules`: `strata_train::schedule::SCHEDULES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Schedule {
    EndToEnd,
    Layerwise,
    DeepSupervision,
    GradualUnfreeze,
    Ulmfit,
    Decoupled,
}

impl Schedule {
    /// The name `Schedule::named` looks up.
    pub fn name(self) -> &'static str {
        match self {
            Schedule::EndToEnd => "end-to-end",
            Schedule::Layerwise => "layerwise",
            Schedule::DeepSupervision => "deep-supervision",
            Schedule::GradualUnfreeze => "gradual-unfreeze",
            Schedule::Ulmfit => "ulmfit",
            Schedule::Decoupled => "decoupled",
        }
    }
}

/// `--monitor`; Keras spells these with underscores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Monitor {
    #[value(name = "val_loss")]
    ValLoss,
    #[value(name = "val_accuracy")]
    ValAccuracy,
}

impl Monitor {
    /// The name written to `run.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Monitor::ValLoss => "val_loss",
            Monitor::ValAccuracy => "val_accuracy",
        }
    }
}

impl From<Monitor> for strata_train::fit::Monitor {
    fn from(m: Monitor) -> Self {
        match m {
            Monitor::ValLoss => strata_train::fit::Monitor::ValLoss,
            Monitor::ValAccuracy => strata_train::fit::Monitor::ValAccuracy,
        }
    }
}

/// How `predict` writes its answers.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PredictionFormat {
    Tsv,
    Jsonl,
    Fasttext,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// clap's names for a `ValueEnum`, in order.
    fn clap_names<T: ValueEnum>() -> Vec<String> {
        T::value_variants().iter().filter_map(|v| v.to_possible_value()).map(|p| p.get_name().to_string()).collect()
    }

    #[test]
    fn models_are_the_zoo_and_their_names_are_claps() {
        let mut zoo: Vec<String> = strata_model::zoo::NAMED_MODELS.iter().map(|m| m.to_string()).collect();
        zoo.push("linear".into());
        zoo.push("nbsvm".into());
        assert_eq!(clap_names::<Model>(), zoo);
        for m in Model::value_variants() {
            assert_eq!(m.to_possible_value().unwrap().get_name(), m.name());
        }
    }

    #[test]
    fn schedules_are_the_trainers_and_their_names_are_claps() {
        assert_eq!(clap_names::<Schedule>(), strata_train::schedule::SCHEDULES);
        for s in Schedule::value_variants() {
            assert_eq!(s.to_possible_value().unwrap().get_name(), s.name());
        }
    }

    #[test]
    fn names_written_to_run_toml_are_the_flag_values() {
        for o in Optimizer::value_variants() {
            assert_eq!(o.to_possible_value().unwrap().get_name(), o.name());
        }
        for m in Monitor::value_variants() {
            assert_eq!(m.to_possible_value().unwrap().get_name(), m.name());
        }
    }

    #[test]
    fn formats_and_sides_parse_as_the_libraries_read_them() {
        for f in Format::value_variants() {
            let name = f.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(name.parse::<strata_data::Format>().ok(), Some((*f).into()), "{name}");
        }
        assert_eq!(Format::from_str("json", false), Ok(Format::Jsonl));
        assert_eq!(strata_text::Side::from(Side::Post), strata_text::Side::Post);
        assert_eq!(clap_names::<Side>(), ["pre", "post"]);
    }
}

/// `pretrain --objective`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Objective {
    Auto,
    Skipgram,
    Lm,
    Both,
}

impl From<Objective> for strata_workflow::pretrain::Objective {
    fn from(o: Objective) -> Self {
        match o {
            Objective::Auto => strata_workflow::pretrain::Objective::Auto,
            Objective::Skipgram => strata_workflow::pretrain::Objective::SkipGram,
            Objective::Lm => strata_workflow::pretrain::Objective::Lm,
            Objective::Both => strata_workflow::pretrain::Objective::Both,
        }
    }
}

/// `--hierarchy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Hierarchy {
    Flat,
    PerLevel,
    TopDown,
}

impl From<Hierarchy> for strata_model::tree_decode::TreeDecoding {
    fn from(h: Hierarchy) -> Self {
        match h {
            // per-level heads are trained beside the leaf head, which alone predicts
            Hierarchy::Flat | Hierarchy::PerLevel => strata_model::tree_decode::TreeDecoding::Flat,
            Hierarchy::TopDown => strata_model::tree_decode::TreeDecoding::TopDown,
        }
    }
}
