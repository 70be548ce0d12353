//! `--init-from DIR` (issue 12, point 2): a model starts from an earlier model's tensors and
//! vocabulary. Loaded tensors arrive bit for bit (and stay so when frozen), the head starts
//! fresh, the vocabulary is DIR's whatever the new labelled texts say, the loaded/fresh line is
//! printed, and tensors that cannot be carried over are one error line, exit 2.

use std::path::PathBuf;
use std::process::{Command, Output};

use safetensors::SafeTensors;

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    /// `a.tsv` (the seed model's words) and `b.tsv` (mostly other words).
    fn new() -> Self {
        let c = Case { dir: tempfile::tempdir().unwrap() };
        c.corpus("a.tsv", &["great", "awful", "movie", "plot", "the", "fine", "dull", "was"], 60);
        c.corpus("b.tsv", &["zebra", "lion", "movie", "tiger", "cat", "dog"], 40);
        c
    }

    fn corpus(&self, name: &str, words: &[&str], rows: usize) {
        let data: String = (0..rows)
            .map(|i: usize| {
                let text: Vec<&str> = (0..6).map(|k| words[(i * 7 + k * 3 + i / 8) % words.len()]).collect();
                format!("{}\t{}\n", i % 2, text.join(" "))
            })
            .collect();
        std::fs::write(self.path(name), data).unwrap();
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn strata(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_strata")).current_dir(self.dir.path()).args(args).output().unwrap()
    }

    fn train(&self, data: &str, out: &str, extra: &[&str]) -> Output {
        let mut args = vec!["train", "--data", data, "--out", out, "--epochs", "1", "--batch-size", "8"];
        args.extend_from_slice(&["--embedding-dim", "8", "--maxlen", "10", "--threads", "1", "--seed", "3"]);
        args.extend_from_slice(extra);
        self.strata(&args)
    }

    /// Each tensor of a run's model: name → raw little-endian bytes.
    fn tensors(&self, run: &str) -> Vec<(String, Vec<u8>)> {
        let bytes = std::fs::read(self.path(run).join("model/model.safetensors")).unwrap();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let mut v: Vec<(String, Vec<u8>)> = st.tensors().into_iter().map(|(n, t)| (n, t.data().to_vec())).collect();
        v.sort();
        v
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The one `error:` line of a failed run (exit 2, nothing else starting `error:`).
fn one_error(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    let err = stderr(o);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains("(hint: ") && !err.contains("panicked"), "{err}");
    errors[0].to_string()
}

#[test]
fn frozen_loaded_layers_stay_bit_identical_the_head_is_fresh_and_the_vocabulary_is_the_folders() {
    let c = Case::new();
    let o = c.train("a.tsv", "A", &["--units", "8"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = c.train("b.tsv", "B", &["--units", "8", "--init-from", "A", "--freeze", "embedding,lstm_0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A and B share their labels (0, 1): B continues A's head (issue 15), which then trains
    assert!(
        stderr(&o).contains("Init from A: loaded embedding, lstm_0, head rows of 0, 1; fresh: none\n"),
        "{}",
        stderr(&o)
    );
    let (a, b) = (c.tensors("A"), c.tensors("B"));
    assert_eq!(a.iter().map(|t| &t.0).collect::<Vec<_>>(), b.iter().map(|t| &t.0).collect::<Vec<_>>());
    for ((name, ta), (_, tb)) in a.iter().zip(&b) {
        if name.starts_with("head.") {
            assert_ne!(ta, tb, "{name}: the head trains");
        } else {
            assert_eq!(ta, tb, "{name}: loaded and frozen, so bit-identical");
        }
    }
    // B's texts are mostly other words, yet its vocabulary is A's, byte for byte
    let vocab = |run: &str| std::fs::read(c.path(run).join("model/vocab.json")).unwrap();
    assert_eq!(vocab("A"), vocab("B"));
    // the same run without --init-from fits its own vocabulary: the check above can fail
    let o = c.train("b.tsv", "fresh", &["--units", "8"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(vocab("A"), vocab("fresh"));
    // and a run folder's model/ or the model folder itself both work; -q keeps the line quiet
    let o = c.train("b.tsv", "quiet", &["--units", "8", "--init-from", "A/model", "-q"]);
    assert!(o.status.success() && !stderr(&o).contains("Init from"), "{}", stderr(&o));
}

#[test]
fn a_tensor_of_another_shape_is_one_error_naming_it_and_both_shapes() {
    let c = Case::new();
    assert!(c.train("a.tsv", "A", &["--units", "8"]).status.success());
    let e = one_error(&c.train("b.tsv", "B", &["--units", "16", "--init-from", "A"]));
    assert!(e.starts_with("error: A: tensor lstm_0.kernel is [8, 32] there and [8, 64] in the new model"), "{e}");
    assert!(!c.path("B/model").exists());
}

#[test]
fn a_folder_sharing_no_tensor_of_the_same_shape_is_an_error() {
    let c = Case::new();
    // kim-cnn's layers are conv1d_*, the seed's lstm_0; their embeddings differ in width
    let o = c.strata(&[
        "train",
        "--data",
        "a.tsv",
        "--out",
        "K",
        "--model",
        "kim-cnn",
        "--units",
        "4",
        "--maxlen",
        "10",
        "--epochs",
        "1",
        "--threads",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = one_error(&c.train("b.tsv", "B", &["--units", "8", "--init-from", "K"]));
    assert!(e.contains("tensor embedding.weight is"), "{e}");
}

#[test]
fn text_flags_that_differ_from_the_folders_tokenizer_and_embeddings_alongside_are_refused() {
    let c = Case::new();
    assert!(c.train("a.tsv", "A", &["--units", "8"]).status.success());
    for (flags, flag) in [
        (&["--no-lower"][..], "--no-lower"),
        (&["--num-words", "50"][..], "--num-words 50"),
        (&["--oov-token", "UNK"][..], "--oov-token"),
        (&["--char-level"][..], "--char-level"),
        (&["--tokenizer", "char"][..], "--tokenizer"),
        (&["--filters", "!"][..], "--filters"),
    ] {
        let mut extra = vec!["--units", "8", "--init-from", "A"];
        extra.extend_from_slice(flags);
        let e = one_error(&c.train("b.tsv", "B", &extra));
        assert!(e.starts_with(&format!("error: {flag} differs from the tokenizer of A")), "{e}");
    }
    // a flag that agrees with the folder is fine
    let o = c.train("b.tsv", "same", &["--units", "8", "--init-from", "A", "--num-words", "10000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(c.path("v.txt"), "the 1 2 3 4 5 6 7 8\n").unwrap();
    let e = one_error(&c.train("b.tsv", "B", &["--units", "8", "--init-from", "A", "--embeddings", "v.txt"]));
    assert!(e.starts_with("error: --init-from and --embeddings together"), "{e}");
}

#[test]
fn the_folder_is_recorded_and_a_changed_one_is_refused_on_resume() {
    let c = Case::new();
    assert!(c.train("a.tsv", "A", &["--units", "8"]).status.success());
    let o = c.train("b.tsv", "B", &["--units", "8", "--init-from", "A", "--checkpoint-every", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let run_toml = std::fs::read_to_string(c.path("B/run.toml")).unwrap();
    assert!(run_toml.contains("init_from = \"A\"\ninit_from_sha256 = \""), "{run_toml}");
    assert!(c.strata(&["train", "--resume", "B"]).status.success());
    // retraining A changes its tensors: B can no longer resume from what it started with
    assert!(c.train("a.tsv", "A", &["--units", "8", "--overwrite", "--lr", "0.05"]).status.success());
    let o = c.strata(&["train", "--resume", "B"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("model.safetensors: changed since the run"), "{}", stderr(&o));
}

#[test]
fn cv_starts_every_fold_from_the_folder() {
    let c = Case::new();
    assert!(c.train("a.tsv", "A", &["--units", "8"]).status.success());
    let o = c.strata(&[
        "cv",
        "--data",
        "b.tsv",
        "--folds",
        "2",
        "--init-from",
        "A",
        "--units",
        "8",
        "--embedding-dim",
        "8",
        "--maxlen",
        "10",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--threads",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    for fold in 1..=2 {
        let line = format!("Fold {fold}/2 Init from A: loaded embedding, lstm_0, head rows of 0, 1; fresh: none");
        assert!(err.contains(&line), "{err}");
    }
}
