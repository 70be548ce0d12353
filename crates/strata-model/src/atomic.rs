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

use std::io::Write;
use std::path::{Path, PathBuf};

use strata_data::DataError;

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
    let mut tmp = tempfile::Builder::new().prefix(&prefix).tempfile_in(dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
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

/// Writes `files` into a temporary sibling of `dir`, then renames it into place, replacing any
/// previous `dir` only once the new one is whole.
pub fn write_dir_atomic(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<(), DataError> {
    let (parent, tmp_prefix, old_prefix) = siblings(dir);
    let io = |e: std::io::Error| err(dir, format!("cannot write: {e}"));
    std::fs::create_dir_all(&parent).map_err(io)?;
    recover_dir(dir)?;
    let tmp = tempfile::Builder::new().prefix(&tmp_prefix).tempdir_in(&parent).map_err(io)?;
    for (name, bytes) in files {
        let mut f = std::fs::File::create(tmp.path().join(name)).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    let staged = tmp.keep();
    if dir.exists() {
        let old = tempfile::Builder::new().prefix(&old_prefix).tempdir_in(&parent).map_err(io)?.keep();
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
        write_dir_atomic(&ck, &[("state.json", b"epoch 1".to_vec())]).unwrap();
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
        write_dir_atomic(&model, &[("a", b"1".to_vec())]).unwrap();
        // killed after the swap, before the old copy was deleted
        let old = root.path().join(".model.strata-old-xyz");
        std::fs::create_dir_all(old.join("previous")).unwrap();
        write_dir_atomic(&model, &[("a", b"2".to_vec())]).unwrap();
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
}
