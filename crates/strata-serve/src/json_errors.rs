//! Gives the refusals axum and tower-http make on their own (404 for an unknown route, 405 for
//! a wrong method, 413 for a body over the limit, 408 for a passed deadline) the API's shape,
//! `{"error": "..."}`, as the API's own refusals have: a client parses one kind of error.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use crate::config::ServeConfig;

/// Rewrites an error response that is not JSON into `{"error": ...}`, keeping its status and
/// headers (a 405's `Allow`, say).
pub async fn json_errors(State(c): State<Arc<ServeConfig>>, req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let why = match status {
        StatusCode::NOT_FOUND => format!(
            "no route {method} {path} (hint: GET /, /health, /v1/model, /metrics; POST /v1/predict, /v1/explain)"
        ),
        StatusCode::METHOD_NOT_ALLOWED => format!("{path} does not take {method}"),
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the request body is over the limit of {} bytes (hint: send fewer or shorter inputs, or raise --max-body)",
            c.max_body
        ),
        StatusCode::REQUEST_TIMEOUT => format!(
            "the request was not answered within its deadline of {:?} (hint: send fewer inputs, or raise --deadline)",
            c.deadline
        ),
        other => other.canonical_reason().unwrap_or("error").to_string(),
    };
    let (mut parts, _) = res.into_parts();
    parts.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(json!({ "error": why }).to_string()))
}
