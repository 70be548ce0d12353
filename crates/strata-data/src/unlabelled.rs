//! Unlabelled input for `predict`: the texts of a file in order, one per input line (one per
//! record for CSV), blank lines kept as empty texts so that output line N answers input line N,
//! as fastText's `predict` does.
//!
//! The format is `--format` if given, else `.csv`, `.jsonl`/`.ndjson` or `.tsv` by extension,
//! else plain text (the whole line is the text). TSV and fastText lines give the text after the
//! label, so a labelled file can be predicted as it is; CSV and JSONL give the `--text-col`
//! field.

use std::path::Path;

use crate::encoding::{strip_bom, utf8_line};
use crate::readers::{csv_rows, fasttext_labels, json_field, json_line};
use crate::{DataError, Format, ReadOptions};

/// The texts of the file at `path` (see the module docs).
pub fn read_inputs(path: &Path, opts: &ReadOptions) -> Result<Vec<String>, DataError> {
    let bytes = std::fs::read(path).map_err(|e| {
        DataError::new(&path.display().to_string(), None, format!("cannot read: {e}"), "check the path and permissions")
    })?;
    parse_inputs(&bytes, path, opts)
}

/// The texts in `bytes`; `path` gives the format when `opts` does not, and names the input in
/// errors (`<stdin>` has no extension, so it is plain text unless `--format` says otherwise).
pub fn parse_inputs(bytes: &[u8], path: &Path, opts: &ReadOptions) -> Result<Vec<String>, DataError> {
    let p = path.display().to_string();
    let bytes = strip_bom(bytes, &p)?;
    if input_format(path, opts) == Some(Format::Csv) {
        let rows = csv_rows(bytes, &p, &[(opts.text_col.as_str(), "--text-col")])?;
        return Ok(rows.into_iter().map(|(_, mut fields)| fields.pop().unwrap_or_default()).collect());
    }
    parse_input_lines(bytes, path, opts)
}

/// The texts of whole lines cut from a file (all of it after its byte-order mark, or one
/// `predict --shard-index` shard of it); errors count lines from the first line of `bytes`. A
/// byte-order mark here is text, as it is in the middle of a file; CSV, whose quoted fields may
/// hold a newline, cannot be cut on lines and is refused.
pub fn parse_input_lines(bytes: &[u8], path: &Path, opts: &ReadOptions) -> Result<Vec<String>, DataError> {
    let p = path.display().to_string();
    let format = input_format(path, opts);
    if format == Some(Format::Csv) {
        return Err(DataError::new(
            &p,
            None,
            "a CSV file cannot be cut into shards on line boundaries (a quoted field may hold a newline)",
            "convert it to JSONL or one text a line, or predict it whole",
        ));
    }
    every_line(bytes)
        .enumerate()
        .map(|(i, raw)| {
            let line = i + 1;
            let s = utf8_line(raw, &p, line)?;
            if s.trim().is_empty() {
                return Ok(String::new());
            }
            match format {
                None => Ok(s.to_string()),
                Some(Format::FastText) => Ok(fasttext_labels(s).1.to_string()),
                Some(Format::Jsonl) => json_field(&json_line(s, &p, line)?, &opts.text_col, "--text-col", &p, line),
                Some(Format::Tsv) => s.split_once('\t').map(|(_, text)| text.to_string()).ok_or_else(|| {
                    DataError::new(
                        &p,
                        Some(line),
                        "no tab on this line (expected 'label<TAB>text')",
                        "for one text a line without labels, give the file another extension than .tsv",
                    )
                }),
                Some(Format::Csv) => unreachable!("CSV is refused above"),
            }
        })
        .collect()
}

/// How many bytes at the start of a file (`head`: its first bytes) are a UTF-8 byte-order mark
/// (0 or 3); a UTF-16 file is refused, as [`parse_inputs`] refuses it.
pub fn byte_order_mark_len(head: &[u8], path: &Path) -> Result<usize, DataError> {
    Ok(head.len() - strip_bom(head, &path.display().to_string())?.len())
}

/// `--format`, else the format the extension names, else `None`: one text a line.
fn input_format(path: &Path, opts: &ReadOptions) -> Option<Format> {
    opts.format.or_else(|| match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => Some(Format::Csv),
        Some("jsonl") | Some("ndjson") => Some(Format::Jsonl),
        Some("tsv") => Some(Format::Tsv),
        _ => None,
    })
}

fn every_line(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let none = bytes.is_empty();
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)).filter(move |_| !none)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, bytes: &[u8]) -> Result<Vec<String>, DataError> {
        parse_inputs(bytes, Path::new(name), &ReadOptions::default())
    }

    #[test]
    fn blank_lines_stay_in_place() {
        assert_eq!(parse("<stdin>", b"good film\n\n\nbad film\n").unwrap(), ["good film", "", "", "bad film"]);
        assert_eq!(parse("<stdin>", b"\n").unwrap(), [""]);
        assert_eq!(parse("<stdin>", b"").unwrap(), Vec::<String>::new());
        assert_eq!(parse("<stdin>", b"a\r\n \r\nb").unwrap(), ["a", "", "b"]);
    }

    #[test]
    fn labelled_formats_give_their_text() {
        assert_eq!(parse("a.tsv", b"\xEF\xBB\xBF1\tgood film\n\n0\tbad\n").unwrap(), ["good film", "", "bad"]);
        assert_eq!(parse("a.csv", b"\xEF\xBB\xBFid,text\n1,\"good, film\"\n2,bad\n").unwrap(), ["good, film", "bad"]);
        assert_eq!(parse("a.jsonl", b"{\"text\": \"good\"}\n\n{\"text\": \"bad\"}\n").unwrap(), ["good", "", "bad"]);
        let ft = ReadOptions { format: Some(Format::FastText), ..ReadOptions::default() };
        assert_eq!(parse_inputs(b"__label__1 good\nbad\n", Path::new("x"), &ft).unwrap(), ["good", "bad"]);
        let e = parse("a.jsonl", b"{\"body\": \"good\"}\n").unwrap_err().to_string();
        assert!(e.contains("a.jsonl:1: no string or number field 'text'"), "{e}");
        let e = parse("a.csv", b"body\nx\n").unwrap_err().to_string();
        assert!(e.contains("no column 'text'") && e.contains("--text-col"), "{e}");
    }
}
