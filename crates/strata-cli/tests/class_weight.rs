//! `--class-weight balanced|FILE` (issue 15, point 1): each training text's loss weighed by its
//! class, in the networks (every schedule, auxiliary heads included) and the linear model;
//! `balanced` is counted on the training part; the weights are said, and recorded in run.toml,
//! cv's JSON and an experiment's results.json and report; a bad weights file is one error line
//! naming FILE:LINE, exit 2.

mod common;
use common::{assert_ok, assert_user_error, stderr, Case, SMALL};

/// Two classes, 3 of 4 texts `0`: label 1 iff the text holds a "good" word.
fn imbalanced(n: usize) -> String {
    let (good, bad) = (["great", "fine", "lovely", "superb"], ["awful", "poor", "dull", "weak"]);
    let filler = ["the", "a", "movie", "was", "and", "plot", "it", "really"];
    (0..n)
        .map(|i| {
            let label = usize::from(i % 4 == 3);
            let word = if label == 1 { good[i % 4] } else { bad[(i / 2) % 4] };
            let mut words: Vec<&str> = (0..(3 + i % 5)).map(|k| filler[(i * 7 + k * 3) % filler.len()]).collect();
            words.insert(i % words.len(), word);
            format!("{label}\t{}\n", words.join(" "))
        })
        .collect()
}

fn bytes(c: &Case, path: &str) -> Vec<u8> {
    std::fs::read(c.path(path)).unwrap()
}

/// `strata train` of the small seed model on `d.tsv` into `out`.
fn train(c: &Case, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["train", "--data", "d.tsv", "--out", out, "--epochs", "2", "--seed", "4", "--no-probes"];
    args.extend_from_slice(SMALL);
    args.extend_from_slice(extra);
    c.run(&args)
}

#[test]
fn balanced_weights_change_every_models_training_and_are_said_and_recorded() {
    let c = Case::new();
    c.write("d.tsv", imbalanced(160).as_bytes());
    let network = |more: &[&str]| -> Vec<String> {
        let mut v: Vec<&str> = vec!["--epochs", "2", "--seed", "4", "--no-probes"];
        v.extend_from_slice(SMALL);
        v.extend_from_slice(more);
        v.into_iter().map(String::from).collect()
    };
    // the seed model; a schedule with an auxiliary head on each level; the linear model
    let models: [(&str, Vec<String>); 3] = [
        ("seed", network(&[])),
        ("deep", network(&["--model", "seed-stacked", "--schedule", "deep-supervision"])),
        ("linear", ["--model", "linear", "--epochs", "2", "--seed", "4", "--threads", "2"].map(String::from).to_vec()),
    ];
    for (model, flags) in &models {
        let run = |out: &str, more: &[&str]| {
            let mut args = vec!["train", "--data", "d.tsv", "--out", out];
            args.extend(flags.iter().map(String::as_str));
            args.extend_from_slice(more);
            let o = c.run(&args);
            assert_ok(&o);
            o
        };
        let (plain_dir, weighted_dir) = (format!("{model}-plain"), format!("{model}-balanced"));
        let plain = run(&plain_dir, &[]);
        let weighted = run(&weighted_dir, &["--class-weight", "balanced"]);
        let tensors = |out: &str| bytes(&c, &format!("{out}/model/model.safetensors"));
        assert_ne!(tensors(&plain_dir), tensors(&weighted_dir), "{model}: the weights change what is learnt");
        // 10% held out (stratified) leaves 144 training texts, 108 of class 0 and 36 of class 1:
        // n / (k · count) = 144 / (2 · 108) and 144 / (2 · 36)
        let said = stderr(&weighted);
        assert!(
            said.contains("Class weights (balanced on the 144 training texts): 0=0.667, 1=2.000"),
            "{model}: {said}"
        );
        assert!(!stderr(&plain).contains("Class weights"), "{model}");
        let toml = c.read(&format!("{weighted_dir}/run.toml"));
        assert!(toml.contains("class_weight = \"balanced\""), "{model}: {toml}");
        assert!(toml.contains("[class_weights]") && toml.contains("1 = 2.0"), "{model}: {toml}");
        assert!(!c.read(&format!("{plain_dir}/run.toml")).contains("class_weight"), "{model}");
        let card = c.read(&format!("{weighted_dir}/model/README.md"));
        assert!(card.contains("class weights: balanced"), "{model}: {card}");
    }
}

#[test]
fn a_weights_file_gives_each_label_its_weight_and_weight_one_everywhere_is_no_weights() {
    let c = Case::new();
    c.write("d.tsv", imbalanced(120).as_bytes());
    c.write("ones.tsv", b"1\t1\n0\t1.0\n");
    c.write("heavy.tsv", b"0\t1\n1\t3\n");
    assert_ok(&train(&c, "plain", &[]));
    assert_ok(&train(&c, "ones", &["--class-weight", "ones.tsv"]));
    let heavy = train(&c, "heavy", &["--class-weight", "heavy.tsv"]);
    assert_ok(&heavy);
    assert!(stderr(&heavy).contains("Class weights (from heavy.tsv): 0=1.000, 1=3.000"), "{}", stderr(&heavy));
    let tensors = |out: &str| bytes(&c, &format!("{out}/model/model.safetensors"));
    // every weight 1 is the unweighted loss, bit for bit; another weight is not
    assert_eq!(tensors("plain"), tensors("ones"));
    assert_ne!(tensors("plain"), tensors("heavy"));
    assert!(c.read("heavy/run.toml").contains("class_weight = \"heavy.tsv\""));
}

#[test]
fn a_bad_weights_file_is_one_error_naming_its_line() {
    let c = Case::new();
    c.write("d.tsv", imbalanced(80).as_bytes());
    for (text, needles) in [
        ("0\t1\n1\t0\n", vec!["w.tsv:2:", "above 0"]),
        ("0\t1\n1\tinf\n", vec!["w.tsv:2:", "finite"]),
        ("0\tNaN\n", vec!["w.tsv:1:", "finite"]),
        ("0 1\n", vec!["w.tsv:1:", "no tab"]),
        ("0\t1\n1\theavy\n", vec!["w.tsv:2:", "not a number"]),
        ("0\t1\n0\t2\n", vec!["w.tsv:2:", "already"]),
        ("0\t1\n1\t2\nneutral\t1\n", vec!["w.tsv:3:", "'neutral' is not in the data"]),
        ("0\t1\n", vec!["w.tsv:", "label '1' of the data has no weight"]),
    ] {
        c.write("w.tsv", text.as_bytes());
        let o = train(&c, "run", &["--class-weight", "w.tsv", "--overwrite"]);
        assert_user_error(&o, &needles);
    }
    let o = train(&c, "run", &["--class-weight", "missing.tsv", "--overwrite"]);
    assert_user_error(&o, &["missing.tsv", "cannot read"]);
    // every refusal comes before --out is claimed
    assert!(!c.path("run").exists());
}

#[test]
fn cv_reports_macro_f1_and_the_weights_and_an_experiment_records_them() {
    let c = Case::new();
    c.write("d.tsv", imbalanced(120).as_bytes());
    let cv = |extra: &[&str]| {
        let mut args = vec!["cv", "--data", "d.tsv", "--folds", "3", "--epochs", "1", "--seed", "2", "--json"];
        args.extend_from_slice(SMALL);
        args.extend_from_slice(extra);
        let o = c.run(&args);
        assert_ok(&o);
        (serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap(), stderr(&o))
    };
    let (plain, _) = cv(&[]);
    let (weighted, said) = cv(&["--class-weight", "balanced"]);
    // each fold's training part is 2/3 of the data: 80 texts, 60 and 20 (stratified)
    assert_eq!(
        said.matches("Class weights (balanced on the 80 training texts): 0=0.667, 1=2.000").count(),
        3,
        "{said}"
    );
    assert_eq!(weighted["class_weight"], "balanced");
    assert!(plain.get("class_weight").is_none());
    for r in [&plain, &weighted] {
        let f1 = r["mean_macro_f1"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&f1) && r["folds"][0]["macro_f1"].is_number(), "{r}");
    }
    assert_ne!(plain["folds"][0]["loss"], weighted["folds"][0]["loss"]);

    let mut args = vec!["experiment", "--data", "d.tsv", "--folds", "2", "--epochs", "1", "--schedules", "end-to-end"];
    args.extend_from_slice(SMALL);
    args.extend_from_slice(&["--class-weight", "balanced", "--out", "exp"]);
    assert_ok(&c.run(&args));
    let results: serde_json::Value = serde_json::from_str(&c.read("exp/results.json")).unwrap();
    assert_eq!(results["class_weight"], "balanced");
    assert!(c.read("exp/report.md").contains("Class weights: balanced (--class-weight balanced)"));
}
