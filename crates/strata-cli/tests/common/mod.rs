//! What the CLI tests of experiments, reports and the review's fixes share: a temporary folder
//! to run `strata` in, a small learnable corpus, the small model's flags, and the check that a
//! user's mistake is one `error:` line with a hint and exit code 2.
#![allow(dead_code)] // each test file uses its own part

use std::process::{Command, Output};

pub struct Case {
    pub dir: tempfile::TempDir,
}

impl Case {
    pub fn new() -> Self {
        Case { dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) {
        let p = self.path(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_strata")).current_dir(self.dir.path()).args(args).output().unwrap()
    }
}

/// A small learnable corpus: label 1 iff the sentence holds a "good" word.
pub fn corpus(n: usize) -> String {
    let (good, bad) = (["great", "fine", "lovely", "superb"], ["awful", "poor", "dull", "weak"]);
    let filler = ["the", "a", "movie", "was", "and", "plot", "it", "really"];
    (0..n)
        .map(|i| {
            let word = if i % 2 == 1 { good[i % 4] } else { bad[(i / 2) % 4] };
            let mut words: Vec<&str> = (0..(3 + i % 5)).map(|k| filler[(i * 7 + k * 3) % filler.len()]).collect();
            words.insert(i % words.len(), word);
            format!("{}\t{}\n", i % 2, words.join(" "))
        })
        .collect()
}

/// The texts of a labelled corpus, one a line, without labels: unlabelled text for `pretrain`.
pub fn texts_of(labelled: &str) -> String {
    labelled.lines().map(|l| format!("{}\n", l.split_once('\t').unwrap().1)).collect()
}

/// The command succeeded; its stderr otherwise.
pub fn assert_ok(o: &Output) {
    assert!(o.status.success(), "{}", stderr(o));
}

pub const SMALL: &[&str] =
    &["--maxlen", "12", "--num-words", "100", "--units", "8", "--embedding-dim", "8", "--threads", "2"];

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit code 2 and one last stderr line `error: …` with a hint and every needle.
pub fn assert_user_error(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let last = err.lines().last().unwrap_or("");
    assert!(last.starts_with("error: ") && last.contains("hint"), "{last}");
    for n in needles {
        assert!(last.contains(n), "'{n}' not in: {last}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

/// A case holding `data.tsv`, [`corpus`]'s 120 sentences.
pub fn corpus_case() -> Case {
    let c = Case::new();
    c.write("data.tsv", corpus(120).as_bytes());
    c
}

/// Two small epochs of `train` on `data.tsv` into `out` (seed 2, nothing held out, no probes),
/// with `extra` flags.
pub fn train_small(c: &Case, out: &str, extra: &[&str]) -> Output {
    let mut args = vec!["train", "--data", "data.tsv", "--out", out, "--epochs", "2", "--batch-size", "8"];
    args.extend_from_slice(&["--validation-split", "0", "--no-probes", "--seed", "2"]);
    args.extend_from_slice(SMALL);
    args.extend_from_slice(extra);
    c.run(&args)
}

/// A 2-fold end-to-end experiment of one small epoch on `data.tsv` into `out`, with `extra`
/// flags.
pub fn experiment_small(c: &Case, out: &str, extra: &[&str]) -> Output {
    let mut args = vec!["experiment", "--data", "data.tsv", "--folds", "2", "--out", out, "--epochs", "1"];
    args.extend_from_slice(&["--batch-size", "8", "--no-probes", "--schedules", "end-to-end"]);
    args.extend_from_slice(SMALL);
    args.extend_from_slice(extra);
    c.run(&args)
}
