//! Issue 16, point 5: the `decoupled` schedule (every level at once, each on its own
//! classifier, no gradient across a level boundary) trains from the CLI, repeats bit for bit
//! for a seed and thread count, and stands in `experiment`'s report beside layerwise; with
//! `--level-workers 2` its levels train pipelined on their own threads, learn, and repeat too.

mod common;

use common::{assert_ok, assert_user_error, corpus, stderr, Case, SMALL};

fn train(c: &Case, out: &str) -> Vec<u8> {
    let mut args = vec!["train", "--data", "d.tsv", "--out", out, "--model", "seed-stacked", "--layers", "3"];
    args.extend(["--schedule", "decoupled", "--epochs", "3", "--seed", "4"]);
    args.extend(SMALL); // two threads
    let o = c.run(&args);
    assert_ok(&o);
    let err = stderr(&o);
    assert!(err.contains("trains its levels at once for 1 epochs, not 3"), "{err}");
    std::fs::read(c.path(&format!("{out}/model/model.safetensors"))).unwrap()
}

#[test]
fn decoupled_training_repeats_for_a_seed_and_thread_count() {
    let c = Case::new();
    c.write("d.tsv", corpus(120).as_bytes());
    assert_eq!(train(&c, "a"), train(&c, "b"), "same seed and threads, same weights");
}

#[test]
fn experiment_reports_decoupled_beside_layerwise() {
    let c = Case::new();
    c.write("d.tsv", corpus(80).as_bytes());
    let mut args = vec!["experiment", "--data", "d.tsv", "--folds", "2", "--out", "exp", "--json"];
    args.extend(["--model", "seed-stacked", "--layers", "3", "--epochs", "3", "--finetune-epochs", "0"]);
    args.extend(["--schedules", "layerwise,decoupled"]);
    args.extend(SMALL);
    let o = c.run(&args);
    assert_ok(&o);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = r["schedules"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"decoupled") && names.contains(&"layerwise"), "{names:?}");
    let d = r["schedules"].as_array().unwrap().iter().find(|s| s["name"] == "decoupled").unwrap();
    assert_eq!(d["epochs"], 1, "each of the 3 levels trains the 1 epoch layerwise gives it");
    assert_eq!(d["budget_note"], "its levels train at once, each for the 1 epoch layerwise gives one level");
    let html = std::fs::read_to_string(c.path("exp/report/index.html")).unwrap();
    assert!(html.contains("decoupled"));
}

/// Trains `model` decoupled with its levels in two pipelined groups: the weights' bytes and the
/// validation accuracy.
fn pipelined(c: &Case, out: &str, model: &[&str]) -> (Vec<u8>, f64) {
    let mut args = vec!["train", "--data", "d.tsv", "--out", out, "--schedule", "decoupled", "--level-workers", "2"];
    args.extend(model);
    args.extend(["--epochs", "24", "--early-stopping", "0", "--seed", "4", "--validation-split", "0.25"]);
    args.extend(["--batch-size", "8", "--lr", "0.01", "--no-probes"]);
    args.extend(SMALL);
    let o = c.run(&args);
    assert_ok(&o);
    let metrics: serde_json::Value = serde_json::from_str(&c.read(&format!("{out}/metrics.json"))).unwrap();
    assert!(c.read(&format!("{out}/run.toml")).contains("level_workers = 2"), "the run says how it ran");
    let weights = std::fs::read(c.path(&format!("{out}/model/model.safetensors"))).unwrap();
    (weights, metrics["val_accuracy"].as_f64().unwrap())
}

#[test]
fn pipelined_levels_train_seed_stacked_and_han_above_chance_and_repeat() {
    let c = Case::new();
    c.write("d.tsv", corpus(240).as_bytes());
    for (name, model) in [
        ("seed-stacked", &["--model", "seed-stacked", "--layers", "3"][..]),
        ("han", &["--model", "han", "--max-sentences", "2"][..]),
    ] {
        let (a, acc) = pipelined(&c, &format!("{name}-a"), model);
        assert!(acc >= 0.9, "{name}: validation accuracy {acc} (chance is 0.5)");
        assert_eq!(pipelined(&c, &format!("{name}-b"), model).0, a, "{name}: same seed, threads, level workers");
    }
}

#[test]
fn level_workers_are_refused_where_they_would_change_nothing() {
    let c = Case::new();
    c.write("d.tsv", corpus(40).as_bytes());
    let run = |extra: &[&str]| {
        let mut args = vec!["train", "--data", "d.tsv", "--out", "o", "--model", "seed-stacked"];
        args.extend(extra);
        args.extend(SMALL);
        c.run(&args)
    };
    assert_user_error(
        &run(&["--schedule", "decoupled", "--level-workers", "0"]),
        &["--level-workers must be at least 1"],
    );
    assert_user_error(&run(&["--schedule", "layerwise", "--level-workers", "2"]), &["layerwise schedule", "decoupled"]);
    assert!(!c.path("o").exists(), "refused before --out is claimed");
}
