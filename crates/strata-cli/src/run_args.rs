//! `DIR/args.json`: how a checkpointed run was started, so that `train --resume DIR` continues
//! it from any working directory and refuses to continue it on data that has changed since.
//!
//! It keeps the command line, the directory it was given in (relative paths in it are resolved
//! against that, and `--out` is always DIR itself), and the SHA-256 of every input file. An
//! `args.json` from before (a bare JSON array of the command line) still reads: its paths are
//! taken from the current directory and it has no hashes to check.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunArgs {
    /// The command line, program name first.
    pub argv: Vec<String>,
    /// The working directory the command line was given in.
    pub cwd: PathBuf,
    /// SHA-256 (hex) of each input file, by absolute path.
    pub sha256: BTreeMap<PathBuf, String>,
}

/// What older strata wrote: the command line alone.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Now(RunArgs),
    Before(Vec<String>),
}

const FILE: &str = "args.json";

/// The SHA-256 of a file's bytes, in hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow!("{}: cannot read: {e} (hint: check the path)", path.display()))?;
    Ok(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

impl RunArgs {
    /// This process's command line, with the hashes of `inputs` (paths as given).
    pub fn now(inputs: &[&Path]) -> Result<RunArgs> {
        let cwd = std::env::current_dir()?;
        let mut sha256 = BTreeMap::new();
        for p in inputs {
            sha256.insert(cwd.join(p), sha256_file(p)?);
        }
        Ok(RunArgs { argv: std::env::args().collect(), cwd, sha256 })
    }

    pub fn write(&self, dir: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        strata_model::atomic::write_atomic(&dir.join(FILE), json.as_bytes())?;
        Ok(())
    }

    /// Reads `dir/args.json`, either form.
    pub fn read(dir: &Path) -> Result<RunArgs> {
        let path = dir.join(FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow!("{}: cannot read: {e} (hint: resume a run started with --checkpoint-every)", path.display())
        })?;
        let stored: Stored = serde_json::from_str(&text)
            .map_err(|e| anyhow!("{}: corrupt: {e} (hint: restore the run folder)", path.display()))?;
        Ok(match stored {
            Stored::Now(args) => args,
            Stored::Before(argv) => RunArgs { argv, cwd: std::env::current_dir()?, sha256: BTreeMap::new() },
        })
    }

    /// `p` as the run saw it: relative paths from the run's working directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        self.cwd.join(p)
    }

    /// Errs if an input file is gone or its bytes changed since the run started.
    pub fn verify(&self, dir: &Path) -> Result<()> {
        for (path, want) in &self.sha256 {
            if &sha256_file(path)? != want {
                anyhow::bail!(
                    "{}: changed since the run in {} started (hint: a run resumes only on the data it started with; restore it, or start a new run)",
                    path.display(),
                    dir.display()
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_args_json_from_before_reads_as_the_command_line_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), br#"["strata", "train", "--data", "d.tsv"]"#).unwrap();
        let args = RunArgs::read(dir.path()).unwrap();
        assert_eq!(args.argv, ["strata", "train", "--data", "d.tsv"]);
        assert!(args.sha256.is_empty());
    }

    #[test]
    fn changed_data_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("d.tsv");
        std::fs::write(&data, b"1\tgood\n").unwrap();
        let args = RunArgs::now(&[&data]).unwrap();
        args.write(dir.path()).unwrap();
        let back = RunArgs::read(dir.path()).unwrap();
        back.verify(dir.path()).unwrap();
        std::fs::write(&data, b"0\tgood\n").unwrap();
        let e = back.verify(dir.path()).unwrap_err().to_string();
        assert!(e.contains("d.tsv") && e.contains("changed"), "{e}");
    }
}
