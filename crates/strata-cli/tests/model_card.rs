//! The model folder describes itself (issue 15, point 8): every model folder `strata train`
//! saves, network or linear, holds a generated model card (`README.md`) that names the real
//! command line, data file and line count, labels, and validation metrics — the same numbers
//! `metrics.json` has — and `label2id` in `config.json` is checked against `id2label` on load.

mod common;
use common::{assert_ok, assert_user_error, corpus, Case, SMALL};

/// `{:.4}` of a metrics.json figure.
fn figure(metrics: &serde_json::Value, key: &str) -> String {
    format!("{:.4}", metrics[key].as_f64().unwrap())
}

#[test]
fn every_saved_model_folder_has_a_card_with_the_real_command_data_and_metrics() {
    let c = Case::new();
    c.write("reviews.tsv", corpus(90).as_bytes());
    let mut network: Vec<&str> = vec!["train", "--data", "reviews.tsv", "--out", "net", "--epochs", "2", "--no-probes"];
    network.extend_from_slice(SMALL);
    let linear =
        ["train", "--data", "reviews.tsv", "--out", "lin", "--model", "linear", "--epochs", "3", "--threads", "2"];
    for (args, out, kind) in [(&network[..], "net", "neural network"), (&linear[..], "lin", "linear (fastText")] {
        assert_ok(&c.run(args));
        let card = c.read(&format!("{out}/model/README.md"));
        let metrics: serde_json::Value = serde_json::from_str(&c.read(&format!("{out}/metrics.json"))).unwrap();
        let command = format!("strata {}", args.join(" "));
        for needle in [
            "library_name: strata".to_string(),
            format!("- family: {kind}"),
            "- labels (one label per text): 0, 1".to_string(),
            "- training: `reviews.tsv` (90 lines)".to_string(),
            format!(
                "- {} texts trained on, {} held out for validation; {} epochs",
                metrics["n_train"], metrics["n_val"], metrics["epochs"]
            ),
            format!("```sh\n{command}\n```"),
            format!("On the {} validation texts:", metrics["n_val"]),
            format!("| accuracy | {} |", figure(&metrics, "val_accuracy")),
            format!("| loss | {} |", figure(&metrics, "val_loss")),
            format!("strata predict --model {out}/model"),
            format!("strata serve --model {out}/model"),
        ] {
            assert!(card.contains(&needle), "{out}: '{needle}' not in:\n{card}");
        }
        // nothing left unfilled
        assert!(!card.contains("{}") && !card.contains("TODO") && !card.contains("None"), "{out}:\n{card}");
        if out == "net" {
            assert!(card.contains("A text is read as its last 12 tokens (`maxlen`; `truncating` is `pre`)"), "{card}");
        }
        // the card is the folder's own: --overwrite replaces it with the folder
        let mut again: Vec<&str> = args.to_vec();
        again.push("--overwrite");
        assert_ok(&c.run(&again));
        assert!(c.path(&format!("{out}/model/README.md")).exists());
    }
}

#[test]
fn label2id_that_disagrees_with_id2label_is_one_error_naming_the_file() {
    let c = Case::new();
    c.write("reviews.tsv", corpus(60).as_bytes());
    let mut args: Vec<&str> = vec!["train", "--data", "reviews.tsv", "--out", "net", "--epochs", "1", "--no-probes"];
    args.extend_from_slice(SMALL);
    assert_ok(&c.run(&args));
    assert_ok(&c.run(&["train", "--data", "reviews.tsv", "--out", "lin", "--model", "linear", "--epochs", "1"]));
    c.write("texts.txt", b"a great movie\n");
    for out in ["net", "lin"] {
        let path = format!("{out}/model/config.json");
        let good = c.read(&path);
        let config: serde_json::Value = serde_json::from_str(&good).unwrap();
        assert_eq!(config["label2id"], serde_json::json!({"0": 0, "1": 1}), "{out}");
        for (label2id, needle) in [
            (serde_json::json!({"0": 1, "1": 0}), "label2id gives '0' id 1, and id2label gives it id 0"),
            (serde_json::json!({"0": 0}), "label2id has no id for '1'"),
            (serde_json::json!({"0": 0, "1": 1, "2": 2}), "label2id names '2'"),
        ] {
            let mut bad = config.clone();
            bad["label2id"] = label2id;
            c.write(&path, serde_json::to_string_pretty(&bad).unwrap().as_bytes());
            let o = c.run(&["predict", "--model", out, "texts.txt"]);
            assert_user_error(&o, &["config.json", needle]);
        }
        // a folder from before issue 15 has no label2id and loads
        let mut old = config.clone();
        old.as_object_mut().unwrap().remove("label2id");
        c.write(&path, serde_json::to_string_pretty(&old).unwrap().as_bytes());
        assert_ok(&c.run(&["predict", "--model", out, "texts.txt"]));
    }
}
