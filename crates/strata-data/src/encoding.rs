//! What a data file's bytes are before any reader splits them: a UTF-8 byte-order mark is
//! dropped (Windows editors and Excel write one, and it would otherwise become part of the
//! first label or make the first JSON line invalid), and a UTF-16 file is refused with a hint
//! that names UTF-16 — not the cp1252 hint that fits a stray Latin-1 byte.

use crate::DataError;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The bytes a reader should parse: without a UTF-8 BOM; an error for UTF-16 input.
pub(crate) fn strip_bom<'a>(bytes: &'a [u8], path: &str) -> Result<&'a [u8], DataError> {
    if looks_utf16(bytes) {
        return Err(DataError::new(
            path,
            None,
            "the file is UTF-16, not UTF-8",
            "convert it to UTF-8, e.g. iconv -f utf-16 -t utf-8 FILE > NEW",
        ));
    }
    Ok(bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes))
}

/// A UTF-16 byte-order mark, or (without one) a NUL in every other byte of the start, which is
/// what ASCII text saved as UTF-16 looks like; text in UTF-8 has no NUL bytes.
fn looks_utf16(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return true;
    }
    let head = &bytes[..bytes.len().min(512)];
    let nuls = head.iter().filter(|&&b| b == 0).count();
    head.len() >= 4 && nuls * 3 >= head.len()
}

/// One line (or field) as UTF-8, or an error naming its line and column.
pub(crate) fn utf8_line<'a>(bytes: &'a [u8], path: &str, line: usize) -> Result<&'a str, DataError> {
    std::str::from_utf8(bytes).map_err(|e| {
        DataError::new(
            path,
            Some(line),
            format!("not valid UTF-8 (bad byte at column {})", e.valid_up_to() + 1),
            "convert the file to UTF-8, e.g. iconv -f cp1252 -t utf-8",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utf8_bom_is_dropped_and_utf16_is_named() {
        assert_eq!(strip_bom(b"\xEF\xBB\xBF1\tgood", "a.tsv").unwrap(), b"1\tgood");
        assert_eq!(strip_bom(b"1\tgood", "a.tsv").unwrap(), b"1\tgood");
        let le: Vec<u8> = "1\tgood film\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        for bytes in [[b"\xFF\xFE".as_slice(), &le].concat(), le.clone()] {
            let e = strip_bom(&bytes, "a.tsv").unwrap_err().to_string();
            assert!(e.contains("UTF-16") && e.contains("iconv -f utf-16"), "{e}");
        }
    }
}
