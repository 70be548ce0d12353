//! `strata experiment --multi-label` (issue 15, point 2): the linear baseline and a network
//! schedule trained multi-label on `cv --multi-label`'s folds, results.json carrying the
//! multi-label figures of every row (the baseline first, every other row paired with it on
//! micro F1), report.md and the HTML page showing them; bad multi-label input and what
//! multi-label training does not build are one line with a hint and exit 2, before `--out`.

mod common;

use common::{assert_user_error, stderr, Case};
use serde_json::Value;

const TOPICS: [(&str, [&str; 3]); 4] = [
    ("sport", ["goal", "match", "team"]),
    ("money", ["bank", "price", "stock"]),
    ("food", ["bread", "soup", "cheese"]),
    ("travel", ["train", "hotel", "beach"]),
];

/// `n` TSV lines `labels<TAB>text`, the labels joined by `,`: two or three of the four topics
/// a text (in turn), each with one of its cue words among filler words.
fn tsv(n: usize) -> String {
    let sets: [&[usize]; 8] = [&[0, 1], &[2, 3], &[0, 2, 3], &[1, 3], &[0, 3], &[1, 2, 3], &[0, 2], &[0, 1, 2]];
    let filler = ["the", "a", "today", "was", "and", "then", "it", "very", "so", "we"];
    (0..n)
        .map(|i| {
            let set = sets[i % sets.len()];
            let mut words: Vec<&str> = (0..4).map(|k| filler[(i * 7 + k * 3) % filler.len()]).collect();
            for (j, &t) in set.iter().enumerate() {
                words.insert((i + j) % words.len(), TOPICS[t].1[(i / 8 + j) % 3]);
            }
            let labels: Vec<&str> = set.iter().map(|&t| TOPICS[t].0).collect();
            format!("{}\t{}\n", labels.join(","), words.join(" "))
        })
        .collect()
}

const MULTI: &[&str] = &["--multi-label", "--label-sep", ","];

const SEED: &[&str] = &[
    "--model",
    "seed",
    "--schedules",
    "end-to-end",
    "--maxlen",
    "12",
    "--epochs",
    "2",
    "--batch-size",
    "16",
    "--threads",
    "2",
    "--seed",
    "3",
];

fn ok(o: std::process::Output) -> String {
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn experiment(c: &Case, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["experiment", "--data", "a.tsv", "--folds", "3", "--out", "ex"];
    args.extend(MULTI);
    args.extend(SEED);
    args.extend(extra);
    c.run(&args)
}

#[test]
fn experiment_compares_linear_and_seed_on_the_multi_label_figures() {
    let c = Case::new();
    c.write("a.tsv", tsv(240).as_bytes());
    let printed: Value = serde_json::from_str(&ok(experiment(&c, &["--json"]))).unwrap();
    let r: Value = serde_json::from_str(&c.read("ex/results.json")).unwrap();
    assert_eq!(printed, r, "--json prints results.json");
    let table = &r["multi_label"];
    assert_eq!(table["labels"], 4, "{table}");
    assert_eq!(table["split_names"].as_array().unwrap().len(), 3);
    let rows = table["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|row| row["model"].as_str().unwrap()).collect();
    assert_eq!(names, ["linear (baseline)", "end-to-end"]);
    assert_eq!(r["schedules"][0]["baseline"], true, "the baseline is row 1");
    assert_eq!(rows[0]["baseline"], true);
    for (i, row) in rows.iter().enumerate() {
        let splits = row["per_split"].as_array().unwrap();
        assert_eq!(splits.len(), 3, "{row}");
        for key in ["micro_f1", "macro_f1", "hamming_loss", "subset_accuracy", "precision_at_1"] {
            for f in splits.iter().chain([&row["mean"], &row["std"]]) {
                let v = f[key].as_f64().unwrap_or(-1.0);
                assert!((0.0..=1.0).contains(&v), "{key} of {}: {f}", names[i]);
            }
        }
        // the schedules' scores per split are the headline, micro F1
        let micro: Vec<&Value> = splits.iter().map(|f| &f["micro_f1"]).collect();
        let scores: Vec<&Value> = r["schedules"][i]["split_accuracy"].as_array().unwrap().iter().collect();
        assert_eq!(micro, scores, "{}", names[i]);
    }
    assert!(rows[0]["vs_baseline"].is_null());
    let vs = &rows[1]["vs_baseline"];
    let count = |k: &str| vs[k].as_u64().unwrap();
    assert_eq!(count("wins") + count("ties") + count("losses"), 3, "{vs}");
    assert!(vs["sign_test_p"].as_f64().unwrap() >= 0.25, "three folds cannot reach below 1/4: {vs}");
    let diffs: Vec<f64> = vs["differences"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap()).collect();
    let mean = diffs.iter().sum::<f64>() / 3.0;
    assert!((mean - vs["mean"].as_f64().unwrap()).abs() < 1e-12);
    assert!(rows[0]["mean"]["micro_f1"].as_f64().unwrap() > 0.9, "the cue words are learnable: {}", rows[0]);
    let md = c.read("ex/report.md");
    for needle in
        ["micro F1 (mean ± std)", "## Multi-label figures", "| linear (baseline) |", "sign p =", "Hamming loss"]
    {
        assert!(md.contains(needle), "{needle}:\n{md}");
    }
    let page = c.read("ex/report/index.html");
    assert!(page.contains("id=\"multi-label-table\"") && page.contains("subset accuracy"), "{page}");
}

/// The baseline row repeats `cv --multi-label --model linear` under the same seed: the same
/// folds, validation parts and thresholds.
#[test]
fn the_baseline_scores_what_cv_multi_label_scores_on_the_same_folds() {
    let c = Case::new();
    c.write("a.tsv", tsv(150).as_bytes());
    let r: Value = serde_json::from_str(&ok(experiment(&c, &["--json"]))).unwrap();
    let mut cv = vec!["cv", "--data", "a.tsv", "--folds", "3", "--model", "linear", "--threads", "2", "--seed", "3"];
    cv.extend(["--validation-split", "0.1"]);
    cv.extend(MULTI);
    cv.push("--json");
    let cv: Value = serde_json::from_str(&ok(c.run(&cv))).unwrap();
    let ours: Vec<&Value> = r["multi_label"]["rows"][0]["per_split"].as_array().unwrap().iter().collect();
    for (fold, theirs) in cv["folds"].as_array().unwrap().iter().enumerate() {
        for key in ["micro_f1", "macro_f1", "hamming_loss", "subset_accuracy", "precision_at_1"] {
            assert_eq!(ours[fold][key], theirs[key], "fold {} {key}", fold + 1);
        }
    }
}

#[test]
fn bad_multi_label_input_and_what_is_not_built_are_one_line_before_out() {
    let c = Case::new();
    c.write("bad.tsv", b"sport,money\tgoal bank\nfood,travel\tbread hotel\nsport,,food\tgoal soup\n");
    let mut args = vec!["experiment", "--data", "bad.tsv", "--folds", "2", "--out", "ex"];
    args.extend(MULTI);
    args.extend(SEED);
    assert_user_error(&c.run(&args), &["bad.tsv:3:", "empty label"]);
    assert!(!c.path("ex").exists(), "nothing is written for an experiment that cannot start");
    c.write("a.tsv", tsv(24).as_bytes());
    let refused = |extra: &[&str], says: &[&str]| {
        assert_user_error(&experiment(&c, extra), says);
        assert!(!c.path("ex").exists(), "nothing is written for an experiment that cannot start");
    };
    refused(&["--schedules", "ulmfit"], &["ulmfit"]);
    refused(&["--class-weight", "balanced"], &["--class-weight"]);
    refused(&["--label-path-sep", "/"], &["label trees"]);
    refused(&["--threshold", "1.5"], &["--threshold 1.5"]);
    // three texts in two folds leave one text to train on: it trains, nothing panics
    c.write("tiny.tsv", b"a,b\tx y\nb,c\ty z\na,c\tx z\n");
    let mut args = vec!["experiment", "--data", "tiny.tsv", "--folds", "2", "--out", "tiny", "--epochs", "1"];
    args.extend(MULTI);
    let o = c.run(&args);
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    // several labels a text without --multi-label: the reader's line names the flag
    let o = c.run(&["experiment", "--data", "a.tsv", "--folds", "3", "--out", "ex", "--label-sep", ","]);
    assert_user_error(&o, &["--label-sep", "--multi-label"]);
    c.write("b.txt", b"__label__sport __label__money goal bank\n__label__food bread\n");
    let o = c.run(&["experiment", "--data", "b.txt", "--folds", "2", "--out", "ex", "--epochs", "1"]);
    assert_user_error(&o, &["b.txt:1:", "--multi-label"]);
    assert!(!c.path("ex").exists());
}
