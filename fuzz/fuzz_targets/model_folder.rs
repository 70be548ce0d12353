//! A model folder's three files from any bytes (split at the first two 0xFF bytes): an error
//! or a model, never a panic or a huge allocation.
#![no_main]
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use strata_model::folder::parse_folder;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0xFF);
    let (config, tensors, vocab) = (parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]));
    let _ = parse_folder(Path::new("fuzz"), config, tensors, vocab);
});
