//! A saved Keras model opened for reading: its architecture (the model config JSON) and each
//! layer's weights as flat `f32` arrays, from either file Keras writes.
//!
//! - **`.keras`** (Keras 3, and tf-keras ≥ 2.13's `model.save("m.keras")`): a zip holding
//!   `config.json` and `model.weights.h5`, whose layer `L` keeps its variables at
//!   `layers/L/vars/0, 1, …` (a recurrent layer's under `cell/`, a bidirectional wrapper's under
//!   `forward_layer/` and `backward_layer/`), `L` being the snake-cased class name numbered per
//!   class (`lstm`, `lstm_1`, …).
//! - **legacy `.h5`** (`model.save("m.h5")`): the config in the root attribute `model_config`,
//!   and layer `name`'s weights in `model_weights/name`, listed in order by its `weight_names`
//!   attribute (split into `weight_names0`, `weight_names1`, … when long).
//!
//! The kind is told by the file's first bytes, not its name. HDF5 is read by `hdf5-reader`, a
//! pure-Rust, read-only decoder hardened against malformed files, so no libhdf5 is needed.

use std::io::Read;
use std::path::Path;

use hdf5_reader::{Attribute, Hdf5File};
use serde_json::Value;
use strata_data::DataError;

/// One weight: its shape and values, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Weight {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Where a layer's weights are, in each file kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Variables {
    /// `vars/` of the layer itself (Embedding, Dense).
    Own,
    /// `cell/vars/` (LSTM, GRU).
    Cell,
    /// `forward_layer/cell/vars/` then `backward_layer/cell/vars/` (Bidirectional).
    BothCells,
}

/// A Keras model file opened: the architecture and a way to its weights.
pub struct KerasFile {
    /// The file, for errors.
    pub shown: String,
    /// The model config: `{"class_name": "Sequential", "config": {...}}`.
    pub config: Value,
    weights: Hdf5File,
    legacy: bool,
}

const HDF5_MAGIC: &[u8] = b"\x89HDF\r\n\x1a\n";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const SAVE_WHOLE: &str = "save the whole model in Keras with model.save(\"model.keras\") or model.save(\"model.h5\")";

/// A `.keras` zip's entry is bounded so that a damaged file (or a zip bomb) cannot ask for all
/// memory; 1 GiB holds a 250M-parameter model, far beyond the seed family.
const MAX_ENTRY_BYTES: u64 = 1 << 30;

impl KerasFile {
    /// Opens `path`, a `.keras` zip or a legacy `.h5`.
    pub fn open(path: &Path) -> Result<KerasFile, DataError> {
        let shown = path.display().to_string();
        let fail = |message: String, hint: &str| DataError::new(&shown, None, message, hint);
        let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read the model: {e}"), SAVE_WHOLE))?;
        if bytes.starts_with(ZIP_MAGIC) {
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
                .map_err(|e| fail(format!("not a readable .keras zip: {e}"), SAVE_WHOLE))?;
            let mut entry = |name: &str| -> Result<Vec<u8>, DataError> {
                let file = zip.by_name(name).map_err(|_| {
                    fail(
                        format!("the .keras zip has no {name}"),
                        "a .keras file holds config.json and model.weights.h5",
                    )
                })?;
                let mut out = Vec::new();
                file.take(MAX_ENTRY_BYTES)
                    .read_to_end(&mut out)
                    .map_err(|e| fail(format!("cannot unzip {name}: {e}"), SAVE_WHOLE))?;
                Ok(out)
            };
            let config = serde_json::from_slice(&entry("config.json")?)
                .map_err(|e| fail(format!("its config.json is not JSON: {e}"), SAVE_WHOLE))?;
            let weights = Hdf5File::from_vec(entry("model.weights.h5")?)
                .map_err(|e| fail(format!("its model.weights.h5 is not readable HDF5: {e}"), SAVE_WHOLE))?;
            return Ok(KerasFile { shown, config, weights, legacy: false });
        }
        if !bytes.starts_with(HDF5_MAGIC) {
            return Err(fail("is neither a .keras zip nor an HDF5 .h5 file".into(), SAVE_WHOLE));
        }
        let weights = Hdf5File::from_vec(bytes).map_err(|e| fail(format!("not readable HDF5: {e}"), SAVE_WHOLE))?;
        let root = weights.root_group().map_err(|e| fail(format!("not readable HDF5: {e}"), SAVE_WHOLE))?;
        let text = root.attribute("model_config").and_then(|a| a.read_string()).map_err(|_| {
            fail(
                "holds no model_config: weights only (model.save_weights), without the architecture".into(),
                SAVE_WHOLE,
            )
        })?;
        let config =
            serde_json::from_str(&text).map_err(|e| fail(format!("its model_config is not JSON: {e}"), SAVE_WHOLE))?;
        Ok(KerasFile { shown, config, weights, legacy: true })
    }

    /// Whether this is a legacy `.h5` (else a `.keras` zip).
    pub fn is_legacy(&self) -> bool {
        self.legacy
    }

    /// The weights of the layer named `name` in the config and `path` in a `.keras` file, in
    /// Keras's order (`layer.weights`).
    pub fn layer_weights(&self, name: &str, path: &str, vars: &Variables) -> Result<Vec<Weight>, DataError> {
        if self.legacy {
            self.legacy_weights(name)
        } else {
            let subgroups: &[&str] = match vars {
                Variables::Own => &["vars"],
                Variables::Cell => &["cell/vars"],
                Variables::BothCells => &["forward_layer/cell/vars", "backward_layer/cell/vars"],
            };
            let mut out = Vec::new();
            for sub in subgroups {
                out.extend(self.numbered_vars(&format!("/layers/{path}/{sub}"))?);
            }
            Ok(out)
        }
    }

    fn damaged(&self, message: String) -> DataError {
        DataError::new(&self.shown, None, message, "the file is damaged or not one Keras wrote; save the model again")
    }

    /// `group/0`, `group/1`, … in number order.
    fn numbered_vars(&self, group: &str) -> Result<Vec<Weight>, DataError> {
        let g = self.weights.group(group).map_err(|_| self.damaged(format!("has no weights at {group}")))?;
        let (_, names) = g.member_names().map_err(|e| self.damaged(format!("{group}: {e}")))?;
        let mut numbered: Vec<(usize, String)> =
            names.into_iter().filter_map(|n| n.parse().ok().map(|i| (i, n))).collect();
        numbered.sort();
        numbered.iter().map(|(_, n)| self.read(&format!("{group}/{n}"))).collect()
    }

    fn legacy_weights(&self, name: &str) -> Result<Vec<Weight>, DataError> {
        let at = format!("/model_weights/{name}");
        let g = self.weights.group(&at).map_err(|_| self.damaged(format!("has no weights for layer '{name}'")))?;
        let names =
            split_attribute(|n| g.attribute(n).ok(), "weight_names").map_err(|e| self.damaged(format!("{at}: {e}")))?;
        names.iter().map(|n| self.read(&format!("{at}/{n}"))).collect()
    }

    /// The dataset at `shown` (a path from the root), as `f32`.
    fn read(&self, shown: &str) -> Result<Weight, DataError> {
        let ds = self.weights.dataset(shown).map_err(|_| self.damaged(format!("has no weight {shown}")))?;
        let shape: Vec<usize> = ds.shape().iter().map(|&d| d as usize).collect();
        let array = ds.read_array::<f32>().map_err(|e| {
            DataError::new(
                &self.shown,
                None,
                format!("weight {shown} cannot be read as float32: {e}"),
                "save the model with float32 weights (no mixed precision)",
            )
        })?;
        let data: Vec<f32> = array.iter().copied().collect();
        if let Some(at) = data.iter().position(|v| !v.is_finite()) {
            return Err(self.damaged(format!("weight {shown} holds {} at index {at}", data[at])));
        }
        Ok(Weight { shape, data })
    }
}

/// A string-list attribute Keras may split into `name0`, `name1`, … when it is long.
fn split_attribute(attribute: impl Fn(&str) -> Option<Attribute>, name: &str) -> Result<Vec<String>, String> {
    if let Some(a) = attribute(name) {
        return a.read_strings().map_err(|e| e.to_string());
    }
    let mut out = Vec::new();
    for i in 0.. {
        match attribute(&format!("{name}{i}")) {
            Some(a) => out.extend(a.read_strings().map_err(|e| e.to_string())?),
            None if i > 0 => break,
            None => return Err(format!("no '{name}' attribute")),
        }
    }
    Ok(out)
}
