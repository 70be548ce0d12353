//! A model folder's three files from any bytes (split at the first two 0xFF bytes): an error
//! or a model, never a panic or a huge allocation — and a model that loads must predict. Loading
//! alone once passed folders (a `maxlen` of 10¹², an OOV id past the embedding, a sentence count
//! whose product with `maxlen` wraps) that aborted or panicked at their first prediction.
#![no_main]
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use strata_model::folder::parse_folder;
use strata_model::infer::predict;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0xFF);
    let (config, tensors, vocab) =
        (parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]));
    if let Ok(saved) = parse_folder(Path::new("fuzz"), config, tensors, vocab) {
        let texts = ["good film. bad plot!", "", "x"];
        let predictions = predict(&saved, &texts);
        assert_eq!(predictions.len(), texts.len());
        assert!(predictions.iter().all(|p| p.class < saved.labels.len()));
    }
});
