//! Reading multi-label data: a text may carry several labels (issue 15, point 2). The same four
//! formats as the single-label readers, with the labels written as users have them:
//!
//! - fastText: every leading `__label__X` of a line (fastText's own multi-label form);
//! - JSONL: the label field is a list of strings or numbers (a lone string is one label);
//! - TSV and CSV: the label column split on `--label-sep` (without it, one label a line).
//!
//! A label in a list that is empty (`["a", ""]`, `a,,b`, `__label__ x`) is an error naming the
//! line: it would otherwise become a class called `''`. A label repeated on one line counts once.

use std::path::Path;

use serde_json::Value;

use crate::label_checks::check_label;
use crate::readers::{csv_rows, detect, fasttext_labels, json_field, json_line, lines, read_bytes, split_tab};
use crate::{DataError, Format, ReadOptions};

/// One text and its labels (at least one, each once, in the order written).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultiExample {
    pub text: String,
    pub labels: Vec<String>,
    pub line: usize,
}

/// How to read a multi-label file: the single-label reader's options, and the separator of the
/// labels in a TSV or CSV label column (`--label-sep`).
#[derive(Clone, Debug, Default)]
pub struct MultiReadOptions {
    pub read: ReadOptions,
    pub label_sep: Option<String>,
}

/// Reads every example of a multi-label file.
pub fn read_multi_examples(path: &Path, opts: &MultiReadOptions) -> Result<Vec<MultiExample>, DataError> {
    let bytes = read_bytes(path)?;
    parse_multi_examples(&bytes, path, opts)
}

/// Parses a multi-label file's bytes; `path` gives the format when `opts` does not, and names
/// the file in errors.
pub fn parse_multi_examples(
    bytes: &[u8],
    path: &Path,
    opts: &MultiReadOptions,
) -> Result<Vec<MultiExample>, DataError> {
    let p = path.display().to_string();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DataError::new(&p, None, "the file is empty", "give a file with one example per line"));
    }
    let bytes = crate::encoding::strip_bom(bytes, &p)?;
    let format = opts.read.format.unwrap_or_else(|| detect(path, bytes));
    let sep = opts.label_sep.as_deref().filter(|s| !s.is_empty());
    let raw: Vec<(usize, String, Vec<String>)> = match format {
        Format::FastText => fasttext(bytes, &p)?,
        Format::Jsonl => jsonl(bytes, &p, &opts.read)?,
        Format::Tsv => tsv(bytes, &p, sep)?,
        Format::Csv => {
            let columns = [(opts.read.text_col.as_str(), "--text-col"), (opts.read.label_col.as_str(), "--label-col")];
            csv_rows(bytes, &p, &columns)?
                .into_iter()
                .map(|(line, mut f)| {
                    let labels = split_column(f.pop().unwrap_or_default().trim(), sep);
                    (line, f.pop().unwrap_or_default(), labels)
                })
                .collect()
        }
    };
    if raw.is_empty() {
        return Err(DataError::new(&p, None, "no examples found", "give a file with one example per line"));
    }
    raw.into_iter().map(|(line, text, labels)| example(text, labels, &p, line)).collect()
}

/// The example of one line, its labels checked (none empty, no NUL) and deduplicated.
fn example(text: String, labels: Vec<String>, p: &str, line: usize) -> Result<MultiExample, DataError> {
    if labels.is_empty() {
        return Err(DataError::new(p, Some(line), "no label on this line", "give every example at least one label"));
    }
    if labels.len() > 1 && labels.iter().any(String::is_empty) {
        let listed = labels.iter().map(|l| format!("'{l}'")).collect::<Vec<_>>().join(", ");
        return Err(DataError::new(
            p,
            Some(line),
            format!("an empty label in the list [{listed}]"),
            "remove the empty entry (two separators in a row, or a trailing one)",
        ));
    }
    let mut unique: Vec<String> = Vec::with_capacity(labels.len());
    for l in labels {
        check_label(&l, p, line)?;
        if !unique.contains(&l) {
            unique.push(l);
        }
    }
    Ok(MultiExample { text, labels: unique, line })
}

/// A label column: split on `sep` (each part trimmed), or one label.
fn split_column(column: &str, sep: Option<&str>) -> Vec<String> {
    match sep {
        Some(sep) => column.split(sep).map(|l| l.trim().to_string()).collect(),
        None => vec![column.to_string()],
    }
}

fn fasttext(bytes: &[u8], p: &str) -> Result<Vec<(usize, String, Vec<String>)>, DataError> {
    lines(bytes, p)
        .map(|r| {
            let (line, s) = r?;
            let (labels, rest) = fasttext_labels(s);
            if labels.is_empty() {
                return Err(DataError::new(
                    p,
                    Some(line),
                    "no __label__ prefix on this line",
                    "fastText lines look like '__label__a __label__b some text'",
                ));
            }
            Ok((line, rest.to_string(), labels.into_iter().map(str::to_string).collect()))
        })
        .collect()
}

fn jsonl(bytes: &[u8], p: &str, opts: &ReadOptions) -> Result<Vec<(usize, String, Vec<String>)>, DataError> {
    lines(bytes, p)
        .map(|r| {
            let (line, s) = r?;
            let obj = json_line(s, p, line)?;
            let text = json_field(&obj, &opts.text_col, "--text-col", p, line)?;
            let labels = match obj.get(&opts.label_col) {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.clone()),
                        Value::Number(n) => Ok(n.to_string()),
                        other => Err(DataError::new(
                            p,
                            Some(line),
                            format!("the label list holds {other}, not a string or number"),
                            "write the labels as a list of strings, e.g. [\"a\", \"b\"]",
                        )),
                    })
                    .collect::<Result<Vec<String>, DataError>>()?,
                _ => vec![json_field(&obj, &opts.label_col, "--label-col", p, line)?],
            };
            Ok((line, text, labels))
        })
        .collect()
}

fn tsv(bytes: &[u8], p: &str, sep: Option<&str>) -> Result<Vec<(usize, String, Vec<String>)>, DataError> {
    lines(bytes, p)
        .map(|r| {
            let (line, s) = r?;
            let (label, text) = split_tab(s, p, line, "labels")?;
            Ok((line, text.to_string(), split_column(label.trim(), sep)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, content: &[u8], sep: Option<&str>) -> Result<Vec<MultiExample>, DataError> {
        let opts = MultiReadOptions { read: ReadOptions::default(), label_sep: sep.map(str::to_string) };
        parse_multi_examples(content, Path::new(name), &opts)
    }

    fn labels(got: &[MultiExample]) -> Vec<Vec<&str>> {
        got.iter().map(|e| e.labels.iter().map(String::as_str).collect()).collect()
    }

    #[test]
    fn every_format_reads_several_labels_a_line() {
        let want = vec![vec!["sports", "politics"], vec!["tech"]];
        let cases: [(&str, &[u8], Option<&str>); 4] = [
            ("a.txt", b"__label__sports __label__politics the vote on the stadium\n__label__tech new phone\n", None),
            (
                "a.jsonl",
                b"{\"text\": \"the vote on the stadium\", \"label\": [\"sports\", \"politics\"]}\n{\"text\": \"new phone\", \"label\": \"tech\"}\n",
                None,
            ),
            ("a.tsv", b"sports|politics\tthe vote on the stadium\ntech\tnew phone\n", Some("|")),
            ("a.csv", b"label,text\n\"sports, politics\",the vote on the stadium\ntech,new phone\n", Some(",")),
        ];
        for (name, content, sep) in cases {
            let got = read(name, content, sep).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(labels(&got), want, "{name}");
            assert_eq!(got[0].text, "the vote on the stadium", "{name}");
            assert_eq!(got[1].line, if name.ends_with("csv") { 3 } else { 2 }, "{name}");
        }
    }

    #[test]
    fn a_label_repeated_on_a_line_counts_once() {
        let got = read("a.txt", b"__label__a __label__b __label__a text\n", None).unwrap();
        assert_eq!(labels(&got), vec![vec!["a", "b"]]);
    }

    #[test]
    fn an_empty_label_in_a_list_names_the_line() {
        let cases: [(&str, &[u8], Option<&str>, usize); 4] = [
            ("a.tsv", b"a|b\tfine\na||b\tbad\n", Some("|"), 2),
            ("a.tsv", b"a|b\tfine\nx\tok\na|\tbad\n", Some("|"), 3),
            (
                "a.jsonl",
                b"{\"text\": \"x\", \"label\": [\"a\"]}\n{\"text\": \"y\", \"label\": [\"a\", \"\"]}\n",
                None,
                2,
            ),
            ("a.csv", b"label,text\na;b,fine\n;b,bad\n", Some(";"), 3),
        ];
        for (name, content, sep, line) in cases {
            let e = read(name, content, sep).unwrap_err();
            assert_eq!(e.line, Some(line), "{name}: {e}");
            assert!(e.to_string().contains(&format!("{name}:{line}: an empty label in the list")), "{e}");
        }
        let e = read("a.txt", b"__label__a __label__ text\n", None).unwrap_err();
        assert_eq!((e.line, e.message.starts_with("an empty label")), (Some(1), true), "{e}");
        let e = read("a.jsonl", b"{\"text\": \"y\", \"label\": []}\n", None).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (Some(1), "no label on this line"));
        let e = read("a.jsonl", b"{\"text\": \"y\", \"label\": [null]}\n", None).unwrap_err();
        assert!(e.message.contains("null"), "{e}");
    }
}
