//! Cutting a huge input file into N shards by byte range on line boundaries, so that N
//! independent processes (MPI ranks, a Slurm array, a Kubernetes Indexed Job) can each predict
//! one part without reading the rest: shard `i` owns the lines that START in
//! `[i·size/N, (i+1)·size/N)`. Every line starts in exactly one such range, so the shards' lines,
//! in shard order, are the file's lines in order — which is what makes the concatenation of the
//! shards' outputs equal the single-process output. A shard may own no line at all (a line longer
//! than a range swallows the next range's start), and then its output is empty.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

use crate::DataError;

/// One shard of a file: `index` of `count` (`index < count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The byte offset where the range of shard `k` (`0 ≤ k ≤ count`) begins: `k·size/count`.
    fn cut(&self, k: u64, size: u64) -> u64 {
        (k as u128 * size as u128 / self.count as u128) as u64
    }
}

/// The bytes of `path` that shard owns: from the first line start at or after its range's start
/// to the first line start at or after the next range's start (the end of the file for the last).
pub fn shard_byte_range(path: &Path, shard: Shard) -> Result<Range<u64>, DataError> {
    let io = |e: std::io::Error| {
        DataError::new(&path.display().to_string(), None, format!("cannot read: {e}"), "check the path and permissions")
    };
    let mut file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let start = line_start_at_or_after(&mut file, shard.cut(shard.index, size), size).map_err(io)?;
    let end = line_start_at_or_after(&mut file, shard.cut(shard.index + 1, size), size).map_err(io)?;
    Ok(start..end.max(start))
}

/// The bytes `range` of `path` (a shard's lines).
pub fn read_byte_range(path: &Path, range: Range<u64>) -> Result<Vec<u8>, DataError> {
    let io = |e: std::io::Error| {
        DataError::new(&path.display().to_string(), None, format!("cannot read: {e}"), "check the path and permissions")
    };
    let mut file = File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(range.start)).map_err(io)?;
    let mut bytes = Vec::with_capacity((range.end - range.start) as usize);
    file.take(range.end - range.start).read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// The first offset `p ≥ at` where a line starts (0, or just after a `\n`), else `size`.
fn line_start_at_or_after(file: &mut File, at: u64, size: u64) -> std::io::Result<u64> {
    if at == 0 || at >= size {
        return Ok(at.min(size));
    }
    // a line starts at `at` iff byte at−1 is '\n': look for the first '\n' from there on
    let mut pos = at - 1;
    file.seek(SeekFrom::Start(pos))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(size);
        }
        if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
            return Ok(pos + i as u64 + 1);
        }
        pos += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shard's bytes, for every count up to 12 and a few large ones, concatenate to the
    /// file, each shard starts at a line start, and owns exactly the lines starting in its range.
    #[test]
    fn shards_partition_the_file_on_line_starts() {
        let dir = tempfile::tempdir().unwrap();
        let files: [&[u8]; 7] = [
            b"",
            b"\n",
            b"one line without newline",
            b"a\r\nbb\r\n\r\nccc\n",
            b"short\na much longer line that crosses several ranges at once\nx\n\n\ny",
            b"\n\n\n\n\n",
            "\u{feff}héllo wörld\nsecond\n".as_bytes(),
        ];
        for (f, bytes) in files.iter().enumerate() {
            let path = dir.path().join(format!("f{f}.txt"));
            std::fs::write(&path, bytes).unwrap();
            let size = bytes.len() as u64;
            for count in (1..=12).chain([31, 100, 1000]) {
                let mut joined = Vec::new();
                for index in 0..count {
                    let r = shard_byte_range(&path, Shard { index, count }).unwrap();
                    assert_eq!(r.start, joined.len() as u64, "file {f}, shard {index} of {count}");
                    let lo = Shard { index, count }.cut(index, size);
                    let hi = Shard { index, count }.cut(index + 1, size);
                    for p in r.start..r.end {
                        let starts_line = p == 0 || bytes[p as usize - 1] == b'\n';
                        if starts_line {
                            assert!(lo <= p && p < hi, "file {f}: line at {p} owned by shard {index} of {count}");
                        }
                    }
                    joined.extend(read_byte_range(&path, r).unwrap());
                }
                assert_eq!(joined, *bytes, "file {f}, {count} shards");
            }
        }
    }
}
