//! The vocabulary file (`vocab.json`): a tokenizer's settings and word index, versioned.
//!
//! `word_index` and `word_counts` are JSON objects exactly like the ones in Keras's
//! `Tokenizer.to_json()`, so a Python user can read them with `json.load`. The file also carries
//! the settings needed to tokenize new text identically, and a `format`/`format_version` pair so
//! that a future strata refuses a file it does not understand instead of mis-reading it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::tokenizer::WordCounts;
use crate::{Tokenizer, TokenizerConfig};

pub const VOCAB_FORMAT: &str = "strata-vocab";
pub const VOCAB_FORMAT_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum VocabError {
    #[error("{path}: not a strata vocabulary file ({detail})\nHINT: the file is corrupt or from another tool; retrain or restore the model folder")]
    Parse { path: String, detail: String },
    #[error("{path}: vocabulary format_version {found} is newer than this strata understands ({VOCAB_FORMAT_VERSION})\nHINT: upgrade strata")]
    Version { path: String, found: u32 },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VocabFile {
    format: String,
    format_version: u32,
    config: TokenizerConfig,
    document_count: u64,
    word_counts: Map<String, Value>,
    word_index: Map<String, Value>,
}

impl Tokenizer {
    /// The vocabulary file's JSON text.
    pub fn to_json(&self) -> String {
        let word_counts = self.word_counts().iter().map(|(w, c)| (w.clone(), Value::from(*c))).collect();
        let mut by_index: Vec<(&String, &u32)> = self.word_index.iter().collect();
        by_index.sort_by_key(|(_, &i)| i);
        let word_index = by_index.into_iter().map(|(w, &i)| (w.clone(), Value::from(i))).collect();
        let file = VocabFile {
            format: VOCAB_FORMAT.into(),
            format_version: VOCAB_FORMAT_VERSION,
            config: self.config.clone(),
            document_count: self.document_count,
            word_counts,
            word_index,
        };
        serde_json::to_string(&file).expect("vocabulary serialises")
    }

    /// Parses a vocabulary file's text; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Tokenizer, VocabError> {
        let parse = |detail: String| VocabError::Parse { path: origin.to_string(), detail };
        let file: VocabFile = serde_json::from_str(text).map_err(|e| parse(e.to_string()))?;
        if file.format != VOCAB_FORMAT {
            return Err(parse(format!("format is '{}'", file.format)));
        }
        if file.format_version > VOCAB_FORMAT_VERSION {
            return Err(VocabError::Version { path: origin.into(), found: file.format_version });
        }
        let as_u64 = |k: &str, v: &Value| {
            v.as_u64().ok_or_else(|| parse(format!("value of '{k}' is not a non-negative integer")))
        };
        let mut counts = WordCounts::default();
        for (w, c) in &file.word_counts {
            counts.add(w, as_u64(w, c)?);
        }
        let mut word_index = HashMap::with_capacity(file.word_index.len());
        for (w, i) in &file.word_index {
            let i = as_u64(w, i)?;
            if i == 0 || i > u32::MAX as u64 {
                return Err(parse(format!("index of '{w}' is {i}; indices start at 1")));
            }
            word_index.insert(w.clone(), i as u32);
        }
        Ok(Tokenizer { config: file.config, document_count: file.document_count, counts, word_index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_gives_identical_ids() {
        let mut t = Tokenizer::new(TokenizerConfig {
            oov_token: Some("<OOV>".into()),
            num_words: Some(5),
            ..Default::default()
        });
        let texts = ["the cat sat", "the dog, the cat!", "Ünïcode wörds ü", ""];
        t.fit_on_texts(&texts);
        let back = Tokenizer::from_json(&t.to_json(), "mem").unwrap();
        assert_eq!(back.texts_to_sequences(&texts), t.texts_to_sequences(&texts));
        assert_eq!(back.word_index(), t.word_index());
        assert_eq!(back.word_counts(), t.word_counts());
        assert_eq!(back.to_json(), t.to_json());
    }

    #[test]
    fn newer_version_is_refused() {
        let t = Tokenizer::default();
        let json = t.to_json().replace("\"format_version\":1", "\"format_version\":99");
        let err = Tokenizer::from_json(&json, "v.json").unwrap_err().to_string();
        assert!(err.contains("newer"), "{err}");
    }
}
