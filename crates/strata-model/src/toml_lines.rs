//! Where in a TOML file a problem is, for the one-line `FILE:LINE: …` errors of model files
//! and schedule files.

/// The 1-based line a TOML parse error points at (1 when it points nowhere).
pub fn error_line(text: &str, e: &toml::de::Error) -> usize {
    e.span().map_or(1, |s| text[..s.start.min(text.len())].matches('\n').count() + 1)
}

/// The 1-based line of each `[[table]]` header, in order: where the n-th table of an array
/// of tables begins.
pub fn table_lines(text: &str, table: &str) -> Vec<usize> {
    let header = format!("[[{table}]]");
    text.lines().enumerate().filter(|(_, l)| l.trim_start().starts_with(&header)).map(|(i, _)| i + 1).collect()
}
