//! An ensemble folder (`strata ensemble`) served like any model: saved, loaded back from disk
//! and put behind the API, it answers the weighted mean of its members' probabilities, says in
//! `/v1/model` what it is made of, and explains by occlusion.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use strata_model::ensemble::Ensemble;
use strata_model::Classifier;
use strata_serve::ServeConfig;
use tower::ServiceExt;

mod common;

async fn call(app: &axum::Router, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_saved_ensemble_loads_and_serves_the_weighted_mean_of_its_members() {
    let (net, lin) = (common::tiny_model(), common::tiny_linear_model());
    let members = vec![("net".to_string(), net.clone()), ("lin".to_string(), lin.clone())];
    let ensemble = Classifier::Ensemble(Ensemble::new(members, Some(&[0.25, 0.75])).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ens");
    ensemble.save(&dir).unwrap();
    let loaded = strata_model::classifier::load(&dir).unwrap();
    assert_eq!(loaded.architecture(), "ensemble");

    let texts = ["good fine film", "dull bad", "unknown words only"];
    let (a, b, e) = (net.predict(&texts), lin.predict(&texts), loaded.predict(&texts));
    for ((a, b), e) in a.iter().zip(&b).zip(&e) {
        for c in 0..2 {
            assert!((e.probs[c] - (0.25 * a.probs[c] + 0.75 * b.probs[c])).abs() < 1e-6, "{e:?} {a:?} {b:?}");
        }
    }

    let served = strata_serve::Served::new("tiny-ensemble".into(), loaded, ServeConfig::default());
    let app = strata_serve::router(Arc::clone(&served));
    let (s, v) = call(&app, "GET", "/v1/model", "").await;
    assert_eq!(s, StatusCode::OK);
    let arch = &v["architecture"];
    assert_eq!((arch["model"].as_str(), arch["voting"].as_str()), (Some("ensemble"), Some("soft")), "{v}");
    assert_eq!(arch["members"][1]["architecture"]["model"], "linear", "{v}");
    assert_eq!(arch["members"][0]["weight"], 0.25, "{v}");

    let (s, v) = call(&app, "POST", "/v1/predict", r#"{"inputs": ["good fine film", "dull bad"], "top_k": 2}"#).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for (i, p) in e.iter().take(2).enumerate() {
        let best = &v[i][0];
        assert_eq!(best["label"], ["neg", "pos"][p.class], "{v}");
        assert!((best["score"].as_f64().unwrap() - f64::from(p.probs[p.class])).abs() < 1e-6, "{v}");
    }
    let (s, v) = call(&app, "POST", "/v1/explain", r#"{"inputs": "good fine film"}"#).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["tokens"].as_array().unwrap().len(), 3, "{v}");
}
