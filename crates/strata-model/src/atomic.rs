//! Atomic writes: a file through a temporary sibling and a rename, a folder (a model, a
//! checkpoint) written whole into a temporary sibling and swapped into place, and the repair of
//! a swap that a crash cut short.
//!
//! A folder swap is three renames apart: the old folder moves into `.NAME.strata-old-*/previous`,
//! the staged `.NAME.strata-tmp-*` moves to NAME, the old copy is deleted. A process killed in
//! between (SIGKILL mid-checkpoint) leaves a sibling behind, or, between the first two renames,
//! no NAME at all. `recover_dir` puts the last whole version back and clears the debris; the
//! next write and every loader call it. The siblings carry NAME, so runs writing other folders
//! of the same parent are never touched.
//!
//! A folder written here carries its kind's marker (`owned.rs`), and an existing folder is
//! replaced only if strata wrote it; `claim_dir` marks an output folder (a run's `--out`)
//! before any work starts. Files and folders get the permissions any other program's
//! would, 0666 and 0777 less the umask, not tempfile's private 0600 and 0700.

use std::io::Write;
use std::path::{Path, PathBuf};

use strata_data::DataError;

use crate::owned::{check_claimable, check_replaceable, Claimed, Owned, MARKER};

/// A tempfile builder whose file or folder is created with `mode` less the umask, as
/// `File::create` and `create_dir` would make it.
fn builder(prefix: &str, mode: u32) -> tempfile::Builder<'_, '_> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    b
}

fn err(path: &Path, message: impl Into<String>) -> DataError {
    DataError::new(
        &path.display().to_string(),
        None,
        message,
        "check that the folder is writable and the disk has space",
    )
}

/// Writes `bytes` to `path` through a temporary sibling and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let io = |e: std::io::Error| err(path, format!("cannot write: {e}"));
    std::fs::create_dir_all(dir).map_err(io)?;
    let (_, prefix, _) = siblings(path);
    for stale in std::fs::read_dir(dir).map_err(io)?.flatten() {
        if stale.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(stale.path()); // left by a killed write of this file
        }
    }
    let mut tmp = builder(&prefix, 0o666).tempfile_in(dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Makes `dir` a folder strata writes `kind` into, before any work starts, so that a bad
/// `--out` fails at once rather than after training: whatever `check_claimable` refuses, or an
/// unwritable place, is an error. On success the folder exists and carries its marker; on an
/// error nothing was written.
pub fn claim_dir(dir: &Path, kind: Owned, overwrite: bool, inner: &[(&str, Owned)]) -> Result<Claimed, DataError> {
    let claimed = check_claimable(dir, kind, overwrite, inner)?;
    write_atomic(&dir.join(MARKER), &kind.marker())?;
    Ok(claimed)
}

/// The parent of `dir` (a folder or a file) and the prefixes of its staged (`tmp`) and
/// replaced (`old`) siblings.
fn siblings(dir: &Path) -> (PathBuf, String, String) {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let name = dir.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    (parent, format!(".{name}.strata-tmp-"), format!(".{name}.strata-old-"))
}

/// Repairs what an interrupted `write_dir_atomic` of `dir` left: if `dir` is gone, its last
/// whole version comes back from the replaced copy; staged and replaced siblings are removed.
pub fn recover_dir(dir: &Path) -> Result<(), DataError> {
    let (parent, tmp, old) = siblings(dir);
    let Ok(entries) = std::fs::read_dir(&parent) else { return Ok(()) };
    let io = |e: std::io::Error| err(dir, format!("cannot repair an interrupted write: {e}"));
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with(&old) {
            let previous = path.join("previous");
            if !dir.exists() && previous.is_dir() {
                std::fs::rename(&previous, dir).map_err(io)?;
            }
            std::fs::remove_dir_all(&path).map_err(io)?;
        } else if name.starts_with(&tmp) {
            std::fs::remove_dir_all(&path).map_err(io)?;
        }
    }
    Ok(())
}

/// Writes `files` and `kind`'s marker into a temporary sibling of `dir`, then renames it into
/// place, replacing any previous `dir` only once the new one is whole — and only if strata wrote
/// it: anything else at `dir` is an error, and stays.
pub fn write_dir_atomic(dir: &Path, kind: Owned, files: &[(&str, Vec<u8>)]) -> Result<(), DataError> {
    let (parent, tmp_prefix, old_prefix) = siblings(dir);
    let io = |e: std::io::Error| err(dir, format!("cannot write: {e}"));
    std::fs::create_dir_all(&parent).map_err(io)?;
    recover_dir(dir)?;
    check_replaceable(dir, kind)?;
    let tmp = builder(&tmp_prefix, 0o777).tempdir_in(&parent).map_err(io)?;
    let marker = (MARKER, kind.marker());
    for (name, bytes) in files.iter().map(|(n, b)| (*n, b)).chain([(marker.0, &marker.1)]) {
        // `member-0/config.json`: an ensemble's members are folders inside it
        if let Some(sub) = Path::new(name).parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(tmp.path().join(sub)).map_err(io)?;
        }
        let mut f = std::fs::File::create(tmp.path().join(name)).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    let staged = tmp.keep();
    if dir.exists() {
        let old = builder(&old_prefix, 0o700).tempdir_in(&parent).map_err(io)?.keep();
        std::fs::rename(dir, old.join("previous")).map_err(io)?;
        std::fs::rename(&staged, dir).map_err(io)?;
        let _ = std::fs::remove_dir_all(old);
    } else {
        std::fs::rename(&staged, dir).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn a_swap_killed_halfway_gets_its_last_whole_version_back() {
        let root = tempfile::tempdir().unwrap();
        let ck = root.path().join("checkpoint");
        write_dir_atomic(&ck, Owned::Checkpoint, &[("state.json", b"epoch 1".to_vec())]).unwrap();
        // killed between the first two renames of the next write: the old copy moved aside,
        // the new one staged, no checkpoint/ at all; and a neighbour's swap in flight
        let old = root.path().join(".checkpoint.strata-old-abc");
        std::fs::create_dir(&old).unwrap();
        std::fs::rename(&ck, old.join("previous")).unwrap();
        std::fs::create_dir(root.path().join(".checkpoint.strata-tmp-def")).unwrap();
        std::fs::create_dir(root.path().join(".model.strata-old-ghi")).unwrap();
        recover_dir(&ck).unwrap();
        assert_eq!(std::fs::read(ck.join("state.json")).unwrap(), b"epoch 1");
        assert_eq!(names(root.path()), [".model.strata-old-ghi", "checkpoint"]);
    }

    #[test]
    fn the_next_write_clears_what_a_killed_one_left() {
        let root = tempfile::tempdir().unwrap();
        let model = root.path().join("model");
        write_dir_atomic(&model, Owned::Model, &[("a", b"1".to_vec())]).unwrap();
        // killed after the swap, before the old copy was deleted
        let old = root.path().join(".model.strata-old-xyz");
        std::fs::create_dir_all(old.join("previous")).unwrap();
        write_dir_atomic(&model, Owned::Model, &[("a", b"2".to_vec())]).unwrap();
        assert_eq!(std::fs::read(model.join("a")).unwrap(), b"2");
        assert_eq!(names(root.path()), ["model"]);
    }

    #[test]
    fn a_file_write_clears_its_own_stale_temporary_only() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join(".history.csv.strata-tmp-a1"), b"half").unwrap();
        std::fs::write(root.path().join(".metrics.json.strata-tmp-b2"), b"in flight").unwrap();
        write_atomic(&root.path().join("history.csv"), b"epoch,loss").unwrap();
        assert_eq!(names(root.path()), [".metrics.json.strata-tmp-b2", "history.csv"]);
    }

    #[test]
    fn a_folder_strata_did_not_write_is_never_replaced() {
        let root = tempfile::tempdir().unwrap();
        let model = root.path().join("model");
        std::fs::create_dir(&model).unwrap();
        std::fs::write(model.join("weights.h5"), b"the user's own").unwrap();
        let e = write_dir_atomic(&model, Owned::Model, &[("config.json", b"{}".to_vec())]).unwrap_err();
        assert!(e.to_string().contains("did not write"), "{e}");
        assert_eq!(names(&model), ["weights.h5"]);
        assert_eq!(names(root.path()), ["model"], "nothing staged is left behind");
        let file = root.path().join("checkpoint");
        std::fs::write(&file, b"a file").unwrap();
        assert!(write_dir_atomic(&file, Owned::Checkpoint, &[("state.json", b"{}".to_vec())]).is_err());
        assert_eq!(std::fs::read(&file).unwrap(), b"a file");
        // written by strata: marked, and replaced next time
        let ours = root.path().join("ours");
        write_dir_atomic(&ours, Owned::Model, &[("a", b"1".to_vec())]).unwrap();
        assert_eq!(names(&ours), [".strata", "a"]);
        write_dir_atomic(&ours, Owned::Model, &[("b", b"2".to_vec())]).unwrap();
        assert_eq!(names(&ours), [".strata", "b"]);
    }

    #[test]
    fn claiming_refuses_files_foreign_folders_and_earlier_runs_without_overwrite() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        assert!(claim_dir(&file, Owned::Run, true, &[]).unwrap_err().to_string().contains("not a folder"));
        assert!(claim_dir(&file.join("run"), Owned::Run, false, &[]).is_err(), "cannot be created");
        let run = root.path().join("run");
        assert_eq!(claim_dir(&run, Owned::Run, false, &[]).unwrap(), Claimed::Fresh);
        assert_eq!(std::fs::read(run.join(MARKER)).unwrap(), b"strata run\n");
        assert_eq!(claim_dir(&run, Owned::Run, false, &[]).unwrap(), Claimed::Fresh, "still empty");
        std::fs::write(run.join("history.csv"), b"epoch").unwrap();
        assert!(claim_dir(&run, Owned::Run, false, &[]).unwrap_err().to_string().contains("--overwrite"));
        assert_eq!(claim_dir(&run, Owned::Run, true, &[]).unwrap(), Claimed::Replacing);
        let theirs = root.path().join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        std::fs::write(theirs.join("data.tsv"), b"1\tx").unwrap();
        let e = claim_dir(&theirs, Owned::Run, true, &[]).unwrap_err();
        assert!(e.to_string().contains("data.tsv"), "{e}");
        assert!(!theirs.join(MARKER).exists());
        // a folder holding only a `model` looks like a run from before markers, but its model
        // is someone else's: refused, and left unmarked
        let only = root.path().join("only-model");
        std::fs::create_dir_all(only.join("model")).unwrap();
        std::fs::write(only.join("model/weights.h5"), b"mine").unwrap();
        assert!(claim_dir(&only, Owned::Run, true, &[("model", Owned::Model)]).is_err());
        assert!(!only.join(MARKER).exists());
    }
}
