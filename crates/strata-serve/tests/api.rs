//! The HTTP API against a small trained model, through the router (no network).

use std::sync::Arc;
use strata_model::zoo::Knobs;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use strata_data::{Example, LabelMap};
use strata_text::{PadSequences, TokenizerConfig};
use strata_train::fit::{FitOptions, Silent};
use strata_train::schedule::Schedule;
use strata_workflow::pipeline::{train, ModelSettings, Probes, TextSettings, TrainData, TrainSettings};
use tower::ServiceExt;

fn served() -> Arc<strata_serve::Served> {
    let texts = ["good fine film", "bad dull plot", "fine good acting", "dull bad boring", "good good", "boring dull"];
    let examples: Vec<Example> = (0..60)
        .map(|i| Example { text: texts[i % 6].to_string(), label: ["pos", "neg"][i % 2].into(), line: i + 1 })
        .collect();
    let labels = LabelMap::from_labels(["neg", "pos"]);
    let y: Vec<usize> = examples.iter().map(|e| labels.index(&e.label).unwrap()).collect();
    let settings = TrainSettings {
        text: TextSettings {
            tokenizer: TokenizerConfig { num_words: Some(50), oov_token: Some("<OOV>".into()), ..Default::default() },
            pad: PadSequences::keras(6),
        },
        model: ModelSettings::named("seed", 8, Knobs { units: Some(8), layers: Some(1), ..Knobs::default() }).unwrap(),
        fit: FitOptions { epochs: 15, batch_size: 8, ..FitOptions::default() },
        schedule: Schedule::end_to_end(1, 15),
        validation_split: 0.0,
        probes: Probes::Off,
    };
    let idx: Vec<usize> = (0..examples.len()).collect();
    let trained = train(
        TrainData { examples: &examples, labels: &labels, y: &y, train_idx: &idx, val_idx: &[] },
        &settings,
        &mut Silent,
    )
    .unwrap();
    strata_serve::Served::new("tiny".into(), trained.saved)
}

async fn call(app: &axum::Router, method: &str, uri: &str, body: &str) -> (StatusCode, Value, String) {
    let req = Request::builder().method(method).uri(uri).body(Body::from(body.to_string())).unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
}

#[tokio::test]
async fn predict_answers_in_the_pipeline_shape() {
    let app = strata_serve::router(served(), 1 << 20);
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
    let app = strata_serve::router(served(), 1000);
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
    let (s, _, _) = call(&app, "POST", "/v1/predict", &big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn concurrent_requests_all_get_their_own_answers() {
    let app = strata_serve::router(served(), 1 << 20);
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
