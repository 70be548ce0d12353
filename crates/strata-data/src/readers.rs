//! Readers for the four labelled-text formats users bring.
//!
//! - TSV: `label<TAB>text`, no header (the format of ../shared/data);
//! - CSV with a header row; columns chosen by name (`--text-col`, `--label-col`);
//! - JSONL: one object per line with a text and a label field (string or number);
//! - fastText: `__label__pos some text` (one label a line; several are `multi_labels`' to read,
//!   with `--multi-label`).
//!
//! The format is taken from the extension, else from the first line; `--format` forces it.
//! Bytes that are not UTF-8 are an error naming the line, never silently replaced; a UTF-8 BOM
//! is dropped (`encoding`), and empty labels, NUL bytes and header rows are errors
//! (`label_checks`).

use std::path::Path;

use serde_json::Value;

use crate::encoding::{strip_bom, utf8_line};
use crate::label_checks::{check_label, check_no_header};
use crate::{DataError, UnknownFormat};

/// One labelled text and the line it came from (1-based, for messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    pub text: String,
    pub label: String,
    pub line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Tsv,
    Csv,
    Jsonl,
    FastText,
}

impl std::str::FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, UnknownFormat> {
        match s {
            "tsv" => Ok(Format::Tsv),
            "csv" => Ok(Format::Csv),
            "jsonl" | "json" => Ok(Format::Jsonl),
            "fasttext" => Ok(Format::FastText),
            other => Err(UnknownFormat(other.into())),
        }
    }
}

/// How to read a file: an explicit format (else detected) and the CSV/JSONL field names.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    pub format: Option<Format>,
    pub text_col: String,
    pub label_col: String,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { format: None, text_col: "text".into(), label_col: "label".into() }
    }
}

pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, DataError> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| DataError::new(&p, None, format!("cannot read: {e}"), "check the path and permissions"))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DataError::new(&p, None, "the file is empty", "give a file with one example per line"));
    }
    Ok(bytes)
}

/// Non-empty lines with their 1-based numbers, a trailing `\r` removed, checked for UTF-8.
pub(crate) fn lines<'a>(
    bytes: &'a [u8],
    path: &'a str,
) -> impl Iterator<Item = Result<(usize, &'a str), DataError>> + 'a {
    bytes.split(|&b| b == b'\n').enumerate().filter_map(move |(i, raw)| {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        Some(utf8_line(raw, path, i + 1).map(|s| (i + 1, s)))
    })
}

pub(crate) fn detect(path: &Path, bytes: &[u8]) -> Format {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("tsv") => return Format::Tsv,
        Some("csv") => return Format::Csv,
        Some("jsonl") | Some("ndjson") => return Format::Jsonl,
        _ => {}
    }
    let first = bytes.split(|&b| b == b'\n').find(|l| !l.iter().all(u8::is_ascii_whitespace)).unwrap_or(&[]);
    let first = String::from_utf8_lossy(first);
    let first = first.trim_start();
    if first.starts_with("__label__") {
        Format::FastText
    } else if first.starts_with('{') {
        Format::Jsonl
    } else if first.contains('\t') {
        Format::Tsv
    } else {
        Format::Csv
    }
}

/// Reads every labelled example of a file.
pub fn read_examples(path: &Path, opts: &ReadOptions) -> Result<Vec<Example>, DataError> {
    let bytes = read_bytes(path)?;
    parse_examples(&bytes, path, opts)
}

/// Parses a file's bytes; `path` gives the format when `opts` does not, and names the file in
/// errors.
pub fn parse_examples(bytes: &[u8], path: &Path, opts: &ReadOptions) -> Result<Vec<Example>, DataError> {
    let p = path.display().to_string();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DataError::new(&p, None, "the file is empty", "give a file with one example per line"));
    }
    let bytes = strip_bom(bytes, &p)?;
    let format = opts.format.unwrap_or_else(|| detect(path, bytes));
    let examples = match format {
        Format::Tsv => read_tsv(bytes, &p)?,
        Format::FastText => read_fasttext(bytes, &p)?,
        Format::Jsonl => read_jsonl(bytes, &p, opts)?,
        Format::Csv => read_csv(bytes, &p, opts)?,
    };
    if examples.is_empty() {
        return Err(DataError::new(&p, None, "no examples found", "give a file with one example per line"));
    }
    for e in &examples {
        check_label(&e.label, &p, e.line)?;
    }
    if format == Format::Tsv {
        check_no_header(&examples, &p)?;
    }
    Ok(examples)
}

fn read_tsv(bytes: &[u8], p: &str) -> Result<Vec<Example>, DataError> {
    lines(bytes, p)
        .map(|r| {
            let (line, s) = r?;
            let (label, text) = split_tab(s, p, line, "label")?;
            Ok(Example { text: text.to_string(), label: label.trim().to_string(), line })
        })
        .collect()
}

/// A TSV line's `LABEL<TAB>text` (`what` names the first column in the error: `label`,
/// `labels`), or the line's one-line error.
pub(crate) fn split_tab<'s>(s: &'s str, p: &str, line: usize, what: &str) -> Result<(&'s str, &'s str), DataError> {
    s.split_once('\t').ok_or_else(|| {
        DataError::new(
            p,
            Some(line),
            format!("no tab on this line (expected '{what}<TAB>text')"),
            "for comma-separated data use --format csv with a header row",
        )
    })
}

fn read_fasttext(bytes: &[u8], p: &str) -> Result<Vec<Example>, DataError> {
    lines(bytes, p)
        .map(|r| {
            let (line, s) = r?;
            let (labels, rest) = fasttext_labels(s);
            if let [_, second, ..] = labels.as_slice() {
                return Err(DataError::new(
                    p,
                    Some(line),
                    format!("a second label '__label__{second}' on this line: the data is multi-label"),
                    "train with --multi-label (one sigmoid per label), or keep one __label__ a line",
                ));
            }
            let label = labels.first().map(|l| l.to_string()).ok_or_else(|| {
                DataError::new(
                    p,
                    Some(line),
                    "no __label__ prefix on this line",
                    "fastText lines look like '__label__pos some text'",
                )
            })?;
            Ok(Example { text: rest.to_string(), label, line })
        })
        .collect()
}

/// The leading `__label__X` words of a fastText line (`X` may be empty) and the text after them.
pub(crate) fn fasttext_labels(s: &str) -> (Vec<&str>, &str) {
    let mut labels = Vec::new();
    let mut rest = s.trim_start();
    while let Some(after) = rest.strip_prefix("__label__") {
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        labels.push(&after[..end]);
        rest = after[end..].trim_start();
    }
    (labels, rest)
}

/// One JSONL line as a JSON value, or an error naming the line.
pub(crate) fn json_line(s: &str, p: &str, line: usize) -> Result<Value, DataError> {
    serde_json::from_str(s)
        .map_err(|e| DataError::new(p, Some(line), format!("invalid JSON: {e}"), "each line must be one JSON object"))
}

/// The field `key` of a JSONL line's object, or an error naming the line and the flag that
/// names the field.
pub(crate) fn json_field(obj: &Value, key: &str, flag: &str, p: &str, line: usize) -> Result<String, DataError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Bool(b)) => Ok(b.to_string()),
        _ => Err(DataError::new(
            p,
            Some(line),
            format!("no string or number field '{key}'"),
            format!("name the field with {flag}"),
        )),
    }
}

fn read_jsonl(bytes: &[u8], p: &str, opts: &ReadOptions) -> Result<Vec<Example>, DataError> {
    lines(bytes, p)
        .map(|r| {
            let (line, s) = r?;
            let obj = json_line(s, p, line)?;
            let text = json_field(&obj, &opts.text_col, "--text-col", p, line)?;
            if let Some(Value::Array(_)) = obj.get(&opts.label_col) {
                return Err(DataError::new(
                    p,
                    Some(line),
                    format!("the field '{}' is a list of labels: the data is multi-label", opts.label_col),
                    "train with --multi-label (one sigmoid per label), or give one label a line",
                ));
            }
            let label = json_field(&obj, &opts.label_col, "--label-col", p, line)?;
            Ok(Example { text, label, line })
        })
        .collect()
}

fn read_csv(bytes: &[u8], p: &str, opts: &ReadOptions) -> Result<Vec<Example>, DataError> {
    let columns = [(opts.text_col.as_str(), "--text-col"), (opts.label_col.as_str(), "--label-col")];
    csv_rows(bytes, p, &columns)?
        .into_iter()
        .map(|(line, mut fields)| {
            let label = fields.pop().unwrap_or_default().trim().to_string();
            Ok(Example { text: fields.pop().unwrap_or_default(), label, line })
        })
        .collect()
}

/// The named columns (`(name, flag that names it)`) of every CSV record, with the record's line.
pub(crate) fn csv_rows(
    bytes: &[u8],
    p: &str,
    columns: &[(&str, &str)],
) -> Result<Vec<(usize, Vec<String>)>, DataError> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(bytes);
    let header_err = |e: csv::Error| {
        DataError::new(p, Some(1), format!("cannot read the CSV header: {e}"), "the first line must name the columns")
    };
    let headers = rdr.byte_headers().map_err(header_err)?.clone();
    let names: Vec<String> = headers.iter().map(|h| String::from_utf8_lossy(h).trim().to_string()).collect();
    let col = |&(want, flag): &(&str, &str)| {
        names.iter().position(|n| n == want).ok_or_else(|| {
            DataError::new(
                p,
                Some(1),
                format!("no column '{want}' in the header (found: {})", names.join(", ")),
                format!("name the column with {flag}"),
            )
        })
    };
    let indices = columns.iter().map(col).collect::<Result<Vec<usize>, DataError>>()?;
    let mut out = Vec::new();
    for rec in rdr.byte_records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|pos| pos.line() as usize);
            DataError::new(p, line, format!("malformed CSV: {e}"), "quote fields that contain commas or quotes")
        })?;
        let line = rec.position().map_or(0, |pos| pos.line() as usize);
        let fields = indices
            .iter()
            .map(|&i| utf8_line(rec.get(i).unwrap_or(&[]), p, line).map(str::to_string))
            .collect::<Result<Vec<String>, DataError>>()?;
        out.push((line, fields));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, content: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    fn read(name: &str, content: &[u8]) -> Result<Vec<Example>, DataError> {
        let (_d, path) = write(name, content);
        read_examples(&path, &ReadOptions::default())
    }

    #[test]
    fn reads_all_four_formats_alike() {
        let want = vec![("good film", "pos"), ("bad, awful", "neg")];
        let cases: [(&str, &[u8]); 5] = [
            ("a.tsv", b"pos\tgood film\nneg\tbad, awful\n"),
            ("a.csv", b"label,text\npos,good film\nneg,\"bad, awful\"\n"),
            (
                "a.jsonl",
                b"{\"text\": \"good film\", \"label\": \"pos\"}\n{\"text\": \"bad, awful\", \"label\": \"neg\"}\n",
            ),
            ("a.txt", b"__label__pos good film\n__label__neg bad, awful\n"),
            ("b.txt", b"pos\tgood film\r\n\r\nneg\tbad, awful"),
        ];
        for (name, content) in cases {
            let got = read(name, content).unwrap_or_else(|e| panic!("{name}: {e}"));
            let got: Vec<(&str, &str)> = got.iter().map(|e| (e.text.as_str(), e.label.as_str())).collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn errors_name_file_line_and_hint() {
        let e = read("a.tsv", b"pos\tok\nno tab here\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().contains("a.tsv:2: no tab"), "{e}");
        let e = read("a.tsv", b"pos\tok\nneg\tbad \xff byte\n").unwrap_err();
        assert!(e.to_string().contains(":2: not valid UTF-8"), "{e}");
        let e = read("a.csv", b"label,body\npos,x\n").unwrap_err();
        assert!(e.to_string().contains("no column 'text'"), "{e}");
        let e = read("a.tsv", b"\n \n").unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
        let e = read("a.jsonl", b"{\"text\": \"x\"}\n").unwrap_err();
        assert!(e.to_string().contains(":1: no string or number field 'label'"), "{e}");
    }

    #[test]
    fn a_utf8_bom_never_reaches_a_label_or_the_json_parser() {
        let cases: [(&str, &[u8]); 4] = [
            ("a.tsv", b"\xEF\xBB\xBF1\tgood film\n0\tbad film\n1\tfine\n"),
            ("a.csv", b"\xEF\xBB\xBFlabel,text\n1,good film\n0,bad film\n"),
            ("a.jsonl", b"\xEF\xBB\xBF{\"text\": \"good film\", \"label\": 1}\n{\"text\": \"bad\", \"label\": 0}\n"),
            ("a.txt", b"\xEF\xBB\xBF__label__1 good film\n__label__0 bad film\n"),
        ];
        for (name, content) in cases {
            let got = read(name, content).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(got[0].label, "1", "{name}");
            assert!(got.iter().all(|e| e.label == "0" || e.label == "1"), "{name}: {got:?}");
        }
    }

    #[test]
    fn utf16_gets_a_utf16_hint() {
        let utf16: Vec<u8> = "\u{feff}1\tgood film\n0\tbad\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let e = read("a.tsv", &utf16).unwrap_err().to_string();
        assert!(e.contains("UTF-16") && e.contains("iconv -f utf-16"), "{e}");
        assert!(!e.contains("cp1252"), "{e}");
    }

    #[test]
    fn header_rows_empty_labels_nul_and_second_labels_are_errors_naming_the_line() {
        let e = read("a.tsv", b"label\ttext\n1\tgood\n0\tbad\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.to_string().contains("header row"), "{e}");
        // a class that happens to be called "label" on many lines is data, not a header
        assert!(read("a.tsv", b"label\tx\nother\ty\nlabel\tz\n").is_ok());
        let e = read("a.tsv", b"1\tgood\n\tno label\n").unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (Some(2), "empty label"));
        let e = read("a.csv", b"label,text\n1,good\n,no label\n").unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (Some(3), "empty label"));
        let e = read("a.jsonl", b"{\"text\": \"x\", \"label\": \"\"}\n").unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (Some(1), "empty label"));
        let e = read("a.txt", b"__label__1 good\n__label__ empty\n").unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (Some(2), "empty label"));
        let e = read("a.tsv", b"1\tgood\n0\x00\tbad\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("NUL"), "{e}");
        let e = read("a.txt", b"__label__1 good\n__label__0 __label__1 both\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("__label__1") && e.message.contains("multi-label"), "{e}");
        assert!(e.hint.contains("--multi-label"), "{e}");
        let e = read("a.jsonl", b"{\"text\": \"x\", \"label\": \"a\"}\n{\"text\": \"y\", \"label\": [\"a\", \"b\"]}\n")
            .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("list of labels") && e.hint.contains("--multi-label"), "{e}");
    }

    #[test]
    fn format_names_parse_and_an_unknown_one_is_named() {
        assert_eq!("json".parse::<Format>(), Ok(Format::Jsonl));
        let e = "xml".parse::<Format>().unwrap_err();
        assert_eq!(e, UnknownFormat("xml".into()));
        assert_eq!(e.to_string(), "unknown format 'xml' (expected tsv, csv, jsonl or fasttext)");
    }
}
