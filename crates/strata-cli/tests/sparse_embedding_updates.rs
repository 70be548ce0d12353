//! `--sparse-embedding-updates` (issue 14, point 5) from the command line: it changes training,
//! it is named where a run's configuration is recorded (run.toml, results.json) since Keras's
//! Adam updates every row, and it is refused with one line where it would change nothing.
//! (The lazy update itself, and resuming a lazy run to the same bytes, are tested in
//! strata-train's `tests/sparse_embedding.rs`.)

mod common;
use common::{assert_ok, assert_user_error, corpus_case as case, experiment_small as experiment, train_small as train};

#[test]
fn the_flag_changes_training_and_is_named_in_run_toml_and_results_json() {
    let c = case();
    assert_ok(&train(&c, "lazy", &["--sparse-embedding-updates"]));
    assert_ok(&train(&c, "dense", &[]));
    assert!(c.read("lazy/run.toml").contains("sparse_embedding_updates = true"), "{}", c.read("lazy/run.toml"));
    assert!(!c.read("dense/run.toml").contains("sparse_embedding_updates"), "written only when set");
    let weights = |run: &str| std::fs::read(c.path(run).join("model/model.safetensors")).unwrap();
    assert_ne!(weights("lazy"), weights("dense"), "unused rows keep still under the flag, and drift without it");

    assert_ok(&experiment(&c, "e-lazy", &["--sparse-embedding-updates"]));
    assert_ok(&experiment(&c, "e-dense", &[]));
    let results =
        |run: &str| -> serde_json::Value { serde_json::from_str(&c.read(&format!("{run}/results.json"))).unwrap() };
    assert_eq!(results("e-lazy")["sparse_embedding_updates"], true);
    assert!(results("e-dense").get("sparse_embedding_updates").is_none(), "absent when every row was updated");
}

#[test]
fn the_flag_is_refused_where_it_would_change_nothing() {
    let c = case();
    let linear = ["--model", "linear", "--sparse-embedding-updates", "--threads", "2"];
    let o = c.run(&[&["train", "--data", "data.tsv", "--out", "linear"][..], &linear].concat());
    assert_user_error(&o, &["--sparse-embedding-updates is for the networks", "already updates only the rows"]);
    let o = c.run(&[&["cv", "--data", "data.tsv"][..], &linear].concat());
    assert_user_error(&o, &["--sparse-embedding-updates is for the networks"]);
    let o = train(&c, "adadelta", &["--optimizer", "adadelta", "--sparse-embedding-updates"]);
    assert_user_error(&o, &["--sparse-embedding-updates with --optimizer adadelta", "use --optimizer adam"]);
    let o = train(&c, "frozen", &["--freeze", "embedding", "--sparse-embedding-updates"]);
    assert_user_error(&o, &["embedding frozen in every stage", "leave out --sparse-embedding-updates"]);
    for run in ["linear", "adadelta", "frozen"] {
        assert!(!c.path(run).exists(), "nothing written for a refused {run}");
    }
    // sgd's lazy form is its dense step: accepted
    assert_ok(&train(&c, "sgd", &["--optimizer", "sgd", "--sparse-embedding-updates"]));
}
