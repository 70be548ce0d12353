//! Pinned numbers: every named model and a model file with every layer type, trained for one
//! epoch on a tiny fixed corpus with a fixed seed and thread count, must write exactly the
//! bytes they wrote before (SHA-256 of `model.safetensors` and `history.csv`), and a model
//! folder written by an earlier strata must still load and predict as it did.
//!
//! These guard refactors that promise "nothing changes in behaviour" (issue 10). A change that
//! is meant to change the numbers updates the pins in the same commit and says why. The pins
//! hold for the AVX2+FMA kernels on x86_64 (what strata's machines and CI have); elsewhere
//! different kernels round differently and the test says so and skips.

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

fn strata(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_strata")).current_dir(dir).args(args).output().unwrap()
}

fn kernels_match_the_pins() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return true;
        }
    }
    eprintln!("skipped: the pins are for x86_64 with AVX2+FMA; this CPU runs other kernels");
    false
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A tiny corpus of three classes; sentences end with '.', so the hierarchical models see
/// several per text. `classes` 2 keeps the first two.
fn corpus(n: usize, classes: usize) -> String {
    let cue = [["great", "fine", "lovely"], ["awful", "poor", "dull"], ["odd", "strange", "weird"]];
    let filler = ["the", "a", "movie", "was", "and", "plot", "it", "really", "so"];
    (0..n)
        .map(|i| {
            let label = i % classes;
            let mut words: Vec<&str> = (0..(4 + i % 7)).map(|k| filler[(i * 5 + k * 3) % filler.len()]).collect();
            words.insert(i % words.len(), cue[label][(i / classes) % 3]);
            words.insert((i * 3) % words.len(), ".");
            format!("{label}\t{} .\n", words.join(" ").replace(" .", "."))
        })
        .collect()
}

/// (name, model flags, classes). The model files together hold every layer type.
const MODELS: &[(&str, &[&str], usize)] = &[
    ("seed", &["--model", "seed"], 2),
    ("seed-stacked", &["--model", "seed-stacked"], 2),
    ("gru", &["--model", "gru"], 3),
    ("bilstm", &["--model", "bilstm"], 2),
    ("kim-cnn", &["--model", "kim-cnn", "--filters", "4"], 3),
    ("han", &["--model", "han", "--maxlen", "4", "--max-sentences", "3"], 2),
    ("file-hierarchical", &["--model-file", "hier.toml", "--maxlen", "4", "--max-sentences", "3"], 3),
    ("file-flat", &["--model-file", "flat.toml"], 2),
    ("file-pools", &["--model-file", "pools.toml"], 3),
];

const HIER_TOML: &str = r#"
[[layer]]
type = "lstm"
units = 4
bidirectional = true
[[layer]]
type = "attention"
dim = 5
[[layer]]
type = "sentences"
count = 3
[[layer]]
type = "gru"
units = 4
[[layer]]
type = "dense"
units = 6
activation = "tanh"
[[layer]]
type = "dropout"
rate = 0.3
[[layer]]
type = "dense"
units = 3
activation = "linear"
"#;

const FLAT_TOML: &str = r#"
embedding_init = 0.1
[[layer]]
type = "gru"
units = 3
bidirectional = true
[[layer]]
type = "conv1d"
filters = 3
widths = [2, 3]
[[layer]]
type = "dropout"
rate = 0.5
[[layer]]
type = "dense"
units = 5
"#;

const POOLS_TOML: &str = r#"
[[layer]]
type = "lstm"
units = 4
[[layer]]
type = "lstm"
units = 3
[[layer]]
type = "max_pool"
[[layer]]
type = "dense"
units = 4
activation = "relu"
"#;

/// SHA-256 of (model.safetensors, history.csv) per model, written by the code before issue 10's
/// redesign.
#[rustfmt::skip] // one pin per line, as the test prints them
const PINS: &[(&str, &str, &str)] = &[
    (
        "seed",
        "f0ad4a1f8e92ea9fbbb92c5f03e8f0738fe64bc0a4ce382995dd4db5eb021361",
        "dd6cca8f28826df42691cac90b1a232824467345230f22fb886a5bb9b5c6577b",
    ),
    (
        "seed-stacked",
        "7d1053b1482d13d8d688c8656209cd5eaf0759ea7d7a87f8be6dc8c897becba1",
        "37aaab34348ef89cdf53bd4cb739c8f817fe2bc5da97c7eaf27330891432b193",
    ),
    (
        "gru",
        "0d2003f750ce85019332a6bb747dfd66a66998ebd6c1310a2fabae04725c352e",
        "773e57c9ff7534e3f89de04a742b6fda29d994d0400efc3c1fa9a82d4a080292",
    ),
    (
        "bilstm",
        "55c9fdeb033ac94300257d8e1fe0c96172f2fc5e33e1d1b4ada719aa23d4f3aa",
        "6630ad08944562a61b5207580cfad352cea323b0ce4931bd67a948c5a7953cfa",
    ),
    (
        "kim-cnn",
        "c2dfa1f6df27d3c5d60bdb40f71a3b3d6e456ab7f4888cd5013662b5ab231240",
        "df32df7fbb089a1b03ceacaac5285c6fa647cd113d770f6eebc9d3c811b1a68f",
    ),
    (
        "han",
        "1863e7f778db9906ffca4c3188b951bb544db3e06ccc0b541ffa959a45a0fbaf",
        "2801e512cece2ab2d0e04d63df320d4d02979bdaff33275b7d23a4380807d701",
    ),
    (
        "file-hierarchical",
        "b46d9f8bb5ac702fe5e8789c2144aa9f0d56c5fcd2f612c13fb1200612dbccda",
        "7a4f5a3050a700fc4e3a0c6fde7075def7843ebd12b8b3df652e4f9f8d187647",
    ),
    (
        "file-flat",
        "88694ae49e141271a439e62ba7d4ef61c7d0783f5a57c9535f06fa3bbd83445d",
        "6231afb46e6bc42f34f92d3aa4b615fc28470d11da3c024ddf76d845b56c3398",
    ),
    (
        "file-pools",
        "bb3fcdb346a2b3ab5399d69dc6d5a48661dfa1e06ebc31e542d0dac8f3048bb9",
        "6663a3a627110bbb70da8a31344a63111df1600233f4008e64f897f488a02a01",
    ),
];

#[test]
fn every_model_trains_to_its_pinned_bytes() {
    if !kernels_match_the_pins() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("hier.toml"), HIER_TOML).unwrap();
    std::fs::write(dir.join("flat.toml"), FLAT_TOML).unwrap();
    std::fs::write(dir.join("pools.toml"), POOLS_TOML).unwrap();
    std::fs::write(dir.join("two.tsv"), corpus(90, 2)).unwrap();
    std::fs::write(dir.join("three.tsv"), corpus(90, 3)).unwrap();
    let mut wrong = Vec::new();
    for &(name, flags, classes) in MODELS {
        let data = if classes == 2 { "two.tsv" } else { "three.tsv" };
        let mut args = vec!["train", "--data", data, "--out", name, "--epochs", "1", "--seed", "5", "--threads", "2"];
        args.extend(["--num-words", "40", "--embedding-dim", "6", "--units", "4"]);
        args.extend(["--batch-size", "16", "--validation-split", "0.2"]);
        args.extend_from_slice(flags);
        if !flags.contains(&"--maxlen") {
            args.extend(["--maxlen", "12"]);
        }
        let o = strata(dir, &args);
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        let run = dir.join(name);
        let got = (sha256(&run.join("model/model.safetensors")), sha256(&run.join("history.csv")));
        let pin = PINS.iter().find(|p| p.0 == name).expect("every model has a pin");
        if (pin.1, pin.2) != (got.0.as_str(), got.1.as_str()) {
            wrong.push(format!("    (\"{name}\", \"{}\", \"{}\"),", got.0, got.1));
        }
    }
    assert!(wrong.is_empty(), "the bytes changed; the pins they would need:\n{}", wrong.join("\n"));
}

/// A model folder written before the redesign (committed under tests/fixtures): it loads, and
/// its predictions are the ones it gave then.
#[test]
fn a_model_folder_from_before_still_loads_and_predicts_the_same() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/model-before-issue-10");
    let tmp = tempfile::tempdir().unwrap();
    let input =
        "the plot was great. it was so lovely.\nawful. really dull and poor.\nodd movie.\nthe weird film was fine.\n";
    std::fs::write(tmp.path().join("in.txt"), input).unwrap();
    let o = strata(tmp.path(), &["predict", "--model", fixture.to_str().unwrap(), "--top-k", "3", "--json", "in.txt"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let expected = std::fs::read_to_string(fixture.join("../model-before-issue-10.predictions")).unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), expected);
}
