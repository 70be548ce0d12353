//! What strata may replace: folders it wrote carry a marker file, `.strata`, naming their kind,
//! and strata replaces or removes a folder only if it carries one (or, written before markers
//! existed, holds nothing but the files strata writes there). Anything else at such a path is
//! the user's, and strata refuses with an error instead of deleting it.
//!
//! The marker is for writing, never for reading: a model folder without one loads as before.

use std::path::Path;

use strata_data::DataError;

/// The marker file's name, inside every folder strata owns.
pub const MARKER: &str = ".strata";

/// The kinds of folder strata writes, named in the marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owned {
    /// `strata train --out DIR`: the run folder.
    Run,
    /// A model folder (`config.json`, `model.safetensors`, `vocab.json`).
    Model,
    /// A run's `checkpoint/`.
    Checkpoint,
    /// `strata experiment --out DIR`.
    Experiment,
}

impl Owned {
    pub fn name(self) -> &'static str {
        match self {
            Owned::Run => "run",
            Owned::Model => "model",
            Owned::Checkpoint => "checkpoint",
            Owned::Experiment => "experiment",
        }
    }

    /// The kind whose marker holds `bytes`, if any.
    fn from_marker(bytes: &[u8]) -> Option<Owned> {
        [Owned::Run, Owned::Model, Owned::Checkpoint, Owned::Experiment].into_iter().find(|k| k.marker() == bytes)
    }

    /// The marker's bytes.
    pub fn marker(self) -> Vec<u8> {
        format!("strata {}\n", self.name()).into_bytes()
    }

    /// What a folder of this kind held when strata wrote it without a marker (before markers
    /// existed): such a folder is strata's too.
    /// These are also every name strata writes into such a folder: what `--overwrite` clears.
    pub fn unmarked_files(self) -> &'static [&'static str] {
        match self {
            Owned::Run => &[
                "model",
                "checkpoint",
                "args.json",
                "history.csv",
                "lm_history.csv",
                "timings.csv",
                "run.toml",
                "metrics.json",
                "probes.json",
            ],
            Owned::Model => &["config.json", "model.safetensors", "vocab.json", "README.md"],
            Owned::Checkpoint => &["state.json", "tensors.safetensors"],
            Owned::Experiment => &["results.json", "report.md", "report"],
        }
    }
}

/// A temporary or replaced sibling an atomic write left (`.NAME.strata-tmp-*`).
fn is_debris(name: &str) -> bool {
    name.starts_with('.') && (name.contains(".strata-tmp-") || name.contains(".strata-old-"))
}

/// The names in `dir` other than the marker and the debris of atomic writes.
fn contents(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name != MARKER && !is_debris(&name) {
            names.push(name);
        }
    }
    Ok(names)
}

/// Whether `dir` (which exists) is a folder strata wrote as `kind`: it carries `kind`'s marker,
/// or no marker and only what strata writes into such a folder. An empty folder counts: it
/// holds nothing to lose. A folder marked as another kind is not `kind`'s.
pub fn is_owned(dir: &Path, kind: Owned) -> bool {
    if !dir.is_dir() {
        return false;
    }
    let marker = dir.join(MARKER);
    if marker.is_file() {
        return std::fs::read(&marker).is_ok_and(|bytes| bytes == kind.marker());
    }
    contents(dir).is_ok_and(|names| names.iter().all(|n| kind.unmarked_files().contains(&n.as_str())))
}

/// The other kind `dir`'s marker names, when it is strata's but not `kind`'s.
fn marked_as_other(dir: &Path, kind: Owned) -> Option<Owned> {
    let bytes = std::fs::read(dir.join(MARKER)).ok()?;
    Owned::from_marker(&bytes).filter(|k| *k != kind)
}

fn refuse(path: &Path, what: &str, hint: &str) -> DataError {
    DataError::new(&path.display().to_string(), None, what.to_string(), hint.to_string())
}

/// The error for a folder strata wrote as `other` where it would write `kind`.
fn refuse_other_kind(path: &Path, kind: Owned, other: Owned) -> DataError {
    let a = |k: Owned| if k.name().starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    refuse(
        path,
        &format!("is {} {} folder strata wrote, not {} {} folder", a(other), other.name(), a(kind), kind.name()),
        &format!("choose another folder for the {}; strata does not write one kind over another", kind.name()),
    )
}

/// Errs unless `path` is absent or a folder strata wrote as `kind`: what `write_dir_atomic`
/// and `remove_owned_dir` check before they replace or remove anything.
pub fn check_replaceable(path: &Path, kind: Owned) -> Result<(), DataError> {
    let hint = "strata replaces only what it wrote; move it away or write elsewhere";
    match std::fs::symlink_metadata(path) {
        Err(_) => Ok(()),
        Ok(m) if m.is_dir() && is_owned(path, kind) => Ok(()),
        Ok(m) if m.is_dir() && marked_as_other(path, kind).is_some() => {
            Err(refuse_other_kind(path, kind, marked_as_other(path, kind).unwrap_or(kind)))
        }
        Ok(m) if m.is_dir() => {
            Err(refuse(path, &format!("a folder strata did not write is in the way of its {}", kind.name()), hint))
        }
        Ok(_) => {
            Err(refuse(path, &format!("a file strata did not write is in the way of its {} folder", kind.name()), hint))
        }
    }
}

/// Removes `dir` if it is there and strata wrote it as `kind`; errs (removing nothing) if it
/// is someone else's.
pub fn remove_owned_dir(dir: &Path, kind: Owned) -> Result<(), DataError> {
    check_replaceable(dir, kind)?;
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(refuse(dir, &format!("cannot remove: {e}"), "check that the folder is writable"))
        }
        _ => Ok(()),
    }
}

/// How `claim_dir` found the folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claimed {
    /// Absent or empty: nothing was there.
    Fresh,
    /// It held an earlier output of the same kind, which `overwrite` allowed to replace.
    Replacing,
}

/// Whether strata may write `kind` into `dir` (`atomic::claim_dir` then marks it): errs on a
/// file there, a folder strata did not write, a folder holding an earlier output (unless
/// `overwrite`), or a folder of `inner` kinds inside it that strata did not write.
pub fn check_claimable(
    dir: &Path,
    kind: Owned,
    overwrite: bool,
    inner: &[(&str, Owned)],
) -> Result<Claimed, DataError> {
    let show = dir.display().to_string();
    let names = match std::fs::symlink_metadata(dir) {
        Err(_) => return Ok(Claimed::Fresh),
        Ok(m) if !m.is_dir() => {
            return Err(refuse(dir, "exists and is not a folder", "choose a new folder for --out"));
        }
        Ok(_) => contents(dir).map_err(|e| refuse(dir, &format!("cannot read: {e}"), "check the path"))?,
    };
    if let Some(other) = marked_as_other(dir, kind) {
        return Err(refuse_other_kind(dir, kind, other));
    }
    if names.is_empty() {
        return Ok(Claimed::Fresh);
    }
    if !is_owned(dir, kind) {
        return Err(DataError::new(
            &show,
            None,
            format!("exists and is not a folder strata wrote (it holds {})", names.join(", ")),
            format!("choose a new folder for --out; strata writes each {} into a folder of its own", kind.name()),
        ));
    }
    // a folder that looks like strata's but holds someone else's model/ is named as such
    for (name, inner_kind) in inner {
        check_replaceable(&dir.join(name), *inner_kind)?;
    }
    if !overwrite {
        return Err(DataError::new(
            &show,
            None,
            format!("holds an earlier {}", kind.name()),
            "pass --overwrite to replace it, or choose a new folder for --out",
        ));
    }
    Ok(Claimed::Replacing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_strata_s_by_its_marker_or_by_holding_only_strata_s_files() {
        let root = tempfile::tempdir().unwrap();
        let old_model = root.path().join("old");
        std::fs::create_dir(&old_model).unwrap();
        std::fs::write(old_model.join("config.json"), b"{}").unwrap();
        assert!(is_owned(&old_model, Owned::Model), "a model folder from before markers");
        std::fs::write(old_model.join("notes.txt"), b"mine").unwrap();
        assert!(!is_owned(&old_model, Owned::Model), "a file strata never writes there");
        std::fs::write(old_model.join(MARKER), Owned::Model.marker()).unwrap();
        assert!(is_owned(&old_model, Owned::Model), "marked");
    }

    #[test]
    fn a_folder_marked_as_another_kind_is_refused_naming_both_kinds() {
        let root = tempfile::tempdir().unwrap();
        let model = root.path().join("model");
        std::fs::create_dir(&model).unwrap();
        std::fs::write(model.join(MARKER), Owned::Model.marker()).unwrap();
        std::fs::write(model.join("config.json"), b"{}").unwrap();
        assert!(is_owned(&model, Owned::Model));
        assert!(!is_owned(&model, Owned::Experiment), "a model folder is no experiment's");
        for overwrite in [false, true] {
            let e = check_claimable(&model, Owned::Experiment, overwrite, &[]).unwrap_err().to_string();
            assert!(e.contains("model") && e.contains("experiment") && e.contains("hint:"), "{e}");
        }
        let e = remove_owned_dir(&model, Owned::Run).unwrap_err().to_string();
        assert!(e.contains("a model folder") && e.contains("not a run folder"), "{e}");
        assert!(model.join("config.json").exists());
        // even a marked folder holding nothing else is refused; a marker of no kind is not owned
        let run = root.path().join("run");
        std::fs::create_dir(&run).unwrap();
        std::fs::write(run.join(MARKER), Owned::Run.marker()).unwrap();
        assert!(check_claimable(&run, Owned::Experiment, true, &[]).is_err());
        assert_eq!(check_claimable(&run, Owned::Run, false, &[]).unwrap(), Claimed::Fresh);
        std::fs::write(run.join(MARKER), b"something else").unwrap();
        assert!(!is_owned(&run, Owned::Run));
    }

    #[test]
    fn removing_refuses_what_strata_did_not_write() {
        let root = tempfile::tempdir().unwrap();
        let mine = root.path().join("checkpoint");
        std::fs::create_dir(&mine).unwrap();
        std::fs::write(mine.join("thesis.tex"), b"years of work").unwrap();
        let e = remove_owned_dir(&mine, Owned::Checkpoint).unwrap_err();
        assert!(e.to_string().contains("did not write"), "{e}");
        assert!(mine.join("thesis.tex").exists());
        let file = root.path().join("model");
        std::fs::write(&file, b"a file").unwrap();
        assert!(remove_owned_dir(&file, Owned::Model).is_err());
        assert!(file.exists());
    }
}
