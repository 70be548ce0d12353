//! Ensemble folders: `config.json` (`format: "ensemble"`, the labels, and each member's
//! subfolder, weight, model name and the folder it was copied from) beside one complete model
//! folder per member, `member-0/`, `member-1/`, … — copies, so the ensemble is self-contained:
//! it can be moved, served or deleted without its members' original folders. The whole folder
//! is written in one atomic step (`atomic.rs`).
//!
//! Saving and loading a member is the caller's (`classifier.rs` passes its own `save` and
//! `load`), so this module stays below the `Classifier` that holds an ensemble.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use strata_data::{DataError, LabelMap};

use super::{Ensemble, Voter};
use crate::folder::{check_label2id, err, format_of, labels_of, write_dir_atomic};
use crate::owned::Owned;

pub const ENSEMBLE_FORMAT: &str = "ensemble";
pub const ENSEMBLE_FORMAT_VERSION: u32 = 1;

const REBUILD: &str =
    "the ensemble folder is damaged; rebuild it with `strata ensemble --member DIR --member DIR --out DIR`";

/// `config.json` of an ensemble.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnsembleFile {
    format: String,
    format_version: u32,
    strata_version: String,
    /// `soft`: the weighted mean of the members' probabilities (the only kind).
    voting: String,
    id2label: Map<String, Value>,
    label2id: Map<String, Value>,
    members: Vec<MemberEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberEntry {
    /// `member-K`, K its place in the list (nothing else is read, so a folder cannot point
    /// outside itself).
    folder: String,
    weight: f32,
    architecture: String,
    /// Where it was copied from, as given to `strata ensemble` (for the reader only).
    source: String,
}

fn member_folder(k: usize) -> String {
    format!("member-{k}")
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("label maps are objects"),
    }
}

/// Saves `e` at `dir` with `extra` files (the model card) in one atomic step; each member is
/// written by `save_member` into a scratch folder and copied in as `member-K/`.
pub fn save_with<M: Voter>(
    dir: &Path,
    e: &Ensemble<M>,
    extra: &[(&str, Vec<u8>)],
    save_member: impl Fn(&M, &Path) -> Result<(), DataError>,
) -> Result<(), DataError> {
    let scratch = tempfile::tempdir().map_err(|x| err(dir, format!("cannot make a scratch folder: {x}"), REBUILD))?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut entries = Vec::with_capacity(e.members.len());
    for (k, m) in e.members.iter().enumerate() {
        let name = member_folder(k);
        let at = scratch.path().join(&name);
        save_member(&m.model, &at)?;
        let mut names: Vec<_> = std::fs::read_dir(&at)
            .and_then(|d| d.map(|f| f.map(|f| f.file_name())).collect::<Result<Vec<_>, _>>())
            .map_err(|x| err(&at, format!("cannot read back: {x}"), REBUILD))?;
        names.sort();
        for file in names {
            let bytes =
                std::fs::read(at.join(&file)).map_err(|x| err(&at, format!("cannot read back: {x}"), REBUILD))?;
            files.push((format!("{name}/{}", file.to_string_lossy()), bytes));
        }
        entries.push(MemberEntry {
            folder: name,
            weight: m.weight,
            architecture: m.model.architecture().to_string(),
            source: m.source.clone(),
        });
    }
    let config = EnsembleFile {
        format: ENSEMBLE_FORMAT.into(),
        format_version: ENSEMBLE_FORMAT_VERSION,
        strata_version: env!("CARGO_PKG_VERSION").into(),
        voting: "soft".into(),
        id2label: object(e.labels.id2label()),
        label2id: object(e.labels.label2id()),
        members: entries,
    };
    let mut all: Vec<(&str, Vec<u8>)> =
        vec![("config.json", serde_json::to_vec_pretty(&config).expect("config serialises"))];
    all.extend(files.iter().map(|(n, b)| (n.as_str(), b.clone())));
    all.extend(extra.iter().cloned());
    write_dir_atomic(dir, Owned::Model, &all)
}

/// The ensemble in `dir`, whose `config.json` is `config`; each member is read by
/// `load_member` from its `member-K/` subfolder.
pub fn load<M: Voter>(
    dir: &Path,
    config: &[u8],
    load_member: impl Fn(&Path) -> Result<M, DataError>,
) -> Result<Ensemble<M>, DataError> {
    let cfg_path = dir.join("config.json");
    let file: EnsembleFile =
        serde_json::from_slice(config).map_err(|x| err(&cfg_path, format!("corrupt: {x}"), REBUILD))?;
    if file.format_version > ENSEMBLE_FORMAT_VERSION {
        return Err(err(
            &cfg_path,
            format!(
                "format_version {} is newer than this strata reads ({ENSEMBLE_FORMAT_VERSION})",
                file.format_version
            ),
            "upgrade strata",
        ));
    }
    if file.voting != "soft" {
        return Err(err(&cfg_path, format!("voting is '{}'; strata votes 'soft' only", file.voting), REBUILD));
    }
    let labels = LabelMap::from_vec(labels_of(&file.id2label, &cfg_path)?);
    check_label2id(&file.label2id, labels.labels(), &cfg_path)?;
    let mut members = Vec::with_capacity(file.members.len());
    for (k, entry) in file.members.iter().enumerate() {
        if entry.folder != member_folder(k) {
            return Err(err(
                &cfg_path,
                format!("member {k} is in '{}', not '{}'", entry.folder, member_folder(k)),
                REBUILD,
            ));
        }
        let at = dir.join(&entry.folder);
        // an ensemble inside an ensemble is refused before it is read (a folder linked to
        // itself would otherwise be read for ever)
        let inner = std::fs::read(at.join("config.json")).unwrap_or_default();
        if format_of(&inner).as_deref() == Some(ENSEMBLE_FORMAT) {
            return Err(err(&at, "a member is itself an ensemble", REBUILD));
        }
        members.push((entry.source.clone(), load_member(&at)?));
    }
    let weights: Vec<f32> = file.members.iter().map(|m| m.weight).collect();
    let mut e = Ensemble::new(members, Some(&weights)).map_err(|x| err(&cfg_path, x.message, x.hint))?;
    if e.labels.labels() != labels.labels() {
        return Err(err(&cfg_path, "id2label is not the first member's labels", REBUILD));
    }
    e.labels = labels;
    Ok(e)
}
