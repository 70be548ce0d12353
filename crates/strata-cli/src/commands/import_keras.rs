//! `strata import-keras`: a Keras model and its tokenizer into a strata model folder (see
//! `strata_workflow::keras_import`), which predict, test, explain and serve then use.

use anyhow::Result;
use strata_model::folder::save;
use strata_workflow::keras_import::{import_keras, KerasImport};

use crate::args_import_keras::ImportKerasCmd;

pub fn run(a: ImportKerasCmd) -> Result<()> {
    let request = KerasImport {
        tokenizer: &a.tokenizer,
        model: &a.model,
        maxlen: a.maxlen.map(|n| n as usize),
        padding: a.padding.into(),
        truncating: a.truncating.into(),
        labels: a.labels,
    };
    let (saved, summary) = import_keras(&request)?;
    save(&a.out, &saved)?;
    println!("imported {summary} into {}", a.out.display());
    Ok(())
}
