//! The HTTP API against a small trained model, through the router (no network).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use strata_serve::ServeConfig;
use tower::ServiceExt;

mod common;

fn served() -> Arc<strata_serve::Served> {
    served_with(ServeConfig::default())
}

fn served_with(config: ServeConfig) -> Arc<strata_serve::Served> {
    strata_serve::Served::new("tiny".into(), common::tiny_model(), config)
}

async fn call(app: &axum::Router, method: &str, uri: &str, body: &str) -> (StatusCode, Value, String) {
    call_with(app, method, uri, &[("content-type", "application/json")], body).await
}

async fn call_with(
    app: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, Value, String) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Body::from(body.to_string())).unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
}

#[tokio::test]
async fn predict_answers_in_the_pipeline_shape() {
    let app = strata_serve::router(served());
    let (s, v, _) = call(&app, "GET", "/health", "").await;
    assert_eq!((s, v), (StatusCode::OK, json!({"status": "ok"})));
    let (s, v, _) = call(&app, "GET", "/v1/model", "").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["labels"], json!(["neg", "pos"]));
    assert_eq!(v["architecture"]["layers"][0], json!({"type": "lstm", "units": 8, "bidirectional": false}));

    let (s, v, _) = call(&app, "POST", "/v1/predict", r#"{"inputs": "good fine film"}"#).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0][0]["label"], "pos", "{v}");
    assert!(v[0][0]["score"].as_f64().unwrap() > 0.5);
    assert_eq!(v[0].as_array().unwrap().len(), 1);

    let (s, v, _) = call(&app, "POST", "/v1/predict", r#"{"inputs": ["dull bad", "good film"], "top_k": 2}"#).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0][0]["label"], "neg");
    assert_eq!(v[1].as_array().unwrap().len(), 2);
    let sum: f64 = v[1].as_array().unwrap().iter().map(|x| x["score"].as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-5);

    let (s, v, _) = call(&app, "POST", "/v1/explain", r#"{"inputs": "dull film"}"#).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["tokens"].as_array().unwrap().len(), 2);

    let (s, _, page) = call(&app, "GET", "/", "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"text\"") && page.contains("/v1/explain") && !page.contains("src=\"http"));
}

#[tokio::test]
async fn bad_requests_get_400_with_a_reason_and_big_ones_413() {
    let app = strata_serve::router(served_with(ServeConfig { max_body: 1000, ..ServeConfig::default() }));
    for (body, needle) in [
        ("{not json", "malformed JSON"),
        ("[1, 2]", "JSON object"),
        (r#"{"text": "x"}"#, "missing field \"inputs\""),
        (r#"{"inputs": 7}"#, "string or a list of strings"),
        (r#"{"inputs": ["ok", 3]}"#, "string or a list of strings"),
        (r#"{"inputs": "x", "top_k": 0}"#, "top_k"),
        (r#"{"inputs": "x", "top_k": "two"}"#, "top_k"),
    ] {
        let (s, v, text) = call(&app, "POST", "/v1/predict", body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {text}");
        assert!(v["error"].as_str().unwrap_or("").contains(needle), "{body}: {text}");
    }
    let big = format!(r#"{{"inputs": "{}"}}"#, "a ".repeat(2000));
    let (s, v, text) = call(&app, "POST", "/v1/predict", &big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(v["error"].as_str().unwrap_or("").contains("limit of 1000 bytes"), "{text}");
}

/// Issue 11, point 19: a request that is not labelled JSON, or that another site's page sends,
/// is refused; every refusal (404, 405, 413, 415, 403) is `{"error": ...}`.
#[tokio::test]
async fn only_json_from_our_own_origin_is_served_and_every_refusal_is_json() {
    let config = ServeConfig { allowed_hosts: ServeConfig::hosts_for_bind("127.0.0.1"), ..ServeConfig::default() };
    let app = strata_serve::router(served_with(config));
    let body = r#"{"inputs": "good film"}"#;
    let json = ("content-type", "application/json");
    for (headers, want) in [
        (vec![], StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (vec![("content-type", "text/plain")], StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (vec![("content-type", "application/x-www-form-urlencoded")], StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (vec![json, ("host", "evil.example:8080")], StatusCode::FORBIDDEN),
        (vec![json, ("host", "127.0.0.1:8080"), ("origin", "http://evil.example")], StatusCode::FORBIDDEN),
        (vec![json, ("host", "127.0.0.1:8080"), ("origin", "null")], StatusCode::FORBIDDEN),
        (vec![json, ("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")], StatusCode::OK),
        (vec![json, ("host", "localhost:8080")], StatusCode::OK),
        (vec![json], StatusCode::OK),
    ] {
        for route in ["/v1/predict", "/v1/explain"] {
            let (s, v, text) = call_with(&app, "POST", route, &headers, body).await;
            assert_eq!(s, want, "{route} {headers:?}: {text}");
            if s != StatusCode::OK {
                assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{route} {headers:?}: {text}");
            }
        }
    }
    for (method, uri, want) in
        [("GET", "/nope", StatusCode::NOT_FOUND), ("GET", "/v1/predict", StatusCode::METHOD_NOT_ALLOWED)]
    {
        let (s, v, text) = call_with(&app, method, uri, &[], "").await;
        assert_eq!(s, want, "{text}");
        assert!(v["error"].as_str().is_some_and(|e| e.contains(if s == 404 { "/nope" } else { "GET" })), "{text}");
    }
}

#[tokio::test]
async fn concurrent_requests_all_get_their_own_answers() {
    let app = strata_serve::router(served());
    let mut handles = Vec::new();
    for i in 0..32 {
        let app = app.clone();
        handles.push(tokio::spawn(async move {
            let text = if i % 2 == 0 { "good fine" } else { "dull bad" };
            let (s, v, _) = call(&app, "POST", "/v1/predict", &json!({"inputs": [text, text]}).to_string()).await;
            (i, s, v)
        }));
    }
    for h in handles {
        let (i, s, v) = h.await.unwrap();
        assert_eq!(s, StatusCode::OK);
        let want = if i % 2 == 0 { "pos" } else { "neg" };
        assert_eq!(v.as_array().unwrap().len(), 2);
        assert_eq!(v[0][0]["label"], want, "request {i}: {v}");
    }
}
