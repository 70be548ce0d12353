//! The server's limits in one place, so that every bound a client meets (body size, inputs per
//! request, queue depth, deadline, explain size and concurrency, connections, shutdown drain)
//! is chosen by whoever starts the server — the CLI's flags, or a test's small values — and
//! no route carries a hidden constant.

use std::sync::Arc;
use std::time::Duration;

/// A function the inference work calls with the texts it is about to compute, before it
/// computes them (both the batching worker and `/v1/explain`). Tests use it to hold the work,
/// count it, or make the worker panic; the CLI never sets one, so nothing a client sends can
/// reach it.
pub type WorkHook = Arc<dyn Fn(&[&str]) + Send + Sync>;

/// What the server allows; `Default` gives the CLI's defaults.
#[derive(Clone)]
pub struct ServeConfig {
    /// Largest request body in bytes (413 above it).
    pub max_body: usize,
    /// Texts in one `/v1/predict` request (413 above it).
    pub max_inputs: usize,
    /// Predict requests waiting for the inference worker (503 + Retry-After when full).
    pub queue_depth: usize,
    /// Longest a request may take, from its head read to its answer, the body's upload
    /// included (408).
    pub deadline: Duration,
    /// Longest a client may take to send a request's headers, and longest an idle kept-alive
    /// connection stays open.
    pub header_timeout: Duration,
    /// Tokens in one `/v1/explain` text (413 above it).
    pub max_explain_tokens: usize,
    /// Explanations computed at once (429 + Retry-After beyond).
    pub max_concurrent_explains: usize,
    /// Open connections; further clients wait in the listen backlog, so the server never runs
    /// out of file descriptors.
    pub max_connections: usize,
    /// How long shutdown waits for requests in flight before it drops them.
    pub drain: Duration,
    /// Host header values served (host names, without port); `None` serves any. A server on
    /// loopback serves only loopback names, so a web page cannot reach it by DNS rebinding.
    pub allowed_hosts: Option<Vec<String>>,
    /// See [`WorkHook`]; `None` outside tests.
    pub work_hook: Option<WorkHook>,
    /// Out-of-scope rejection: a text whose top probability is below this gets the one answer
    /// `__none__` ("none of the known labels") with that probability; `None` rejects nothing.
    pub reject_below: Option<f32>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            max_body: 1 << 20,
            max_inputs: 256,
            queue_depth: 256,
            deadline: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            max_explain_tokens: 10_000,
            max_concurrent_explains: 4,
            max_connections: 512,
            drain: Duration::from_secs(10),
            allowed_hosts: None,
            work_hook: None,
            reject_below: None,
        }
    }
}

impl ServeConfig {
    /// The Host names a server bound to `host` answers: loopback names for a loopback address,
    /// any for another (a server exposed on the network is reached by names we cannot know).
    pub fn hosts_for_bind(host: &str) -> Option<Vec<String>> {
        let loopback = ["localhost", "127.0.0.1", "::1", "[::1]"];
        let is_loopback =
            loopback.contains(&host) || host.parse::<std::net::IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false);
        is_loopback.then(|| {
            let mut hosts: Vec<String> = loopback.iter().map(|h| h.to_string()).collect();
            hosts.push(host.to_string());
            hosts
        })
    }
}
