//! The HTTP routes and their request checking.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use strata_model::explain::occlusion;
use strata_model::folder::SavedModel;

use crate::batcher::Batcher;
use crate::page::PAGE;

/// What the server holds: the model, its name, and the batching thread.
pub struct Served {
    pub name: String,
    pub saved: Arc<SavedModel>,
    pub batcher: Batcher,
}

impl Served {
    pub fn new(name: String, saved: SavedModel) -> Arc<Served> {
        let saved = Arc::new(saved);
        Arc::new(Served { name, batcher: Batcher::start(saved.clone()), saved })
    }
}

/// The application, with a request body limit of `max_body` bytes.
pub fn router(state: Arc<Served>, max_body: usize) -> Router {
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/v1/model", get(model_info))
        .route("/v1/predict", post(predict))
        .route("/v1/explain", post(explain))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
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

fn bad(why: BadRequest) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": why.to_string()}))).into_response()
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
    let v: Value = serde_json::from_slice(body).map_err(|e| BadRequest::MalformedJson(e.to_string()))?;
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

async fn predict(State(s): State<Arc<Served>>, body: Bytes) -> Response {
    let (texts, _, top_k) = match parse(&body) {
        Ok(p) => p,
        Err(why) => return bad(why),
    };
    let Some(preds) = s.batcher.predict(texts).await else {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"error": "the model is not available"}))).into_response();
    };
    let labels = &s.saved.labels;
    let out: Vec<Vec<Value>> = preds
        .iter()
        .map(|p| p.top_k(top_k).into_iter().map(|c| json!({"label": labels.label(c), "score": p.probs[c]})).collect())
        .collect();
    Json(out).into_response()
}

async fn explain(State(s): State<Arc<Served>>, body: Bytes) -> Response {
    let (texts, single, _) = match parse(&body) {
        Ok(p) => p,
        Err(why) => return bad(why),
    };
    if !single {
        return bad(BadRequest::NotOneString);
    }
    let saved = s.saved.clone();
    let text = texts.into_iter().next().unwrap_or_default();
    match tokio::task::spawn_blocking(move || occlusion(&saved, &text)).await {
        Ok(Some(ex)) => Json(ex).into_response(),
        Ok(None) => bad(BadRequest::NoKnownWord),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": "explanation failed"}))).into_response(),
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
