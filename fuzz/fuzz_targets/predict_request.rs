//! Any bytes as a `/v1/predict` body: a parsed request or a reason for 400, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((texts, single, top_k)) = strata_serve::parse_request(data) {
        assert!(top_k >= 1);
        assert!(!single || texts.len() == 1);
    }
});
