//! The model card: a `README.md` in every model folder strata saves (issue 15, point 8), in the
//! Hugging Face style — what the model is and how big, its labels, the data it was trained on
//! (files and line counts), the command that made it, its validation metrics when it had
//! validation data, what it is for, its limits, and how to use it. Everything in it comes from
//! the model and from what the run knew ([`CardFacts`]); a fact the run did not have is left
//! out, never written as a placeholder.

use std::fmt::Write;
use std::path::PathBuf;

use strata_model::label_structure::LabelStructure;
use strata_model::metrics::Report;
use strata_model::Classifier;
use strata_text::{Segmenter, Side, TokenizerConfig};

/// A data file the model was trained or validated on.
#[derive(Clone, Debug)]
pub struct DataFile {
    /// What it was used for: `training`, `validation`.
    pub role: String,
    pub path: PathBuf,
    /// Its lines (`wc -l`).
    pub lines: usize,
}

/// What a run knew that the model does not: its data, command, training and scores.
#[derive(Clone, Debug, Default)]
pub struct CardFacts {
    /// The command line, as typed (`strata train --data …`).
    pub command: String,
    pub data: Vec<DataFile>,
    pub n_train: usize,
    pub n_val: usize,
    pub epochs: usize,
    pub seed: u64,
    /// `--class-weight`, as given.
    pub class_weight: Option<String>,
    /// `--init-from`: the folder the model started from.
    pub init_from: Option<PathBuf>,
    /// Scores on the validation part, with its loss; `None` without validation data.
    pub validation: Option<(Report, f64)>,
    /// Where the model folder is, for the usage lines.
    pub model_dir: PathBuf,
}

/// The line count of a file (`\n`s, plus a last line without one), as `wc -l` nearly says.
pub fn line_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count() + usize::from(bytes.last().is_some_and(|&b| b != b'\n'))
}

fn tokenizer_phrase(t: &TokenizerConfig) -> String {
    let unit = match (t.char_level, t.segmenter) {
        (true, _) => "characters".to_string(),
        (false, Segmenter::Jieba) => "jieba-segmented words".to_string(),
        (false, Segmenter::Keras) => format!("words split on {:?} after removing Keras's filter characters", t.split),
    };
    let case = if t.lower { "lower-cased" } else { "case kept" };
    format!("{unit}, {case}")
}

/// The tokenizer a model reads with (an ensemble's first member's: the card names one).
fn first_tokenizer(model: &Classifier) -> TokenizerConfig {
    match model {
        Classifier::Network(n) => n.tokenizer.config.clone(),
        Classifier::Linear(m) => m.tokenizer.clone(),
        Classifier::Ensemble(e) => first_tokenizer(&e.members[0].model),
        Classifier::Nbsvm(m) => m.tokenizer.clone(),
    }
}

/// `README.md` for the model folder of `model`, from `facts`.
pub fn model_card(model: &Classifier, facts: &CardFacts) -> String {
    let labels = model.labels().labels();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "---\nlibrary_name: strata\npipeline_tag: text-classification\ntags:\n- strata\n- {}\n---\n",
        model.architecture()
    );
    let _ = writeln!(s, "# {} text classifier\n", model.architecture());
    let _ = writeln!(
        s,
        "A `{}` model trained by strata {} to put a text in one of {} classes: {}.\n",
        model.architecture(),
        env!("CARGO_PKG_VERSION"),
        labels.len(),
        labels.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")
    );
    s.push_str("## Model\n\n");
    let (tokenizer, truncation) = match model {
        Classifier::Network(n) => {
            let c = &n.model.config;
            let mut layers: Vec<&str> = Vec::new();
            for spec in &n.model.params.specs {
                let layer = spec.name.split('.').next().unwrap_or(&spec.name);
                if !layers.contains(&layer) {
                    layers.push(layer);
                }
            }
            let _ = writeln!(s, "- family: neural network, layers {}", layers.join(" → "));
            let _ = writeln!(s, "- parameters: {}", n.model.params.len());
            let known = n.tokenizer.word_index().len().min(c.vocab_size.saturating_sub(1));
            let _ = writeln!(
                s,
                "- vocabulary: {known} words with an id of their own (of {} ids; 0 is padding), embedding {} wide",
                c.vocab_size, c.embedding_dim
            );
            let output = if c.outputs() == 1 { "one sigmoid (two classes)" } else { "softmax over the classes" };
            let _ = writeln!(s, "- output: {output}");
            let pre = |side: Side| side == Side::Pre;
            let truncation = format!(
                "A text is read as its {} {} tokens (`maxlen`; `truncating` is `{}`): the {} of a longer text is not read",
                if pre(n.pad.truncating) { "last" } else { "first" },
                n.pad.maxlen,
                if pre(n.pad.truncating) { "pre" } else { "post" },
                if pre(n.pad.truncating) { "beginning" } else { "end" },
            );
            (n.tokenizer.config.clone(), Some(truncation))
        }
        Classifier::Linear(m) => {
            let c = &m.config;
            let _ = writeln!(s, "- family: linear (fastText's supervised model), loss {:?}", c.loss);
            let _ = writeln!(s, "- parameters: {}", m.input.len() + m.output.len() + m.level_output.len());
            if !m.levels.is_empty() {
                let _ = writeln!(
                    s,
                    "- per-level heads: {} upper level{} of the label tree read the same averaged vector while training ({} of the parameters); the leaf head alone predicts",
                    m.levels.len(),
                    if m.levels.len() == 1 { "" } else { "s" },
                    m.level_output.len()
                );
            }
            let _ = writeln!(
                s,
                "- dictionary: {} words seen at least {} times, word n-grams up to {}, character n-grams {}–{}, {} hash buckets, vectors {} wide",
                m.dict.words.len(),
                c.min_count,
                c.word_ngrams,
                c.minn,
                c.maxn,
                c.buckets,
                c.dim
            );
            (m.tokenizer.clone(), None)
        }
        Classifier::Ensemble(e) => {
            let _ = writeln!(
                s,
                "- family: ensemble, soft voting (the weighted mean of its members' probabilities); each member reads the text with its own tokenizer"
            );
            for (k, m) in e.members.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "- member {k} (`member-{k}/`): `{}`, weight {:.4}, copied from `{}`",
                    m.model.architecture(),
                    m.weight,
                    m.source
                );
            }
            (first_tokenizer(model), None)
        }
        Classifier::Nbsvm(m) => {
            let c = &m.config;
            let _ = writeln!(s, "- family: NBSVM (Wang & Manning 2012), logistic regression on naive-Bayes-scaled binarized n-grams, one-vs-rest");
            let _ = writeln!(s, "- parameters: {}", m.weight.len() + m.bias.len());
            let _ = writeln!(
                s,
                "- features: {} word n-grams of orders 1–{} seen in training; α {}, β {}, C {}{}",
                m.keys.len(),
                c.word_ngrams,
                c.alpha,
                c.beta,
                c.c,
                if c.punctuation.is_empty() {
                    String::new()
                } else {
                    format!(", punctuation kept as tokens: {}", c.punctuation)
                }
            );
            (m.tokenizer.clone(), None)
        }
    };
    let structure = match model.structure() {
        LabelStructure::Multi { .. } => "several labels per text",
        LabelStructure::Tree { .. } => "labels are paths in a tree",
        LabelStructure::Single => "one label per text",
    };
    let _ = writeln!(s, "- labels ({structure}): {}", labels.join(", "));
    let whose =
        if matches!(model, Classifier::Ensemble(_)) { " (member 0's; each member reads with its own)" } else { "" };
    let _ = writeln!(s, "- tokens{whose}: {}", tokenizer_phrase(&tokenizer));

    s.push_str("\n## Training data\n\n");
    for d in &facts.data {
        let _ = writeln!(s, "- {}: `{}` ({} lines)", d.role, d.path.display(), d.lines);
    }
    if let Classifier::Ensemble(e) = model {
        let sources: Vec<String> = e.members.iter().map(|m| format!("`{}`", m.source)).collect();
        let _ = writeln!(
            s,
            "- the ensemble trains nothing itself: its members were trained as the cards of {} say",
            sources.join(", ")
        );
    } else {
        let _ = writeln!(
            s,
            "- {} texts trained on, {} held out for validation; {} epochs, seed {}",
            facts.n_train, facts.n_val, facts.epochs, facts.seed
        );
    }
    if let Some(cw) = &facts.class_weight {
        let _ = writeln!(s, "- class weights: {cw} (`--class-weight`)");
    }
    if let Some(dir) = &facts.init_from {
        let _ =
            writeln!(s, "- started from the model in `{}` (`--init-from`), whose vocabulary it keeps", dir.display());
    }
    let _ = writeln!(s, "\nMade with:\n\n```sh\n{}\n```", facts.command);

    s.push_str("\n## Evaluation\n\n");
    match &facts.validation {
        Some((r, loss)) => {
            let _ = writeln!(s, "On the {} validation texts:\n", r.n);
            let _ = writeln!(s, "| metric | value |\n|---|---|");
            let _ = writeln!(s, "| accuracy | {:.4} |", r.accuracy);
            let _ = writeln!(s, "| macro F1 | {:.4} |", r.macro_f1);
            let _ = writeln!(s, "| loss | {loss:.4} |");
            let _ = writeln!(s, "\n| label | precision | recall | F1 | texts |\n|---|---|---|---|---|");
            for c in &r.per_class {
                let _ =
                    writeln!(s, "| {} | {:.4} | {:.4} | {:.4} | {} |", c.label, c.precision, c.recall, c.f1, c.support);
            }
        }
        None if facts.n_val > 0 => {
            let _ = writeln!(s, "The {} validation texts' scores (micro/macro F1, Hamming loss, subset accuracy, P@k) are in the run folder's `metrics.json`; score it again with `strata test --model DIR --data FILE`.", facts.n_val);
        }
        None => {
            s.push_str("The run held out no validation data, so there are no scores here; score it with `strata test --model DIR --data FILE`.\n");
        }
    }

    s.push_str("\n## Intended use\n\n");
    let _ = writeln!(
        s,
        "Classifying texts like the training data above into {}. It knows only these labels: {}",
        labels.join(", "),
        match model.structure() {
            LabelStructure::Multi { .. } =>
                "a text gets every label whose probability passes that label's threshold (config.json), or none.",
            _ => "every text gets one of them, whether or not it fits any.",
        }
    );
    s.push_str("\n## Limits\n\n");
    let _ = writeln!(
        s,
        "- It reads {}: text in another language or script is mostly unknown tokens to it.",
        tokenizer_phrase(&tokenizer)
    );
    if let Some(t) = truncation {
        let _ = writeln!(s, "- {t}.");
    }
    let _ = writeln!(
        s,
        "- It has seen only the {} training texts named above: its scores hold for texts like them, and less for texts from elsewhere.",
        facts.n_train
    );
    let dir = facts.model_dir.display();
    s.push_str("\n## How to use\n\n");
    let _ =
        writeln!(s, "```sh\necho 'a text to classify' | strata predict --model {dir}\nstrata serve --model {dir}\n```");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_as_wc_does_and_a_last_line_without_newline_counts() {
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a\nb\n"), 2);
        assert_eq!(line_count(b"a\nb"), 2);
    }
}
