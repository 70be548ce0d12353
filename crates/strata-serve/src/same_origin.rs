//! Keeps other web pages away from a local server. A page on another site can send a request
//! to `http://127.0.0.1:PORT` (a form post, or a fetch after its name was rebound to
//! 127.0.0.1); the JSON content type already stops a form, and this check stops the rest:
//! the `Host` header must be a name the server answers, and an `Origin`, when a browser sends
//! one, must be the server's own.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::ServeConfig;
use crate::error::ApiError;

pub async fn same_origin(State(c): State<Arc<ServeConfig>>, req: Request, next: Next) -> Response {
    let host = req.headers().get(HOST).map(|h| String::from_utf8_lossy(h.as_bytes()).to_string());
    if let (Some(allowed), Some(host)) = (&c.allowed_hosts, &host) {
        let name = host_name(host);
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(name)) {
            return ApiError::WrongHost(host.clone()).into_response();
        }
    }
    if let Some(origin) = req.headers().get(ORIGIN) {
        let origin = String::from_utf8_lossy(origin.as_bytes()).to_string();
        let own =
            origin.strip_prefix("http://").is_some_and(|o| host.as_deref().is_some_and(|h| o.eq_ignore_ascii_case(h)));
        if !own {
            return ApiError::CrossOrigin(origin).into_response();
        }
    }
    next.run(req).await
}

/// `host[:port]` without the port; an IPv6 literal keeps its brackets.
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::host_name;

    #[test]
    fn host_name_drops_the_port() {
        assert_eq!(host_name("localhost:8080"), "localhost");
        assert_eq!(host_name("127.0.0.1"), "127.0.0.1");
        assert_eq!(host_name("[::1]:80"), "[::1]");
        assert_eq!(host_name("evil.example:8080"), "evil.example");
    }
}
