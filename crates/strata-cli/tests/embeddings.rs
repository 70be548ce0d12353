//! `--embeddings FILE` (issue 12, point 2): pretrained word vectors arrive in the model's
//! embedding bit for bit and stay so under `--freeze embedding` (Kim's CNN-static), the
//! coverage is printed, the file's length becomes the embedding's, the file is part of the
//! run's inputs, and every kind of bad file is one `error: FILE:LINE: … (hint: …)` line, exit 2.

use std::path::PathBuf;
use std::process::{Command, Output};

use safetensors::SafeTensors;

struct Case {
    dir: tempfile::TempDir,
}

/// The vectors the tests load: "the" and "movie" (spelled "Movie" in the file) are in the
/// corpus, "zebra" is not.
const VECTORS: [(&str, [f32; 4]); 3] =
    [("the", [0.5, 0.25, -1.0, 2.0]), ("Movie", [0.1, -0.3, 0.7, 1e-3]), ("zebra", [9.0, 9.0, 9.0, 9.0])];

impl Case {
    fn new() -> Self {
        let c = Case { dir: tempfile::tempdir().unwrap() };
        let words = ["great", "awful", "movie", "plot", "the", "fine", "dull", "was"];
        let data: String = (0..60)
            .map(|i: usize| {
                let text: Vec<&str> = (0..6).map(|k| words[(i * 7 + k * 3 + i / 8) % words.len()]).collect();
                format!("{}\t{}\n", i % 2, text.join(" "))
            })
            .collect();
        c.write("data.tsv", data.as_bytes());
        c
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.path(name), bytes).unwrap();
    }

    fn strata(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_strata")).current_dir(self.dir.path()).args(args).output().unwrap()
    }

    fn train(&self, out: &str, extra: &[&str]) -> Output {
        let mut args = vec!["train", "--data", "data.tsv", "--out", out, "--epochs", "1", "--batch-size", "8"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--threads", "1", "--seed", "3"]);
        self.strata(&args)
    }

    /// Row `word` of the trained embedding (by the saved vocabulary) and the embedding's width.
    fn row(&self, out: &str, word: &str) -> (Vec<f32>, usize) {
        let vocab: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.path(out).join("model/vocab.json")).unwrap()).unwrap();
        let i = vocab["word_index"][word].as_u64().unwrap() as usize;
        let bytes = std::fs::read(self.path(out).join("model/model.safetensors")).unwrap();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let t = st.tensor("embedding.weight").unwrap();
        let e = t.shape()[1];
        let floats: Vec<f32> = t.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        (floats[i * e..(i + 1) * e].to_vec(), e)
    }
}

fn word2vec_text() -> Vec<u8> {
    let mut s = format!("{} 4\n", VECTORS.len());
    for (w, v) in VECTORS {
        s += &format!("{w} {}\n", v.map(|x| format!("{x:e}")).join(" "));
    }
    s.into_bytes()
}

fn word2vec_binary() -> Vec<u8> {
    let mut b = format!("{} 4\n", VECTORS.len()).into_bytes();
    for (w, v) in VECTORS {
        b.extend_from_slice(w.as_bytes());
        b.push(b' ');
        v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes()));
        b.push(b'\n');
    }
    b
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn frozen_pretrained_rows_arrive_and_stay_bit_identical_in_every_format() {
    let c = Case::new();
    let glove: String = VECTORS.iter().map(|(w, v)| format!("{w} {}\n", v.map(|x| x.to_string()).join(" "))).collect();
    for (name, bytes) in
        [("w2v.txt", word2vec_text()), ("w2v.bin", word2vec_binary()), ("glove.txt", glove.into_bytes())]
    {
        c.write(name, &bytes);
        let out = format!("run-{name}");
        let o = c.train(&out, &["--embeddings", name, "--freeze", "embedding"]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let want = format!("Embeddings: 2 of 9 words found in {name} (22.2%); the rest start random");
        assert!(stderr(&o).contains(&want), "{name}: {}", stderr(&o));
        let (the, e) = c.row(&out, "the");
        assert_eq!(e, 4, "{name}: the file's length is the embedding's");
        assert_eq!(the.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), VECTORS[0].1.map(f32::to_bits), "{name}");
        let (movie, _) = c.row(&out, "movie");
        assert_eq!(movie.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), VECTORS[1].1.map(f32::to_bits), "{name}");
    }
    // without --freeze the same rows train away from the file's: the check above can fail
    let o = c.train("trained", &["--embeddings", "w2v.txt"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(c.row("trained", "the").0, VECTORS[0].1.to_vec());
    // -q keeps the coverage line quiet
    let o = c.train("quiet", &["--embeddings", "w2v.txt", "-q"]);
    assert!(o.status.success() && !stderr(&o).contains("Embeddings:"), "{}", stderr(&o));
}

#[test]
fn an_explicit_embedding_dim_that_differs_from_the_file_is_one_error() {
    let c = Case::new();
    c.write("w2v.txt", &word2vec_text());
    let o = c.train("run", &["--embeddings", "w2v.txt", "--embedding-dim", "8"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "error: w2v.txt: the vectors have 4 values and --embedding-dim is 8 (hint: leave out --embedding-dim to take the file's)"
    );
    c.write("model.toml", b"embedding_dim = 6\n[[layer]]\ntype = \"lstm\"\nunits = 4\n");
    let o = c.train("run", &["--embeddings", "w2v.txt", "--model-file", "model.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "error: w2v.txt: the vectors have 4 values and the model file's embedding_dim is 6 (hint: set embedding_dim = 4 there)"
    );
}

#[test]
fn the_vectors_file_is_an_input_of_the_run_and_a_changed_one_is_refused_on_resume() {
    let c = Case::new();
    c.write("w2v.txt", &word2vec_text());
    let o = c.train("run", &["--embeddings", "w2v.txt", "--checkpoint-every", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let run_toml = std::fs::read_to_string(c.path("run/run.toml")).unwrap();
    assert!(run_toml.contains("embeddings = \"w2v.txt\"\nembeddings_sha256 = \""), "{run_toml}");
    // resumed from another folder, the relative --embeddings resolves against the run's
    std::fs::create_dir(c.path("elsewhere")).unwrap();
    let run = c.path("run");
    let o = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(c.path("elsewhere"))
        .args(["train", "--resume", run.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(word2vec_text()).unwrap().replace("2.5e-1", "5e-1");
    c.write("w2v.txt", text.as_bytes());
    let o = c.strata(&["train", "--resume", "run"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("w2v.txt: changed since the run"), "{}", stderr(&o));
}

/// Each bad file: exit 2 and exactly one line, `error: FILE:LINE: … (hint: …)`.
#[test]
fn bad_vectors_files_are_one_error_line_naming_file_and_line() {
    let c = Case::new();
    let rows = |n: usize| -> String { (0..n).map(|i| format!("w{i} 1 2 3\n")).collect() };
    let mut cut = word2vec_binary();
    cut.truncate(cut.len() - 7);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("wrong_width.txt", format!("{}the 1 2\n", rows(6)).into_bytes(), "wrong_width.txt:7: 'the' has 2 values"),
        (
            "wrong_width_w2v.txt",
            format!("7 3\n{}the 1 2\n", rows(5)).into_bytes(),
            "wrong_width_w2v.txt:7: 'the' has 2 values",
        ),
        (
            "not_a_number.txt",
            format!("{}the 1 two 3\n", rows(2)).into_bytes(),
            "not_a_number.txt:3: 'two' is not a number",
        ),
        ("empty.txt", Vec::new(), "empty.txt:1: the file is empty"),
        (
            "header_lies.txt",
            b"2 5\nthe 1 2 3 4\nmovie 1 2 3 4\n".to_vec(),
            "header_lies.txt:2: 'the' has 4 values, and the header on line 1 says 5",
        ),
        ("cut.bin", cut, "cut.bin:4: the binary file ends inside this word's vector"),
    ];
    for (name, bytes, want) in cases {
        c.write(name, &bytes);
        let o = c.train(&format!("run-{name}"), &["--embeddings", name]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        let err = stderr(&o);
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{name}: {err}");
        assert!(errors[0].starts_with(&format!("error: {want}")), "{name}: {err}");
        assert!(errors[0].contains("(hint: "), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}
