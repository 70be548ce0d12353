//! Every refusal the API makes, with its status and its `{"error": "..."}` body, so that a
//! client meets one shape whatever went wrong (400, 403, 413, 415, 429, 500, 503).

use axum::http::header::RETRY_AFTER;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::request::BadRequest;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Bad(#[from] BadRequest),
    #[error("Content-Type must be application/json (hint: send the header Content-Type: application/json)")]
    NotJson,
    #[error("{n} inputs in one request; the limit is {max} (hint: split the list, or raise --max-inputs)")]
    TooManyInputs { n: usize, max: usize },
    #[error(
        "the text has {n} tokens; /v1/explain takes at most {max} (hint: explain a shorter passage, or raise --max-explain-tokens)"
    )]
    TooManyTokens { n: usize, max: usize },
    #[error("{max} explanations are being computed already (hint: retry in a moment)")]
    ExplainsBusy { max: usize },
    #[error("the server is busy: its queue is full (hint: retry in a moment)")]
    QueueFull,
    #[error("inference failed on this request's batch; the worker was restarted (hint: retry)")]
    WorkerFailed,
    #[error("the model is not available: the inference worker has stopped")]
    Unavailable,
    #[error("the explanation failed")]
    ExplainFailed,
    /// A Host header the server does not answer (DNS rebinding).
    #[error("Host {0:?} is not served here (hint: reach the server as localhost or 127.0.0.1)")]
    WrongHost(String),
    /// A request sent by another site's page.
    #[error("cross-origin request from {0:?} refused (hint: use the page the server serves at /)")]
    CrossOrigin(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Bad(_) => StatusCode::BAD_REQUEST,
            ApiError::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyInputs { .. } | ApiError::TooManyTokens { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::ExplainsBusy { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::QueueFull | ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::WorkerFailed | ApiError::ExplainFailed => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::WrongHost(_) | ApiError::CrossOrigin(_) => StatusCode::FORBIDDEN,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": self.to_string()}));
        match self {
            // a refusal for load, not for the request: say when to come back
            ApiError::QueueFull | ApiError::ExplainsBusy { .. } => {
                (self.status(), [(RETRY_AFTER, "1")], body).into_response()
            }
            _ => (self.status(), body).into_response(),
        }
    }
}
