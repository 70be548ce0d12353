//! `--adversarial EPS` (and `--adversarial-weight W`) from the command line: it changes
//! training and repeats for a seed, it is named wherever a run's configuration is recorded
//! (run.toml, cv's JSON, experiment's results.json and report), and it is refused with one line
//! where it would change nothing or cannot apply. (Its gradient is checked against finite
//! differences in strata-model's `tests/adversarial_gradients.rs`.)

mod common;
use common::{assert_ok, assert_user_error, corpus_case as case, experiment_small, train_small as train, SMALL};

#[test]
fn the_flag_changes_training_repeats_and_is_named_where_the_configuration_is_recorded() {
    let c = case();
    let mut stderrs = Vec::new();
    for (out, extra) in
        [("adv", &["--adversarial", "0.5"][..]), ("adv-again", &["--adversarial", "0.5"]), ("plain", &[])]
    {
        let o = train(&c, out, extra);
        assert_ok(&o);
        stderrs.push(common::stderr(&o));
    }
    let weights = |run: &str| std::fs::read(c.path(run).join("model/model.safetensors")).unwrap();
    assert_eq!(weights("adv"), weights("adv-again"), "the same seed and threads give the same weights");
    assert_ne!(weights("adv"), weights("plain"), "the adversarial loss moves the weights");
    // the note on ε's size against the texts' word vectors (its warning: the test below)
    assert!(stderrs[0].contains("Adversarial training: each text's step of norm 0.5 is"), "{}", stderrs[0]);
    assert!(!stderrs[2].contains("Adversarial training"), "{}", stderrs[2]);
    let toml = c.read("adv/run.toml");
    assert!(toml.contains("adversarial = 0.5") && toml.contains("adversarial_weight = 1"), "{toml}");
    assert!(!c.read("plain/run.toml").contains("adversarial"), "written only when set");
    // a CNN and a HAN train with it too
    for (out, model) in [("kim", "kim-cnn"), ("han", "han")] {
        assert_ok(&train(&c, out, &["--model", model, "--adversarial", "1"]));
    }

    let mut cv = vec!["cv", "--data", "data.tsv", "--folds", "2", "--epochs", "1", "--json", "--no-probes"];
    cv.extend_from_slice(SMALL);
    let o = c.run(&[&cv[..], &["--adversarial", "2", "--adversarial-weight", "0.5"]].concat());
    assert_ok(&o);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["adversarial"], serde_json::json!({ "epsilon": 2.0, "weight": 0.5 }));

    assert_ok(&experiment_small(&c, "exp", &["--adversarial", "0.25"]));
    let results: serde_json::Value = serde_json::from_str(&c.read("exp/results.json")).unwrap();
    assert_eq!(results["config"]["adversarial"], serde_json::json!({ "epsilon": 0.25, "weight": 1.0 }));
    for page in ["exp/report.md", "exp/report/index.html"] {
        assert!(c.read(page).contains("Adversarial training: --adversarial 0.25 (weight 1)"), "{}", c.read(page));
    }
}

#[test]
fn the_flag_is_refused_where_it_would_change_nothing_or_cannot_apply() {
    let c = case();
    for (eps, out) in [("0", "zero"), ("-1", "negative"), ("nan", "nan"), ("inf", "inf")] {
        let flag = format!("--adversarial={eps}");
        assert_user_error(&train(&c, out, &[&flag]), &["--adversarial must be a positive number"]);
    }
    let o = train(&c, "weight-alone", &["--adversarial-weight", "2"]);
    assert_user_error(&o, &["--adversarial-weight without --adversarial", "add --adversarial EPS"]);
    let o = train(&c, "bad-weight", &["--adversarial", "1", "--adversarial-weight=0"]);
    assert_user_error(&o, &["--adversarial-weight must be a positive number"]);
    let o = c.run(&["train", "--data", "data.tsv", "--out", "linear", "--model", "linear", "--adversarial", "1"]);
    assert_user_error(&o, &["--adversarial is for the networks"]);
    let o = train(
        &c,
        "piped",
        &["--model", "seed-stacked", "--schedule", "decoupled", "--level-workers", "2", "--adversarial", "1"],
    );
    assert_user_error(&o, &["--adversarial with --level-workers 2", "leave out --level-workers"]);
    for run in ["zero", "negative", "nan", "inf", "weight-alone", "bad-weight", "linear", "piped"] {
        assert!(!c.path(run).exists(), "nothing written for a refused {run}");
    }
}

/// The note on ε's size against the training texts' word vectors: a warning past 20% that
/// `-q` does not silence, in train (single- and multi-label) and cv; none on resume, whose
/// weights are not the start's; none when the vectors start at zero.
#[test]
fn a_step_large_for_the_word_vectors_is_a_warning_and_a_resumed_run_says_nothing() {
    let c = case();
    let warned = |o: &std::process::Output| {
        assert_ok(o);
        let err = common::stderr(o);
        let line = err.lines().find(|l| l.contains("Adversarial training:")).unwrap_or_else(|| panic!("{err}"));
        assert!(
            line.starts_with("warning: ") && line.contains("(hint: --adversarial is in the embedding's units"),
            "{line}"
        );
    };
    let o = train(&c, "huge", &["-q", "--adversarial", "100", "--checkpoint-every", "1"]);
    warned(&o);
    let mut cv = vec!["cv", "--data", "data.tsv", "--folds", "2", "--epochs", "1", "--no-probes"];
    cv.extend_from_slice(SMALL);
    let o = c.run(&[&cv[..], &["-q", "--adversarial", "100"]].concat());
    warned(&o);
    assert!(common::stderr(&o).contains("warning: Fold 1/2 Adversarial training:"), "{}", common::stderr(&o));
    c.write(
        "ml.txt",
        b"__label__a __label__b one two\n__label__b three four\n__label__a one four\n__label__a __label__b two three\n",
    );
    let o = c.run(&[
        "train",
        "--multi-label",
        "--data",
        "ml.txt",
        "--out",
        "ml",
        "--epochs",
        "1",
        "--maxlen",
        "8",
        "-q",
        "--adversarial",
        "100",
    ]);
    warned(&o);

    // a resumed run (from its last checkpoint) trains on from weights that are not the start's
    let o = c.run(&["train", "--resume", "huge"]);
    assert_ok(&o);
    assert!(!common::stderr(&o).contains("Adversarial training"), "{}", common::stderr(&o));
    // word vectors that start at zero have no size to compare with
    let o = train(&c, "zero-init", &["--embedding-init", "0", "--adversarial", "1"]);
    assert_ok(&o);
    assert!(!common::stderr(&o).contains("Adversarial training"), "{}", common::stderr(&o));
}
