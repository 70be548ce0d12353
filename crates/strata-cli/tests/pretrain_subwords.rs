//! `strata pretrain --maxn` (issue 12, fastText's subwords for the skip-gram): the same seed and
//! thread count write the same bytes, config.json says subwords were used, a word below
//! --min-count gets a vector from its n-grams instead of keeping its random init, and bad
//! n-gram settings are one error line.

mod common;

use common::{assert_ok, assert_user_error, corpus, stderr, texts_of, Case};
use safetensors::SafeTensors;
use std::process::Output;

const TINY: &[&str] =
    &["--objective", "skipgram", "--embedding-dim", "8", "--num-words", "200", "--sg-epochs", "1", "--seed", "3"];

/// The labelled corpus's texts (16 words, all frequent) and a line of words seen once each.
fn case() -> Case {
    let c = Case::new();
    let mut texts = texts_of(&corpus(200));
    texts.push_str("the movies were superbly lovely and greatly dull\n");
    c.write("u.txt", texts.as_bytes());
    c
}

fn pretrain(c: &Case, out: &str, extra: &[&str]) -> Output {
    let mut args = vec!["pretrain", "--data", "u.txt", "--out", out];
    args.extend_from_slice(TINY);
    args.extend_from_slice(extra);
    c.run(&args)
}

fn embedding(c: &Case, run: &str) -> Vec<f32> {
    let bytes = std::fs::read(c.path(run).join("model/model.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let t = st.tensor("embedding.weight").unwrap();
    t.data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
}

fn json(c: &Case, file: &str) -> serde_json::Value {
    serde_json::from_str(&c.read(file)).unwrap()
}

#[test]
fn the_same_seed_and_threads_write_the_same_bytes_and_config_says_subwords() {
    let c = case();
    let flags = ["--maxn", "6", "--threads", "2"];
    assert_ok(&pretrain(&c, "a", &flags));
    assert_ok(&pretrain(&c, "b", &flags));
    for f in ["model/config.json", "model/model.safetensors", "model/vocab.json", "history.csv"] {
        let (a, b) = (std::fs::read(c.path("a").join(f)).unwrap(), std::fs::read(c.path("b").join(f)).unwrap());
        assert!(a == b, "{f} differs");
    }
    let sub = &json(&c, "a/model/config.json")["skipgram"]["subwords"];
    assert_eq!(
        (sub["minn"].as_u64(), sub["maxn"].as_u64(), sub["buckets"].as_u64()),
        (Some(3), Some(6), Some(2_000_000))
    );
    assert!(sub["bucket_rows"].as_u64().is_some_and(|n| n > 100), "{sub}");
    // without --maxn: word2vec's vectors, and config.json as before (no subwords field)
    assert_ok(&pretrain(&c, "plain", &["--threads", "2"]));
    assert!(json(&c, "plain/model/config.json")["skipgram"].get("subwords").is_none());
    assert_ne!(embedding(&c, "a"), embedding(&c, "plain"));
}

#[test]
fn a_word_below_min_count_gets_a_vector_from_its_ngrams() {
    let c = case();
    assert_ok(&pretrain(&c, "plain", &["--min-count", "3"]));
    assert_ok(&pretrain(&c, "sub", &["--min-count", "3", "--maxn", "6"]));
    let (plain, sub) = (embedding(&c, "plain"), embedding(&c, "sub"));
    let vocab = json(&c, "sub/model/vocab.json");
    let rare: Vec<usize> = vocab["word_index"]
        .as_object()
        .unwrap()
        .iter()
        // (the OOV token has no count)
        .filter_map(|(w, id)| Some((id.as_u64().unwrap() as usize, vocab["word_counts"][w].as_u64()?)))
        .filter(|&(id, count)| id < 200 && count < 3)
        .map(|(id, _)| id)
        .collect();
    assert!(rare.len() >= 4, "movies, were, superbly and greatly at least: {rare:?}");
    let row = |v: &[f32], id: usize| v[id * 8..][..8].to_vec();
    // plain skip-gram leaves them at their init (the same seed: the same init in both runs)
    let init = |id: usize| row(&plain, id);
    for &id in &rare {
        let v = row(&sub, id);
        assert!(v != init(id) && v.iter().all(|x| x.is_finite()), "word {id} kept its init: {v:?}");
    }
    assert_eq!(row(&sub, 0), row(&plain, 0), "padding has no n-grams and keeps its row");
}

#[test]
fn bad_ngram_settings_are_one_error_line_before_any_work() {
    let c = case();
    let cases: [(&[&str], &[&str]); 6] = [
        (&["--minn", "5", "--maxn", "3"], &["--minn 5", "--maxn 3"]),
        // fix-round point 5: --minn alone changed nothing and was accepted
        (&["--minn", "5"], &["--minn 5 needs --maxn", "leave out --minn"]),
        // and so did --sg-buckets alone
        (&["--sg-buckets", "500000"], &["--sg-buckets 500000 needs --maxn", "leave out --sg-buckets"]),
        (&["--minn", "0", "--maxn", "3"], &["--minn 0"]),
        (&["--maxn", "6", "--sg-buckets", "0"], &["--sg-buckets 0"]),
        (&["--maxn", "21"], &["--maxn 21"]),
    ];
    for (i, (flags, needles)) in cases.iter().enumerate() {
        let out = format!("bad{i}");
        let o = pretrain(&c, &out, flags);
        assert_user_error(&o, needles);
        assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
        assert!(!c.path(&out).exists());
    }
    // subwords belong to the skip-gram: a language model alone has none
    let o = c.run(&["pretrain", "--data", "u.txt", "--out", "lm", "--objective", "lm", "--maxn", "6"]);
    assert_user_error(&o, &["--maxn", "--objective lm"]);
    assert!(!c.path("lm").exists());
}
