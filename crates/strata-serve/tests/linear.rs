//! A linear model (fastText's, `--model linear`) served like a network: `/v1/model` describes
//! it by its own settings, `/v1/predict` answers in the same shape, `/v1/explain` gives each
//! word's exact contribution, and the explain bound counts the words the model reads.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use strata_serve::ServeConfig;
use tower::ServiceExt;

mod common;

fn served_with(config: ServeConfig) -> Arc<strata_serve::Served> {
    strata_serve::Served::new("tiny-linear".into(), common::tiny_linear_model(), config)
}

async fn call(app: &axum::Router, method: &str, uri: &str, body: &str) -> (StatusCode, Value, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
}

#[tokio::test]
async fn model_info_describes_a_linear_model_by_its_settings() {
    let app = strata_serve::router(served_with(ServeConfig::default()));
    let (s, v, _) = call(&app, "GET", "/v1/model", "").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["name"], "tiny-linear");
    assert_eq!(v["labels"], json!(["neg", "pos"]));
    let a = &v["architecture"];
    assert_eq!(a["model"], "linear", "{v}");
    assert_eq!((a["dim"].as_u64(), a["word_ngrams"].as_u64(), a["buckets"].as_u64()), (Some(8), Some(2), Some(1000)));
    assert_eq!(a["loss"], "softmax");
    // eight words in the texts, and fastText's end-of-text word
    assert_eq!(a["dictionary_size"], 9, "{v}");
    assert_eq!(a["tokenizer"], "word");
    assert!(a.get("layers").is_none() && a.get("maxlen").is_none(), "a network's fields: {v}");
}

#[tokio::test]
async fn a_linear_model_predicts_and_explains_through_the_api() {
    let app = strata_serve::router(served_with(ServeConfig::default()));
    let (s, v, _) =
        call(&app, "POST", "/v1/predict", r#"{"inputs": ["good fine film", "dull bad"], "top_k": 2}"#).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v[0][0]["label"].as_str(), v[1][0]["label"].as_str()), (Some("pos"), Some("neg")), "{v}");
    let sum: f64 = v[0].as_array().unwrap().iter().map(|x| x["score"].as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-5, "{v}");

    let (s, v, _) = call(&app, "POST", "/v1/explain", r#"{"inputs": "dull film"}"#).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["label"], "neg");
    let tokens = v["tokens"].as_array().unwrap();
    assert_eq!(tokens.iter().map(|t| t["token"].as_str().unwrap()).collect::<Vec<_>>(), ["dull", "film", "</s>"]);
    // exact contributions: both fields carry the same number, and "dull" pushes towards "neg"
    for t in tokens {
        assert_eq!(t["occlusion"], t["gradient_x_input"], "{v}");
    }
    assert!(tokens[0]["occlusion"].as_f64().unwrap() > 0.0, "{v}");
}

#[tokio::test]
async fn the_explain_bound_counts_the_words_a_linear_model_reads() {
    let app = strata_serve::router(served_with(ServeConfig { max_explain_tokens: 3, ..ServeConfig::default() }));
    let (s, _, _) = call(&app, "POST", "/v1/explain", r#"{"inputs": "good fine film"}"#).await;
    assert_eq!(s, StatusCode::OK);
    // four words, none of them known: still four words to read
    let (s, v, _) = call(&app, "POST", "/v1/explain", r#"{"inputs": "zzz yyy xxx www"}"#).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v["error"].as_str().unwrap().contains('4'), "{v}");
}

/// `serve --reject-below`: below the threshold the one answer is `__none__`, with the top
/// probability; above it, the labels as before (issue 15 point 4).
#[tokio::test]
async fn a_text_below_the_threshold_is_none_of_the_known_labels() {
    let app = strata_serve::router(served_with(ServeConfig::default()));
    let (_, v, _) = call(&app, "POST", "/v1/predict", r#"{"inputs": ["good fine film", "zzz"]}"#).await;
    let (sure, unsure) = (v[0][0]["score"].as_f64().unwrap(), v[1][0]["score"].as_f64().unwrap());
    assert!(sure > unsure, "{v}");
    let between = (sure + unsure) / 2.0;
    let app =
        strata_serve::router(served_with(ServeConfig { reject_below: Some(between as f32), ..ServeConfig::default() }));
    let (s, v, _) = call(&app, "POST", "/v1/predict", r#"{"inputs": ["good fine film", "zzz"], "top_k": 2}"#).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_ne!(v[0][0]["label"], "__none__", "{v}");
    assert_eq!(v[0].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(v[1], json!([{"label": "__none__", "score": unsure}]), "{v}");
}
