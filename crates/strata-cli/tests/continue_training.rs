//! Continuing to train a classifier (issue 15, point 5): `train --init-from DIR` with DIR a
//! trained classifier, on new data with the same or a larger label set. DIR's vocabulary is
//! kept (and the new data's tokens outside it counted), the head's rows for DIR's labels arrive
//! bit for bit, a new label gets a fresh row and is printed as new, a label of DIR's the data
//! lacks is kept, and the continued model predicts the new label. A linear model is refused.

mod common;
use common::{assert_ok, assert_user_error, stderr, Case};
use safetensors::SafeTensors;

/// `n` texts of the labels in `labels` (each with its own cue words) and shared filler.
fn data(n: usize, labels: &[&str]) -> String {
    let cue = |l: &str| match l {
        "a" => ["great", "fine", "lovely"],
        "b" => ["awful", "poor", "dull"],
        _ => ["zebra", "tiger", "lion"],
    };
    let filler = ["the", "a", "movie", "was", "and", "plot", "it"];
    (0..n)
        .map(|i| {
            let label = labels[i % labels.len()];
            let mut words: Vec<&str> = (0..4).map(|k| filler[(i * 5 + k * 3) % filler.len()]).collect();
            words.insert(i % 4, cue(label)[(i / labels.len()) % 3]);
            words.insert((i + 2) % 5, cue(label)[(i / labels.len() + 1) % 3]);
            format!("{label}\t{}\n", words.join(" "))
        })
        .collect()
}

const SMALL: &[&str] = &["--maxlen", "8", "--units", "8", "--embedding-dim", "8", "--threads", "1", "--seed", "5"];

fn train(c: &Case, data: &str, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["train", "--data", data, "--out", out, "--no-probes"];
    args.extend_from_slice(SMALL);
    args.extend_from_slice(extra);
    c.run(&args)
}

/// A run's head: `head.kernel` `[w, k]` and `head.bias` `[k]`, as bits.
fn head(c: &Case, run: &str) -> (Vec<u32>, Vec<u32>, usize) {
    let bytes = std::fs::read(c.path(run).join("model/model.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let bits = |name: &str| -> Vec<u32> {
        st.tensor(name).unwrap().data().chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    };
    let k = st.tensor("head.bias").unwrap().shape()[0];
    (bits("head.kernel"), bits("head.bias"), k)
}

/// Column `c` of a `[w, k]` kernel.
fn column(kernel: &[u32], k: usize, c: usize) -> Vec<u32> {
    kernel.iter().skip(c).step_by(k).copied().collect()
}

#[test]
fn a_new_label_gets_a_fresh_row_the_known_ones_arrive_bit_for_bit_and_it_is_predicted() {
    let c = Case::new();
    c.write("ab.tsv", data(80, &["a", "b"]).as_bytes());
    c.write("abc.tsv", data(150, &["a", "b", "c"]).as_bytes());
    assert_ok(&train(&c, "ab.tsv", "A", &["--epochs", "3"]));
    // the head frozen: its rows are what they were before the first step
    let o = train(&c, "abc.tsv", "frozen", &["--init-from", "A", "--epochs", "1", "--freeze", "head"]);
    assert_ok(&o);
    let said = stderr(&o);
    assert!(
        said.contains("Continue from A: its 2 labels (a, b) keep their head rows; new labels, fresh rows: c"),
        "{said}"
    );
    assert!(
        said.contains("Init from A: loaded embedding, lstm_0, head rows of a, b; fresh: head rows of c\n"),
        "{said}"
    );
    // the vocabulary is A's: c's two cue words are out of it in each of the 45 training texts of c
    // (6 tokens a text), its three cue words named most often first
    assert!(said.contains("Vocabulary of A kept ("), "{said}");
    assert!(
        said.contains(
            ": 90 of 810 tokens of the training texts (11.1%) are out of it, most often tiger 31, zebra 30, lion 29\n"
        ),
        "{said}"
    );
    assert_eq!(
        std::fs::read(c.path("A/model/vocab.json")).unwrap(),
        std::fs::read(c.path("frozen/model/vocab.json")).unwrap()
    );
    // A's two labels were one sigmoid logit z = P(b): b's softmax row is z's, a's is 0 (the
    // softmax over (0, z) is σ(z)), c's is Keras's fresh init
    let (a_kernel, a_bias, a_k) = head(&c, "A");
    let (kernel, bias, k) = head(&c, "frozen");
    assert_eq!((a_k, k), (1, 3));
    assert_eq!(column(&kernel, 3, 1), a_kernel, "b's row arrives bit for bit");
    assert_eq!(bias[1], a_bias[0]);
    assert!(column(&kernel, 3, 0).iter().all(|&v| v == 0) && bias[0] == 0);
    let fresh = column(&kernel, 3, 2);
    assert!(fresh.iter().any(|&v| v != 0) && bias[2] == 0, "c's row is glorot-uniform, its bias 0");
    let config: serde_json::Value = serde_json::from_str(&c.read("frozen/model/config.json")).unwrap();
    assert_eq!(config["id2label"], serde_json::json!({"0": "a", "1": "b", "2": "c"}));

    // trained on: the continued model names c for c's texts
    assert_ok(&train(&c, "abc.tsv", "B", &["--init-from", "A", "--epochs", "20"]));
    c.write("texts.txt", b"the zebra movie tiger was\nlion was and zebra plot\nthe great movie fine it\n");
    let o = c.run(&["predict", "--model", "B", "texts.txt"]);
    assert_ok(&o);
    let labels: Vec<String> =
        String::from_utf8_lossy(&o.stdout).lines().map(|l| l.split('\t').next().unwrap().to_string()).collect();
    assert_eq!(labels, ["c", "c", "a"]);
}

#[test]
fn a_label_the_new_data_lacks_is_kept_and_its_rows_stay() {
    let c = Case::new();
    c.write("abc.tsv", data(90, &["a", "b", "c"]).as_bytes());
    c.write("ab.tsv", data(60, &["b", "a"]).as_bytes());
    assert_ok(&train(&c, "abc.tsv", "A", &["--epochs", "2"]));
    let o = train(&c, "ab.tsv", "B", &["--init-from", "A", "--epochs", "1", "--freeze", "head"]);
    assert_ok(&o);
    let said = stderr(&o);
    assert!(
        said.contains(
            "new labels, fresh rows: none; not in the new data, kept (still predictable, never trained on here): c"
        ),
        "{said}"
    );
    // every row is A's, in A's label order
    assert_eq!(head(&c, "A"), head(&c, "B"));
    let config: serde_json::Value = serde_json::from_str(&c.read("B/model/config.json")).unwrap();
    assert_eq!(config["label2id"], serde_json::json!({"a": 0, "b": 1, "c": 2}));
}

#[test]
fn a_folder_of_other_labels_is_a_transfer_and_a_linear_model_is_refused() {
    let c = Case::new();
    c.write("ab.tsv", data(60, &["a", "b"]).as_bytes());
    c.write("xy.tsv", data(60, &["a", "b"]).replace("a\t", "x\t").replace("b\t", "y\t").as_bytes());
    assert_ok(&train(&c, "ab.tsv", "A", &["--epochs", "1"]));
    let o = train(&c, "xy.tsv", "X", &["--init-from", "A", "--epochs", "1"]);
    assert_ok(&o);
    assert!(!stderr(&o).contains("Continue from"), "{}", stderr(&o));
    assert!(stderr(&o).contains("Init from A: loaded embedding, lstm_0; fresh: head\n"), "{}", stderr(&o));
    let config: serde_json::Value = serde_json::from_str(&c.read("X/model/config.json")).unwrap();
    assert_eq!(config["id2label"], serde_json::json!({"0": "x", "1": "y"}));
    // the linear model cannot continue from a folder: one line that says what to do
    let o = c.run(&["train", "--data", "ab.tsv", "--out", "L", "--model", "linear", "--init-from", "A"]);
    assert_user_error(&o, &["--init-from", "train it again on the old and new data together"]);
}
