//! Issue 11, point 16: one long text sent to `/v1/explain` used to abort the server (memory
//! grew with tokens², 40k tokens in a 167 KB body). Now only the tokens the model reads are
//! occluded, and tokens per explanation and explanations at once are capped.

mod common;

use std::sync::Arc;

use common::{post, Gate, Server};
use serde_json::json;
use strata_serve::ServeConfig;

/// The process's peak resident memory in MB (Linux).
fn peak_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 =
        status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb / 1024.0)
}

#[tokio::test]
async fn a_long_text_costs_what_the_model_reads_not_its_length_squared() {
    let server = Server::start(ServeConfig { max_explain_tokens: 100_000, ..ServeConfig::default() }).await;
    let words = 20_000; // before the fix: 20k copies of 20k ids, 1.6 GB
    let text = "good dull ".repeat(words / 2);
    let before = peak_mb();
    let reply = post(server.addr, "/v1/explain", &json!({"inputs": text.trim()}).to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let tokens = reply.json()["tokens"].as_array().unwrap().clone();
    assert_eq!(tokens.len(), words);
    // the model reads the last 6 ids (maxlen 6, Keras's "pre" truncation); the rest score 0
    let read = tokens.iter().filter(|t| t["occlusion"].as_f64() != Some(0.0)).count();
    assert!(read <= 6, "{read} tokens with a saliency");
    assert!(tokens[words - 1]["occlusion"].as_f64().unwrap() != 0.0);
    if let (Some(before), Some(after)) = (before, peak_mb()) {
        assert!(after - before < 300.0, "explaining {words} tokens took {:.0} MB", after - before);
    } else {
        eprintln!("skipped the memory check: no /proc/self/status");
    }
}

#[tokio::test]
async fn too_many_tokens_get_413_and_too_many_explains_429() {
    let gate = Arc::new(Gate::default());
    let config = ServeConfig {
        max_explain_tokens: 50,
        max_concurrent_explains: 1,
        work_hook: Some(gate.hook()),
        ..ServeConfig::default()
    };
    let server = Server::start(config).await;
    let long = "good ".repeat(51);
    let reply = post(server.addr, "/v1/explain", &json!({"inputs": long.trim()}).to_string()).await;
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert!(reply.json()["error"].as_str().unwrap().contains("51 tokens"), "{}", reply.body);

    let addr = server.addr;
    let held = tokio::spawn(async move { post(addr, "/v1/explain", r#"{"inputs": "HOLD good"}"#).await });
    gate.wait_held().await;
    let reply = post(server.addr, "/v1/explain", r#"{"inputs": "good film"}"#).await;
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert!(reply.headers.contains("retry-after: 1"), "{}", reply.headers);
    assert!(reply.json()["error"].as_str().is_some());
    gate.open();
    assert_eq!(held.await.unwrap().status, 200);
    assert_eq!(post(server.addr, "/v1/explain", r#"{"inputs": "good film"}"#).await.status, 200);
}
