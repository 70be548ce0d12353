//! `strata pretrain --init-from DIR` (ULMFiT's second stage as a step of its own): a language
//! model continued on other text keeps the folder's vocabulary byte for byte (a fresh run on that
//! text would index it otherwise) and starts from every one of the folder's tensors, the output
//! layer included; a folder without the levels to continue, a classifier's folder and a flag that
//! would reshape the model are each one error line, refused before `--out` is claimed.

mod common;

use common::{assert_ok, assert_user_error, corpus, stderr, texts_of, Case};
use safetensors::SafeTensors;

/// A small language model (8-wide embedding and LSTM), fast enough for a second a run.
const SHAPE: &[&str] = &["--embedding-dim", "8", "--units", "8", "--num-words", "200", "--min-count", "1"];
const FAST: &[&str] = &["--samples", "32", "--bptt", "10", "--batch-size", "4", "--threads", "1", "--sg-epochs", "1"];

/// `u.txt`: the corpus's texts; `v.txt`: other text, whose word counts would give another
/// vocabulary (new words, the old ones in another order of frequency).
fn case() -> Case {
    let c = Case::new();
    c.write("u.txt", texts_of(&corpus(300)).as_bytes());
    let other: String = (0..200)
        .map(|i| format!("zebra quartz {} plot plot plot movie the\n", ["lovely", "dull", "wombat"][i % 3]))
        .collect();
    c.write("v.txt", other.as_bytes());
    c
}

fn run(c: &Case, args: &[&str], extra: &[&[&str]]) -> std::process::Output {
    let mut all = vec!["pretrain"];
    all.extend_from_slice(args);
    extra.iter().for_each(|e| all.extend_from_slice(e));
    c.run(&all)
}

/// name → (shape, values) of a folder's tensors.
fn tensors(c: &Case, folder: &str) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let bytes = std::fs::read(c.path(folder).join("model.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut v: Vec<_> = st
        .tensors()
        .into_iter()
        .map(|(n, t)| {
            let values = t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            (n, t.shape().to_vec(), values)
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn a_continued_language_model_keeps_the_vocabulary_and_starts_from_every_tensor() {
    let c = case();
    assert_ok(&run(&c, &["--data", "u.txt", "--out", "a", "--epochs", "1"], &[SHAPE, FAST]));
    // at a learning rate of 1e-9 one epoch moves no weight visibly: what the run saved is where
    // it started
    let o = run(&c, &["--init-from", "a", "--data", "v.txt", "--out", "b", "--epochs", "1", "--lr", "1e-9"], &[FAST]);
    assert_ok(&o);
    let err = stderr(&o);
    assert!(
        err.contains("Continuing a: loaded embedding, lstm_0, lm_decoder (the language model's output layer)"),
        "{err}"
    );
    assert_eq!(c.read("b/model/vocab.json"), c.read("a/model/vocab.json"), "the folder's vocabulary, kept");
    let (a, b) = (tensors(&c, "a/model"), tensors(&c, "b/model"));
    let names: Vec<&str> = b.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(names, a.iter().map(|t| t.0.as_str()).collect::<Vec<_>>());
    assert!(names.contains(&"lm_decoder.weight") && names.contains(&"lstm_0.kernel"), "{names:?}");
    for ((name, shape, x), (_, shape_b, y)) in a.iter().zip(&b) {
        assert_eq!(shape, shape_b, "{name}");
        let most = x.iter().zip(y).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
        assert!(most < 1e-5, "{name} moved by {most}: it did not start from the folder's");
    }
    let config: serde_json::Value = serde_json::from_str(&c.read("b/model/config.json")).unwrap();
    // recorded absolute (a --resume resolves it so, and must write the same record), at the
    // format version that has the field
    let recorded = std::path::PathBuf::from(config["init_from"].as_str().unwrap());
    assert!(recorded.is_absolute(), "{}", recorded.display());
    assert_eq!(std::fs::canonicalize(&recorded).unwrap(), std::fs::canonicalize(c.path("a")).unwrap());
    assert_eq!((config["objective"].as_str(), config["format_version"].as_u64()), (Some("lm"), Some(2)));
    let scratch: serde_json::Value = serde_json::from_str(&c.read("a/model/config.json")).unwrap();
    assert_eq!(scratch["format_version"].as_u64(), Some(1), "a folder from scratch keeps version 1");
    // the same text from scratch indexes its own words: the kept vocabulary was no coincidence
    assert_ok(&run(&c, &["--data", "v.txt", "--out", "fresh", "--epochs", "1"], &[SHAPE, FAST]));
    assert_ne!(c.read("fresh/model/vocab.json"), c.read("a/model/vocab.json"));
    // at the usual rate the continued model learns the new text: its perplexity on the same
    // held-out lines falls below the folder's own (b's, which barely moved)
    let perplexity = |folder: &str| config_perplexity(&c, folder);
    assert_ok(&run(&c, &["--init-from", "a", "--data", "v.txt", "--out", "c", "--epochs", "1"], &[FAST]));
    assert!(perplexity("c") < perplexity("b"), "{} vs {}", perplexity("c"), perplexity("b"));
}

fn config_perplexity(c: &Case, folder: &str) -> f64 {
    let config: serde_json::Value = serde_json::from_str(&c.read(&format!("{folder}/model/config.json"))).unwrap();
    config["lm"]["val_perplexity"].as_f64().unwrap()
}

#[test]
fn folders_without_the_levels_and_reshaping_flags_are_refused_before_any_work() {
    let c = case();
    let sg = run(&c, &["--data", "u.txt", "--out", "sg", "--objective", "skipgram"], &[SHAPE, FAST]);
    assert_ok(&sg);
    let o = run(&c, &["--init-from", "sg", "--data", "v.txt", "--out", "x", "--objective", "lm"], &[FAST]);
    assert_user_error(&o, &["sg: has no language model to continue", "lstm_0"]);
    // auto continues what the folder holds: the vectors
    let o = run(&c, &["--init-from", "sg", "--data", "v.txt", "--out", "y"], &[FAST]);
    assert_ok(&o);
    assert!(stderr(&o).contains("Continuing sg: loaded embedding;"), "{}", stderr(&o));
    c.write("l.tsv", corpus(60).as_bytes());
    let t =
        c.run(&["train", "--data", "l.tsv", "--out", "clf", "--epochs", "1", "--units", "4", "--embedding-dim", "4"]);
    assert_ok(&t);
    let o = run(&c, &["--init-from", "clf", "--data", "v.txt", "--out", "x"], &[FAST]);
    assert_user_error(&o, &["not a `strata pretrain` folder"]);
    let o = run(&c, &["--init-from", "sg", "--data", "v.txt", "--out", "x", "--num-words", "50"], &[FAST]);
    assert_user_error(&o, &["--num-words 50 differs from the tokenizer of sg"]);
    let o = run(&c, &["--init-from", "sg", "--data", "v.txt", "--out", "x", "--units", "9"], &[FAST]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
    assert!(!c.path("x").exists(), "nothing claimed");
}

#[test]
fn a_run_cannot_continue_its_own_output_nor_resume_on_a_changed_folder() {
    let c = case();
    assert_ok(&run(&c, &["--data", "u.txt", "--out", "a", "--epochs", "1"], &[SHAPE, FAST]));
    let before = c.read("a/model/config.json");
    let o = run(&c, &["--init-from", "a", "--data", "v.txt", "--out", "a", "--overwrite", "--epochs", "1"], &[FAST]);
    assert_user_error(&o, &["--init-from a is inside --out"]);
    assert_eq!(c.read("a/model/config.json"), before, "the folder it would start from is untouched");
    // the folder a run continued is one of its inputs: --resume refuses it changed
    assert_ok(&run(&c, &["--init-from", "a", "--data", "v.txt", "--out", "b", "--epochs", "1"], &[FAST]));
    let seed = ["--seed", "7", "--overwrite"];
    assert_ok(&run(&c, &["--data", "u.txt", "--out", "a", "--epochs", "1"], &[SHAPE, FAST, &seed]));
    assert_user_error(&c.run(&["pretrain", "--resume", "b"]), &["changed since the run in b started"]);
}

/// How far each tensor of `to` lies from the same tensor of `from`: name → the sum of |Δ|.
fn moved(from: &[(String, Vec<usize>, Vec<f32>)], to: &[(String, Vec<usize>, Vec<f32>)]) -> Vec<(String, f64)> {
    from.iter()
        .zip(to)
        .map(|((name, _, x), (_, _, y))| (name.clone(), x.iter().zip(y).map(|(p, q)| f64::from((p - q).abs())).sum()))
        .collect()
}

fn moved_of(m: &[(String, f64)], name: &str) -> f64 {
    m.iter().find(|(n, _)| n == name).map(|(_, d)| *d).unwrap_or_else(|| panic!("no tensor {name}"))
}

/// ULMFiT's rates for the language-model stage: `--lr-decay-per-level F` trains the embedding
/// below the top level at lr/F (it moves far less than at --lr, the top level about as far),
/// `--slanted-triangular-lr` gives other steps; both are said and recorded (at format_version
/// 2, from scratch too); a factor that is not a positive number, or either flag on a run that
/// trains no language model, is one error line, refused before --out is claimed.
#[test]
fn ulmfit_rates_slow_the_lower_levels_are_said_and_recorded() {
    let c = case();
    assert_ok(&run(&c, &["--data", "u.txt", "--out", "a", "--epochs", "1"], &[SHAPE, FAST]));
    let continued = |out: &str, extra: &[&str]| {
        let mut args = vec!["--init-from", "a", "--data", "v.txt", "--epochs", "2", "--lr", "0.01", "--out", out];
        args.extend_from_slice(extra);
        run(&c, &args, &[FAST])
    };
    assert_ok(&continued("plain", &[]));
    let o = continued("ulmfit", &["--lr-decay-per-level", "100", "--slanted-triangular-lr"]);
    assert_ok(&o);
    let err = stderr(&o);
    assert!(
        err.contains("Language model rates: lm_decoder and lstm_0 at 0.01, embedding at 1.000e-4 (÷ 100 a level down), slanted triangular"),
        "{err}"
    );
    let a = tensors(&c, "a/model");
    let (plain, ulmfit) = (moved(&a, &tensors(&c, "plain/model")), moved(&a, &tensors(&c, "ulmfit/model")));
    let ratio = |name: &str| moved_of(&ulmfit, name) / moved_of(&plain, name);
    assert!(
        ratio("embedding.weight") < 0.05,
        "the embedding at lr/100 moved {} of the plain run's",
        ratio("embedding.weight")
    );
    assert!(ratio("lstm_0.kernel") > 0.2, "the top level moved only {} of the plain run's", ratio("lstm_0.kernel"));
    let config: serde_json::Value = serde_json::from_str(&c.read("ulmfit/model/config.json")).unwrap();
    assert_eq!(config["format_version"].as_u64(), Some(2));
    assert_eq!(config["lm"]["lr_decay_per_level"].as_f64(), Some(100.0));
    assert_eq!(config["lm"]["slanted_triangular_lr"].as_bool(), Some(true));
    // the slanted rate alone: every level at --lr, other steps than the plain run's
    let o = continued("slanted", &["--slanted-triangular-lr"]);
    assert_ok(&o);
    assert!(stderr(&o).contains("Language model rates: every level at 0.01, slanted triangular"));
    assert_ne!(tensors(&c, "slanted/model"), tensors(&c, "plain/model"));
    let config: serde_json::Value = serde_json::from_str(&c.read("slanted/model/config.json")).unwrap();
    assert_eq!(config["lm"].get("lr_decay_per_level"), None, "recorded only when set");
    for bad in ["0", "-2.6", "NaN", "inf"] {
        let o = continued("x", &[&format!("--lr-decay-per-level={bad}")]);
        assert_user_error(&o, &["--lr-decay-per-level", "must be a positive number"]);
    }
    let scratch = |out: &str, objective: &str| {
        run(&c, &["--data", "u.txt", "--out", out, "--objective", objective, "--slanted-triangular-lr"], &[SHAPE, FAST])
    };
    let o = scratch("x", "skipgram");
    assert_user_error(&o, &["--slanted-triangular-lr sets the language model's rates"]);
    assert_eq!(stderr(&o).lines().count(), 1, "the error line alone: {}", stderr(&o));
    assert!(!c.path("x").exists(), "nothing claimed");
    assert_ok(&scratch("fresh", "lm"));
    let config: serde_json::Value = serde_json::from_str(&c.read("fresh/model/config.json")).unwrap();
    assert_eq!((config["format_version"].as_u64(), config.get("init_from")), (Some(2), None));
}
