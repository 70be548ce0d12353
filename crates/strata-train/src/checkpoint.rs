//! Checkpoints: a [`TrainState`] on disk, written whole or not at all.
//!
//! `DIR/checkpoint/state.json` holds the counters, the history and which optimizer's state is
//! kept; `DIR/checkpoint/tensors.safetensors` the parameters, that state (`adam_m`/`adam_v`, or
//! `adadelta_acc_grad`/`adadelta_acc_update`) and early stopping's best weights. Both go into
//! a temporary folder that is renamed over the previous checkpoint, so a `kill -9` at any moment
//! leaves either the old checkpoint or the new one.
//!
//! Format 3 adds `SHA256SUMS` (what `sha256sum -c` reads): a checksum per file, checked before
//! anything is resumed, so a damaged checkpoint is refused rather than trained on. Formats 1
//! and 2 have none and still load. Format 1 (before format 2 named the optimizer) kept any
//! optimizer's two tensors as `adam_m`/`adam_v` (`format_1_optimizer`).

use std::path::Path;

use safetensors::tensor::SafeTensors;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use strata_data::DataError;

use crate::fit::{Best, EpochRecord, OptimizerSnapshot, TrainState};
use strata_model::atomic::{recover_dir, write_dir_atomic};
use strata_model::folder::tensors_file;
use strata_model::owned::Owned;

pub const CHECKPOINT_FORMAT_VERSION: u32 = 3;

/// The checksum file, in `sha256sum`'s format: `HEX  NAME` per line.
const SUMS: &str = "SHA256SUMS";

/// The SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format_version: u32,
    stage: usize,
    epochs_done: usize,
    shuffles: usize,
    step: usize,
    /// Whose state tensors.safetensors holds; absent at a stage start and for SGD.
    #[serde(default)]
    optimizer: Option<OptimizerFile>,
    /// Format 1 only: Adam's step count, or 0 for Adadelta's accumulators.
    #[serde(default, skip_serializing)]
    adam_t: Option<u64>,
    history: Vec<EpochRecord>,
    early_stops: Vec<(usize, usize, usize)>,
    best: Option<(f64, usize)>,
    waited: usize,
}

/// The optimizer whose tensors the checkpoint holds, and its scalars.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
enum OptimizerFile {
    Adam { t: u64 },
    Adadelta,
}

/// Writes the checkpoint of `state` into `dir/checkpoint/`.
pub fn save(dir: &Path, state: &TrainState) -> Result<(), DataError> {
    let mut tensors: Vec<(&str, &[f32])> = vec![("params", &state.params)];
    let optimizer = match &state.optimizer {
        None => None,
        Some(OptimizerSnapshot::Adam { m, v, t }) => {
            tensors.extend([("adam_m", &m[..]), ("adam_v", &v[..])]);
            Some(OptimizerFile::Adam { t: *t })
        }
        Some(OptimizerSnapshot::Adadelta { acc_grad, acc_update }) => {
            tensors.extend([("adadelta_acc_grad", &acc_grad[..]), ("adadelta_acc_update", &acc_update[..])]);
            Some(OptimizerFile::Adadelta)
        }
    };
    if let Some(best) = &state.best {
        tensors.push(("best_params", &best.weights));
    }
    let file = StateFile {
        format_version: CHECKPOINT_FORMAT_VERSION,
        stage: state.stage,
        epochs_done: state.epochs_done,
        shuffles: state.shuffles,
        step: state.step,
        optimizer,
        adam_t: None,
        history: state.history.clone(),
        early_stops: state.early_stops.clone(),
        best: state.best.as_ref().map(|b| (b.cost, b.epoch)),
        waited: state.waited,
    };
    let state_json = serde_json::to_vec_pretty(&file).expect("state serialises");
    let tensors = tensors_file(tensors.iter().map(|(n, d)| (n.to_string(), vec![d.len()], *d)));
    let sums = format!("{}  state.json\n{}  tensors.safetensors\n", sha256_hex(&state_json), sha256_hex(&tensors));
    let files = [("state.json", state_json), ("tensors.safetensors", tensors), (SUMS, sums.into_bytes())];
    write_dir_atomic(&dir.join("checkpoint"), Owned::Checkpoint, &files)
}

/// Whether `dir` holds a checkpoint (after repairing a swap a crash cut short). A run killed
/// before its first checkpoint has none; a checkpoint folder without its `state.json` is an
/// error rather than "none", so that `--resume` does not silently start the run again.
pub fn exists(dir: &Path) -> Result<bool, DataError> {
    present(&dir.join("checkpoint"), "state.json")
}

/// Whether the checkpoint folder `cdir` holds `state` (after repairing a swap a crash cut
/// short). The folder is only ever swapped in whole, so one that is there without `state` lost
/// it after strata wrote it: that is refused, for the classifier's and the language model's
/// checkpoints alike.
pub(crate) fn present(cdir: &Path, state: &str) -> Result<bool, DataError> {
    recover_dir(cdir)?;
    let state_path = cdir.join(state);
    if state_path.exists() {
        return Ok(true);
    }
    if cdir.is_dir() {
        return Err(DataError::new(
            &state_path.display().to_string(),
            None,
            "the checkpoint is incomplete: this file is missing, so the run cannot be resumed",
            "start the run again with --overwrite instead of --resume",
        ));
    }
    Ok(false)
}

/// Checks every file `SHA256SUMS` lists against its checksum.
fn verify_sums(cdir: &Path, read: impl Fn(&Path) -> Result<Vec<u8>, DataError>) -> Result<(), DataError> {
    let sp = cdir.join(SUMS);
    let damaged = |p: &Path, m: String| {
        DataError::new(
            &p.display().to_string(),
            None,
            m,
            "the checkpoint is damaged; restore the run folder or start the run again",
        )
    };
    let text = String::from_utf8(read(&sp)?).map_err(|_| damaged(&sp, "corrupt: not UTF-8".into()))?;
    let mut listed = 0;
    for (i, line) in text.lines().enumerate() {
        let Some((want, name)) = line.split_once("  ") else {
            return Err(DataError::new(
                &sp.display().to_string(),
                Some(i + 1),
                "corrupt: not `HEX  NAME`",
                "restore the run folder",
            ));
        };
        let path = cdir.join(name);
        if name.contains(['/', '\\']) || sha256_hex(&read(&path)?) != want {
            return Err(damaged(&path, "does not match its checksum in SHA256SUMS".into()));
        }
        listed += 1;
    }
    if listed < 2 {
        return Err(damaged(&sp, format!("lists {listed} files, not state.json and tensors.safetensors")));
    }
    Ok(())
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
    if file.format_version >= 3 {
        verify_sums(&cdir, read)?;
    }
    let tp = cdir.join("tensors.safetensors");
    let bytes = read(&tp)?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| err(&tp, format!("corrupt: {e}")))?;
    let get = |name: &str| -> Result<Vec<f32>, DataError> {
        let t = st.tensor(name).map_err(|_| err(&tp, format!("tensor '{name}' is missing")))?;
        Ok(t.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    };
    let optimizer = match file.optimizer {
        _ if file.format_version < 2 => format_1_optimizer(file.adam_t, get)?,
        None => None,
        Some(OptimizerFile::Adam { t }) => Some(OptimizerSnapshot::Adam { m: get("adam_m")?, v: get("adam_v")?, t }),
        Some(OptimizerFile::Adadelta) => Some(OptimizerSnapshot::Adadelta {
            acc_grad: get("adadelta_acc_grad")?,
            acc_update: get("adadelta_acc_update")?,
        }),
    };
    let best = match file.best {
        Some((cost, epoch)) => Some(Best { cost, epoch, weights: get("best_params")? }),
        None => None,
    };
    Ok(TrainState {
        stage: file.stage,
        epochs_done: file.epochs_done,
        shuffles: file.shuffles,
        step: file.step,
        params: get("params")?,
        optimizer,
        history: file.history,
        early_stops: file.early_stops,
        best,
        waited: file.waited,
    })
}

/// The optimizer state of a format-1 checkpoint, which kept any optimizer's two tensors as
/// `adam_m`/`adam_v` and wrote `adam_t` = 0 for Adadelta. Adam counts its steps from 1, and a
/// mid-stage checkpoint comes after at least one, so `adam_t` = 0 means Adadelta.
fn format_1_optimizer(
    adam_t: Option<u64>,
    get: impl Fn(&str) -> Result<Vec<f32>, DataError>,
) -> Result<Option<OptimizerSnapshot>, DataError> {
    Ok(match adam_t {
        None => None,
        Some(0) => Some(OptimizerSnapshot::Adadelta { acc_grad: get("adam_m")?, acc_update: get("adam_v")? }),
        Some(t) => Some(OptimizerSnapshot::Adam { m: get("adam_m")?, v: get("adam_v")?, t }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(optimizer: Option<OptimizerSnapshot>) -> TrainState {
        TrainState {
            stage: 1,
            epochs_done: 2,
            shuffles: 5,
            step: 40,
            params: vec![1.0, -2.0, 3.5],
            optimizer,
            history: Vec::new(),
            early_stops: vec![(1, 3, 2)],
            best: Some(Best { cost: 0.25, epoch: 2, weights: vec![0.5, 0.5, 0.5] }),
            waited: 1,
        }
    }

    #[test]
    fn every_optimizers_state_comes_back_under_its_own_names() {
        let adam = OptimizerSnapshot::Adam { m: vec![0.1, 0.2, 0.3], v: vec![0.4, 0.5, 0.6], t: 40 };
        let adadelta = OptimizerSnapshot::Adadelta { acc_grad: vec![0.1, 0.2, 0.3], acc_update: vec![0.7, 0.8, 0.9] };
        for (snapshot, keys) in
            [(Some(adam), &["adam_m", "adam_v"]), (Some(adadelta), &["adadelta_acc_grad", "adadelta_acc_update"])]
        {
            let dir = tempfile::tempdir().unwrap();
            let s = state(snapshot);
            save(dir.path(), &s).unwrap();
            assert_eq!(load(dir.path()).unwrap(), s);
            let bytes = std::fs::read(dir.path().join("checkpoint/tensors.safetensors")).unwrap();
            let tensors = SafeTensors::deserialize(&bytes).unwrap();
            assert!(keys.iter().all(|k| tensors.tensor(k).is_ok()), "{:?}", tensors.names());
        }
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &state(None)).unwrap();
        assert_eq!(load(dir.path()).unwrap().optimizer, None, "SGD keeps no state");
    }

    /// A checkpoint as format 1 wrote it: the optimizer's tensors as adam_m/adam_v, adam_t 0
    /// for Adadelta.
    fn write_format_1(dir: &Path, adam_t: u64) {
        let json = serde_json::json!({
            "format_version": 1, "stage": 0, "epochs_done": 3, "shuffles": 3, "step": 36,
            "adam_t": adam_t, "history": [], "early_stops": [], "best": null, "waited": 0,
        });
        let (p, m, v) = ([1.0f32, 2.0], [0.1f32, 0.2], [0.3f32, 0.4]);
        let tensors = [("params", &p[..]), ("adam_m", &m[..]), ("adam_v", &v[..])];
        let files = [
            ("state.json", serde_json::to_vec(&json).unwrap()),
            ("tensors.safetensors", tensors_file(tensors.iter().map(|(n, d)| (n.to_string(), vec![d.len()], *d)))),
        ];
        write_dir_atomic(&dir.join("checkpoint"), Owned::Checkpoint, &files).unwrap();
    }

    #[test]
    fn a_format_1_checkpoint_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        write_format_1(dir.path(), 36);
        let s = load(dir.path()).unwrap();
        assert_eq!(s.optimizer, Some(OptimizerSnapshot::Adam { m: vec![0.1, 0.2], v: vec![0.3, 0.4], t: 36 }));
        assert_eq!((s.step, s.params), (36, vec![1.0, 2.0]));
        write_format_1(dir.path(), 0);
        let s = load(dir.path()).unwrap();
        assert_eq!(
            s.optimizer,
            Some(OptimizerSnapshot::Adadelta { acc_grad: vec![0.1, 0.2], acc_update: vec![0.3, 0.4] })
        );
    }

    #[test]
    fn a_checkpoint_carries_a_checksum_per_file_and_a_damaged_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &state(None)).unwrap();
        let cdir = dir.path().join("checkpoint");
        let sums = std::fs::read_to_string(cdir.join(SUMS)).unwrap();
        for name in ["state.json", "tensors.safetensors"] {
            let line = format!("{}  {name}", sha256_hex(&std::fs::read(cdir.join(name)).unwrap()));
            assert!(sums.lines().any(|l| l == line), "{line} not in {sums}");
        }
        // one flipped byte in the weights: same length, still a valid safetensors file
        let tp = cdir.join("tensors.safetensors");
        let mut bytes = std::fs::read(&tp).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(&tp, bytes).unwrap();
        let e = load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("tensors.safetensors") && e.contains("checksum"), "{e}");
        save(dir.path(), &state(None)).unwrap();
        std::fs::remove_file(cdir.join(SUMS)).unwrap();
        assert!(load(dir.path()).unwrap_err().to_string().contains(SUMS), "format 3 needs its sums");
    }

    #[test]
    fn a_checkpoint_folder_without_its_state_is_incomplete_not_absent() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!exists(dir.path()).unwrap(), "no checkpoint folder: none yet");
        save(dir.path(), &state(None)).unwrap();
        assert!(exists(dir.path()).unwrap());
        std::fs::remove_file(dir.path().join("checkpoint/state.json")).unwrap();
        let e = exists(dir.path()).unwrap_err().to_string();
        assert!(e.contains("state.json") && e.contains("incomplete") && e.contains("--overwrite"), "{e}");
    }

    #[test]
    fn a_format_2_checkpoint_without_checksums_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        let s = state(Some(OptimizerSnapshot::Adam { m: vec![0.1, 0.2, 0.3], v: vec![0.4, 0.5, 0.6], t: 40 }));
        save(dir.path(), &s).unwrap();
        let cdir = dir.path().join("checkpoint");
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(cdir.join("state.json")).unwrap()).unwrap();
        json["format_version"] = 2.into();
        std::fs::write(cdir.join("state.json"), serde_json::to_vec(&json).unwrap()).unwrap();
        std::fs::remove_file(cdir.join(SUMS)).unwrap();
        std::fs::remove_file(cdir.join(".strata")).unwrap();
        assert_eq!(load(dir.path()).unwrap(), s);
        save(dir.path(), &s).unwrap(); // an unmarked format-2 folder is strata's and is replaced
        assert!(cdir.join(SUMS).exists());
    }
}
