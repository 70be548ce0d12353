//! Puts the git commit into `strata --version` (as `STRATA_COMMIT`): the short hash, with
//! "+dirty" when tracked files differ from it. Built outside git (a tarball, a vendored copy) or
//! without a `git` program, it says "unknown" — this script never fails the build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let commit = commit().unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=STRATA_COMMIT={commit}");
    for path in watched() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// `git` in the crate's folder, its stdout when it succeeds.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn commit() -> Option<String> {
    let hash = git(&["rev-parse", "--short=10", "HEAD"]).filter(|h| !h.is_empty())?;
    // `--untracked-files=no`: a stray scratch file is not a change to the build
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{hash}+dirty") } else { hash })
}

/// What to watch so the hash follows commits and the "+dirty" follows edits: the checked-out
/// ref, the index, and the workspace's sources. Outside git, only the sources.
fn watched() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut paths = vec![root.join("crates"), root.join("Cargo.toml"), root.join("Cargo.lock")];
    let mut in_git = |rev: &str, name: &str| {
        if let Some(dir) = git(&["rev-parse", rev]) {
            paths.push(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(name));
        }
    };
    in_git("--git-dir", "HEAD");
    in_git("--git-dir", "index");
    if let Some(head) = git(&["symbolic-ref", "-q", "HEAD"]) {
        in_git("--git-common-dir", &head);
        in_git("--git-common-dir", "packed-refs");
    }
    paths.retain(|p| p.exists());
    paths
}
