//! The HTTP routes, their request checking, and the layers every request passes through.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use serde_json::{json, Value};
use strata_model::explain::occlusion;
use strata_model::folder::SavedModel;
use tokio::sync::Semaphore;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, TraceLayer};
use tracing::Span;

use crate::batcher::{Batcher, Refused};
use crate::config::ServeConfig;
use crate::error::ApiError;
use crate::json_errors::json_errors;
use crate::metrics::{metrics, observe, Metrics};
use crate::page::PAGE;
use crate::same_origin::same_origin;

/// What the server holds: the model, its name, its limits, the batching worker, the
/// explanations' permits and the metrics.
pub struct Served {
    pub name: String,
    pub saved: Arc<SavedModel>,
    pub batcher: Batcher,
    pub config: ServeConfig,
    pub metrics: Metrics,
    explains: Arc<Semaphore>,
}

impl Served {
    pub fn new(name: String, saved: SavedModel, config: ServeConfig) -> Arc<Served> {
        let saved = Arc::new(saved);
        let batcher = Batcher::start(saved.clone(), config.queue_depth, config.work_hook.clone());
        let explains = Arc::new(Semaphore::new(config.max_concurrent_explains));
        Arc::new(Served { name, batcher, saved, config, metrics: Metrics::default(), explains })
    }
}

/// The application. Layers, outermost first: an access log line per request, metrics,
/// `{"error"}` bodies for every refusal, the Host/Origin check, the deadline, the body limit.
pub fn router(state: Arc<Served>) -> Router {
    let c = &state.config;
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/model", get(model_info))
        .route("/v1/predict", post(predict))
        .route("/v1/explain", post(explain))
        .layer(DefaultBodyLimit::max(c.max_body))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, c.deadline))
        .layer(middleware::from_fn_with_state(state.clone(), same_origin))
        .layer(middleware::from_fn_with_state(state.clone(), json_errors))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_request(())
                .on_response(|res: &Response, latency: Duration, _: &Span| {
                    tracing::info!(
                        status = res.status().as_u16(),
                        latency_ms = latency.as_secs_f64() * 1e3,
                        "answered"
                    );
                })
                .on_failure(|_: ServerErrorsFailureClass, _: Duration, _: &Span| {}),
        )
        .with_state(state)
}

/// Installs the access log: one line per request on stderr (method, path, status, latency).
/// Does nothing when the process already has a subscriber.
pub fn init_access_log() {
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).try_init();
}

/// `{"status": "ok"}` while the inference worker runs; 503 once it has stopped.
async fn health(State(s): State<Arc<Served>>) -> Response {
    if s.batcher.is_healthy() {
        Json(json!({"status": "ok"})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "error": ApiError::Unavailable.to_string()})),
        )
            .into_response()
    }
}

/// Why a request is refused; its Display is the 400's `error`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadRequest {
    /// The body is not JSON; the parser's reason.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("the body must be a JSON object with \"inputs\"")]
    NotAnObject,
    #[error("missing field \"inputs\"")]
    MissingInputs,
    #[error("\"inputs\" must be a string or a list of strings")]
    BadInputs,
    #[error("\"top_k\" must be a positive integer")]
    BadTopK,
    /// `/v1/explain` given a list.
    #[error("\"inputs\" must be one string for /v1/explain")]
    NotOneString,
    /// `/v1/explain` given a text without a word the model knows.
    #[error("no word of the text is in the model's vocabulary")]
    NoKnownWord,
}

/// The JSON body, or the refusal for a body that is not JSON or not labelled as JSON.
fn json_body(body: Result<Json<Value>, JsonRejection>) -> Result<Value, Response> {
    match body {
        Ok(Json(v)) => Ok(v),
        Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::NotJson.into_response()),
        Err(JsonRejection::JsonSyntaxError(e)) => {
            Err(ApiError::Bad(BadRequest::MalformedJson(e.body_text())).into_response())
        }
        Err(JsonRejection::JsonDataError(e)) => {
            Err(ApiError::Bad(BadRequest::MalformedJson(e.body_text())).into_response())
        }
        Err(other) => Err(other.into_response()), // the body limit's 413, made JSON by json_errors
    }
}

async fn model_info(State(s): State<Arc<Served>>) -> Json<Value> {
    let c = &s.saved.model.config;
    Json(json!({
        "name": s.name,
        "labels": s.saved.labels.labels(),
        "architecture": {
            "model": c.architecture, "layers": c.layers, "embedding_dim": c.embedding_dim,
            "vocab_size": c.vocab_size, "maxlen": s.saved.pad.maxlen,
            "tokenizer": if s.saved.tokenizer.config.char_level { "char" } else { "word" },
            "segmenter": s.saved.tokenizer.config.segmenter,
        },
    }))
}

/// Parses `{"inputs": "text" | [...], "top_k": k}` into (texts, whether `inputs` was one
/// string, top_k); `Err` is the reason for a 400.
pub fn parse(body: &[u8]) -> Result<(Vec<String>, bool, usize), BadRequest> {
    parse_value(serde_json::from_slice(body).map_err(|e| BadRequest::MalformedJson(e.to_string()))?)
}

/// [`parse`] for a body already read as JSON.
pub fn parse_value(v: Value) -> Result<(Vec<String>, bool, usize), BadRequest> {
    let obj = v.as_object().ok_or(BadRequest::NotAnObject)?;
    let (texts, single) = match obj.get("inputs") {
        Some(Value::String(s)) => (vec![s.clone()], true),
        Some(Value::Array(a)) => {
            let texts: Option<Vec<String>> = a.iter().map(|x| x.as_str().map(str::to_string)).collect();
            (texts.ok_or(BadRequest::BadInputs)?, false)
        }
        Some(_) => return Err(BadRequest::BadInputs),
        None => return Err(BadRequest::MissingInputs),
    };
    let top_k = match obj.get("top_k") {
        None | Some(Value::Null) => 1,
        Some(k) => match k.as_u64() {
            Some(k) if k >= 1 => k as usize,
            _ => return Err(BadRequest::BadTopK),
        },
    };
    Ok((texts, single, top_k))
}

async fn predict(State(s): State<Arc<Served>>, body: Result<Json<Value>, JsonRejection>) -> Response {
    let v = match json_body(body) {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let (texts, _, top_k) = match parse_value(v) {
        Ok(p) => p,
        Err(why) => return ApiError::Bad(why).into_response(),
    };
    if texts.len() > s.config.max_inputs {
        return ApiError::TooManyInputs { n: texts.len(), max: s.config.max_inputs }.into_response();
    }
    let preds = match s.batcher.predict(texts).await {
        Ok(p) => p,
        Err(Refused::QueueFull) => return ApiError::QueueFull.into_response(),
        Err(Refused::Failed) => return ApiError::WorkerFailed.into_response(),
        Err(Refused::Stopped) => return ApiError::Unavailable.into_response(),
    };
    let labels = &s.saved.labels;
    let out: Vec<Vec<Value>> = preds
        .iter()
        .map(|p| p.top_k(top_k).into_iter().map(|c| json!({"label": labels.label(c), "score": p.probs[c]})).collect())
        .collect();
    Json(out).into_response()
}

async fn explain(State(s): State<Arc<Served>>, body: Result<Json<Value>, JsonRejection>) -> Response {
    let v = match json_body(body) {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let (texts, single, _) = match parse_value(v) {
        Ok(p) => p,
        Err(why) => return ApiError::Bad(why).into_response(),
    };
    if !single {
        return ApiError::Bad(BadRequest::NotOneString).into_response();
    }
    let text = texts.into_iter().next().unwrap_or_default();
    let n = s.saved.tokenizer.token_ids(&text).len();
    if n > s.config.max_explain_tokens {
        return ApiError::TooManyTokens { n, max: s.config.max_explain_tokens }.into_response();
    }
    let Ok(permit) = s.explains.clone().try_acquire_owned() else {
        return ApiError::ExplainsBusy { max: s.config.max_concurrent_explains }.into_response();
    };
    let (saved, hook) = (s.saved.clone(), s.config.work_hook.clone());
    let work = tokio::task::spawn_blocking(move || {
        let _permit = permit; // held until the work ends, even if the client has gone
        if let Some(hook) = hook {
            hook(&[text.as_str()]);
        }
        occlusion(&saved, &text)
    });
    match work.await {
        Ok(Some(ex)) => Json(ex).into_response(),
        Ok(None) => ApiError::Bad(BadRequest::NoKnownWord).into_response(),
        Err(_) => ApiError::ExplainFailed.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_says_what_is_wrong_with_a_body() {
        assert_eq!(parse(br#"{"inputs": ["a", "b"], "top_k": 2}"#), Ok((vec!["a".into(), "b".into()], false, 2)));
        assert!(matches!(parse(b"{not json"), Err(BadRequest::MalformedJson(_))));
        assert_eq!(parse(b"[1]"), Err(BadRequest::NotAnObject));
        assert_eq!(parse(br#"{"text": "x"}"#), Err(BadRequest::MissingInputs));
        assert_eq!(parse(br#"{"inputs": ["x", 3]}"#), Err(BadRequest::BadInputs));
        assert_eq!(parse(br#"{"inputs": "x", "top_k": 0}"#), Err(BadRequest::BadTopK));
        assert_eq!(BadRequest::BadTopK.to_string(), "\"top_k\" must be a positive integer");
    }
}
