//! The run folder of `strata train` (issue 11): `--out` is checked before epoch 1, an earlier
//! run is replaced only with `--overwrite`, nothing strata did not write is replaced, result
//! files follow the umask, `--resume` refuses flags and data that differ from the run's, and a
//! checkpoint that cannot be written stops the run at once. Each case in a fresh temp folder.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Self {
        let c = Case { dir: tempfile::tempdir().unwrap() };
        c.write("train.tsv", &corpus(80));
        c
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }

    /// `strata ARGS` in `cwd` (relative to the case's folder) under `umask`.
    fn run_in(&self, cwd: &str, umask: &str, args: &[&str]) -> Output {
        Command::new("sh")
            .arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_strata"))
            .args(args)
            .current_dir(self.path(cwd))
            .output()
            .unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_in(".", "022", args)
    }

    /// `strata train --data train.tsv --out OUT`, small, with `extra` flags (which replace
    /// the small defaults they name).
    fn train(&self, out: &str, extra: &[&str]) -> Output {
        let small = ["--epochs", "2", "--maxlen", "12", "--num-words", "100", "--units", "4", "--embedding-dim", "4"];
        let mut args = vec!["train", "--data", "train.tsv", "--out", out, "--threads", "2"];
        args.extend(small.chunks(2).filter(|kv| !extra.contains(&kv[0])).flatten());
        args.extend(extra);
        self.run(&args)
    }
}

/// Label 1 iff the sentence holds a "good" word.
fn corpus(n: usize) -> String {
    let (good, bad) = (["great", "fine", "lovely", "superb"], ["awful", "poor", "dull", "weak"]);
    (0..n)
        .map(|i| format!("{}\tthe movie was {}\n", i % 2, if i % 2 == 1 { good[i % 4] } else { bad[i % 4] }))
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_ok(o: &Output) {
    assert!(o.status.success(), "{}", stderr(o));
}

/// Exit code 2 and one `error:` line with a hint holding every needle; no epoch trained.
fn assert_refused_before_training(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let last = err.lines().last().unwrap_or("");
    assert!(last.starts_with("error: ") && last.contains("hint"), "{last}");
    for n in needles {
        assert!(last.contains(n), "'{n}' not in: {last}");
    }
    assert!(!err.contains("Epoch 1/"), "refused only after training: {err}");
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Issue 11, point 5: a bad `--out` fails before epoch 1; an earlier run needs `--overwrite`.
#[test]
fn issue_11_out_is_checked_before_training() {
    let c = Case::new();
    c.write("taken", "a file");
    assert_refused_before_training(&c.train("taken", &[]), &["taken", "not a folder"]);
    assert_refused_before_training(&c.train("taken/run", &[]), &["taken/run"]);
    assert_eq!(std::fs::read_to_string(c.path("taken")).unwrap(), "a file");

    assert_ok(&c.train("run", &["--seed", "1"]));
    let first = std::fs::read(c.path("run/model/model.safetensors")).unwrap();
    assert_refused_before_training(&c.train("run", &["--seed", "2"]), &["run", "earlier run", "--overwrite"]);
    assert_eq!(std::fs::read(c.path("run/model/model.safetensors")).unwrap(), first, "left as it was");
    assert_ok(&c.train("run", &["--seed", "2", "--overwrite"]));
    assert!(std::fs::read(c.path("run/model/model.safetensors")).unwrap() != first, "replaced");
}

/// Issue 11, point 21: strata never deletes a `model` or `checkpoint` it did not write.
#[test]
fn issue_11_train_never_replaces_what_strata_did_not_write() {
    let c = Case::new();
    std::fs::create_dir_all(c.path("mine/model")).unwrap();
    c.write("mine/model/weights.h5", "the user's own model");
    for extra in [&[][..], &["--overwrite"]] {
        assert_refused_before_training(&c.train("mine", extra), &["mine/model", "did not write"]);
    }
    assert_eq!(std::fs::read_to_string(c.path("mine/model/weights.h5")).unwrap(), "the user's own model");
    assert!(!c.path("mine/.strata").exists(), "not claimed");
    c.write("mine/data.tsv", "1\tgood\n");
    assert_refused_before_training(&c.train("mine", &["--overwrite"]), &["mine", "not a folder strata wrote"]);

    // a run folder of strata's, in which the user put their own model/ and checkpoint file
    assert_ok(&c.train("run", &[]));
    std::fs::remove_dir_all(c.path("run/model")).unwrap();
    std::fs::create_dir(c.path("run/model")).unwrap();
    c.write("run/model/notes.txt", "mine");
    assert_refused_before_training(&c.train("run", &["--overwrite"]), &["run/model", "did not write"]);
    assert_eq!(std::fs::read_to_string(c.path("run/model/notes.txt")).unwrap(), "mine");
    std::fs::remove_dir_all(c.path("run/model")).unwrap();
    c.write("run/checkpoint", "my own file");
    let o = c.train("run", &["--overwrite", "--checkpoint-every", "1"]);
    assert_refused_before_training(&o, &["run/checkpoint", "did not write"]);
    assert_eq!(std::fs::read_to_string(c.path("run/checkpoint")).unwrap(), "my own file");
}

/// Issue 11, point 7: result files and model files are 0666 less the umask, as with any
/// other program (tempfile made them 0600).
#[test]
fn issue_11_result_files_follow_the_umask() {
    let c = Case::new();
    for (umask, want, want_dir) in [("022", 0o644, 0o755), ("077", 0o600, 0o700)] {
        let out = format!("run-{umask}");
        let mut args = vec!["train", "--data", "train.tsv", "--out", &out, "--epochs", "1", "--maxlen", "12"];
        args.extend(["--units", "4", "--embedding-dim", "4", "--checkpoint-every", "1"]);
        assert_ok(&c.run_in(".", umask, &args));
        let run = c.path(&out);
        for f in
            ["history.csv", "metrics.json", "run.toml", "args.json", "model/model.safetensors", "checkpoint/state.json"]
        {
            assert_eq!(mode(&run.join(f)), want, "{f} under umask {umask}");
        }
        assert_eq!(mode(&run.join("model")), want_dir, "model/ under umask {umask}");
    }
}

/// Issue 11, point 6: `--resume` refuses a flag that differs from the run's; point 22: it works
/// from another directory and refuses changed data.
#[test]
fn issue_11_resume_refuses_other_flags_and_changed_data_and_works_from_elsewhere() {
    let c = Case::new();
    assert_ok(&c.train("run", &["--checkpoint-every", "1", "--lr", "0.01"]));
    let model = std::fs::read(c.path("run/model/model.safetensors")).unwrap();
    c.write("other.tsv", &corpus(40));
    for (flag, value) in [("--epochs", "5"), ("--lr", "0.5"), ("--data", "other.tsv")] {
        let o = c.run(&["train", "--resume", "run", flag, value]);
        assert_refused_before_training(&o, &[flag, value, "conflicts"]);
    }
    // the same values are no conflict, even a path spelled another way
    let same = c.path("train.tsv");
    assert_ok(&c.run(&["train", "--resume", "run", "--epochs", "2", "--data", same.to_str().unwrap()]));
    // how to print is this command's own: --json and -q are no conflict, and --json is honoured
    let o = c.run(&["-q", "train", "--resume", "run", "--json"]);
    assert_ok(&o);
    let metrics: serde_json::Value = serde_json::from_slice(&o.stdout).expect("--json on resume prints one object");
    assert_eq!(metrics["epochs"], 2, "{metrics}");

    std::fs::create_dir(c.path("elsewhere")).unwrap();
    let o = c.run_in("elsewhere", "022", &["train", "--resume", "../run"]);
    assert_ok(&o);
    assert!(stderr(&o).contains("Resuming from the checkpoint after 2 epochs"), "{}", stderr(&o));
    assert_eq!(std::fs::read(c.path("run/model/model.safetensors")).unwrap(), model, "the same run, finished");
    assert!(!c.path("elsewhere/run").exists() && !c.path("elsewhere/train.tsv").exists());

    c.write("train.tsv", &corpus(82));
    assert_refused_before_training(&c.run(&["train", "--resume", "run"]), &["train.tsv", "changed"]);
}

/// Issue 11, point 22: a run stopped before its first checkpoint starts again, with a warning.
#[test]
fn issue_11_resume_before_the_first_checkpoint_starts_fresh() {
    let c = Case::new();
    assert_ok(&c.train("run", &["--checkpoint-every", "1"]));
    let history = std::fs::read(c.path("run/history.csv")).unwrap();
    std::fs::remove_dir_all(c.path("run/checkpoint")).unwrap();
    let o = c.run(&["train", "--resume", "run"]);
    assert_ok(&o);
    assert!(stderr(&o).contains("warning: run: no checkpoint yet"), "{}", stderr(&o));
    assert_eq!(std::fs::read(c.path("run/history.csv")).unwrap(), history, "the whole run again");
}

/// Issue 11, point 22: a checkpoint that fails to write stops the run at once, with its error.
#[test]
fn issue_11_a_failed_checkpoint_stops_the_run_at_once() {
    let c = Case::new();
    std::fs::create_dir(c.path("run")).unwrap();
    // debris of a killed checkpoint swap that cannot be cleared (a file where a folder was)
    c.write("run/.checkpoint.strata-old-x", "");
    let o = c.train("run", &["--epochs", "3", "--checkpoint-every", "1"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let last = err.lines().last().unwrap();
    assert!(last.contains("training stopped after epoch 1") && last.contains("checkpoint"), "{last}");
    assert!(err.contains("Epoch 1/3") && !err.contains("Epoch 2/3"), "went on training: {err}");
    assert!(!c.path("run/model").exists());
}
