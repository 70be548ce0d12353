//! `--multichannel` (issue 12, Kim's CNN-multichannel): the static copy of the vectors,
//! `embedding.static_weight`, leaves training bit for bit as loaded (from `--embeddings`, or
//! from an `--init-from` folder's embedding) while the trained copy moves; the saved model
//! predicts and explains; the flag is recorded; and without pretrained vectors it is refused
//! with one line.

mod common;

use common::{assert_user_error, corpus, Case};
use safetensors::SafeTensors;

/// Vectors of length 4 for every word of [`corpus`], each different.
fn vectors() -> Vec<(&'static str, [f32; 4])> {
    let words = [
        "great", "fine", "lovely", "superb", "awful", "poor", "dull", "weak", "the", "a", "movie", "was", "and",
        "plot", "it", "really",
    ];
    words
        .iter()
        .enumerate()
        .map(|(i, &w)| (w, [i as f32 * 0.1, 1.0 - i as f32 * 0.05, -0.3, 0.01 * i as f32]))
        .collect()
}

fn vectors_file() -> String {
    let v = vectors();
    let mut s = format!("{} 4\n", v.len());
    for (w, x) in v {
        s += &format!("{w} {}\n", x.map(|f| format!("{f:e}")).join(" "));
    }
    s
}

/// One small kim-cnn epoch on the corpus, with `extra` flags.
fn train(c: &Case, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["train", "--model", "kim-cnn", "--data", "data.tsv", "--out", out, "--epochs", "1"];
    args.extend_from_slice(&["--batch-size", "8", "--maxlen", "12", "--units", "4", "--early-stopping", "0"]);
    args.extend_from_slice(&["--validation-split", "0", "--embedding-dim", "4", "--threads", "2", "--seed", "3"]);
    args.extend_from_slice(extra);
    c.run(&args)
}

/// Tensor `name` of a run's model as floats, with its shape.
fn tensor(c: &Case, run: &str, name: &str) -> (Vec<f32>, Vec<usize>) {
    let bytes = std::fs::read(c.path(run).join("model/model.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let t = st.tensor(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let floats = t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    (floats, t.shape().to_vec())
}

/// Row of `word` (by the run's saved vocabulary) in a `[V, 4]` table; `None` for a word the
/// corpus lacks.
fn row<'a>(c: &Case, run: &str, table: &'a [f32], word: &str) -> Option<&'a [f32]> {
    let vocab: serde_json::Value = serde_json::from_str(&c.read(&format!("{run}/model/vocab.json"))).unwrap();
    let i = vocab["word_index"][word].as_u64()? as usize;
    Some(&table[i * 4..(i + 1) * 4])
}

fn case() -> Case {
    let c = Case::new();
    c.write("data.tsv", corpus(80).as_bytes());
    c.write("vec.txt", vectors_file().as_bytes());
    c
}

#[test]
fn the_static_copy_keeps_the_loaded_vectors_while_the_trained_copy_moves() {
    let c = case();
    let o = train(&c, "run", &["--embeddings", "vec.txt", "--multichannel"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let (fixed, shape) = tensor(&c, "run", "embedding.static_weight");
    let (trained, trained_shape) = tensor(&c, "run", "embedding.weight");
    assert_eq!(shape, trained_shape);
    let (mut found, mut moved) = (0, 0);
    for (word, v) in vectors() {
        let bits = |x: &[f32]| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        let Some(fixed_row) = row(&c, "run", &fixed, word) else { continue };
        assert_eq!(bits(fixed_row), bits(&v), "{word}: the static copy is the file's, bit for bit");
        found += 1;
        moved += usize::from(row(&c, "run", &trained, word) != Some(&v[..]));
    }
    assert!(found >= 12, "{found} of the file's words are in the vocabulary");
    assert_eq!(moved, found, "the trained copy learned: every row moved");
    // rows the file lacks start from the same random init in both copies; the last id is no
    // word of this small corpus, so no step touched it
    let last = fixed.len() - 4;
    assert_eq!(&fixed[last..], &trained[last..], "an untouched row: both copies from the same init");
    // recorded in config.json and run.toml
    let config: serde_json::Value = serde_json::from_str(&c.read("run/model/config.json")).unwrap();
    assert_eq!(config["model"]["multichannel"], true, "{config}");
    assert!(c.read("run/run.toml").contains("multichannel = true"));
    // the folder predicts, tests and explains
    c.write("texts.txt", b"a great movie\nan awful plot\n");
    let p = c.run(&["predict", "--model", "run", "texts.txt"]);
    assert!(p.status.success(), "{}", common::stderr(&p));
    assert_eq!(String::from_utf8_lossy(&p.stdout).lines().count(), 2);
    let t = c.run(&["test", "--model", "run", "--data", "data.tsv", "--json"]);
    assert!(t.status.success(), "{}", common::stderr(&t));
    let e = c.run(&["explain", "--model", "run", "a great movie"]);
    assert!(e.status.success(), "{}", common::stderr(&e));
}

#[test]
fn freezing_the_embedding_keeps_both_copies() {
    let c = case();
    let o = train(&c, "run", &["--embeddings", "vec.txt", "--multichannel", "--freeze", "embedding"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let (fixed, _) = tensor(&c, "run", "embedding.static_weight");
    let (trained, _) = tensor(&c, "run", "embedding.weight");
    assert_eq!(fixed, trained);
}

#[test]
fn init_from_fills_the_static_copy_from_the_folder_embedding() {
    let c = case();
    write_texts(&c);
    let pre = ["pretrain", "--data", "text.txt", "--out", "pre", "--objective", "skipgram", "--embedding-dim", "4"];
    let o = c.run(&[&pre[..], &["--min-count", "1", "--threads", "2"]].concat());
    assert!(o.status.success(), "{}", common::stderr(&o));
    let o = train(&c, "two", &["--init-from", "pre", "--multichannel"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let (source, _) = tensor(&c, "pre", "embedding.weight");
    let (fixed, _) = tensor(&c, "two", "embedding.static_weight");
    let (trained, _) = tensor(&c, "two", "embedding.weight");
    assert_eq!(fixed, source, "the static copy is the folder's embedding, bit for bit");
    assert_ne!(trained, source, "the trained copy moved");
    // a multichannel folder gives its own static copy, not its trained one
    let o = train(&c, "three", &["--init-from", "two", "--multichannel"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_eq!(tensor(&c, "three", "embedding.static_weight").0, fixed);
    // a single-channel classifier's lowest level reads E values, not 2E: one line that says so
    let o = train(&c, "single", &["--embeddings", "vec.txt"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let o = train(&c, "four", &["--init-from", "single", "--multichannel"]);
    assert_user_error(&o, &["conv1d_0", "multichannel model's lowest level reads both copies"]);
}

/// `text.txt`: the corpus's texts without labels, for `strata pretrain`.
fn write_texts(c: &Case) {
    let labelled = corpus(80);
    let texts: Vec<&str> = labelled.lines().map(|l| l.split_once('\t').unwrap().1).collect();
    c.write("text.txt", texts.join("\n").as_bytes());
}

/// An experiment on the corpus, 2 folds of one small epoch, with `extra` flags (the model and
/// schedules among them), into `out`.
fn experiment(c: &Case, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["experiment", "--data", "data.tsv", "--folds", "2", "--out", out, "--epochs", "1"];
    args.extend_from_slice(&["--batch-size", "8", "--maxlen", "12", "--units", "4", "--embedding-dim", "4"]);
    args.extend_from_slice(&["--threads", "2", "--no-probes"]);
    args.extend_from_slice(extra);
    c.run(&args)
}

#[test]
fn a_folder_whose_levels_read_another_channel_count_is_refused_before_any_work() {
    // fix-round points 1, 2, 3 and 6: refused before the language model fine-tunes, with a hint
    // that names what fits (either way round), and nothing left in --out
    let c = case();
    write_texts(&c);
    let mut pre = vec!["pretrain", "--data", "text.txt", "--out", "pb", "--objective", "both", "--min-count", "1"];
    pre.extend_from_slice(&["--embedding-dim", "4", "--units", "4", "--sg-epochs", "1", "--epochs", "1"]);
    pre.extend_from_slice(&["--bptt", "10", "--batch-size", "4", "--samples", "32", "--threads", "2"]);
    let o = c.run(&pre);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let seed = |out: &str, extra: &[&str]| {
        let mut args = vec!["train", "--model", "seed", "--data", "data.tsv", "--out", out, "--epochs", "1"];
        args.extend_from_slice(&["--units", "4", "--embedding-dim", "4", "--maxlen", "12", "--init-from", "pb"]);
        args.extend_from_slice(&["--validation-split", "0", "--early-stopping", "0", "--threads", "2"]);
        args.extend_from_slice(extra);
        c.run(&args)
    };
    // 1: ulmfit's language model reads one copy of the embedding
    let o = seed("u", &["--multichannel", "--schedule", "ulmfit"]);
    assert_user_error(&o, &["--multichannel", "ulmfit", "leave out --multichannel"]);
    assert!(!common::stderr(&o).contains("Language model"), "{}", common::stderr(&o));
    assert!(!c.path("u").exists(), "6: nothing written on refusal");
    let o = experiment(&c, "eu", &["--model", "seed", "--multichannel", "--init-from", "pb", "--schedules", "ulmfit"]);
    assert_user_error(&o, &["--multichannel", "ulmfit"]);
    assert!(!c.path("eu").exists());
    // 2: pb's lstm_0 reads one channel; the hint says what does fit, not "a pretrained folder"
    let o = seed("m", &["--multichannel"]);
    let want = ["pb: tensor lstm_0.kernel is [4, 16] there and [8, 16]", "`strata pretrain --objective skipgram`"];
    assert_user_error(&o, &[want[0], want[1], "a multichannel model, or leave out --multichannel"]);
    assert!(!c.path("m").exists(), "6: nothing written on refusal");
    let o =
        experiment(&c, "em", &["--model", "seed", "--multichannel", "--init-from", "pb", "--schedules", "end-to-end"]);
    assert_user_error(&o, &want);
    assert!(!c.path("em").exists(), "6: nothing written on refusal");
    // 3: a multichannel folder into one channel says so
    let o = train(&c, "m1", &["--embeddings", "vec.txt", "--multichannel"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let o = train(&c, "one", &["--init-from", "m1"]);
    assert_user_error(&o, &["conv1d_0", "m1 is a multichannel model", "add --multichannel"]);
    assert!(!c.path("one").exists(), "6: nothing written on refusal");
    let o = experiment(&c, "e1", &["--model", "kim-cnn", "--init-from", "m1", "--schedules", "end-to-end"]);
    assert_user_error(&o, &["conv1d_0", "m1 is a multichannel model", "add --multichannel"]);
    assert!(!c.path("e1").exists());
}

#[test]
fn an_experiment_records_multichannel_in_its_results() {
    let c = case();
    let mut args = vec!["experiment", "--model", "kim-cnn", "--data", "data.tsv", "--folds", "2", "--out", "exp"];
    args.extend_from_slice(&["--epochs", "1", "--batch-size", "8", "--maxlen", "12", "--units", "4"]);
    args.extend_from_slice(&["--embeddings", "vec.txt", "--multichannel", "--threads", "2", "--no-probes"]);
    let o = c.run(&args);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let results: serde_json::Value = serde_json::from_str(&c.read("exp/results.json")).unwrap();
    assert_eq!(results["multichannel"], true, "{results}");
    // and both pages say so outside the command line (fix-round point 4)
    let md = c.read("exp/report.md");
    assert!(md.split("| schedule |").next().unwrap().contains("Embedding: multichannel"), "{md}");
    assert!(c.read("exp/report/index.html").contains("<p id=\"multichannel\">"));
}

#[test]
fn multichannel_without_pretrained_vectors_is_refused() {
    let c = case();
    let o = train(&c, "run", &["--multichannel"]);
    assert_user_error(&o, &["--multichannel", "--embeddings", "--init-from"]);
    assert!(!c.path("run").exists());
    let o = c.run(&["cv", "--model", "kim-cnn", "--data", "data.tsv", "--folds", "2", "--multichannel"]);
    assert_user_error(&o, &["--multichannel"]);
    let o = c.run(&["train", "--model", "linear", "--data", "data.tsv", "--out", "lin", "--multichannel"]);
    assert_user_error(&o, &["--multichannel", "--model linear"]);
}
