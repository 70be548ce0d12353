//! Issue 11, point 18: one panic on the batching thread left `/health` "ok" while every predict
//! answered 503 forever. Now a panic fails only its batch and the worker starts again; a worker
//! that keeps panicking is stopped, `/health` says so, and the server exits with an error.
//! The panic is made by a test hook (clients cannot reach one).

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use common::{eventually, get, metric, post, Gate, Server};
use strata_serve::{ServeConfig, ServeError, MAX_RESTARTS};

#[tokio::test]
async fn a_panicking_batch_fails_alone_and_the_worker_starts_again() {
    let gate = Arc::new(Gate::default());
    let server = Server::start(ServeConfig { work_hook: Some(gate.hook()), ..ServeConfig::default() }).await;
    let reply = post(server.addr, "/v1/predict", r#"{"inputs": "PANIC"}"#).await;
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert!(reply.json()["error"].as_str().unwrap().contains("restarted"), "{}", reply.body);
    let reply = post(server.addr, "/v1/predict", r#"{"inputs": "good fine film"}"#).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()[0][0]["label"], "pos");
    assert_eq!(get(server.addr, "/health").await.status, 200);
    assert_eq!(server.served.batcher.stats().restarts.load(Ordering::SeqCst), 1);
    assert_eq!(metric(server.addr, "strata_worker_restarts_total").await, Some(1.0));
}

#[tokio::test]
async fn a_worker_that_keeps_panicking_fails_health_and_stops_the_server() {
    let gate = Arc::new(Gate::default());
    let config = ServeConfig { work_hook: Some(gate.hook()), drain: Duration::from_secs(1), ..ServeConfig::default() };
    let mut server = Server::start(config).await;
    assert_eq!(get(server.addr, "/health").await.status, 200);
    for _ in 0..MAX_RESTARTS {
        let reply = post(server.addr, "/v1/predict", r#"{"inputs": "PANIC"}"#).await;
        assert!(reply.status == 500 || reply.status == 503, "{}", reply.body);
        assert!(reply.json()["error"].is_string(), "{}", reply.body);
    }
    assert!(eventually(5.0, async || !server.served.batcher.is_healthy()).await);
    // the server stops by itself, with an error for the CLI to exit non-zero on
    let done = tokio::time::timeout(Duration::from_secs(5), &mut server.done).await;
    assert!(matches!(done, Ok(Ok(Err(ServeError::WorkerStopped)))), "{done:?}");
    server.stop();
}

#[tokio::test]
async fn health_answers_503_once_the_worker_has_stopped() {
    let gate = Arc::new(Gate::default());
    let served = strata_serve::Served::new(
        "tiny".into(),
        common::tiny_model(),
        ServeConfig { work_hook: Some(gate.hook()), ..ServeConfig::default() },
    );
    let app = strata_serve::router(served.clone());
    for _ in 0..MAX_RESTARTS {
        let _ = served.batcher.predict(vec!["PANIC".into()]).await;
    }
    assert!(eventually(5.0, async || !served.batcher.is_healthy()).await);
    use tower::ServiceExt;
    let req = axum::http::Request::get("/health").body(axum::body::Body::empty()).unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), 503);
    let p = served.batcher.predict(vec!["good".into()]).await;
    assert_eq!(p.unwrap_err(), strata_serve::Refused::Stopped);
}
