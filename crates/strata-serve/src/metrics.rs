//! `GET /metrics` in the OpenMetrics text format, served under its own content type, which
//! Prometheus scrapes (the `prometheus-client` crate): requests by route and status, latency by
//! route, requests in flight, open connections, and the
//! inference worker's queue depth, abandoned requests and restarts.
//!
//! The `observe` middleware counts every request, refusals included, so an operator sees 413s,
//! 429s and 503s next to the 200s.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::batcher::WorkerStats;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

type Latency = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The server's metrics and the registry that writes them.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Latency,
    in_flight: Gauge,
    /// Open client connections (kept by the server's accept loop).
    pub connections: Gauge,
    queue: Gauge,
    abandoned: Counter,
    restarts: Counter,
    /// One scrape at a time brings the worker's counts over.
    scrape: Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        // 0.5 ms .. ~16 s
        let latency: Latency = Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 2.0, 16)));
        let (in_flight, connections, queue) = (Gauge::default(), Gauge::default(), Gauge::default());
        let (abandoned, restarts) = (Counter::default(), Counter::default());
        registry.register("strata_requests", "HTTP requests answered, by route and status", requests.clone());
        registry.register("strata_request_duration_seconds", "Time to answer a request, by route", latency.clone());
        registry.register("strata_requests_in_flight", "Requests being answered now", in_flight.clone());
        registry.register("strata_open_connections", "Client connections open now", connections.clone());
        registry.register("strata_queue_depth", "Predict requests waiting for the inference worker", queue.clone());
        registry.register(
            "strata_abandoned_requests",
            "Predict requests dropped unanswered because their client had gone",
            abandoned.clone(),
        );
        registry.register(
            "strata_worker_restarts",
            "Times the inference worker started again after a panic",
            restarts.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            in_flight,
            connections,
            queue,
            abandoned,
            restarts,
            scrape: Mutex::new(()),
        }
    }
}

/// Counts and times every request.
pub async fn observe(State(m): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let start = Instant::now();
    m.in_flight.inc();
    let _done = DecOnDrop(&m.in_flight); // a request whose client leaves is dropped here
    let res = next.run(req).await;
    m.requests.get_or_create(&RequestLabels { route: route.clone(), status: res.status().as_u16() }).inc();
    m.latency.get_or_create(&RouteLabels { route }).observe(start.elapsed().as_secs_f64());
    res
}

struct DecOnDrop<'a>(&'a Gauge);

impl Drop for DecOnDrop<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The `/metrics` answer: `m`, with the worker's counts from `stats`.
pub fn render(m: &Metrics, stats: &WorkerStats) -> Response {
    let mut text = String::new();
    let _one = m.scrape.lock().unwrap_or_else(|e| e.into_inner());
    m.queue.set(stats.queued.load(Ordering::SeqCst) as i64);
    catch_up(&m.abandoned, stats.abandoned.load(Ordering::SeqCst));
    catch_up(&m.restarts, stats.restarts.load(Ordering::SeqCst));
    if encode(&mut text, &m.registry).is_err() {
        text.clear();
        let _ = writeln!(text, "# the metrics could not be written");
    }
    drop(_one);
    ([(CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
}

/// Brings `counter` up to the worker's count `now`.
fn catch_up(counter: &Counter, now: u64) {
    counter.inc_by(now.saturating_sub(counter.get()));
}
