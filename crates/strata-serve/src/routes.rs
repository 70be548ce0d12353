//! The HTTP routes and the layers every request passes through.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use serde_json::{json, Value};
use strata_model::Classifier;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, TraceLayer};
use tracing::Span;

use crate::batcher::Refused;
use crate::error::ApiError;
use crate::json_errors::json_errors;
use crate::metrics::{observe, render};
use crate::page::PAGE;
use crate::request::{parse_value, BadRequest};
use crate::same_origin::same_origin;
use crate::served::Served;

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
        .layer(middleware::from_fn_with_state(state.config.clone(), same_origin))
        .layer(middleware::from_fn_with_state(state.config.clone(), json_errors))
        .layer(middleware::from_fn_with_state(state.metrics.clone(), observe))
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

/// `GET /metrics`.
async fn metrics(State(s): State<Arc<Served>>) -> Response {
    render(&s.metrics, s.batcher.stats())
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

/// The JSON body, or the refusal for a body that is not JSON or not labelled as JSON.
fn json_body(body: Result<Json<Value>, JsonRejection>) -> Result<Value, Box<Response>> {
    match body {
        Ok(Json(v)) => Ok(v),
        Err(JsonRejection::MissingJsonContentType(_)) => Err(Box::new(ApiError::NotJson.into_response())),
        Err(JsonRejection::JsonSyntaxError(e)) => {
            Err(Box::new(ApiError::Bad(BadRequest::MalformedJson(e.body_text())).into_response()))
        }
        Err(JsonRejection::JsonDataError(e)) => {
            Err(Box::new(ApiError::Bad(BadRequest::MalformedJson(e.body_text())).into_response()))
        }
        Err(other) => Err(Box::new(other.into_response())), // the body limit's 413, made JSON by json_errors
    }
}

async fn model_info(State(s): State<Arc<Served>>) -> Json<Value> {
    Json(json!({"name": s.name, "labels": s.model.labels().labels(), "architecture": architecture(&s.model)}))
}

/// What `/v1/model` says of the model: a network's layers and input size, or a linear model's
/// fastText settings and dictionary size; both name their tokenizer.
fn architecture(model: &Classifier) -> Value {
    match model {
        Classifier::Network(saved) => {
            let c = &saved.model.config;
            json!({
                "model": c.architecture, "layers": c.layers, "embedding_dim": c.embedding_dim,
                "vocab_size": c.vocab_size, "maxlen": saved.pad.maxlen,
                "tokenizer": if saved.tokenizer.config.char_level { "char" } else { "word" },
                "segmenter": saved.tokenizer.config.segmenter,
            })
        }
        Classifier::Linear(m) => {
            let c = &m.config;
            json!({
                "model": model.architecture(), "dim": c.dim, "word_ngrams": c.word_ngrams, "buckets": c.buckets,
                "min_count": c.min_count, "minn": c.minn, "maxn": c.maxn, "loss": c.loss,
                "dictionary_size": m.dict.len(),
                "tokenizer": if m.tokenizer.char_level { "char" } else { "word" },
                "segmenter": m.tokenizer.segmenter,
            })
        }
        Classifier::Ensemble(e) => {
            let members: Vec<Value> = e
                .members
                .iter()
                .map(|m| json!({"weight": m.weight, "source": m.source, "architecture": architecture(&m.model)}))
                .collect();
            json!({"model": model.architecture(), "voting": "soft", "members": members})
        }
        Classifier::Nbsvm(m) => {
            let c = &m.config;
            json!({
                "model": model.architecture(), "word_ngrams": c.word_ngrams, "alpha": c.alpha, "beta": c.beta,
                "c": c.c, "punctuation": c.punctuation, "features": m.keys.len(),
                "tokenizer": if m.tokenizer.char_level { "char" } else { "word" },
                "segmenter": m.tokenizer.segmenter,
            })
        }
    }
}

async fn predict(State(s): State<Arc<Served>>, body: Result<Json<Value>, JsonRejection>) -> Response {
    let v = match json_body(body) {
        Ok(v) => v,
        Err(refused) => return *refused,
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
    let mut preds = preds;
    // a tree model trained with top-down decoding answers as predict does: top-down
    strata_model::tree_answer::decode_predictions(&s.model, &mut preds);
    let labels = s.model.labels();
    let out: Vec<Vec<Value>> = preds
        .iter()
        .map(|p| match strata_model::reject::accept(p.class, p.probs[p.class], s.config.reject_below) {
            None => vec![json!({"label": strata_model::reject::NONE_LABEL, "score": p.probs[p.class]})],
            Some(_) => {
                // a multi-label model answers every label above its threshold, in the same shape
                let shown = strata_model::multi_label::shown(p, s.model.thresholds(), top_k);
                shown.into_iter().map(|c| answer(&s.model, labels.label(c), p.probs[c])).collect()
            }
        })
        .collect();
    Json(out).into_response()
}

/// One answer of `/v1/predict`: a label and its score, and for a tree model the label's path
/// from its top node down (`["comp", "comp.graphics"]` for `comp/comp.graphics`).
fn answer(model: &Classifier, label: &str, score: f32) -> Value {
    match model.structure() {
        strata_model::label_structure::LabelStructure::Tree { separator, .. } => {
            let path: Vec<&str> = label.split(separator.as_str()).collect();
            json!({"label": label, "score": score, "path": path})
        }
        _ => json!({"label": label, "score": score}),
    }
}

async fn explain(State(s): State<Arc<Served>>, body: Result<Json<Value>, JsonRejection>) -> Response {
    let v = match json_body(body) {
        Ok(v) => v,
        Err(refused) => return *refused,
    };
    let (texts, single, _) = match parse_value(v) {
        Ok(p) => p,
        Err(why) => return ApiError::Bad(why).into_response(),
    };
    if !single {
        return ApiError::Bad(BadRequest::NotOneString).into_response();
    }
    let text = texts.into_iter().next().unwrap_or_default();
    let n = s.model.token_count(&text);
    if n > s.config.max_explain_tokens {
        return ApiError::TooManyTokens { n, max: s.config.max_explain_tokens }.into_response();
    }
    let Ok(permit) = s.explains.clone().try_acquire_owned() else {
        return ApiError::ExplainsBusy { max: s.config.max_concurrent_explains }.into_response();
    };
    let (model, hook) = (s.model.clone(), s.config.work_hook.clone());
    let work = tokio::task::spawn_blocking(move || {
        let _permit = permit; // held until the work ends, even if the client has gone
        if let Some(hook) = hook {
            hook(&[text.as_str()]);
        }
        model.explain(&text)
    });
    match work.await {
        Ok(Some(ex)) => Json(ex).into_response(),
        Ok(None) => ApiError::Bad(BadRequest::NoKnownWord).into_response(),
        Err(_) => ApiError::ExplainFailed.into_response(),
    }
}
