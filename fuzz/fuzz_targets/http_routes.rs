//! Any request through strata-serve's router, without a socket: a method, a path (one of the
//! routes, or any bytes), header lines and a body, all from the fuzzer's bytes (split at the
//! first two 0xFF bytes). Every request gets an answer that is not a 500, never a panic.
//! The model served is a small one built here, so the target needs no files.
#![no_main]
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use strata_data::LabelMap;
use strata_model::folder::SavedModel;
use strata_model::{Model, ModelConfig};
use strata_serve::{ServeConfig, Served};
use strata_text::{PadSequences, Tokenizer, TokenizerConfig};
use tower::ServiceExt;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "HEAD", "OPTIONS"];
const ROUTES: [&str; 6] = ["/", "/health", "/v1/model", "/v1/predict", "/v1/explain", "/metrics"];

struct App {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
}

fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let config = ModelConfig { embedding_dim: 4, ..ModelConfig::seed(20) };
        let mut tokenizer = Tokenizer::new(TokenizerConfig {
            num_words: Some(20),
            oov_token: Some("<OOV>".into()),
            ..Default::default()
        });
        tokenizer.fit_on_texts(&["good fine film", "bad dull plot"]);
        let saved = SavedModel {
            model: Model::new(config, 1),
            tokenizer,
            labels: LabelMap::from_labels(["neg", "pos"]),
            pad: PadSequences::keras(8),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let config = ServeConfig { max_body: 1 << 16, ..ServeConfig::default() };
        let served: Arc<Served> = Served::new("fuzz".into(), saved, config);
        let router = {
            let _inside = runtime.enter();
            strata_serve::router(served)
        };
        App { runtime, router }
    })
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0xFF);
    let (head, headers, body) = (parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]));
    let (method, path) = match head {
        [m, r, rest @ ..] => {
            let method = METHODS[*m as usize % METHODS.len()];
            match ROUTES.get(*r as usize) {
                Some(route) => (method, route.to_string()),
                None => (method, format!("/{}", String::from_utf8_lossy(rest))),
            }
        }
        _ => ("POST", "/v1/predict".to_string()),
    };
    let mut request = Request::builder().method(method).uri(path);
    for line in headers.split(|&b| b == b'\n') {
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            request = request.header(&line[..colon], &line[colon + 1..]);
        }
    }
    // a path or header the http crate refuses never reaches a server
    let Ok(request) = request.body(Body::from(body.to_vec())) else { return };
    let app = app();
    app.runtime.block_on(async {
        let response = app.router.clone().oneshot(request).await.expect("the router's error type is Infallible");
        assert_ne!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let _ = response.into_body().collect().await;
    });
});
