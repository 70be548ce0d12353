//! Issue 11, point 20 (connections): slow clients were held open for 75 s and more, and 300
//! idle sockets exhausted a 256-descriptor limit. Now headers must arrive within the header
//! timeout (which also closes idle kept-alive connections), a body within the deadline, and
//! open connections are capped.

mod common;

use std::time::{Duration, Instant};

use common::{get, parse_reply, Server};
use strata_serve::ServeConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn quick() -> ServeConfig {
    ServeConfig {
        header_timeout: Duration::from_millis(300),
        deadline: Duration::from_millis(500),
        ..ServeConfig::default()
    }
}

/// Sends `partial`, then waits for the server to answer or close; what it read, and how long.
async fn stall(server: &Server, partial: &str) -> (Vec<u8>, Duration) {
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(partial.as_bytes()).await.unwrap();
    let start = Instant::now();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the server still held a stalled client after 5 s");
    (out, start.elapsed())
}

#[tokio::test]
async fn clients_that_stall_or_idle_are_let_go() {
    let server = Server::start(quick()).await;
    // no bytes at all, and half a request head
    for partial in ["", "POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"] {
        let (_, waited) = stall(&server, partial).await;
        assert!(waited < Duration::from_secs(3), "{partial:?} held {waited:?}");
    }
    // a whole head, then a tenth of the body: the deadline answers
    let head = "POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"inputs\"";
    let (out, _) = stall(&server, head).await;
    let reply = parse_reply(&out);
    assert_eq!(reply.status, 408, "{reply:?}");
    assert!(reply.json()["error"].as_str().unwrap().contains("deadline"));
    // a kept-alive connection, idle after its answer, is closed too
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "an idle kept-alive connection stayed open");
    assert_eq!(parse_reply(&out).status, 200);
}

#[tokio::test]
async fn idle_sockets_beyond_the_cap_wait_and_the_server_keeps_answering() {
    let server = Server::start(ServeConfig { max_connections: 4, ..quick() }).await;
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let reply = tokio::time::timeout(Duration::from_secs(8), get(server.addr, "/metrics")).await.expect("answered");
    assert_eq!(reply.status, 200);
    let open: f64 = reply
        .body
        .lines()
        .find_map(|l| l.strip_prefix("strata_open_connections "))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!((1.0..=4.0).contains(&open), "{open} connections open at once");
}
