//! Keras's `Tokenizer.to_json()` file read into strata's [`Tokenizer`], which is Keras-exact, so
//! the imported model sees the ids the Keras model was trained on.
//!
//! The file is tf-keras's (keras_preprocessing's) form: `{"class_name": "Tokenizer", "config":
//! {...}}` whose `config` holds the constructor's arguments (`num_words`, `filters`, `lower`,
//! `split`, `char_level`, `oov_token`) and the fitted state, `word_counts` and `word_index`, each
//! a JSON object written *as a JSON string*. It is turned into strata's own vocabulary form and
//! read by strata-text's reader, so there is one parser of a word index, with its checks.

use std::path::Path;

use serde::Deserialize;
use serde_json::{json, Map, Value};
use strata_data::DataError;
use strata_text::{Tokenizer, TokenizerConfig, VOCAB_FORMAT, VOCAB_FORMAT_VERSION};

const HINT: &str = "give the file Keras's `tokenizer.to_json()` wrote";

/// The fields of `config` that strata reads; the others (`word_docs`, `index_docs`,
/// `index_word`) are what Keras derives and are ignored.
#[derive(Deserialize)]
struct KerasTokenizerConfig {
    #[serde(default)]
    num_words: Option<usize>,
    /// `None` in Keras means no filtering.
    #[serde(default)]
    filters: Option<String>,
    #[serde(default = "yes")]
    lower: bool,
    #[serde(default = "space")]
    split: String,
    #[serde(default)]
    char_level: bool,
    #[serde(default)]
    oov_token: Option<String>,
    #[serde(default)]
    document_count: u64,
    /// A JSON object as a string (Keras's `json.dumps(self.word_counts)`).
    word_counts: String,
    /// A JSON object as a string.
    word_index: String,
}

fn yes() -> bool {
    true
}

fn space() -> String {
    " ".into()
}

/// Reads the `Tokenizer.to_json()` file at `path`.
pub fn read_keras_tokenizer(path: &Path) -> Result<Tokenizer, DataError> {
    let shown = path.display().to_string();
    let fail = |message: String| DataError::new(&shown, None, message, HINT);
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read the tokenizer: {e}")))?;
    parse_keras_tokenizer(&text, &shown)
}

/// Parses a `Tokenizer.to_json()` text; `origin` names it in errors.
pub fn parse_keras_tokenizer(text: &str, origin: &str) -> Result<Tokenizer, DataError> {
    let fail = |message: String| DataError::new(origin, None, message, HINT);
    let outer: Value = serde_json::from_str(text).map_err(|e| fail(format!("not JSON: {e}")))?;
    match outer.get("class_name").and_then(Value::as_str) {
        Some("Tokenizer") => {}
        Some(other) => return Err(fail(format!("holds a Keras '{other}', not a Tokenizer"))),
        None => return Err(fail("has no \"class_name\": \"Tokenizer\"; not a Keras tokenizer file".into())),
    }
    let config = outer.get("config").cloned().ok_or_else(|| fail("has no \"config\"".into()))?;
    let k: KerasTokenizerConfig =
        serde_json::from_value(config).map_err(|e| fail(format!("its \"config\" is not a Tokenizer's: {e}")))?;
    if k.split.is_empty() && !k.char_level {
        return Err(fail("its split is empty, which Keras itself refuses".into()));
    }
    let object = |field: &str, s: &str| -> Result<Map<String, Value>, DataError> {
        match serde_json::from_str(s) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(fail(format!("its \"{field}\" is not a JSON object written as a string"))),
        }
    };
    let config = TokenizerConfig {
        num_words: k.num_words,
        filters: k.filters.unwrap_or_default(),
        lower: k.lower,
        split: k.split,
        char_level: k.char_level,
        oov_token: k.oov_token,
        ..TokenizerConfig::default()
    };
    let vocab = json!({
        "format": VOCAB_FORMAT,
        "format_version": VOCAB_FORMAT_VERSION,
        "config": config,
        "document_count": k.document_count,
        "word_counts": object("word_counts", &k.word_counts)?,
        "word_index": object("word_index", &k.word_index)?,
    });
    Tokenizer::from_json(&vocab.to_string(), origin).map_err(|e| fail(e.to_string().replace('\n', " ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keras_json(config: Value) -> String {
        json!({"class_name": "Tokenizer", "config": config}).to_string()
    }

    #[test]
    fn the_index_and_settings_give_keras_ids() {
        // tf_keras: Tokenizer(num_words=4, oov_token="<OOV>").fit_on_texts(["b a", "a c b"])
        let text = keras_json(json!({
            "num_words": 4, "filters": "!,", "lower": true, "split": " ", "char_level": false,
            "oov_token": "<OOV>", "document_count": 2,
            "word_counts": "{\"b\": 2, \"a\": 2, \"c\": 1}",
            "word_index": "{\"<OOV>\": 1, \"b\": 2, \"a\": 3, \"c\": 4}",
        }));
        let t = parse_keras_tokenizer(&text, "tok.json").unwrap();
        // "c" is past num_words → OOV; "d" unknown → OOV; "," is a filter
        assert_eq!(t.text_to_sequence("B, a c d"), vec![2, 3, 1, 1]);
        assert_eq!(t.vocab_size(), 4);
    }

    #[test]
    fn another_file_is_one_error_naming_it() {
        let e = parse_keras_tokenizer("{\"class_name\": \"TextVectorization\"}", "t.json").unwrap_err();
        assert!(e.to_string().starts_with("t.json: holds a Keras 'TextVectorization'"), "{e}");
        let text = keras_json(json!({"word_counts": "{}", "word_index": "[1]"}));
        let e = parse_keras_tokenizer(&text, "t.json").unwrap_err();
        assert!(e.to_string().contains("\"word_index\" is not a JSON object"), "{e}");
        let e = parse_keras_tokenizer("{", "t.json").unwrap_err().to_string();
        assert!(e.contains("not JSON") && !e.contains('\n'), "{e}");
    }
}
