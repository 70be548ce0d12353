//! `predict` over one shard of a huge file: read only the bytes the shard owns (strata-data's
//! `shard_byte_range`: the lines that start in its share of the file), and name its output
//! `OUT.shard-00003-of-00008`, so that `cat OUT.shard-*` in name order is the output a single
//! process would have written, byte for byte, and a rerun of one shard replaces only its file.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use strata_data::{byte_order_mark_len, parse_input_lines, read_byte_range, shard_byte_range, ReadOptions, Shard};

use crate::shard_choice::ShardChoice;

/// The texts of `choice`'s shard of `input`, and the file its predictions go to (`output`
/// suffixed with the shard); a note on stderr says which bytes this process reads.
pub fn shard_texts(
    input: Option<&Path>,
    output: Option<&Path>,
    read: &ReadOptions,
    choice: &ShardChoice,
) -> Result<(Vec<String>, PathBuf)> {
    let shard = choice.shard;
    let Some(input) = input.filter(|p| p.as_os_str() != "-") else {
        bail!(
            "shard {} of {} (from {}): stdin cannot be cut into shards (hint: name the input file)",
            shard.index,
            shard.count,
            choice.index_from
        );
    };
    let Some(output) = output else {
        bail!(
            "shard {} of {} (from {}) needs --output (hint: each shard writes OUTPUT.shard-IIIII-of-NNNNN; cat them in name order for the whole)",
            shard.index,
            shard.count,
            choice.index_from
        );
    };
    let range = shard_byte_range(input, shard)?;
    let mut head = Vec::new();
    std::fs::File::open(input)
        .and_then(|f| f.take(512).read_to_end(&mut head))
        .with_context(|| format!("reading {}", input.display()))?;
    let bom = byte_order_mark_len(&head, input)? as u64;
    let start = range.start.max(if range.start == 0 { bom } else { 0 });
    let bytes = read_byte_range(input, start..range.end.max(start))?;
    let texts = match parse_input_lines(&bytes, input, read) {
        Ok(texts) => texts,
        Err(mut e) => {
            // the shard counts lines from its first; the user wants the file's line number
            if let Some(line) = e.line {
                e.line = Some(line + lines_before(input, range.start)?);
            }
            return Err(e.into());
        }
    };
    let out = shard_output(output, shard);
    if crate::progress::verbosity() > crate::progress::Verbosity::Quiet {
        eprintln!(
            "predict: shard {} of {} (index from {}, count from {}): bytes {}..{} of {}, {} lines -> {}",
            shard.index,
            shard.count,
            choice.index_from,
            choice.count_from,
            range.start,
            range.end,
            input.display(),
            texts.len(),
            out.display()
        );
    }
    Ok((texts, out))
}

/// `OUTPUT.shard-00003-of-00008`: zero-padded so that name order is shard order.
pub fn shard_output(output: &Path, shard: Shard) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".");
    name.push(shard_suffix(shard));
    PathBuf::from(name)
}

fn shard_suffix(shard: Shard) -> String {
    let width = shard.count.to_string().len().max(5);
    format!("shard-{:0width$}-of-{:0width$}", shard.index, shard.count)
}

/// How many lines end before byte `at` of `path` (read only to number an error's line).
fn lines_before(path: &Path, at: u64) -> Result<usize> {
    let bytes = read_byte_range(path, 0..at)?;
    Ok(bytes.iter().filter(|&&b| b == b'\n').count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_names_sort_in_shard_order() {
        let names: Vec<_> =
            [3, 10, 2].iter().map(|&i| shard_output(Path::new("out.tsv"), Shard { index: i, count: 11 })).collect();
        assert_eq!(names[0], Path::new("out.tsv.shard-00003-of-00011"));
        assert!(names[2] < names[0] && names[0] < names[1]);
        let wide = shard_output(Path::new("o"), Shard { index: 7, count: 1_000_000 });
        assert_eq!(wide, Path::new("o.shard-0000007-of-1000000"));
    }
}
