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
            anyhow!("{}: cannot read: {e} (hint: --resume takes the run folder of an earlier `strata train --checkpoint-every` or `strata pretrain`)", path.display())
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

/// For `train --resume DIR` and `pretrain --resume DIR`: the command line the run was started with (saved in
/// DIR/args.json), with `--resume DIR` added, `--out` set to DIR and its input paths resolved
/// from the directory it was started in. Errs if this process's command line sets a flag to
/// another value than the run's, or if an input file changed since.
pub fn resumed(dir: &std::path::Path) -> Result<crate::args::Cli> {
    let given: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let run = RunArgs::read(dir)?;
    let path = dir.join("args.json");
    let mut cli = <crate::args::Cli as clap::Parser>::try_parse_from(&run.argv)
        .map_err(|e| anyhow::anyhow!("{}: {} (hint: restore the run folder)", path.display(), e.kind()))?;
    let verb = match &cli.command {
        crate::args::Command::Train(_) => "train",
        crate::args::Command::Pretrain(_) => "pretrain",
        _ => anyhow::bail!(
            "{}: not a `strata train` or `strata pretrain` command line (hint: restore the run folder)",
            path.display()
        ),
    };
    refuse_conflicts(dir, &given, &run, verb)?;
    run.verify(dir)?;
    // how to print is this command's choice, not the run's
    let json_now = match <crate::args::Cli as clap::Parser>::try_parse_from(&given).map(|c| c.command) {
        Ok(crate::args::Command::Train(now)) => Some(now.json),
        Ok(crate::args::Command::Pretrain(now)) => Some(now.json),
        _ => None,
    };
    match &mut cli.command {
        crate::args::Command::Train(t) => {
            t.json = json_now.unwrap_or(t.json);
            t.resume = Some(dir.to_path_buf());
            t.out = Some(dir.to_path_buf());
            for p in [
                &mut t.data,
                &mut t.validation_data,
                &mut t.train.model_file,
                &mut t.train.schedule_file,
                &mut t.train.embeddings,
                &mut t.train.init_from,
            ] {
                *p = p.as_deref().map(|p| run.resolve(p));
            }
        }
        crate::args::Command::Pretrain(p) => {
            p.json = json_now.unwrap_or(p.json);
            p.resume = Some(dir.to_path_buf());
            p.out = Some(dir.to_path_buf());
            for d in &mut p.data {
                *d = run.resolve(d);
            }
            p.model_file = p.model_file.as_deref().map(|f| run.resolve(f));
            p.init_from = p.init_from.as_deref().map(|f| run.resolve(f));
        }
        _ => {}
    }
    Ok(cli)
}

/// Flags that change how a command prints, not what the run computes: they may differ on resume.
const OUTPUT_ONLY: [&str; 4] = ["resume", "json", "quiet", "verbose"];

/// Errs on the first flag `given` alongside `--resume` whose value differs from the one the
/// run was started with (paths compare by the file they name).
fn refuse_conflicts(dir: &std::path::Path, given: &[std::ffi::OsString], run: &RunArgs, verb: &str) -> Result<()> {
    use clap::parser::ValueSource;
    use clap::CommandFactory;
    let cmd = crate::args::Cli::command();
    // the flags (not the groups clap makes of flattened structs), by id, with their long names
    let flags: std::collections::HashMap<String, String> = cmd
        .get_arguments()
        .chain(cmd.find_subcommand(verb).into_iter().flat_map(|t| t.get_arguments()))
        .filter_map(|a| a.get_long().map(|l| (a.get_id().to_string(), l.to_string())))
        .collect();
    let matches = |argv: Vec<std::ffi::OsString>| cmd.clone().try_get_matches_from(argv);
    let g = matches(given.to_vec())?;
    let s = matches(run.argv.iter().map(Into::into).collect()).map_err(|e| {
        anyhow::anyhow!("{}: {} (hint: restore the run folder)", dir.join("args.json").display(), e.kind())
    })?;
    let (Some((gv, gt)), Some((sv, st))) = (g.subcommand(), s.subcommand()) else { return Ok(()) };
    if gv != verb || sv != verb {
        anyhow::bail!(
            "--resume {} continues a `strata {sv}` run (hint: resume it with `strata {sv} --resume`)",
            dir.display()
        );
    }
    let here = std::env::current_dir()?;
    for (gm, sm) in [(&g, &s), (gt, st)] {
        for id in gm.ids().map(|id| id.as_str()) {
            let Some(long) = flags.get(id) else { continue };
            if OUTPUT_ONLY.contains(&id) || gm.value_source(id) != Some(ValueSource::CommandLine) {
                continue;
            }
            let raw = |m: &clap::ArgMatches| -> Vec<std::ffi::OsString> {
                m.try_get_raw(id).ok().flatten().map_or_else(Vec::new, |v| v.map(Into::into).collect())
            };
            let (mine, theirs) = (raw(gm), raw(sm));
            let same_file = |a: &std::ffi::OsString, b: &std::ffi::OsString| {
                let (a, b) = (here.join(a).canonicalize(), run.resolve(std::path::Path::new(b)).canonicalize());
                matches!((a, b), (Ok(a), Ok(b)) if a == b)
            };
            let same = mine.len() == theirs.len() && mine.iter().zip(&theirs).all(|(a, b)| a == b || same_file(a, b));
            if !same {
                let show =
                    |v: &[std::ffi::OsString]| v.iter().map(|s| s.to_string_lossy()).collect::<Vec<_>>().join(" ");
                anyhow::bail!(
                    "--{} {} conflicts with the run in {}, started with --{0} {} (hint: --resume continues a run as it was started; drop --{0}, or start a new run with --out)",
                    long,
                    show(&mine),
                    dir.display(),
                    if theirs.is_empty() { "unset".to_string() } else { show(&theirs) },
                );
            }
        }
    }
    Ok(())
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
