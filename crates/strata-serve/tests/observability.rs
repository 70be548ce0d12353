//! Issue 11, point 20 (observability): an access log line per request, and `GET /metrics` in
//! the Prometheus text format with request counts, latencies and the queue depth.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{get, post, Server};
use strata_serve::ServeConfig;

/// Where the log lines of this test binary go.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_request_is_logged_counted_and_timed() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).init();
    let server = Server::start(ServeConfig::default()).await;
    assert_eq!(post(server.addr, "/v1/predict", r#"{"inputs": "good"}"#).await.status, 200);
    assert_eq!(post(server.addr, "/v1/predict", r#"{"inputs": 3}"#).await.status, 400);
    assert_eq!(get(server.addr, "/nope").await.status, 404);

    let reply = get(server.addr, "/metrics").await;
    assert_eq!(reply.status, 200);
    // the body is OpenMetrics text (TYPE lines name the family, samples end in _total, `# EOF`
    // closes it), so the content type must say so: Prometheus parses it by that header
    assert!(reply.headers.contains("content-type: application/openmetrics-text; version=1.0.0"), "{}", reply.headers);
    let m = reply.body;
    assert_eq!(m.lines().last(), Some("# EOF"), "{m}");
    for line in [
        r#"strata_requests_total{route="/v1/predict",status="200"} 1"#,
        r#"strata_requests_total{route="/v1/predict",status="400"} 1"#,
        r#"strata_requests_total{route="unmatched",status="404"} 1"#,
        r#"strata_request_duration_seconds_count{route="/v1/predict"} 2"#,
        "strata_queue_depth 0",
        "strata_worker_restarts_total 0",
    ] {
        assert!(m.lines().any(|l| l == line), "no {line:?} in\n{m}");
    }
    assert!(m.contains("# TYPE strata_request_duration_seconds histogram"), "{m}");

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("answered")).collect();
    assert!(lines.iter().any(|l| l.contains("uri=/v1/predict") && l.contains("status=200")), "{log}");
    assert!(lines.iter().any(|l| l.contains("uri=/nope") && l.contains("status=404")), "{log}");
    assert!(lines.len() >= 3, "{log}");
}
