//! Pretrained word vectors (`--embeddings FILE`): word2vec text and fastText `.vec` (a
//! "COUNT DIM" header, then one word and DIM numbers a line), GloVe text (the same without
//! the header) and word2vec binary (the header, then per word the word, a space, DIM
//! little-endian f32 and an optional newline).
//!
//! Such files run to gigabytes, so the file is streamed and only the rows of words the caller
//! asks for are kept. Every problem is a [`DataError`] naming the file and the line (for the
//! binary format, the record: the header is line 1, the first word line 2).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::DataError;

/// Rows found for the caller's words.
#[derive(Debug, Clone, PartialEq)]
pub struct Vectors {
    /// Values per word.
    pub dim: usize,
    /// (row index, vector) for each word found, in row order.
    pub rows: Vec<(usize, Vec<f32>)>,
}

/// How the file is laid out (found from its first bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorFormat {
    /// word2vec text or fastText `.vec`: a header line.
    Text,
    /// GloVe: no header.
    Glove,
    /// word2vec binary.
    Binary,
}

const HINT_FORMAT: &str = "expected word2vec text/binary, fastText .vec or GloVe text";

/// The file's vector length and format, from its first lines only.
pub fn peek_dim(path: &Path) -> Result<(usize, VectorFormat), DataError> {
    let mut r = open(path)?;
    let (dim, format, _) = header(path, &mut r)?;
    Ok((dim, format))
}

/// Reads the vectors of the words `row_of` maps to a row. A word the file spells with capitals
/// that `row_of` does not know is tried lowercased when `fold_case` (the tokenizer lowercases);
/// the file's exact spelling wins over such a folded one, and the first occurrence over later.
pub fn read_vectors(
    path: &Path,
    row_of: impl Fn(&str) -> Option<usize>,
    fold_case: bool,
) -> Result<Vectors, DataError> {
    let mut r = open(path)?;
    let (dim, format, count) = header(path, &mut r)?;
    // row → (exact spelling?, vector)
    let mut found: HashMap<usize, (bool, Vec<f32>)> = HashMap::new();
    let mut keep = |word: &str, values: &dyn Fn() -> Vec<f32>| {
        let (row, exact) = match row_of(word) {
            Some(row) => (row, true),
            None if fold_case => match row_of(&word.to_lowercase()) {
                Some(row) => (row, false),
                None => return,
            },
            None => return,
        };
        match found.get(&row) {
            Some((true, _)) => {}
            Some((false, _)) if !exact => {}
            _ => {
                found.insert(row, (exact, values()));
            }
        }
    };
    let mut records = 0usize;
    if format == VectorFormat::Binary {
        let mut bytes = vec![0u8; dim * 4];
        let mut word = Vec::new();
        while records < count.unwrap_or(usize::MAX) {
            let line = records + 2;
            word.clear();
            // skip the newline ending the previous record
            loop {
                let b = next_byte(path, &mut r, line)?;
                match b {
                    None if word.is_empty() => break,
                    None => return Err(cut_short(path, line, count)),
                    Some(b'\n') if word.is_empty() => continue,
                    Some(b' ') => break,
                    Some(b) => word.push(b),
                }
            }
            if word.is_empty() {
                return Err(cut_short(path, line, count));
            }
            r.read_exact(&mut bytes).map_err(|_| cut_short(path, line, count))?;
            let values: Vec<f32> =
                bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            if values.iter().any(|v| !v.is_finite()) {
                return Err(DataError::at(path, line, "a value is not a finite number", HINT_FORMAT));
            }
            keep(&String::from_utf8_lossy(&word), &|| values.clone());
            records += 1;
        }
    } else {
        let mut line_no = if format == VectorFormat::Text { 1 } else { 0 };
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = r.read_until(b'\n', &mut buf).map_err(|e| read_error(path, line_no + 1, e))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            let text =
                std::str::from_utf8(&buf).map_err(|_| DataError::at(path, line_no, "not UTF-8 text", HINT_FORMAT))?;
            if text.trim().is_empty() {
                continue;
            }
            let (word, values) = parse_row(path, line_no, text, dim, format)?;
            keep(word, &|| values.clone());
            records += 1;
        }
    }
    if let Some(count) = count.filter(|&c| c != records) {
        return Err(DataError::at(
            path,
            1,
            format!("the header promises {count} words and the file holds {records}"),
            if records < count { "the file may be cut short; download it again" } else { "fix the count on line 1" },
        ));
    }
    let mut rows: Vec<(usize, Vec<f32>)> = found.into_iter().map(|(row, (_, v))| (row, v)).collect();
    rows.sort_by_key(|&(row, _)| row);
    Ok(Vectors { dim, rows })
}

fn open(path: &Path) -> Result<BufReader<File>, DataError> {
    let f = File::open(path).map_err(|e| {
        DataError::new(&path.display().to_string(), None, format!("cannot read: {e}"), "check the path")
    })?;
    Ok(BufReader::with_capacity(1 << 16, f))
}

impl DataError {
    fn at(path: &Path, line: usize, message: impl Into<String>, hint: impl Into<String>) -> Self {
        DataError::new(&path.display().to_string(), Some(line), message, hint)
    }
}

fn read_error(path: &Path, line: usize, e: std::io::Error) -> DataError {
    DataError::at(path, line, format!("cannot read: {e}"), "check the file")
}

fn cut_short(path: &Path, line: usize, count: Option<usize>) -> DataError {
    let promised = count.map(|c| format!(" (the header promises {c} words)")).unwrap_or_default();
    DataError::at(
        path,
        line,
        format!("the binary file ends inside this word's vector{promised}"),
        "the file is cut short; download it again",
    )
}

fn next_byte(path: &Path, r: &mut impl BufRead, line: usize) -> Result<Option<u8>, DataError> {
    let buf = r.fill_buf().map_err(|e| read_error(path, line, e))?;
    let Some(&b) = buf.first() else { return Ok(None) };
    r.consume(1);
    Ok(Some(b))
}

/// A text row: the word, then exactly `dim` finite numbers.
fn parse_row<'a>(
    path: &Path,
    line: usize,
    text: &'a str,
    dim: usize,
    format: VectorFormat,
) -> Result<(&'a str, Vec<f32>), DataError> {
    let mut tokens = text.split_ascii_whitespace();
    let word = tokens.next().unwrap_or_default();
    let mut values = Vec::with_capacity(dim);
    for t in tokens {
        let v: f32 = t.parse().map_err(|_| {
            DataError::at(path, line, format!("'{t}' is not a number"), "each line is a word and its vector's numbers")
        })?;
        if !v.is_finite() {
            return Err(DataError::at(path, line, format!("'{t}' is not a finite number"), "remove or fix this row"));
        }
        values.push(v);
    }
    if values.len() != dim {
        let whose = if format == VectorFormat::Text { "the header on line 1 says" } else { "line 1 has" };
        return Err(DataError::at(
            path,
            line,
            format!("'{word}' has {} values, and {whose} {dim}", values.len()),
            "every row needs the same number of values; the file may be damaged",
        ));
    }
    Ok((word, values))
}

/// Reads the header (word2vec text/binary) or, for GloVe, only looks at the first line; returns
/// the vector length, the format and the promised word count.
fn header(path: &Path, r: &mut BufReader<File>) -> Result<(usize, VectorFormat, Option<usize>), DataError> {
    let buf = r.fill_buf().map_err(|e| read_error(path, 1, e))?;
    if buf.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DataError::at(path, 1, "the file is empty", "give a word2vec, fastText .vec or GloVe file"));
    }
    let first_end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    let first = std::str::from_utf8(&buf[..first_end]).unwrap_or("");
    let fields: Vec<&str> = first.split_ascii_whitespace().collect();
    let numbers: Option<Vec<usize>> =
        (fields.len() == 2).then(|| fields.iter().map(|f| f.parse().ok()).collect()).flatten();
    let Some(header) = numbers else {
        // GloVe: the first row's values give the length
        let text = std::str::from_utf8(&buf[..first_end])
            .map_err(|_| DataError::at(path, 1, "not UTF-8 text and no \"COUNT DIM\" header", HINT_FORMAT))?;
        let dim = text.split_ascii_whitespace().count().saturating_sub(1);
        if dim == 0 {
            return Err(DataError::at(path, 1, "a word without a vector", HINT_FORMAT));
        }
        return Ok((dim, VectorFormat::Glove, None));
    };
    let (count, dim) = (header[0], header[1]);
    if dim == 0 || count == 0 {
        return Err(DataError::at(
            path,
            1,
            format!("the header \"{}\" promises no vectors", first.trim()),
            HINT_FORMAT,
        ));
    }
    // Text if the bytes after the header read as text; a binary vector's bytes almost never do.
    let rest = &buf[(first_end + 1).min(buf.len())..];
    let sample = &rest[..rest.len().min(dim * 4 + 64)];
    let printable = sample.iter().all(|&b| b >= 0x20 || b == b'\n' || b == b'\r' || b == b'\t');
    let utf8 = match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    let format = if printable && utf8 { VectorFormat::Text } else { VectorFormat::Binary };
    let header_len = (first_end + 1).min(buf.len());
    r.consume(header_len);
    Ok((dim, format, Some(count)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    fn vocab(w: &str) -> Option<usize> {
        ["<OOV>", "the", "movie", "good"].iter().position(|&v| v == w).map(|i| i + 1)
    }

    fn read(bytes: &[u8]) -> Result<Vectors, DataError> {
        read_vectors(file(bytes).path(), vocab, true)
    }

    #[test]
    fn word2vec_text_keeps_only_vocabulary_rows() {
        let v = read(b"3 2\nthe 0.5 -1\nzebra 9 9\ngood 1e-3 2.25\n").unwrap();
        assert_eq!(v.dim, 2);
        assert_eq!(v.rows, vec![(2, vec![0.5, -1.0]), (4, vec![1e-3, 2.25])]);
    }

    #[test]
    fn fasttext_vec_with_trailing_spaces_reads_as_word2vec_text() {
        let v = read(b"2 3\nmovie 1 2 3 \n</s> 0 0 0 \n").unwrap();
        assert_eq!(v.rows, vec![(3, vec![1.0, 2.0, 3.0])]);
    }

    #[test]
    fn glove_has_no_header_and_takes_its_length_from_the_first_row() {
        let v = read(b"the 0.1 0.2 0.3\nmovie 0.4 0.5 0.6\n").unwrap();
        assert_eq!(v.dim, 3);
        assert_eq!(v.rows, vec![(2, vec![0.1, 0.2, 0.3]), (3, vec![0.4, 0.5, 0.6])]);
    }

    #[test]
    fn word2vec_binary_with_and_without_newlines() {
        for newline in [true, false] {
            let mut b = b"2 2\n".to_vec();
            for (w, v) in [("good", [0.25f32, -3.5]), ("The", [1.0, f32::MIN_POSITIVE])] {
                b.extend_from_slice(w.as_bytes());
                b.push(b' ');
                v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes()));
                if newline {
                    b.push(b'\n');
                }
            }
            let v = read(&b).unwrap();
            assert_eq!(v.rows, vec![(2, vec![1.0, f32::MIN_POSITIVE]), (4, vec![0.25, -3.5])]);
        }
    }

    #[test]
    fn the_exact_spelling_wins_over_a_lowercased_one() {
        let v = read(b"Movie 9\nmovie 1\nMOVIE 8\n").unwrap();
        assert_eq!(v.rows, vec![(3, vec![1.0])]);
        let v = read_vectors(file(b"Movie 9\n").path(), vocab, false).unwrap();
        assert!(v.rows.is_empty());
    }

    #[test]
    fn bad_files_name_their_line() {
        let cases: [(&[u8], &str); 6] = [
            (b"", ":1: the file is empty"),
            (b"3 2\nthe 1 2\nmovie 1 2\ngood 1\n", ":4: 'good' has 1 values, and the header on line 1 says 2"),
            (b"the 1 2\nmovie 1 x\n", ":2: 'x' is not a number"),
            (b"2 3\nthe 1 2\nmovie 1 2\n", ":2: 'the' has 2 values, and the header on line 1 says 3"),
            (b"2 2\nthe \x00\x00\x80\x3f\x00\x00", ":2: the binary file ends inside"),
            (b"3 1\nthe 1\n", ":1: the header promises 3 words and the file holds 1"),
        ];
        for (bytes, want) in cases {
            let e = read(bytes).unwrap_err().to_string();
            assert!(e.contains(want), "{e:?} lacks {want:?}");
            assert!(e.contains("(hint: "), "{e}");
        }
    }
}
