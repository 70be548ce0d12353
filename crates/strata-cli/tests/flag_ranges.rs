//! Training flags out of range (issue 11, point 23): a negative or NaN `--aux-weight`, and sizes
//! whose allocation would overflow or abort (`--units 10⁹`, `--maxlen 10¹²`, `--layers 10⁶`,
//! `--num-words × --embedding-dim` past any memory) end in one `error:` line naming the flag,
//! with a hint and exit code 2, before the data is read or anything is allocated.
//! Before these checks they trained silently, panicked, aborted, or ran for hours.

use std::process::Command;

/// Runs `strata train` on a tiny corpus with `flags`; returns (exit code, stderr, whether the
/// run folder was made).
fn train(flags: &[&str]) -> (Option<i32>, String, bool) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.tsv");
    let corpus: String = (0..20).map(|i| format!("{}\t{} film {i}\n", i % 2, ["bad", "good"][i % 2])).collect();
    std::fs::write(&data, corpus).unwrap();
    let out = dir.path().join("run");
    let o = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["train", "--data", data.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(["--epochs", "1", "--threads", "1", "--no-probes"])
        .args(flags)
        .output()
        .unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned(), out.exists())
}

/// One `error:` line that names `flag` and gives a hint; exit 2; nothing written.
fn refused(flags: &[&str], flag: &str) {
    let (code, stderr, wrote) = train(flags);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(code, Some(2), "{flags:?}: {stderr}");
    assert_eq!(lines.len(), 1, "{flags:?}: one line, not {stderr}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(flag) && lines[0].contains("(hint: "), "{stderr}");
    assert!(!wrote, "{flags:?} wrote a run folder");
}

#[test]
fn aux_weight_must_be_a_non_negative_number() {
    for w in ["-1", "NaN", "inf"] {
        refused(&["--schedule", "deep-supervision", &format!("--aux-weight={w}")], "--aux-weight");
    }
}

#[test]
fn sizes_past_the_limits_name_their_flag() {
    refused(&["--epochs", "1000000000000"], "--epochs");
    refused(&["--units", "1000000000"], "--units");
    refused(&["--maxlen", "1000000000000"], "--maxlen");
    refused(&["--model", "han", "--max-sentences", "1000000000000"], "--max-sentences");
    refused(&["--layers", "1000000"], "--layers");
    refused(&["--layers", "1000000000000000000"], "--layers");
    refused(&["--num-words", "100000000000", "--embedding-dim", "1000"], "--num-words");
    refused(&["--num-words", "10000000000", "--embedding-dim", "10000000000"], "--num-words");
    refused(&["--batch-size", "1000000000", "--maxlen", "1000000"], "--batch-size");
}

#[test]
fn a_model_file_past_the_parameter_limit_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.toml");
    std::fs::write(&file, "[[layer]]\ntype = \"lstm\"\nunits = 8\n[[layer]]\ntype = \"dense\"\nunits = 100000000000\n")
        .unwrap();
    refused(&["--model-file", file.to_str().unwrap()], "--model-file");
}

#[test]
fn sizes_at_the_limits_a_user_meets_still_train() {
    let (code, stderr, wrote) = train(&["--maxlen", "2000", "--units", "4", "--embedding-dim", "4"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(wrote);
    let (code, stderr, _) = train(&["--schedule", "deep-supervision", "--aux-weight", "0", "--units", "4"]);
    assert_eq!(code, Some(0), "{stderr}");
}
