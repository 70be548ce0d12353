//! The language model's checkpoint: an [`LmState`] on disk, written whole or not at all, as
//! the classifier's ([`crate::checkpoint`]): `DIR/checkpoint/state.json` (format version, the
//! architecture, epochs done, history, Adam's step count), `tensors.safetensors` (every
//! parameter under its dotted name, Adam's moments as `adam_m`/`adam_v`) and `SHA256SUMS`,
//! checked before anything is resumed. The folder is swapped in atomically and carries the
//! `.strata` marker that lets a later save replace it.

use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};
use strata_data::DataError;
use strata_nn::optim::Adam;

use super::language_model::{LanguageModel, LmEpoch, LmLevel, LmState};
use crate::checkpoint::sha256_hex;
use strata_model::atomic::{recover_dir, write_dir_atomic};
use strata_model::folder::tensors_file;
use strata_model::owned::Owned;

pub const LM_CHECKPOINT_FORMAT_VERSION: u32 = 1;

const SUMS: &str = "SHA256SUMS";
const FILES: [&str; 2] = ["state.json", "tensors.safetensors"];

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format_version: u32,
    /// Tells a language model's checkpoint from a classifier's.
    kind: String,
    vocab_size: usize,
    embedding_dim: usize,
    levels: Vec<LmLevel>,
    epochs_done: usize,
    /// Adam's step count; absent before the first step.
    adam_t: Option<u64>,
    history: Vec<LmEpoch>,
}

const KIND: &str = "language_model";

/// Writes `state` into `dir/checkpoint/`, replacing the previous checkpoint atomically.
pub fn save_checkpoint(dir: &Path, state: &LmState) -> Result<(), DataError> {
    let m = &state.model;
    let file = StateFile {
        format_version: LM_CHECKPOINT_FORMAT_VERSION,
        kind: KIND.into(),
        vocab_size: m.vocab_size,
        embedding_dim: m.embedding_dim,
        levels: m.levels.clone(),
        epochs_done: state.epochs_done,
        adam_t: state.optimizer.as_ref().map(|a| a.t),
        history: state.history.clone(),
    };
    let mut tensors: Vec<(String, Vec<usize>, &[f32])> =
        m.params.specs.iter().map(|s| (s.name.clone(), s.shape.clone(), &m.params.data[s.range.clone()])).collect();
    if let Some(a) = &state.optimizer {
        tensors.push(("adam_m".into(), vec![a.m.len()], &a.m));
        tensors.push(("adam_v".into(), vec![a.v.len()], &a.v));
    }
    let state_json = serde_json::to_vec_pretty(&file).expect("state serialises");
    let tensors = tensors_file(tensors);
    let sums = format!("{}  {}\n{}  {}\n", sha256_hex(&state_json), FILES[0], sha256_hex(&tensors), FILES[1]);
    let files = [(FILES[0], state_json), (FILES[1], tensors), (SUMS, sums.into_bytes())];
    write_dir_atomic(&dir.join("checkpoint"), Owned::Checkpoint, &files)
}

/// Whether `dir` holds a checkpoint (after repairing a swap a crash cut short).
/// A checkpoint folder without its `state.json` is an error, not "none yet".
pub fn checkpoint_exists(dir: &Path) -> Result<bool, DataError> {
    crate::checkpoint::present(&dir.join("checkpoint"), FILES[0])
}

/// Reads `dir/checkpoint/`, refusing one whose files do not match `SHA256SUMS`.
pub fn load_checkpoint(dir: &Path) -> Result<LmState, DataError> {
    let cdir = dir.join("checkpoint");
    recover_dir(&cdir)?;
    let hint = "--resume needs the checkpoint folder an earlier `strata pretrain` run wrote; it is missing or damaged";
    let err = |p: &Path, m: String| DataError::new(&p.display().to_string(), None, m, hint);
    let read = |p: &Path| std::fs::read(p).map_err(|e| err(p, format!("cannot read: {e}")));
    let sums_path = cdir.join(SUMS);
    let sums = String::from_utf8(read(&sums_path)?).map_err(|_| err(&sums_path, "corrupt: not UTF-8".into()))?;
    let mut bytes = Vec::new();
    for name in FILES {
        let path = cdir.join(name);
        let data = read(&path)?;
        let line = format!("{}  {name}", sha256_hex(&data));
        if !sums.lines().any(|l| l == line) {
            return Err(err(&path, "does not match its checksum in SHA256SUMS".into()));
        }
        bytes.push(data);
    }
    let sp = cdir.join(FILES[0]);
    let file: StateFile = serde_json::from_slice(&bytes[0]).map_err(|e| err(&sp, format!("corrupt: {e}")))?;
    if file.kind != KIND {
        return Err(err(&sp, format!("is a '{}' checkpoint, not a language model's", file.kind)));
    }
    if file.format_version > LM_CHECKPOINT_FORMAT_VERSION {
        return Err(err(&sp, format!("format_version {} is newer than this strata reads", file.format_version)));
    }
    let tp = cdir.join(FILES[1]);
    let st = SafeTensors::deserialize(&bytes[1]).map_err(|e| err(&tp, format!("corrupt: {e}")))?;
    let get = |name: &str, shape: &[usize]| -> Result<Vec<f32>, DataError> {
        let t = st.tensor(name).map_err(|_| err(&tp, format!("tensor '{name}' is missing")))?;
        if t.dtype() != Dtype::F32 || t.shape() != shape {
            return Err(err(
                &tp,
                format!("tensor '{name}' is {:?} {:?}, expected F32 {shape:?}", t.dtype(), t.shape()),
            ));
        }
        Ok(t.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    };
    let mut model = LanguageModel::new(file.vocab_size, file.embedding_dim, file.levels, 0);
    for spec in model.params.specs.clone() {
        let values = get(&spec.name, &spec.shape)?;
        model.params.data[spec.range].copy_from_slice(&values);
    }
    let n = model.params.len();
    let optimizer = match file.adam_t {
        None => None,
        Some(t) => Some(Adam { m: get("adam_m", &[n])?, v: get("adam_v", &[n])?, t, ..Adam::keras(0) }),
    };
    Ok(LmState { model, epochs_done: file.epochs_done, history: file.history, optimizer })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A resumed run writes the history its checkpoint kept, so every float must read back to
    /// the bit: serde_json's default parser is best-effort and read this perplexity one ulp
    /// low (…455), which made a resumed run's history.csv differ from an unbroken run's
    /// (`float_roundtrip`, the workspace's Cargo.toml).
    #[test]
    fn the_history_reads_back_to_the_bit() {
        let epoch = |v: f64| LmEpoch { epoch: 1, epochs: 6, loss: v, val_perplexity: v, tokens_per_sec: v, seconds: v };
        let history: Vec<LmEpoch> = [12.917582516789457, 0.1 + 0.2, 1e-300, 2.724330159867617].map(epoch).to_vec();
        let back: Vec<LmEpoch> = serde_json::from_slice(&serde_json::to_vec_pretty(&history).unwrap()).unwrap();
        let bits = |h: &[LmEpoch]| h.iter().map(|e| e.val_perplexity.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back), bits(&history));
    }
}
