//! The out-of-scope threshold a model was trained with (issue 15 point 4, `train --reject-below
//! P`), kept in its folder's `config.json` as `reject_below` so that `predict`, `test` and
//! `serve` reject below it without being told again (a `--reject-below` given to them
//! overrides it). A folder without the key, every folder before it, rejects nothing.
//!
//! It is written beside what `save` writes rather than held by the in-memory model: only the
//! commands that answer for a folder read it, and a model saved without it keeps its bytes.

use std::path::Path;

use serde_json::Value;
use strata_data::DataError;

use crate::atomic::write_atomic;

/// The key in `config.json`.
pub const KEY: &str = "reject_below";

/// Stores `p` in the `config.json` of the model folder `dir` (a run folder's `model/` too), as
/// its last field: the fields `save` wrote keep their order and bytes.
pub fn write(dir: &Path, p: f32) -> Result<(), DataError> {
    let path = crate::folder::resolve(dir).join("config.json");
    let shown = path.display().to_string();
    let config = read_config(&path)?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| DataError::new(&shown, None, format!("cannot read: {e}"), "give a model folder"))?;
    let (Some(fields), Some(end)) = (config.as_object(), text.rfind('}')) else {
        return Err(DataError::new(&shown, None, "config.json is not an object", "train the model again"));
    };
    let p = Value::from(p);
    let text = if fields.contains_key(KEY) {
        let mut config = config.clone();
        config[KEY] = p;
        serde_json::to_string_pretty(&config).unwrap_or(text)
    } else {
        let (head, tail) = text.split_at(end);
        let comma = if fields.is_empty() { "" } else { "," };
        format!("{}{comma}\n  \"{KEY}\": {p}\n{tail}", head.trim_end())
    };
    write_atomic(&path, text.as_bytes())
}

/// The threshold stored in the model folder `dir`, `None` when there is none; a value that is
/// not a probability is refused with the file named.
pub fn read(dir: &Path) -> Result<Option<f32>, DataError> {
    let path = crate::folder::resolve(dir).join("config.json");
    let config = read_config(&path)?;
    match config.get(KEY) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(p) if (0.0..=1.0).contains(&p) => Ok(Some(p as f32)),
            _ => Err(DataError::new(
                &path.display().to_string(),
                None,
                format!("{KEY} {v} is not a probability"),
                "set it from 0 to 1, or remove it",
            )),
        },
    }
}

fn read_config(path: &Path) -> Result<Value, DataError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| DataError::new(&shown, None, format!("cannot read: {e}"), "give a model folder"))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| DataError::new(&shown, Some(e.line()), format!("not JSON: {e}"), "train the model again"))
}

/// The threshold a command uses: the one given on its command line, else the model's.
pub fn effective(given: Option<f32>, dir: &Path) -> Result<Option<f32>, DataError> {
    match given {
        Some(p) => Ok(Some(p)),
        None => read(dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_threshold_reads_back_and_a_given_one_overrides_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), br#"{"format": "x", "maxlen": 3}"#).unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        write(dir.path(), 0.25).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some(0.25));
        assert_eq!(effective(None, dir.path()).unwrap(), Some(0.25));
        assert_eq!(effective(Some(0.0), dir.path()).unwrap(), Some(0.0));
        let config: Value = serde_json::from_slice(&std::fs::read(dir.path().join("config.json")).unwrap()).unwrap();
        assert_eq!(config["maxlen"], 3, "the other fields are kept");
        write(dir.path(), 0.5).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some(0.5), "written again, replaced");
        std::fs::write(dir.path().join("config.json"), br#"{"reject_below": 1.5}"#).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("config.json") && e.contains("not a probability"), "{e}");
    }
}
