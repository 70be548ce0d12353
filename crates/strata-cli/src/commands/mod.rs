//! One module per verb; each has a `run` that returns `Err` for anything the user can fix.

pub mod completions;
pub mod cv;
pub mod cv_multi;
pub mod demo;
pub mod ensemble;
pub mod experiment;
pub mod experiment_multi;
pub mod explain;
pub mod export;
pub mod import_keras;
pub mod model_card;
pub mod predict;
pub mod predict_shard;
pub mod pretrain;
pub mod probe;
pub mod report;
pub mod serve;
pub mod test;
pub mod test_multi;
pub mod train;
pub mod train_multi;
pub mod tune;

use std::path::Path;

use anyhow::{bail, Result};
use strata_data::{read_examples, Example, LabelMap, ReadOptions};
use strata_model::Classifier;
use strata_workflow::pipeline::label_indices;

/// Reads a labelled training file and maps its labels; needs at least two classes.
pub fn labelled(path: &Path, read: &ReadOptions) -> Result<(Vec<Example>, LabelMap, Vec<usize>)> {
    let examples = read_examples(path, read)?;
    let labels = LabelMap::from_labels(examples.iter().map(|e| e.label.as_str()));
    if labels.len() < 2 {
        bail!(
            "{}: every example has the label '{}' (hint: a classifier needs at least two classes)",
            path.display(),
            labels.label(0)
        );
    }
    let y = label_indices(&examples, &labels, &path.display().to_string())?;
    Ok((examples, labels, y))
}

/// Renames a loaded model's labels by `--label-names` (`LABEL=NAME` pairs) for what it shows;
/// the model folder keeps its own. Every LABEL must be one of the model's, and the names must
/// stay distinct.
pub fn name_labels(model: &mut Classifier, names: &[(String, String)]) -> Result<()> {
    let known = model.labels();
    let mut labels = known.labels().to_vec();
    for (label, name) in names {
        match known.index(label) {
            Some(i) => labels[i] = name.clone(),
            None => bail!(
                "--label-names: the model has no label '{label}' (hint: its labels are {})",
                known.labels().join(", ")
            ),
        }
    }
    let distinct: std::collections::HashSet<&String> = labels.iter().collect();
    if distinct.len() < labels.len() {
        bail!("--label-names: two labels would share a name: {} (hint: give each its own)", labels.join(", "));
    }
    model.set_labels(LabelMap::from_vec(labels));
    Ok(())
}

/// Warns when a file trained on in its own order comes sorted by label (MR's and Subj's
/// `all.tsv` do). The tokenizer keeps the first-seen of equally rare words, as Keras's does, so
/// the words `--num-words` cuts would all come from the last label, and `<OOV>` would mark that
/// label in training only. Splits strata makes itself train in random order; this is the case
/// where the user's order is kept, as Keras keeps it.
pub fn warn_if_sorted_by_label(path: &Path, y: &[usize]) {
    let blocks = 1 + y.windows(2).filter(|w| w[0] != w[1]).count();
    let classes = y.iter().collect::<std::collections::HashSet<_>>().len();
    if classes > 1 && blocks == classes && y.len() >= 20 {
        eprintln!(
            "warning: {}: the labels come in {blocks} blocks (sorted by label); the words --num-words cuts \
             would all come from the last one (hint: shuffle the file, e.g. shuf -o FILE FILE)",
            path.display()
        );
    }
}
