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

fn bad(msg: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": msg.into()}))).into_response()
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
pub fn parse(body: &[u8]) -> Result<(Vec<String>, bool, usize), String> {
    const INPUTS: &str = "\"inputs\" must be a string or a list of strings";
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("malformed JSON: {e}"))?;
    let obj = v.as_object().ok_or("the body must be a JSON object with \"inputs\"")?;
    let (texts, single) = match obj.get("inputs") {
        Some(Value::String(s)) => (vec![s.clone()], true),
        Some(Value::Array(a)) => {
            let texts: Option<Vec<String>> = a.iter().map(|x| x.as_str().map(str::to_string)).collect();
            (texts.ok_or(INPUTS)?, false)
        }
        Some(_) => return Err(INPUTS.into()),
        None => return Err("missing field \"inputs\"".into()),
    };
    let top_k = match obj.get("top_k") {
        None | Some(Value::Null) => 1,
        Some(k) => match k.as_u64() {
            Some(k) if k >= 1 => k as usize,
            _ => return Err("\"top_k\" must be a positive integer".into()),
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
        return bad("\"inputs\" must be one string for /v1/explain");
    }
    let saved = s.saved.clone();
    let text = texts.into_iter().next().unwrap_or_default();
    match tokio::task::spawn_blocking(move || occlusion(&saved, &text)).await {
        Ok(Some(ex)) => Json(ex).into_response(),
        Ok(None) => bad("no word of the text is in the model's vocabulary"),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": "explanation failed"}))).into_response(),
    }
}
