//! A model declared in TOML as a list of layers, like a Keras `Sequential`:
//!
//! ```toml
//! embedding_dim = 128        # optional; --embedding-dim otherwise
//! embedding_init = 0.05      # optional: embeddings start uniform in ±this (Keras's default)
//! [[layer]]
//! type = "conv1d"
//! filters = 100
//! widths = [3, 4, 5]
//! [[layer]]
//! type = "dropout"
//! rate = 0.5
//! ```
//!
//! The embedding comes first and the classifier last (its width from the data's classes);
//! the file lists what lies between. The layer types are [`LayerSpec::TYPES`]; each is a module
//! of [`crate::layers`] whose config struct is its table.

use serde::Deserialize;

use crate::error::ModelError;
use crate::limits::MAX_LAYERS;
use crate::model::{LayerSpec, ModelSettings};
use crate::toml_lines::{error_line, table_lines};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    embedding_dim: Option<usize>,
    embedding_init: Option<f32>,
    #[serde(default)]
    layer: Vec<LayerSpec>,
}

/// Reads a model file's text (`origin` names it in errors, as `origin:line: …`);
/// `embedding_dim` is used when the file gives none. A layer that does not fit is reported at
/// the line of its `[[layer]]` table.
pub fn parse(text: &str, origin: &str, embedding_dim: usize) -> Result<ModelSettings, ModelError> {
    let at =
        |line: usize, problem: ModelError| ModelError::File { origin: origin.into(), line, problem: Box::new(problem) };
    let file: ModelFile = toml::from_str(text)
        .map_err(|e| at(error_line(text, &e), ModelError::Syntax(e.message().replace('\n', " "))))?;
    if file.layer.is_empty() {
        return Err(at(1, ModelError::NoLayers));
    }
    if file.layer.len() > MAX_LAYERS {
        let n = file.layer.len();
        return Err(at(
            1,
            ModelError::Config(format!("{n} [[layer]] tables, more than strata's limit of {MAX_LAYERS}")),
        ));
    }
    let settings = ModelSettings {
        architecture: "custom".into(),
        embedding_dim: file.embedding_dim.unwrap_or(embedding_dim),
        layers: file.layer,
        embedding_init: file.embedding_init.unwrap_or(crate::model::KERAS_EMBEDDING_INIT),
        multichannel: false, // a training flag (--multichannel), not part of the layer list
        mask_padding: false, // likewise (--mask-padding)
    };
    // check the list now, with the file's name, rather than after the data is read
    settings.config(2, 2).validate().map_err(|e| {
        let line = match e {
            ModelError::Layer { index, .. } => table_lines(text, "layer").get(index - 1).copied().unwrap_or(1),
            _ => 1,
        };
        at(line, e)
    })?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kim_cnn_as_a_file_equals_the_named_model() {
        let text = "[[layer]]\ntype = \"conv1d\"\nfilters = 100\nwidths = [3, 4, 5]\n\n[[layer]]\ntype = \"dropout\"\nrate = 0.5\n";
        let s = parse(text, "m.toml", 128).unwrap();
        let named = crate::zoo::named_layers("kim-cnn", Default::default()).unwrap();
        assert_eq!(s.layers, named);
        assert_eq!(s.embedding_dim, 128);
    }

    #[test]
    fn a_file_of_too_many_layers_is_refused_before_placement() {
        let text = "[[layer]]\ntype = \"lstm\"\nunits = 2\n".repeat(crate::limits::MAX_LAYERS + 1);
        let e = parse(&text, "m.toml", 8).unwrap_err().to_string();
        assert!(e.starts_with("m.toml:1: 1025 [[layer]] tables, more than strata's limit of 1024"), "{e}");
    }

    #[test]
    fn repeated_convolution_widths_are_refused_not_declared_twice() {
        let text = "[[layer]]\ntype = \"conv1d\"\nfilters = 2\nwidths = [3, 3]\n";
        let e = parse(text, "m.toml", 8).unwrap_err().to_string();
        assert!(e.starts_with("m.toml:1: layer 1 (conv1d): widths must all differ"), "{e}");
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let e = parse(
            "embedding_dim = 8\n[[layer]]\ntype = \"lstm\"\nunits = 4\n[[layer]]\ntype = \"bogus\"\n",
            "m.toml",
            8,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("m.toml:6: unknown variant `bogus`"), "{e}");
        let e = parse("[[layer]]\ntype = \"mean_pool\"\n", "m.toml", 8).unwrap_err().to_string();
        assert!(e.starts_with("m.toml:1: the model needs at least one layer with parameters"), "{e}");
        let e = parse(
            "[[layer]]\ntype = \"lstm\"\nunits = 2\n[[layer]]\ntype = \"layer_norm\"\nepsilon = 0.0\n",
            "m.toml",
            8,
        );
        let e = e.unwrap_err().to_string();
        assert_eq!(e.matches("(hint:").count(), 1, "one hint a line: {e}");
        assert!(e.starts_with("m.toml:4: layer 2 (layer_norm): epsilon must be a positive number"), "{e}");
        let text = "[[layer]]\ntype = \"lstm\"\nunits = 4\n\n[[layer]]\ntype = \"dense\"\nunits = 0\n";
        let e = parse(text, "m.toml", 8).unwrap_err();
        assert_eq!(
            e,
            ModelError::File {
                origin: "m.toml".into(),
                line: 5,
                problem: Box::new(ModelError::Layer {
                    index: 2,
                    kind: "dense",
                    rule: "sizes must be at least 1".into()
                })
            }
        );
    }
}
