//! `--mask-padding` and `--bucket-by-length` (issue 14, points 1–6) from the command line, on a
//! few hundred lines of ragged length: cv runs every recurrent model with both and records them;
//! the same seed gives the same bytes; the linear model refuses them with one line; a model
//! trained with `--mask-padding` says so in config.json and predicts a text the same alone and
//! among long texts; the share of real tokens is printed.

mod common;

use common::{assert_ok, assert_user_error, stderr, Case};

/// `n` labelled lines of 1 to 20 words (label 1 iff a "good" word is in the text), so that a
/// `--maxlen 24` batch is mostly padding unless it is cut.
fn ragged_corpus(n: usize) -> String {
    let (good, bad) = (["great", "fine", "lovely", "superb"], ["awful", "poor", "dull", "weak"]);
    let filler = ["the", "a", "movie", "was", "and", "plot", "it", "really"];
    (0..n)
        .map(|i| {
            let word = if i % 2 == 1 { good[i % 4] } else { bad[(i / 2) % 4] };
            let len = (i * 7) % 20;
            let mut words: Vec<&str> = (0..len).map(|k| filler[(i * 5 + k * 3) % filler.len()]).collect();
            words.insert(i % (len + 1), word);
            format!("{}\t{}\n", i % 2, words.join(" "))
        })
        .collect()
}

/// The small flags every run here shares.
const SMALL: &[&str] = &[
    "--maxlen",
    "24",
    "--num-words",
    "60",
    "--units",
    "4",
    "--embedding-dim",
    "6",
    "--threads",
    "2",
    "--epochs",
    "1",
    "--batch-size",
    "16",
    "--early-stopping",
    "0",
];

fn case() -> Case {
    let c = Case::new();
    c.write("data.tsv", ragged_corpus(300).as_bytes());
    c
}

fn with(base: &[&str], extra: &[&str]) -> Vec<String> {
    base.iter().chain(SMALL).chain(extra).map(|s| s.to_string()).collect()
}

fn run(c: &Case, args: &[String]) -> std::process::Output {
    c.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The `padding:` note's two shares, in percent.
fn shares(err: &str) -> (f64, f64) {
    let line = err.lines().find(|l| l.contains("padding: ")).unwrap_or_else(|| panic!("no padding note: {err}"));
    let pcts: Vec<f64> = line.split('%').filter_map(|p| p.rsplit(' ').next()?.parse().ok()).collect();
    assert_eq!(pcts.len(), 2, "{line}");
    assert!(line.contains("of the computed steps were real tokens") && line.contains("without bucketing"), "{line}");
    (pcts[0], pcts[1])
}

#[test]
fn cv_masks_and_buckets_every_recurrent_model_and_records_both_flags() {
    // issue 14 point 6: the smoke test of both flags on every recurrent model
    let c = case();
    for model in ["seed", "gru", "bilstm", "han"] {
        let mut extra = vec!["--model", model, "--folds", "2", "--json", "--mask-padding", "--bucket-by-length"];
        if model == "han" {
            extra.extend_from_slice(&["--max-sentences", "2"]);
        }
        let o = run(&c, &with(&["cv", "--data", "data.tsv"], &extra));
        assert_ok(&o);
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
        assert_eq!((&report["mask_padding"], &report["bucket_by_length"]), (&true.into(), &true.into()), "{model}");
        let steps = &report["padding_steps"];
        let (real, computed, uncut) =
            (steps["real"].as_u64().unwrap(), steps["computed"].as_u64().unwrap(), steps["uncut"].as_u64().unwrap());
        assert!(0 < real && real <= computed && computed < uncut, "{model}: {steps}");
        let (cut, full) = shares(&stderr(&o));
        assert!(cut > full, "{model}: bucketing raises the share of real tokens: {cut} vs {full}");
        assert!(report["folds"].as_array().unwrap().iter().all(|f| f["accuracy"].as_f64().is_some()), "{report}");
    }
    // without the flags: nothing said, nothing recorded
    let o = run(&c, &with(&["cv", "--data", "data.tsv"], &["--folds", "2", "--json"]));
    assert_ok(&o);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(report.get("mask_padding").is_none() && report.get("padding_steps").is_none(), "{report}");
    assert!(!stderr(&o).contains("padding: "), "{}", stderr(&o));
    // the text line names them
    let o = run(&c, &with(&["cv", "--data", "data.tsv"], &["--folds", "2", "--bucket-by-length"]));
    assert_ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(", --bucket-by-length)") && !out.contains("--mask-padding"), "{out}");
}

#[test]
fn the_same_seed_gives_the_same_bytes_with_both_flags() {
    let c = case();
    let train = |out: &str, extra: &[&str]| {
        let o = run(&c, &with(&["train", "--data", "data.tsv", "--out", out, "--seed", "4"], extra));
        assert_ok(&o);
        std::fs::read(c.path(out).join("model/model.safetensors")).unwrap()
    };
    let flags = ["--mask-padding", "--bucket-by-length"];
    let first = train("a", &flags);
    assert_eq!(first, train("b", &flags), "the same seed twice");
    // bucketing changes the batches: a plain run ends elsewhere
    assert_ne!(first, train("plain", &[]));
}

#[test]
fn train_records_both_flags_and_the_model_keeps_mask_padding() {
    // issue 14 points 1, 2, 4: run.toml, config.json, metrics.json and the note
    let c = case();
    let o = run(
        &c,
        &with(&["train", "--data", "data.tsv", "--out", "run"], &["--mask-padding", "--bucket-by-length", "--json"]),
    );
    assert_ok(&o);
    let toml = c.read("run/run.toml");
    assert!(toml.contains("mask_padding = true") && toml.contains("bucket_by_length = true"), "{toml}");
    let config: serde_json::Value = serde_json::from_str(&c.read("run/model/config.json")).unwrap();
    assert_eq!(config["model"]["mask_padding"], true, "{config}");
    let metrics: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let steps = &metrics["padding_steps"];
    assert!(steps["computed"].as_u64() < steps["uncut"].as_u64(), "{metrics}");
    let (cut, full) = shares(&stderr(&o));
    assert!(cut > full, "{cut} vs {full}");
    // without them, as before: nothing written, nothing said
    let o = run(&c, &with(&["train", "--data", "data.tsv", "--out", "plain"], &[]));
    assert_ok(&o);
    let toml = c.read("plain/run.toml");
    assert!(!toml.contains("mask_padding") && !toml.contains("bucket_by_length"), "{toml}");
    assert!(!c.read("plain/model/config.json").contains("mask_padding"));
    assert!(!stderr(&o).contains("padding: "), "{}", stderr(&o));
}

#[test]
fn the_linear_model_refuses_both_flags_with_one_line() {
    let c = case();
    for flag in ["--mask-padding", "--bucket-by-length"] {
        let o = c.run(&["train", "--model", "linear", "--data", "data.tsv", "--out", "run", flag]);
        assert_user_error(&o, &[flag, "--model linear", "nothing is padded"]);
        assert!(!c.path("run").exists(), "refused before --out is claimed");
    }
}

#[test]
fn a_model_without_recurrent_layers_says_masking_changes_nothing() {
    let c = case();
    let o = run(&c, &with(&["train", "--data", "data.tsv", "--out", "cnn"], &["--model", "kim-cnn", "--mask-padding"]));
    assert_ok(&o);
    let err = stderr(&o);
    assert!(err.contains("--mask-padding changes nothing in kim-cnn's layers"), "{err}");
    // and the convolution's batches are not cut for it: no share to report
    assert!(!err.contains("padding: "), "{err}");
    let o = run(&c, &with(&["train", "--data", "data.tsv", "--out", "rnn"], &["--mask-padding"]));
    assert!(!stderr(&o).contains("changes nothing"), "{}", stderr(&o));
}

#[test]
fn bucketing_a_recurrent_model_without_masking_says_what_prediction_reads() {
    // MR, 1 epoch, 10 folds: 66.9% bucketed alone against 75.9% plain and 75.5% with both
    // flags — the LSTM trained on cut batches predicts over every padded step
    let c = case();
    let o = run(&c, &with(&["train", "--data", "data.tsv", "--out", "b"], &["--bucket-by-length"]));
    assert_ok(&o);
    assert!(stderr(&o).contains("--bucket-by-length without --mask-padding"), "{}", stderr(&o));
    let o =
        run(&c, &with(&["train", "--data", "data.tsv", "--out", "both"], &["--bucket-by-length", "--mask-padding"]));
    assert!(!stderr(&o).contains("without --mask-padding"), "{}", stderr(&o));
    let o =
        run(&c, &with(&["train", "--data", "data.tsv", "--out", "cnn"], &["--bucket-by-length", "--model", "kim-cnn"]));
    assert!(!stderr(&o).contains("without --mask-padding"), "{}", stderr(&o));
}

/// Trains `extra`'s model with `--mask-padding` and predicts "great movie" alone and beside
/// long texts (one inference batch of mixed lengths); returns both outputs.
fn alone_and_among_long_texts(c: &Case, out: &str, extra: &[&str]) -> (String, String) {
    let mut flags = vec!["--mask-padding", "--seed", "2"];
    flags.extend_from_slice(extra);
    assert_ok(&run(c, &with(&["train", "--data", "data.tsv", "--out", out], &flags)));
    let long = "the movie was really the plot and it was a movie the plot was really it and a";
    c.write("alone.txt", b"great movie\n");
    c.write("among.txt", format!("{long}\ngreat movie\n{long} dull\n").as_bytes());
    let predict = |file: &str| {
        let o = c.run(&["predict", "--model", out, file, "--output-format", "jsonl"]);
        assert_ok(&o);
        String::from_utf8(o.stdout).unwrap()
    };
    let alone = predict("alone.txt");
    let among = predict("among.txt");
    (alone.lines().next().unwrap().to_string(), among.lines().nth(1).unwrap().to_string())
}

#[test]
fn a_masked_pooling_model_predicts_a_text_alone_as_among_long_texts() {
    // issue 14 point 3, through the CLI: pooling skips padding today, so this holds now
    let c = case();
    let layers = "[[layer]]\ntype = \"mean_pool\"\n\n[[layer]]\ntype = \"dense\"\nunits = 5\nactivation = \"tanh\"\n";
    c.write("pool.toml", layers.as_bytes());
    let (alone, among) = alone_and_among_long_texts(&c, "pool", &["--model-file", "pool.toml"]);
    assert_eq!(alone, among);
}

/// Needs the recurrent layers' masking (issue 14, helper "mask"): until then an LSTM computes
/// the padding its batch has, and the two batches are cut to different lengths.
#[test]
fn a_masked_lstm_predicts_a_text_alone_as_among_long_texts() {
    let c = case();
    let (alone, among) = alone_and_among_long_texts(&c, "seed", &[]);
    assert_eq!(alone, among);
}

#[test]
fn experiment_and_tune_take_both_flags_and_record_them() {
    // issue 14 points 1-2: results.json, report.md and the HTML name them; tune's best model
    // keeps mask_padding
    let c = case();
    let exp = ["experiment", "--data", "data.tsv", "--out", "exp", "--folds", "2", "--schedules", "end-to-end"];
    let o = run(&c, &with(&exp, &["--baseline", "none", "--mask-padding", "--bucket-by-length"]));
    assert_ok(&o);
    let results: serde_json::Value = serde_json::from_str(&c.read("exp/results.json")).unwrap();
    assert_eq!(
        (&results["config"]["mask_padding"], &results["config"]["bucket_by_length"]),
        (&true.into(), &true.into())
    );
    assert!(c.read("exp/report.md").contains("Padding: masked (--mask-padding)"));
    assert!(c.read("exp/report/index.html").contains("<p id=\"padding\">"));
    let tune = ["tune", "--data", "data.tsv", "--out", "tuned", "--budget", "30", "--max-trials", "1"];
    let o = run(&c, &with(&tune, &["--mask-padding", "--bucket-by-length"]));
    assert_ok(&o);
    let config: serde_json::Value = serde_json::from_str(&c.read("tuned/model/config.json")).unwrap();
    assert_eq!(config["model"]["mask_padding"], true, "{config}");
}
