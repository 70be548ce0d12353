//! One module per verb; each has a `run` that returns `Err` for anything the user can fix.

pub mod cv;
pub mod demo;
pub mod experiment;
pub mod explain;
pub mod predict;
pub mod probe;
pub mod serve;
pub mod test;
pub mod train;

use std::path::Path;

use anyhow::{bail, Result};
use strata_data::{read_examples, Example, LabelMap, ReadOptions};
use strata_train::pipeline::label_indices;

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
