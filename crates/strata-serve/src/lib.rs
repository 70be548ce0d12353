//! Serving a saved model over HTTP (axum on tokio).
//!
//! - `GET /health`, `GET /v1/model` (name, labels, architecture);
//! - `POST /v1/predict` with `{"inputs": "text" | ["t1", ...], "top_k": 1}` answering
//!   `[[{"label": "pos", "score": 0.93}], ...]`, the Hugging Face pipeline shape;
//! - `POST /v1/explain` with `{"inputs": "text"}`: occlusion saliency per word;
//! - `GET /`: a self-contained page to type text and see the label, score and shaded words.
//!
//! Bad requests get `400 {"error": "..."}`, bodies over the limit `413`. Inference never runs on
//! the async workers: requests go to a batching thread that gathers whatever arrives within a
//! couple of milliseconds into one forward pass.

#![forbid(unsafe_code)]

mod batcher;
mod page;
mod routes;

pub use batcher::Batcher;
pub use routes::{parse as parse_request, router, BadRequest, Served};
