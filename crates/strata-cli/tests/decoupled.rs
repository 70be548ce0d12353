//! Issue 16, point 5: the `decoupled` schedule (every level at once, each on its own
//! classifier, no gradient across a level boundary) trains from the CLI, repeats bit for bit
//! for a seed and thread count, and stands in `experiment`'s report beside layerwise.

mod common;

use common::{assert_ok, corpus, stderr, Case, SMALL};

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
