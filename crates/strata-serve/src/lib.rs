//! Serving a saved model of either family (a network or a linear model, as a `Classifier`) over
//! HTTP (axum on tokio, hyper's HTTP/1).
//!
//! - `GET /health` (503 once the inference worker has stopped), `GET /v1/model` (name, labels,
//!   architecture: a network's layers, or a linear model's fastText settings), `GET /metrics`
//!   (OpenMetrics text, which Prometheus scrapes);
//! - `POST /v1/predict` with `{"inputs": "text" | ["t1", ...], "top_k": 1}` answering
//!   `[[{"label": "pos", "score": 0.93}], ...]`, the Hugging Face pipeline shape;
//! - `POST /v1/explain` with `{"inputs": "text"}`: saliency per word (a network's occlusion, a
//!   linear model's exact contribution to the predicted class's logit);
//! - `GET /`: a self-contained page to type text and see the label, score and shaded words.
//!
//! Every refusal is `{"error": "..."}` with its status. Bounded like TorchServe and TF Serving
//! ([`ServeConfig`]): body size, inputs per request, a queue that answers 503 + Retry-After
//! when full, a deadline per request, explanations capped in size and number, connections
//! capped and slow or idle ones closed, work dropped when its client has gone, graceful
//! shutdown on SIGINT and SIGTERM with a drain deadline. Inference never runs on the async
//! workers: requests go to a supervised batching thread that gathers whatever arrives within a
//! couple of milliseconds into one forward pass.

#![forbid(unsafe_code)]

mod batcher;
mod config;
mod error;
mod json_errors;
mod metrics;
pub mod page;
mod request;
mod routes;
mod same_origin;
mod served;
mod server;

pub use batcher::{Batcher, Refused, WorkerStats, MAX_RESTARTS};
pub use config::{ServeConfig, WorkHook};
pub use error::ApiError;
pub use request::{parse as parse_request, BadRequest};
pub use routes::{init_access_log, router};
pub use served::Served;
pub use server::{serve, shutdown_signal, ServeError};
