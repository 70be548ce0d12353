//! A file of results the user names (`predict --output`, `test --predictions`): written whole
//! and atomically, and never over the input it was computed from — a slip such as
//! `--output data.tsv` would otherwise replace the user's data with predictions.

use std::path::Path;

use anyhow::{bail, Result};
use strata_model::atomic::write_atomic;

/// Writes `bytes` to `path` atomically, unless `path` is the file `input` names.
pub fn write_results(path: &Path, input: Option<&Path>, bytes: &[u8]) -> Result<()> {
    let same = |a: &Path, b: &Path| matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y);
    if let Some(input) = input.filter(|input| same(path, input)) {
        bail!(
            "{}: this is the input file; writing results there would replace it (hint: name another file)",
            input.display()
        );
    }
    Ok(write_atomic(path, bytes)?)
}
