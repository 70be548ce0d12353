//! `strata ensemble` and `strata cv --save-models` (issue 12's ensemble lever): an ensemble's
//! probabilities are the weighted mean of what its members' own `predict` prints; the folder is
//! self-contained and loads in predict, test and explain; tuned weights do at least as well as
//! equal ones on the tuning file; each fold cv saves scores on its test part what cv reported;
//! every bad input is one `error:` line with a hint and exit code 2.

mod common;

use common::{assert_ok, assert_user_error, corpus, stderr, Case, SMALL};
use serde_json::Value;

/// A network (1 epoch: weak) and a linear model trained on the same corpus, as `net` and `lin`.
fn two_members(c: &Case) {
    c.write("train.tsv", corpus(120).as_bytes());
    c.write("val.tsv", &corpus(160).as_bytes()[corpus(120).len()..]);
    let mut net = vec!["train", "--data", "train.tsv", "--out", "net", "--epochs", "1", "-q"];
    net.extend_from_slice(SMALL);
    assert_ok(&c.run(&net));
    assert_ok(&c.run(&[
        "train",
        "--data",
        "train.tsv",
        "--out",
        "lin",
        "--epochs",
        "3",
        "-q",
        "--model",
        "linear",
        "--buckets",
        "1000",
        "--dim",
        "8",
    ]));
}

/// Every label's probability for each line of `texts`, as `predict --json --top-k 2` prints it.
fn probabilities(c: &Case, model: &str) -> Vec<Vec<(String, f64)>> {
    let o = c.run(&["predict", "--model", model, "texts.txt", "--json", "--top-k", "2"]);
    assert_ok(&o);
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let mut p: Vec<(String, f64)> = v["top_k"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| (x["label"].as_str().unwrap().to_string(), x["score"].as_f64().unwrap()))
                .collect();
            p.sort_by(|a, b| a.0.cmp(&b.0));
            p
        })
        .collect()
}

fn accuracy(c: &Case, model: &str, data: &str) -> f64 {
    let o = c.run(&["test", "--model", model, "--data", data, "--json"]);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["accuracy"].as_f64().unwrap()
}

#[test]
fn the_ensemble_answers_the_weighted_mean_of_its_members_own_predictions() {
    let c = Case::new();
    two_members(&c);
    c.write("texts.txt", b"the movie was great\nawful plot really\nit was\nzzz unknown words\n");
    let o = c.run(&["ensemble", "--member", "net", "--member", "lin/model", "--weights", "3,1", "--out", "ens"]);
    assert_ok(&o);
    let (net, lin, ens) = (probabilities(&c, "net"), probabilities(&c, "lin"), probabilities(&c, "ens"));
    assert_eq!(ens.len(), 4);
    for ((a, b), e) in net.iter().zip(&lin).zip(&ens) {
        for ((la, pa), ((lb, pb), (le, pe))) in a.iter().zip(b.iter().zip(e)) {
            assert_eq!((la, lb), (le, le));
            assert!((pe - (0.75 * pa + 0.25 * pb)).abs() < 1e-5, "{le}: {pe} vs 0.75·{pa} + 0.25·{pb}");
        }
    }
    // the members differ, so the vote is neither of them
    assert_ne!(net, lin);

    // self-contained: the copies answer after the originals are gone
    std::fs::remove_dir_all(c.path("net")).unwrap();
    std::fs::remove_dir_all(c.path("lin")).unwrap();
    assert_eq!(probabilities(&c, "ens"), ens);
    let config: Value = serde_json::from_str(&c.read("ens/config.json")).unwrap();
    assert_eq!(config["format"], "ensemble");
    assert_eq!(config["members"][1]["architecture"], "linear");
    assert!(c.path("ens/member-0/model.safetensors").is_file() && c.path("ens/member-1/vocab.json").is_file());
    assert!(c.read("ens/README.md").contains("soft voting"), "the model card says what the model is");

    // test and explain load it like any model
    let o = c.run(&["test", "--model", "ens", "--data", "val.tsv", "--json"]);
    assert_ok(&o);
    let o = c.run(&["explain", "--model", "ens", "--json", "the movie was great"]);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let words: Vec<&str> = v["tokens"].as_array().unwrap().iter().map(|t| t["token"].as_str().unwrap()).collect();
    assert_eq!(words, ["the", "movie", "was", "great"]);
    assert!(v["tokens"][3]["occlusion"].as_f64().unwrap() != 0.0, "{v}");

    // what only a single network has is refused in one line
    assert_user_error(&c.run(&["export", "--model", "ens", "--onnx", "--out", "e.onnx"]), &["ensemble"]);
    assert_user_error(&c.run(&["probe", "--model", "ens", "--data", "val.tsv"]), &["ensemble", "member-K"]);
}

#[test]
fn tuned_weights_score_at_least_equal_weights_on_the_tuning_file() {
    let c = Case::new();
    two_members(&c);
    let o =
        c.run(&["ensemble", "--member", "net", "--member", "lin", "--tune-weights-on", "val.tsv", "--out", "tuned"]);
    assert_ok(&o);
    let said = String::from_utf8(o.stdout).unwrap();
    assert!(said.contains("tuned weights on val.tsv") && said.contains("21 grid points"), "{said}");
    assert_ok(&c.run(&["ensemble", "--member", "net", "--member", "lin", "--out", "equal"]));
    let (tuned, equal) = (accuracy(&c, "tuned", "val.tsv"), accuracy(&c, "equal", "val.tsv"));
    assert!(tuned >= equal, "tuned {tuned} < equal {equal}");
    assert!(said.contains(&format!("accuracy {tuned:.4} (equal weights {equal:.4})")), "{said}");
    let config: Value = serde_json::from_str(&c.read("tuned/config.json")).unwrap();
    let w: f64 = config["members"].as_array().unwrap().iter().map(|m| m["weight"].as_f64().unwrap()).sum();
    assert!((w - 1.0).abs() < 1e-6, "{config}");
}

#[test]
fn each_saved_fold_scores_on_its_test_part_what_cv_reported() {
    let c = Case::new();
    let data = corpus(90);
    c.write("d.tsv", data.as_bytes());
    let lines: Vec<&str> = data.lines().collect();
    for (family, extra) in [("net", SMALL), ("lin", &["--model", "linear", "--buckets", "1000", "--dim", "8"][..])] {
        let dir = format!("{family}-folds");
        let folds = format!("{family}.folds.tsv");
        let mut args = vec!["cv", "--data", "d.tsv", "--folds", "3", "--epochs", "2", "--json"];
        args.extend_from_slice(&["--folds-out", &folds, "--save-models", &dir]);
        args.extend_from_slice(extra);
        let o = c.run(&args);
        assert_ok(&o);
        let report: Value = serde_json::from_slice(&o.stdout).unwrap();
        for k in 0..3 {
            // the fold's test part, from --folds-out
            let part: String = c
                .read(&folds)
                .lines()
                .filter_map(|l| l.split_once('\t'))
                .filter(|(_, f)| f.parse::<usize>().unwrap() == k)
                .map(|(line, _)| format!("{}\n", lines[line.parse::<usize>().unwrap() - 1]))
                .collect();
            let test = format!("{family}-fold-{k}.tsv");
            c.write(&test, part.as_bytes());
            let got = accuracy(&c, &format!("{dir}/fold-{k}"), &test);
            let reported = report["folds"][k]["accuracy"].as_f64().unwrap();
            assert!((got - reported).abs() < 1e-12, "{family} fold {k}: test {got}, cv {reported}");
        }
        assert!(!c.path(&format!("{dir}/fold-3")).exists());
    }
    // a file in the way is refused before any fold trains
    c.write("taken/fold-1", b"mine");
    let o = c.run(&[
        "cv",
        "--data",
        "d.tsv",
        "--folds",
        "3",
        "--model",
        "linear",
        "--buckets",
        "1000",
        "--save-models",
        "taken",
    ]);
    assert_user_error(&o, &["fold-1"]);
    assert!(!c.path("taken/fold-0").exists(), "{}", stderr(&o));
}

#[test]
fn members_that_make_no_ensemble_are_one_line_errors() {
    let c = Case::new();
    two_members(&c);
    let other: String = corpus(40).replace("0\t", "bad\t").replace("1\t", "good\t");
    c.write("other.tsv", other.as_bytes());
    assert_ok(&c.run(&[
        "train",
        "--data",
        "other.tsv",
        "--out",
        "other",
        "-q",
        "--model",
        "linear",
        "--buckets",
        "1000",
    ]));
    let ens = |extra: &[&str]| {
        let mut args = vec!["ensemble", "--out", "ens"];
        args.extend_from_slice(extra);
        c.run(&args)
    };
    assert_user_error(&ens(&["--member", "net"]), &["at least 2 members"]);
    assert_user_error(&ens(&["--member", "net", "--member", "other"]), &["other", "labels"]);
    assert_user_error(
        &ens(&["--member", "net", "--member", "lin", "--weights", "1,2,3"]),
        &["3 weights for 2 members"],
    );
    assert_user_error(&ens(&["--member", "net", "--member", "lin", "--weights", "0,0"]), &["sum to 0"]);
    assert_user_error(&ens(&["--member", "net", "--member", "lin", "--weights=-1,2"]), &["weight -1"]);
    assert_user_error(&ens(&["--member", "net", "--member", "missing"]), &["missing", "no such model folder"]);
    let o = c.run(&["ensemble", "--member", "net", "--member", "lin", "--out", "net/model"]);
    assert_user_error(&o, &["a member's folder"]);
    assert!(!c.path("ens").exists(), "nothing written");
    // an ensemble is no member
    assert_ok(&ens(&["--member", "net", "--member", "lin"]));
    let o = c.run(&["ensemble", "--member", "ens", "--member", "lin", "--out", "nested"]);
    assert_user_error(&o, &["itself an ensemble"]);
}
