//! `strata import-keras`: a Keras text classifier of the seed family and its `Tokenizer` made
//! into a strata model folder that tokenizes, pads and predicts as Keras does, so a Keras user
//! can `strata serve` the model they already have. No Python runs.
//!
//! [`tokenizer_json`] reads the tokenizer, [`keras_file`] the model file (`.keras` or `.h5`),
//! [`architecture`] its config, and [`weights`] lays the weights out under strata's tensor
//! names. strata's layers are Keras's own maths with Keras's tensor layouts (LSTM gates
//! `i, f, c, o`; GRU `z, r, h` with `reset_after` and a `[2, 3H]` bias), so weights are copied,
//! not rearranged — except a two-way softmax output, which becomes strata's one sigmoid.

pub mod architecture;
pub mod keras_file;
pub mod tokenizer_json;
pub mod weights;

use std::path::Path;

use strata_data::{DataError, LabelMap};
use strata_model::folder::SavedModel;
use strata_model::label_structure::LabelStructure;
use strata_text::{PadSequences, Side};

use architecture::{read_architecture, Role};
use keras_file::KerasFile;
use tokenizer_json::read_keras_tokenizer;

/// What `import-keras` is given.
#[derive(Clone, Debug)]
pub struct KerasImport<'a> {
    /// The `Tokenizer.to_json()` file.
    pub tokenizer: &'a Path,
    /// The `.keras` or `.h5` model file.
    pub model: &'a Path,
    /// Steps per text when the model does not fix them (or the same number it fixes).
    pub maxlen: Option<usize>,
    pub padding: Side,
    pub truncating: Side,
    /// Names of the classes in output order; `0`, `1`, … when not given.
    pub labels: Option<Vec<String>>,
}

/// The model folder's content for a Keras model, and a one-line description of what was read.
pub fn import_keras(req: &KerasImport) -> Result<(SavedModel, String), DataError> {
    let tokenizer = read_keras_tokenizer(req.tokenizer)?;
    let file = KerasFile::open(req.model)?;
    let arch = read_architecture(&file.config, &file.shown)?;
    let model_err = |message: String, hint: &str| DataError::new(&file.shown, None, message, hint);
    let maxlen = match (arch.input_length, req.maxlen) {
        (Some(fixed), Some(asked)) if fixed != asked => {
            return Err(model_err(
                format!("the model reads {fixed} steps per text, not --maxlen {asked}"),
                "leave out --maxlen: the model's input shape gives it",
            ))
        }
        (Some(n), _) | (None, Some(n)) => n,
        (None, None) => {
            return Err(model_err(
                "the model's input has no fixed length".into(),
                "give --maxlen, the maxlen your pad_sequences used",
            ))
        }
    };
    let model = weights::build_model(&file, &arch)?;
    let vocab_ids = tokenizer.vocab_size();
    let oov = tokenizer.config.oov_token.as_ref().and_then(|t| tokenizer.word_index().get(t)).copied();
    if vocab_ids > model.config.vocab_size || oov.is_some_and(|id| id as usize >= model.config.vocab_size) {
        return Err(DataError::new(
            &req.tokenizer.display().to_string(),
            None,
            format!(
                "the tokenizer gives ids up to {}, but the model's Embedding has only {} rows",
                vocab_ids.max(oov.map_or(0, |i| i as usize + 1)) - 1,
                model.config.vocab_size
            ),
            "give the tokenizer saved with this model (its num_words must not exceed the Embedding's input_dim)",
        ));
    }
    let classes = model.config.num_classes;
    let labels = match &req.labels {
        None => (0..classes).map(|i| i.to_string()).collect(),
        Some(given) if given.len() == classes => given.clone(),
        Some(given) => {
            return Err(DataError::new(
                "--labels",
                None,
                format!("{} labels for a model with {classes} classes", given.len()),
                "give one name per output class, in the order of the model's outputs",
            ))
        }
    };
    let summary = format!(
        "{} → {} (maxlen {maxlen}, {} words, {classes} classes)",
        file.shown,
        describe(&arch.layers),
        tokenizer.word_index().len()
    );
    let saved = SavedModel {
        model,
        tokenizer,
        labels: LabelMap::from_vec(labels),
        pad: PadSequences { maxlen, padding: req.padding, truncating: req.truncating },
        structure: LabelStructure::Single,
    };
    Ok((saved, summary))
}

/// `Embedding(50, 8) → LSTM(6) → Dense(1, sigmoid)`.
fn describe(layers: &[architecture::KerasLayer]) -> String {
    let one = |r: &Role| match r {
        Role::Embedding { input_dim, output_dim, mask_zero } => {
            format!("Embedding({input_dim}, {output_dim}{})", if *mask_zero { ", mask_zero" } else { "" })
        }
        Role::Recurrent { cell, units, bidirectional, .. } => {
            let c = format!("{}({units})", if *cell == strata_nn::Cell::Lstm { "LSTM" } else { "GRU" });
            if *bidirectional {
                format!("Bidirectional({c})")
            } else {
                c
            }
        }
        Role::Dropout { rate } => format!("Dropout({rate})"),
        Role::Dense { units, activation, .. } => format!("Dense({units}, {activation})"),
    };
    layers.iter().map(|l| one(&l.role)).collect::<Vec<_>>().join(" → ")
}
