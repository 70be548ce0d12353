//! Any bytes as TSV, CSV, JSONL and fastText input: an error or examples, never a panic.
#![no_main]
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use strata_data::{parse_examples, ReadOptions};

fuzz_target!(|data: &[u8]| {
    for name in ["f.tsv", "f.csv", "f.jsonl", "f.txt"] {
        let _ = parse_examples(data, Path::new(name), &ReadOptions::default());
    }
});
