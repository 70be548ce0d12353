//! `strata pretrain` (issue 12): skip-gram and language-model runs on a few hundred lines write a
//! pretrained folder; `train`/`cv --init-from` load it by tensor name (bit for bit, and frozen
//! tensors stay so); `predict` refuses it; bad input is one error line; `--resume` and a repeated
//! seed give the same bytes.

mod common;

use std::process::{Command, Output, Stdio};

use common::{assert_ok, assert_user_error, corpus, stderr, texts_of, Case};
use safetensors::SafeTensors;

/// A small model and fast objectives, so each run takes a second or two.
const TINY: &[&str] = &[
    "--embedding-dim",
    "8",
    "--units",
    "8",
    "--num-words",
    "200",
    "--min-count",
    "1",
    "--samples",
    "32",
    "--bptt",
    "10",
    "--batch-size",
    "4",
    "--threads",
    "1",
];

/// `u.txt`: the corpus's texts, one a line, without labels; `l.tsv`: the labelled corpus.
fn case(lines: usize) -> Case {
    let c = Case::new();
    let labelled = corpus(lines);
    let texts = texts_of(&labelled);
    c.write("u.txt", texts.as_bytes());
    c.write("l.tsv", labelled.as_bytes());
    c
}

fn pretrain(c: &Case, out: &str, extra: &[&str]) -> Output {
    let mut args = vec!["pretrain", "--data", "u.txt", "--out", out];
    args.extend_from_slice(TINY);
    args.extend_from_slice(extra);
    c.run(&args)
}

/// Each tensor of a folder's model.safetensors: name → (shape, raw bytes), sorted by name.
fn tensors(c: &Case, folder: &str) -> Vec<(String, Vec<usize>, Vec<u8>)> {
    let bytes = std::fs::read(c.path(folder).join("model.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut v: Vec<_> = st.tensors().into_iter().map(|(n, t)| (n, t.shape().to_vec(), t.data().to_vec())).collect();
    v.sort();
    v
}

fn tensor(all: &[(String, Vec<usize>, Vec<u8>)], name: &str) -> Vec<u8> {
    all.iter().find(|(n, ..)| n == name).unwrap_or_else(|| panic!("no tensor {name}")).2.clone()
}

fn bytes(c: &Case, file: &str) -> Vec<u8> {
    std::fs::read(c.path(file)).unwrap()
}

fn config(c: &Case, folder: &str) -> serde_json::Value {
    serde_json::from_str(&c.read(&format!("{folder}/config.json"))).unwrap()
}

#[test]
fn skipgram_writes_the_embedding_alone_under_its_name() {
    let c = case(300);
    let o = pretrain(&c, "p", &["--objective", "skipgram", "--sg-epochs", "1", "--json"]);
    assert_ok(&o);
    let metrics: serde_json::Value = serde_json::from_slice(&o.stdout).expect("--json prints one object");
    assert_eq!((metrics["objective"].as_str(), metrics["train_documents"].as_u64()), (Some("skipgram"), Some(294)));
    let err = stderr(&o);
    assert!(err.contains("Skip-gram 1/1 - ") && err.contains("words/s"), "{err}");
    assert!(err.contains("not pretrained: lstm_0 (--objective skipgram)"), "{err}");
    let cfg = config(&c, "p/model");
    assert_eq!(cfg["format"], "strata-pretrained");
    assert_eq!(cfg["levels"], serde_json::json!(["embedding"]));
    assert!(cfg["skipgram"]["loss"].as_f64().is_some_and(f64::is_finite), "{cfg}");
    assert!(cfg["lm"].is_null());
    let t = tensors(&c, "p/model");
    assert_eq!(t.len(), 1);
    assert_eq!((t[0].0.as_str(), t[0].1.as_slice()), ("embedding.weight", &[200, 8][..]));
    assert!(c.path("p/model/vocab.json").is_file() && c.path("p/model/.strata").is_file());
    assert!(c.read("p/history.csv").starts_with("objective,epoch,loss,val_perplexity\nskipgram,1,"));
}

#[test]
fn the_language_model_writes_its_levels_and_decoder_with_a_perplexity() {
    let c = case(300);
    let o = pretrain(&c, "p", &["--objective", "lm", "--epochs", "1", "--validation-split", "0.1"]);
    assert_ok(&o);
    let err = stderr(&o);
    assert!(err.contains("Epoch 1/1 - ") && err.contains("val_perplexity: ") && err.contains("tokens/s"), "{err}");
    assert!(err.contains("Pretraining: embedding (language model), lstm_0 (language model)"), "{err}");
    let cfg = config(&c, "p/model");
    assert_eq!(cfg["levels"], serde_json::json!(["embedding", "lstm_0"]));
    let ppl = cfg["lm"]["val_perplexity"].as_f64().unwrap();
    assert!(ppl.is_finite() && ppl > 1.0, "{cfg}");
    assert_eq!(cfg["heldout_documents"], 30);
    let names: Vec<String> = tensors(&c, "p/model").into_iter().map(|(n, ..)| n).collect();
    let want = ["embedding.weight", "lm_decoder.bias", "lm_decoder.weight", "lstm_0.bias", "lstm_0.kernel"];
    assert_eq!(names, [&want[..], &["lstm_0.recurrent_kernel"]].concat());
}

#[test]
fn train_init_from_a_pretrained_folder_gets_its_tensors_bit_for_bit_and_frozen_ones_keep_them() {
    let c = case(300);
    assert_ok(&pretrain(&c, "p", &["--sg-epochs", "1", "--epochs", "1"]));
    assert_eq!(config(&c, "p/model")["objective"], "both");
    let pre = tensors(&c, "p/model");
    let train = |out: &str, freeze: &str| {
        let args = ["train", "--data", "l.tsv", "--out", out, "--init-from", "p", "--freeze", freeze];
        let small = ["--embedding-dim", "8", "--units", "8", "--maxlen", "12", "--epochs", "1", "--threads", "1"];
        c.run(&[&args[..], &small[..], &["--no-probes"]].concat())
    };
    let o = train("both", "embedding,lstm_0");
    assert_ok(&o);
    assert!(stderr(&o).contains("Init from p: loaded embedding, lstm_0; fresh: head"), "{}", stderr(&o));
    let both = tensors(&c, "both/model");
    for name in ["embedding.weight", "lstm_0.kernel", "lstm_0.recurrent_kernel", "lstm_0.bias"] {
        assert!(tensor(&both, name) == tensor(&pre, name), "{name} differs from the pretrained one");
    }
    assert!(!both.iter().any(|(n, ..)| n.starts_with("lm_decoder")), "the decoder is not the classifier's");
    // frozen, the embedding stays; trained, lstm_0 moves away from where it started
    assert_ok(&train("emb", "embedding"));
    let emb = tensors(&c, "emb/model");
    assert!(tensor(&emb, "embedding.weight") == tensor(&pre, "embedding.weight"));
    assert!(tensor(&emb, "lstm_0.kernel") != tensor(&pre, "lstm_0.kernel"));
}

#[test]
fn cv_init_from_a_default_pretrained_folder_works_without_model_flags() {
    let c = case(200);
    let args = ["pretrain", "--data", "u.txt", "--data", "l.tsv", "--out", "p", "--min-count", "1"];
    let fast = ["--sg-epochs", "1", "--epochs", "1", "--samples", "64", "--threads", "2"];
    assert_ok(&c.run(&[&args[..], &fast[..]].concat()));
    let cfg = config(&c, "p/model");
    assert_eq!(cfg["text"]["num_words"], 20000);
    assert_eq!(cfg["model"]["embedding_dim"], 128);
    let o = c.run(&["cv", "--data", "l.tsv", "--init-from", "p", "--folds", "2", "--epochs", "1", "--threads", "2"]);
    assert_ok(&o);
    assert!(stderr(&o).contains("loaded embedding, lstm_0; fresh: head"), "{}", stderr(&o));
}

#[test]
fn predict_and_serve_refuse_a_pretrained_folder_in_one_line() {
    let c = case(50);
    // the format field alone decides; a real folder (below, in the full-path tests) says the same
    c.write("hand/config.json", br#"{"format": "strata-pretrained", "format_version": 1}"#);
    c.write("hand/model.safetensors", b"");
    c.write("hand/vocab.json", b"{}");
    c.write("in.txt", b"great movie\n");
    for verb in [&["predict", "--model", "hand", "in.txt"][..], &["serve", "--model", "hand", "--port", "0"][..]] {
        assert_user_error(&c.run(verb), &["hand", "pretrained levels, not a classifier", "--init-from"]);
    }
}

#[test]
fn predict_refuses_a_real_pretrained_run_folder() {
    let c = case(100);
    assert_ok(&pretrain(&c, "p", &["--objective", "skipgram", "--sg-epochs", "1"]));
    c.write("in.txt", b"great movie\n");
    assert_user_error(&c.run(&["predict", "--model", "p", "in.txt"]), &["pretrained levels", "--init-from"]);
}

#[test]
fn bad_input_is_one_error_line_before_any_work() {
    let c = case(50);
    c.write("empty.txt", b"\n  \n");
    assert_user_error(&pretrain(&c, "a", &["--data", "empty.txt"]), &["empty.txt", "no text"]);
    assert_user_error(&pretrain(&c, "b", &["--data", "missing.txt"]), &["missing.txt"]);
    c.write("theirs/notes.txt", b"mine");
    assert_user_error(&pretrain(&c, "theirs", &[]), &["theirs"]);
    assert_eq!(c.read("theirs/notes.txt"), "mine");
    assert!(!c.path("theirs/.strata").exists() && !c.path("a").exists() && !c.path("b").exists());
    // a language model needs a one-direction LSTM/GRU above the embedding
    let o = pretrain(&c, "k", &["--model", "kim-cnn", "--objective", "lm"]);
    assert_user_error(&o, &["--objective", "skipgram"]);
    assert!(!c.path("k").exists());
    let o = pretrain(&c, "r", &["--lr", "0"]);
    assert_user_error(&o, &["--lr"]);
}

#[test]
fn init_from_a_folder_whose_tensors_do_not_fit_is_one_error_line() {
    let c = case(100);
    assert_ok(&pretrain(&c, "p", &["--objective", "skipgram", "--sg-epochs", "1"]));
    // another embedding width: the one tensor the folder shares by name cannot be carried over
    let o = c.run(&["train", "--data", "l.tsv", "--out", "t", "--init-from", "p", "--embedding-dim", "16"]);
    assert_user_error(&o, &["p", "embedding.weight", "--embedding-dim"]);
    // han's levels are all bidirectional: the pretrained folder says which it trained
    let o = pretrain(&c, "h", &["--model", "han", "--sg-epochs", "1"]);
    assert_ok(&o);
    assert!(stderr(&o).contains("bigru_0 (bidirectional"), "{}", stderr(&o));
}

#[test]
fn the_same_seed_writes_the_same_bytes() {
    let c = case(200);
    let flags = ["--sg-epochs", "1", "--epochs", "1", "--seed", "3"];
    assert_ok(&pretrain(&c, "a", &flags));
    assert_ok(&pretrain(&c, "b", &flags));
    for f in ["model/config.json", "model/model.safetensors", "model/vocab.json", "history.csv"] {
        assert!(bytes(&c, &format!("a/{f}")) == bytes(&c, &format!("b/{f}")), "{f} differs");
    }
    assert_ok(&pretrain(&c, "d", &["--sg-epochs", "1", "--epochs", "1", "--seed", "4"]));
    assert!(bytes(&c, "a/model/model.safetensors") != bytes(&c, "d/model/model.safetensors"), "the seed matters");
}

#[test]
fn a_run_killed_after_a_checkpoint_resumes_to_the_same_bytes() {
    // long enough epochs that the run is still going when its first checkpoint appears
    let c = case(20000);
    let args = |out: &str| -> Vec<String> {
        ["pretrain", "--data", "u.txt", "--out", out, "--sg-epochs", "1", "--epochs", "6"]
            .iter()
            .chain(TINY)
            .map(|s| s.to_string())
            .collect()
    };
    assert_ok(&c.run(&args("whole").iter().map(String::as_str).collect::<Vec<_>>()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(c.dir.path())
        .args(args("killed"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !c.path("killed/checkpoint").is_dir() {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed");
        assert!(started.elapsed().as_secs() < 120, "no checkpoint appeared");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(child.try_wait().unwrap().is_none(), "still training when killed");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(!c.path("killed/model").exists(), "killed before it finished");
    // the same run with its checkpoint's state.json deleted is refused, not started again
    copy_dir(&c.path("killed"), &c.path("gutted"));
    std::fs::remove_file(c.path("gutted/checkpoint/state.json")).unwrap();
    let o = c.run(&["pretrain", "--resume", "gutted"]);
    assert_user_error(&o, &["state.json", "incomplete", "--overwrite"]);
    assert!(!c.path("gutted/model").exists(), "nothing was trained");
    let o = c.run(&["pretrain", "--resume", "killed"]);
    assert_ok(&o);
    assert!(stderr(&o).contains("Resuming from the checkpoint after"), "{}", stderr(&o));
    for f in ["model/config.json", "model/model.safetensors", "history.csv"] {
        assert!(bytes(&c, &format!("whole/{f}")) == bytes(&c, &format!("killed/{f}")), "{f} differs after --resume");
    }
    // a flag that differs from the run's is refused, as train's --resume does
    assert_user_error(&c.run(&["pretrain", "--resume", "killed", "--epochs", "5"]), &["--epochs", "conflicts"]);
}

#[test]
fn train_ulmfit_records_its_language_models_epochs_in_lm_history_csv() {
    let c = case(200);
    assert_ok(&pretrain(&c, "p", &["--sg-epochs", "1", "--epochs", "1"]));
    let train = |out: &str, schedule: &str| {
        let args = ["train", "--data", "l.tsv", "--out", out, "--init-from", "p", "--schedule", schedule];
        let small = ["--embedding-dim", "8", "--units", "8", "--maxlen", "12", "--epochs", "2", "--threads", "1"];
        c.run(&[&args[..], &small[..], &["--no-probes"]].concat())
    };
    let o = train("u", "ulmfit");
    assert_ok(&o);
    let printed = stderr(&o).lines().filter(|l| l.contains("val_perplexity:")).count();
    let csv = c.read("u/lm_history.csv");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("objective,epoch,loss,val_perplexity"), "pretrain's columns");
    let rows: Vec<&str> = lines.collect();
    assert!(printed > 0 && rows.len() == printed, "{printed} epochs printed, rows: {rows:?}");
    for (i, row) in rows.iter().enumerate() {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!((f.len(), f[0], f[1]), (4, "lm", (i + 1).to_string().as_str()), "{row}");
        assert!(f[2].parse::<f64>().unwrap().is_finite() && f[3].parse::<f64>().is_ok(), "{row}");
    }
    // history.csv keeps the classifier's columns, as every other schedule writes it
    let o = train("g", "gradual-unfreeze");
    assert_ok(&o);
    assert!(!c.path("g/lm_history.csv").exists(), "only a schedule with a language model writes it");
    let header = |f: &str| c.read(f).lines().next().unwrap().to_string();
    assert_eq!(header("u/history.csv"), header("g/history.csv"));
}

/// Copies folder `from` to `to` (files and subfolders).
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// What the review of the merged branch found: each was a panic, an abort or a saved NaN folder.
#[test]
fn another_run_s_checkpoint_oversized_models_and_divergence_are_one_error_line() {
    let c = case(200);
    let flags = ["--sg-epochs", "1", "--epochs", "2"];
    assert_ok(&pretrain(&c, "a", &flags));
    let mut small: Vec<&str> = vec!["pretrain", "--data", "u.txt", "--out", "v"];
    small.extend(TINY.iter().map(|&f| if f == "200" { "50" } else { f }));
    assert_ok(&c.run(&[&small[..], &flags[..]].concat()));
    // a's run folder with v's checkpoint (ids of another vocabulary): refused before training
    copy_dir(&c.path("a"), &c.path("x"));
    std::fs::remove_dir_all(c.path("x/checkpoint")).unwrap();
    copy_dir(&c.path("v/checkpoint"), &c.path("x/checkpoint"));
    let before = bytes(&c, "x/model/model.safetensors");
    assert_user_error(&c.run(&["pretrain", "--resume", "x"]), &["checkpoint", "another model", "--overwrite"]);
    assert!(bytes(&c, "x/model/model.safetensors") == before, "the folder is left as it was");
    // sizes train refuses are refused here too, before --out is claimed
    let o = c.run(&["pretrain", "--data", "u.txt", "--out", "u", "--units", "1000000000", "--threads", "1"]);
    assert_user_error(&o, &["--units", "limit"]);
    assert_user_error(&pretrain(&c, "n", &["--negatives", "1000000000000"]), &["--negatives", "limit"]);
    assert!(!c.path("u").exists() && !c.path("n").exists());
    // a loss that became NaN stops the run instead of saving NaN tensors
    let o = pretrain(&c, "d", &["--sg-lr", "1e30", "--sg-epochs", "1", "--epochs", "1"]);
    assert_user_error(&o, &["skip-gram", "NaN", "--sg-lr"]);
    assert!(!c.path("d/model").exists(), "no folder of NaN tensors");
}

#[test]
fn a_skip_gram_run_that_trains_no_pair_says_so() {
    let c = case(20);
    c.write("tiny.txt", b"hello world\n");
    let o = c.run(&[
        "pretrain",
        "--data",
        "tiny.txt",
        "--out",
        "t",
        "--objective",
        "skipgram",
        "--sg-epochs",
        "1",
        "--threads",
        "1",
    ]);
    assert_ok(&o);
    assert!(stderr(&o).contains("warning: skip-gram trained on no word pair"), "{}", stderr(&o));
    // the same small corpus without subsampling trains, and prints no such warning
    let o = pretrain(&c, "u", &["--objective", "skipgram", "--sg-epochs", "1", "--sample", "0"]);
    assert_ok(&o);
    assert!(!stderr(&o).contains("no word pair"), "{}", stderr(&o));
}
