//! Labels no classifier should silently learn: an empty label (which would become a class
//! named `''`), a NUL byte (the sign of a UTF-16 or binary file read as text), and a header row
//! (`label<TAB>text`) read as an example (which would become a class of one). Each is an error
//! naming the line, checked by every reader.

use crate::{DataError, Example};

/// First-column names that mark a header row rather than a label.
const HEADER_NAMES: &[&str] = &["label", "labels", "class", "category", "target", "sentiment", "tag", "y"];

/// An error when `label` is empty or holds a NUL byte.
pub(crate) fn check_label(label: &str, path: &str, line: usize) -> Result<(), DataError> {
    if label.is_empty() {
        return Err(DataError::new(path, Some(line), "empty label", "give every example a label"));
    }
    if label.contains('\0') {
        return Err(DataError::new(
            path,
            Some(line),
            "the label contains a NUL byte",
            "is the file UTF-16 or binary? convert it to UTF-8 text, e.g. iconv -f utf-16 -t utf-8",
        ));
    }
    Ok(())
}

/// An error when the first example is a header row: its label is a column name such as
/// `label` or `class` that no other example has.
pub(crate) fn check_no_header(examples: &[Example], path: &str) -> Result<(), DataError> {
    let Some(first) = examples.first() else { return Ok(()) };
    let name = first.label.to_ascii_lowercase();
    let unique = examples[1..].iter().all(|e| e.label != first.label);
    if HEADER_NAMES.contains(&name.as_str()) && unique {
        return Err(DataError::new(
            path,
            Some(first.line),
            format!("'{}<TAB>{}' looks like a header row, not an example", first.label, first.text),
            "this format has no header: remove the line, e.g. tail -n +2 FILE > NEW",
        ));
    }
    Ok(())
}
