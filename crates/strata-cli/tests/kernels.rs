//! `STRATA_KERNELS` (issue 14, point 4): every kernel set this CPU runs trains the same model
//! to the same numbers within rounding, and a value strata cannot honour is one `error:` line
//! and exit 2 rather than a silent fallback or a crash.

use std::path::Path;
use std::process::{Command, Output};

use strata_nn::kernels::Kernels;

fn strata(dir: &Path, kernels: &str, args: &[&str]) -> Output {
    let bin = env!("CARGO_BIN_EXE_strata");
    Command::new(bin).current_dir(dir).env("STRATA_KERNELS", kernels).args(args).output().unwrap()
}

/// Label 1 iff the sentence holds a "good" word.
fn corpus(n: usize) -> String {
    let (good, bad) = (["great", "fine", "lovely"], ["awful", "poor", "dull"]);
    let filler = ["the", "a", "movie", "was", "and", "plot", "it", "really", "so"];
    (0..n)
        .map(|i| {
            let mut words: Vec<&str> = (0..(5 + i % 9)).map(|k| filler[(i * 7 + k * 3) % filler.len()]).collect();
            let cue = if i % 2 == 0 { good[i % 3] } else { bad[i % 3] };
            words.insert(i % words.len(), cue);
            format!("{}\t{}\n", 1 - i % 2, words.join(" "))
        })
        .collect()
}

/// The `loss` and `val_loss` columns of a run's history.csv, row by row.
fn losses(dir: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(dir.join("history.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let cols: Vec<usize> = ["loss", "val_loss"].iter().map(|c| header.iter().position(|h| h == c).unwrap()).collect();
    lines
        .flat_map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            cols.iter().map(|&c| cells[c].parse::<f64>().unwrap()).collect::<Vec<_>>()
        })
        .collect()
}

/// Sizes chosen so that every AVX-512 path runs (4H = 64, H = E = 16: multiples of 16) and
/// the recurrence's backward product too.
#[test]
fn every_kernel_set_trains_the_same_model_within_rounding() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.tsv"), corpus(300)).unwrap();
    let mut runs = Vec::new();
    for k in Kernels::available() {
        let out = format!("run-{k}");
        let mut args = vec!["train", "--data", "data.tsv", "--out", &out, "--model", "seed", "--seed", "3"];
        args.extend(["--threads", "2", "--num-words", "60", "--embedding-dim", "16", "--units", "16"]);
        args.extend(["--maxlen", "16", "--batch-size", "32", "--epochs", "3", "--validation-split", "0.2"]);
        let o = strata(dir.path(), k.name(), &args);
        assert!(o.status.success(), "{k}: {}", String::from_utf8_lossy(&o.stderr));
        runs.push((k, losses(&dir.path().join(&out))));
    }
    let (first, reference) = &runs[0];
    for (k, got) in &runs[1..] {
        assert_eq!(got.len(), reference.len());
        for (x, y) in got.iter().zip(reference) {
            assert!((x - y).abs() < 1e-4, "{k} against {first}: {got:?} vs {reference:?}");
        }
    }
}

#[test]
fn a_value_strata_cannot_honour_is_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = vec!["sse9".to_string(), String::new()];
    bad.extend(Kernels::ALL.iter().filter(|k| !k.supported()).map(|k| k.name().to_string()));
    for value in &bad {
        let o = strata(dir.path(), value, &["completions", "bash"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{value:?}: {err}");
        assert!(o.stdout.is_empty(), "{value:?}");
        assert_eq!(err.lines().count(), 1, "{value:?}: {err}");
        assert!(err.starts_with("error: STRATA_KERNELS=") && err.contains("(hint: "), "{value:?}: {err}");
    }
    for k in Kernels::available() {
        let o = strata(dir.path(), k.name(), &["completions", "bash"]);
        assert!(o.status.success(), "{k}: {}", String::from_utf8_lossy(&o.stderr));
    }
}
