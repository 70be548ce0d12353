//! The data layer's error types: [`DataError`], a problem in a data file (where it happened,
//! what, and what to do), and [`UnknownFormat`], a format name no reader has.

use std::fmt;

/// A user-facing data problem: `path:line: message (hint: ...)` on one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DataError {
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
    pub hint: String,
}

impl DataError {
    pub fn new(path: &str, line: Option<usize>, message: impl Into<String>, hint: impl Into<String>) -> Self {
        DataError { path: path.to_string(), line, message: message.into(), hint: hint.into() }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {} (hint: {})", self.path, l, self.message, self.hint),
            None => write!(f, "{}: {} (hint: {})", self.path, self.message, self.hint),
        }
    }
}

/// A format name (`--format`) that is none of the readers'.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format '{0}' (expected tsv, csv, jsonl or fasttext)")]
pub struct UnknownFormat(pub String);
