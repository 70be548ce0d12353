//! The character n-grams and their buckets are fastText's own: the fixture was written by the
//! fasttext Python package (`get_subwords` of a skip-gram model with minn 3, maxn 6 and
//! 2,000,000 buckets; see its "source" field), for ASCII, accented and CJK words, one in the
//! model's vocabulary and one not. CI needs no Python: the fixture is committed.

use serde_json::Value;
use strata_text::subwords::{char_ngrams, fasttext_hash};

#[test]
fn char_ngrams_and_buckets_equal_fasttexts() {
    let text = include_str!("fixtures/fasttext_subwords.json");
    let fixture: Value = serde_json::from_str(text).unwrap();
    let (minn, maxn) = (fixture["minn"].as_u64().unwrap() as usize, fixture["maxn"].as_u64().unwrap() as usize);
    let buckets = fixture["buckets"].as_u64().unwrap() as u32;
    let words = fixture["words"].as_array().unwrap();
    assert!(words.len() >= 5);
    for w in words {
        let word = w["word"].as_str().unwrap();
        let want_ngrams: Vec<&str> = w["ngrams"].as_array().unwrap().iter().map(|g| g.as_str().unwrap()).collect();
        let want_buckets: Vec<u32> =
            w["buckets"].as_array().unwrap().iter().map(|b| b.as_u64().unwrap() as u32).collect();
        let mut got = Vec::new();
        char_ngrams(word, minn, maxn, &mut Vec::new(), |h| got.push(h));
        let by_string: Vec<u32> = want_ngrams.iter().map(|g| fasttext_hash(g)).collect();
        assert_eq!(got, by_string, "{word}: the n-grams, in fastText's order");
        let got_buckets: Vec<u32> = got.iter().map(|h| h % buckets).collect();
        assert_eq!(got_buckets, want_buckets, "{word}: the buckets");
    }
}
