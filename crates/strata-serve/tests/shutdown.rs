//! Issue 11, point 20 (shutdown): SIGTERM used to drop requests in flight (only Ctrl-C drained)
//! and a stalled client could hang the drain. Now both signals stop accepting, let requests in
//! flight finish, and drop what is left after the drain deadline. This file is its own test
//! binary because it sends SIGTERM to its own process.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{post, Gate};
use strata_serve::{ServeConfig, Served};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn sigterm_drains_requests_in_flight_and_does_not_wait_on_a_stalled_client() {
    let gate = Arc::new(Gate::default());
    let config = ServeConfig {
        work_hook: Some(gate.hook()),
        drain: Duration::from_secs(2),
        header_timeout: Duration::from_secs(60),
        ..ServeConfig::default()
    };
    let served = Served::new("tiny".into(), common::tiny_model(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let done = tokio::spawn(strata_serve::serve(listener, served, strata_serve::shutdown_signal()));

    let in_flight = tokio::spawn(async move { post(addr, "/v1/predict", r#"{"inputs": "HOLD good"}"#).await });
    gate.wait_held().await;
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled.write_all(b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let killed = std::process::Command::new("kill").args(["-TERM", &std::process::id().to_string()]).status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -TERM");
    let start = Instant::now();
    // new clients are refused once the signal is seen
    let refused = common::eventually(2.0, async || TcpStream::connect(addr).await.is_err()).await;
    assert!(refused, "still accepting after SIGTERM");
    gate.open();
    let reply = in_flight.await.unwrap();
    assert_eq!(reply.status, 200, "the request in flight was dropped: {reply:?}");
    let served = tokio::time::timeout(Duration::from_secs(5), done).await.expect("the drain has a deadline");
    assert!(matches!(served, Ok(Ok(()))), "{served:?}");
    assert!(start.elapsed() < Duration::from_secs(4), "{:?}", start.elapsed());
}
