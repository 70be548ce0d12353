//! The binary's cross-cutting flags and verbs (issue 11, point 10): `--version` with the commit,
//! `completions SHELL`, `train --json`, `-q`/`-v`, `-o`, one-line errors for values outside a
//! closed set; and the page `explain --html` writes (point 15). Each case runs in a fresh
//! temporary folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn strata(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata")).current_dir(dir).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A small learnable corpus with label names: "pos" iff the sentence has a good word.
fn corpus(dir: &Path) -> PathBuf {
    let good = ["great", "fine", "lovely", "superb"];
    let bad = ["awful", "poor", "dull", "weak"];
    let rows: String = (0..120)
        .map(|i| {
            let (label, word) = if i % 2 == 1 { ("pos", good[i % 4]) } else { ("neg", bad[(i / 2) % 4]) };
            format!("{label}\tthe movie was {word} and the plot {}\n", ["moved", "ran", "went"][i % 3])
        })
        .collect();
    let path = dir.join("train.tsv");
    std::fs::write(&path, rows).unwrap();
    path
}

const SMALL: &[&str] = &["--maxlen", "10", "--units", "8", "--embedding-dim", "8", "--threads", "1", "--no-probes"];

fn train(dir: &Path, out: &str, extra: &[&str]) -> Output {
    let data = corpus(dir);
    let mut args = vec!["train", "--data", data.to_str().unwrap(), "-o", out];
    args.extend_from_slice(SMALL);
    if !extra.contains(&"--epochs") {
        args.extend(["--epochs", "3"]);
    }
    args.extend_from_slice(extra);
    strata(dir, &args)
}

#[test]
fn version_names_the_crate_version_and_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let o = strata(dir.path(), &["--version"]);
    assert!(o.status.success());
    let v = text(&o.stdout);
    assert!(v.starts_with(&format!("strata {} (commit ", env!("CARGO_PKG_VERSION"))), "{v}");
    let commit = v.trim().rsplit(' ').next().unwrap().trim_end_matches(')');
    let hash = commit.trim_end_matches("+dirty");
    let is_hash = hash.len() >= 7 && hash.chars().all(|c| c.is_ascii_hexdigit());
    assert!(is_hash || commit == "unknown", "not a commit: {v}");
}

#[test]
fn completions_cover_every_verb_and_closed_set() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = strata(dir.path(), &["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", text(&o.stderr));
        let script = text(&o.stdout);
        for word in ["train", "explain", "completions", "--schedule", "kim-cnn", "gradual-unfreeze"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    let o = strata(dir.path(), &["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_value_outside_a_closed_set_is_one_error_line_with_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, value, choices) in [
        ("--model", "lstm", "seed, seed-stacked, gru, bilstm, kim-cnn, han"),
        ("--optimizer", "rmsprop", "adam, sgd, adadelta"),
        ("--monitor", "accuracy", "val_loss, val_accuracy"),
        ("--schedule", "greedy", "end-to-end, layerwise, deep-supervision, gradual-unfreeze"),
        ("--padding", "left", "pre, post"),
        ("--tokenizer", "bpe", "word, char, jieba"),
        ("--format", "xml", "tsv, csv, jsonl, fasttext"),
    ] {
        let o = strata(dir.path(), &["train", "--data", "x.tsv", "--out", "r", flag, value]);
        assert_eq!(o.status.code(), Some(2), "{flag}");
        let err = text(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{flag}: not one line: {err}");
        assert!(err.starts_with("error: invalid value") && err.contains("(hint: "), "{err}");
        assert!(err.contains(&format!("possible values: {choices}")), "{flag}: {err}");
    }
    assert!(!dir.path().join("r").exists());
    let o = strata(dir.path(), &["train", "--epocs", "3"]);
    assert_eq!(
        text(&o.stderr),
        "error: unexpected argument '--epocs' found (hint: a similar argument exists: '--epochs')\n"
    );
    let o = strata(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("Usage: strata"), "strata alone shows the usage");
    // a flag that needs another names it in the message, brackets and all
    let o = strata(dir.path(), &["train", "--data", "x.tsv", "--out", "r", "--hierarchy", "top-down"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        "error: the following required arguments were not provided: --label-path-sep [<SEP>] (hint: see --help)\n"
    );
}

#[test]
fn train_json_prints_the_final_metrics_as_one_object() {
    let dir = tempfile::tempdir().unwrap();
    let o = train(dir.path(), "run", &["--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert_eq!(out.lines().count(), 1, "stdout is more than the object: {out}");
    let m: serde_json::Value = serde_json::from_str(&out).unwrap();
    for field in ["train_loss", "train_accuracy", "val_loss", "val_accuracy", "n_train", "n_val", "epochs", "model"] {
        assert!(m.get(field).is_some(), "no {field} in {m}");
    }
    assert_eq!(m["epochs"], 3);
    assert_eq!(m["n_train"].as_u64().unwrap() + m["n_val"].as_u64().unwrap(), 120);
    assert!(m["val_accuracy"].as_f64().unwrap() >= 0.0);
    assert!(dir.path().join(m["model"].as_str().unwrap()).join("config.json").exists());
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("run/metrics.json")).unwrap()).unwrap();
    assert_eq!(saved, m, "metrics.json and --json differ");
}

#[test]
fn quiet_silences_progress_and_verbose_adds_detail() {
    let dir = tempfile::tempdir().unwrap();
    let normal = train(dir.path(), "a", &[]);
    let quiet = train(dir.path(), "b", &["-q"]);
    let verbose = train(dir.path(), "c", &["-v"]);
    for o in [&normal, &quiet, &verbose] {
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let (normal_err, quiet_err, verbose_err) = (text(&normal.stderr), text(&quiet.stderr), text(&verbose.stderr));
    assert!(normal_err.contains("Epoch 3/3") && normal_err.contains("Train on"), "{normal_err}");
    assert_eq!(quiet_err, "", "-q printed progress");
    assert_eq!(text(&quiet.stdout), text(&normal.stdout).replace("a/model", "b/model"), "-q changed the results");
    assert!(verbose_err.contains("Schedule end-to-end: stage 1/1"), "{verbose_err}");
    assert!(verbose_err.lines().filter(|l| l.starts_with("Epoch")).all(|l| l.contains(" - lr: ")), "{verbose_err}");
    assert!(!normal_err.contains(" - lr: "));
    assert!(dir.path().join("b/model/config.json").exists(), "-o is --out");
    let both = train(dir.path(), "d", &["-q", "-v"]);
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn explain_page_names_the_label_every_class_and_keeps_punctuation() {
    let dir = tempfile::tempdir().unwrap();
    assert!(train(dir.path(), "films", &["--epochs", "8", "--lr", "0.01"]).status.success());
    let typed = "The movie was superb, and the plot moved!";
    let o = strata(dir.path(), &["explain", "--model", "films", typed, "--html", "e.html"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let page = std::fs::read_to_string(dir.path().join("e.html")).unwrap();
    assert!(page.contains("<h1>pos <small>probability "), "the label by name, with what the score is");
    assert!(page.contains("Model films"), "the model's name");
    assert!(page.contains("<tr><td>pos</td>") && page.contains("<tr><td>neg</td>"), "every class's score");
    assert!(page.contains("class=\"swatch\"") && page.contains("towards"), "a legend");
    // the text as typed, punctuation and case kept, once the tags are stripped
    let words = &page[page.find("<p id=\"words\">").unwrap()..];
    let words = &words[..words.find("</p>").unwrap()];
    let mut plain = String::new();
    let mut in_tag = false;
    for c in words.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    assert_eq!(plain, typed);
    assert!(page.contains(">superb</span>, "));
}

#[test]
fn label_names_replace_the_labels_a_model_shows() {
    let dir = tempfile::tempdir().unwrap();
    assert!(train(dir.path(), "films", &["--epochs", "8", "--lr", "0.01"]).status.success());
    let typed = "the movie was superb and the plot moved";
    let named =
        ["explain", "--model", "films", typed, "--label-names", "neg=negative,pos=positive", "--html", "e.html"];
    let o = strata(dir.path(), &named);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("positive\t"), "{}", text(&o.stdout));
    let page = std::fs::read_to_string(dir.path().join("e.html")).unwrap();
    assert!(page.contains("<h1>positive <small>") && page.contains("<tr><td>negative</td>"), "{page}");
    for (names, why) in [("zero=bad", "no label 'zero'"), ("neg=x,pos=x", "share a name"), ("neg", "LABEL=NAME")] {
        let o = strata(dir.path(), &["explain", "--model", "films", "superb", "--label-names", names]);
        assert_eq!(o.status.code(), Some(2), "{names}");
        let err = text(&o.stderr);
        assert!(err.lines().count() == 1 && err.contains(why) && err.contains("hint:"), "{names}: {err}");
    }
}
