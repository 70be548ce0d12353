//! Issue 11, point 17: predict had no bound — 10⁵ strings in one request held the server for
//! 22 s, and requests abandoned by their clients still cost minutes of CPU. Now inputs per
//! request, the queue and the time a request may take are bounded, and work whose client has
//! gone is dropped before it is computed.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use common::{eventually, metric, post, request, Gate, Server};
use serde_json::json;
use strata_serve::ServeConfig;
use tokio::io::AsyncWriteExt;

fn held(gate: &Arc<Gate>, config: ServeConfig) -> ServeConfig {
    ServeConfig { work_hook: Some(gate.hook()), ..config }
}

#[tokio::test]
async fn more_inputs_than_the_limit_get_413() {
    let server = Server::start(ServeConfig { max_inputs: 4, ..ServeConfig::default() }).await;
    let reply = post(server.addr, "/v1/predict", &json!({"inputs": vec!["good"; 5]}).to_string()).await;
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert!(reply.json()["error"].as_str().unwrap().contains("5 inputs"), "{}", reply.body);
    let reply = post(server.addr, "/v1/predict", &json!({"inputs": vec!["good"; 4]}).to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after() {
    let gate = Arc::new(Gate::default());
    let server = Server::start(held(&gate, ServeConfig { queue_depth: 2, ..ServeConfig::default() })).await;
    let addr = server.addr;
    let first = tokio::spawn(async move { post(addr, "/v1/predict", r#"{"inputs": "HOLD"}"#).await });
    gate.wait_held().await;
    let waiting: Vec<_> =
        (0..2).map(|_| tokio::spawn(async move { post(addr, "/v1/predict", r#"{"inputs": "good"}"#).await })).collect();
    let stats = || server.served.batcher.stats().queued.load(Ordering::SeqCst);
    assert!(eventually(5.0, async || stats() == 2).await, "two requests queued");
    let reply = post(addr, "/v1/predict", r#"{"inputs": "good"}"#).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(reply.headers.contains("retry-after: 1"), "{}", reply.headers);
    assert!(reply.json()["error"].as_str().unwrap().contains("busy"));
    gate.open();
    assert_eq!(first.await.unwrap().status, 200);
    for w in waiting {
        assert_eq!(w.await.unwrap().status, 200);
    }
}

#[tokio::test]
async fn work_whose_client_has_gone_is_never_computed() {
    let gate = Arc::new(Gate::default());
    let server = Server::start(held(&gate, ServeConfig::default())).await;
    let addr = server.addr;
    let first = tokio::spawn(async move { post(addr, "/v1/predict", r#"{"inputs": "HOLD"}"#).await });
    gate.wait_held().await;
    let mut gone = Vec::new();
    for k in 0..5 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let body = json!({"inputs": format!("abandoned {k}")}).to_string();
        s.write_all(request("POST", "/v1/predict", &body).as_bytes()).await.unwrap();
        gone.push(s);
    }
    let queued = || server.served.batcher.stats().queued.load(Ordering::SeqCst);
    assert!(eventually(5.0, async || queued() == 5).await, "five requests queued");
    drop(gone); // the clients hang up
                // the held request and the metrics request itself are the only ones left in flight
    assert!(eventually(5.0, async || metric(addr, "strata_requests_in_flight").await == Some(2.0)).await);
    gate.open();
    assert_eq!(first.await.unwrap().status, 200);
    let abandoned = || server.served.batcher.stats().abandoned.load(Ordering::SeqCst);
    assert!(eventually(5.0, async || abandoned() == 5).await, "{} abandoned", abandoned());
    let seen = gate.seen.lock().unwrap().clone();
    assert!(seen.iter().all(|t| !t.starts_with("abandoned")), "computed for nobody: {seen:?}");
    assert_eq!(metric(addr, "strata_abandoned_requests_total").await, Some(5.0));
}

#[tokio::test]
async fn a_request_past_its_deadline_gets_408_and_the_server_goes_on() {
    let gate = Arc::new(Gate::default());
    let config = held(&gate, ServeConfig { deadline: Duration::from_millis(300), ..ServeConfig::default() });
    let server = Server::start(config).await;
    let reply = post(server.addr, "/v1/predict", r#"{"inputs": "HOLD"}"#).await;
    assert_eq!(reply.status, 408, "{}", reply.body);
    assert!(reply.json()["error"].as_str().unwrap().contains("deadline"), "{}", reply.body);
    gate.open();
    assert_eq!(post(server.addr, "/v1/predict", r#"{"inputs": "good"}"#).await.status, 200);
}
