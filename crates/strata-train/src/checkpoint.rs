//! Checkpoints: a [`TrainState`] on disk, written whole or not at all.
//!
//! `DIR/checkpoint/state.json` holds the counters and the history; `DIR/checkpoint/tensors.safetensors`
//! the parameters, Adam's moments and early stopping's best weights. Both go into a temporary
//! folder that is renamed over the previous checkpoint, so a `kill -9` at any moment leaves
//! either the old checkpoint or the new one.

use std::path::Path;

use safetensors::tensor::SafeTensors;
use serde::{Deserialize, Serialize};
use strata_data::DataError;

use crate::fit::{EpochRecord, TrainState};
use strata_model::atomic::{recover_dir, write_dir_atomic};
use strata_model::folder::tensors_file;

pub const CHECKPOINT_FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format_version: u32,
    stage: usize,
    epochs_done: usize,
    shuffles: usize,
    step: usize,
    adam_t: Option<u64>,
    history: Vec<EpochRecord>,
    early_stops: Vec<(usize, usize, usize)>,
    best: Option<(f64, usize)>,
    waited: usize,
}

/// Writes the checkpoint of `state` into `dir/checkpoint/`.
pub fn save(dir: &Path, state: &TrainState) -> Result<(), DataError> {
    let file = StateFile {
        format_version: CHECKPOINT_FORMAT_VERSION,
        stage: state.stage,
        epochs_done: state.epochs_done,
        shuffles: state.shuffles,
        step: state.step,
        adam_t: state.adam.as_ref().map(|a| a.2),
        history: state.history.clone(),
        early_stops: state.early_stops.clone(),
        best: state.best.as_ref().map(|b| (b.0, b.1)),
        waited: state.waited,
    };
    let mut tensors: Vec<(&str, &[f32])> = vec![("params", &state.params)];
    if let Some((m, v, _)) = &state.adam {
        tensors.push(("adam_m", m));
        tensors.push(("adam_v", v));
    }
    if let Some((_, _, w)) = &state.best {
        tensors.push(("best_params", w));
    }
    let files = [
        ("state.json", serde_json::to_vec_pretty(&file).expect("state serialises")),
        ("tensors.safetensors", tensors_file(tensors.iter().map(|(n, d)| (n.to_string(), vec![d.len()], *d)))),
    ];
    write_dir_atomic(&dir.join("checkpoint"), &files)
}

/// Reads `dir/checkpoint/`.
pub fn load(dir: &Path) -> Result<TrainState, DataError> {
    let cdir = dir.join("checkpoint");
    // a run killed while swapping in a checkpoint left the last whole one beside it
    recover_dir(&cdir)?;
    let hint = "resume needs the checkpoint folder a --checkpoint-every run wrote; it is missing or damaged";
    let err = |p: &Path, m: String| DataError::new(&p.display().to_string(), None, m, hint);
    let read = |p: &Path| std::fs::read(p).map_err(|e| err(p, format!("cannot read: {e}")));
    let sp = cdir.join("state.json");
    let file: StateFile = serde_json::from_slice(&read(&sp)?).map_err(|e| err(&sp, format!("corrupt: {e}")))?;
    if file.format_version > CHECKPOINT_FORMAT_VERSION {
        return Err(err(&sp, format!("format_version {} is newer than this strata reads", file.format_version)));
    }
    let tp = cdir.join("tensors.safetensors");
    let bytes = read(&tp)?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| err(&tp, format!("corrupt: {e}")))?;
    let get = |name: &str| -> Result<Vec<f32>, DataError> {
        let t = st.tensor(name).map_err(|_| err(&tp, format!("tensor '{name}' is missing")))?;
        Ok(t.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    };
    let adam = match file.adam_t {
        Some(t) => Some((get("adam_m")?, get("adam_v")?, t)),
        None => None,
    };
    let best = match file.best {
        Some((loss, epoch)) => Some((loss, epoch, get("best_params")?)),
        None => None,
    };
    Ok(TrainState {
        stage: file.stage,
        epochs_done: file.epochs_done,
        shuffles: file.shuffles,
        step: file.step,
        params: get("params")?,
        adam,
        history: file.history,
        early_stops: file.early_stops,
        best,
        waited: file.waited,
    })
}
