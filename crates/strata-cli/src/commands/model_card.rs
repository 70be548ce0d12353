//! The model card a command writes into the model folder it saves (`README.md`, through the
//! folder's atomic write): the facts only the command has — its command line, its data files
//! and their line counts, the texts it trained and validated on, and the validation scores —
//! gathered here and rendered by `strata_workflow::model_card`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use strata_data::Example;
use strata_model::metrics::report;
use strata_model::Classifier;
use strata_workflow::model_card::{line_count, model_card, CardFacts, DataFile};

/// What a run trained on, for its card.
pub struct RunData<'a> {
    /// (role, path) of each data file read: `training`, `validation`.
    pub files: Vec<(&'a str, &'a Path)>,
    pub examples: &'a [Example],
    pub y: &'a [usize],
    pub train_idx: &'a [usize],
    pub val_idx: &'a [usize],
}

/// The card of `model` trained on `data` for `epochs` with `seed`, saved at `model_dir`.
pub fn card(model: &Classifier, data: &RunData, facts: CardFacts, model_dir: &Path) -> Result<String> {
    let files = data_files(&data.files)?;
    let validation = (!data.val_idx.is_empty()).then(|| {
        let texts: Vec<&str> = data.val_idx.iter().map(|&i| data.examples[i].text.as_str()).collect();
        let truth: Vec<usize> = data.val_idx.iter().map(|&i| data.y[i]).collect();
        let predicted: Vec<usize> = model.predict(&texts).iter().map(|p| p.class).collect();
        let loss = model.evaluate(&texts, &truth).loss;
        (report(&truth, &predicted, model.labels().labels()), loss)
    });
    let facts = CardFacts {
        command: super::experiment::command_line(),
        data: files,
        n_train: data.train_idx.len(),
        n_val: data.val_idx.len(),
        validation,
        model_dir: PathBuf::from(model_dir),
        ..facts
    };
    Ok(model_card(model, &facts))
}

/// Each (role, path) data file with its line count, for a card.
pub fn data_files(files: &[(&str, &Path)]) -> Result<Vec<DataFile>> {
    let mut out = Vec::with_capacity(files.len());
    for (role, path) in files {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("{}: cannot read: {e} (hint: check the file)", path.display()))?;
        out.push(DataFile { role: role.to_string(), path: path.to_path_buf(), lines: line_count(&bytes) });
    }
    Ok(out)
}

/// The card of a multi-label run: its data, command and label structure (thresholds); its
/// validation scores are multi-label ones, which the run's metrics.json holds.
pub fn multi_label_card(model: &Classifier, files: &[(&str, &Path)], facts: CardFacts) -> Result<String> {
    let facts = CardFacts { command: super::experiment::command_line(), data: data_files(files)?, ..facts };
    Ok(model_card(model, &facts))
}
