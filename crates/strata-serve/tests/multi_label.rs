//! A multi-label model served (issue 15, point 2): `/v1/predict` keeps its shape — a list of
//! `{"label", "score"}` per text — and lists every label at or above its threshold, most
//! probable first, as `strata predict` does; for the linear model and for a network (the seed
//! model with one sigmoid per label) alike.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use strata_data::{LabelMap, MultiExample};
use strata_model::linear::LinearConfig;
use strata_model::Classifier;
use strata_serve::ServeConfig;
use strata_text::{PadSequences, TokenizerConfig};
use strata_train::fit::{FitOptions, Silent};
use strata_train::schedule::Schedule;
use strata_workflow::linear::LinearSettings;
use strata_workflow::multi_label::{train_multi, MultiData};
use strata_workflow::pipeline::{ModelSettings, Probes, TextSettings, TrainSettings};
use tower::ServiceExt;

/// Texts about sport, food or both, each topic named by its own words; one threshold (0.4) for
/// every label; the linear model, or the seed network when `linear` is false.
fn tiny_multi_label_model(linear: bool) -> Classifier {
    let texts =
        [("goal match team", vec!["sport"]), ("bread soup cheese", vec!["food"]), ("goal soup", vec!["food", "sport"])];
    let examples: Vec<MultiExample> = (0..90)
        .map(|i| {
            let (t, l) = &texts[i % 3];
            MultiExample { text: t.to_string(), labels: l.iter().map(|s| s.to_string()).collect(), line: i + 1 }
        })
        .collect();
    let labels = LabelMap::from_labels(["food", "sport"]);
    let y: Vec<Vec<usize>> =
        examples.iter().map(|e| e.labels.iter().map(|l| labels.index(l).unwrap()).collect()).collect();
    let settings = TrainSettings {
        text: TextSettings { tokenizer: TokenizerConfig::default(), pad: PadSequences::keras(6) },
        model: ModelSettings::named("seed", 8, Default::default()).unwrap(),
        fit: FitOptions {
            epochs: 20,
            batch_size: 8,
            optimizer: strata_train::OptimizerKind::Adam { lr: 0.01 },
            ..FitOptions::default()
        },
        schedule: Schedule::end_to_end(1, 20),
        validation_split: 0.0,
        probes: Probes::Off,
        embeddings: None,
        init_from: None,
        level_heads: Vec::new(),
        nbsvm: None,
        linear: linear.then(|| LinearSettings {
            config: LinearConfig { dim: 8, buckets: 1000, ..LinearConfig::default() },
            lr: 0.5,
        }),
    };
    let idx: Vec<usize> = (0..examples.len()).collect();
    let data = MultiData { examples: &examples, labels: &labels, y: &y, train_idx: &idx, val_idx: &[] };
    train_multi(data, &settings, Some(0.4), &mut Silent).unwrap().model
}

#[tokio::test]
async fn predict_lists_every_label_above_its_threshold() {
    predict_lists_every_label_above_its_threshold_of(tiny_multi_label_model(true), ["bread cheese", "match team"])
        .await;
    // the network is asked about its own three texts: 90 lines of them teach it no more
    let network = tiny_multi_label_model(false);
    predict_lists_every_label_above_its_threshold_of(network, ["bread soup cheese", "goal match team"]).await;
}

/// `/v1/predict` on "goal soup" and `food_then_sport`, one text of food and one of sport.
async fn predict_lists_every_label_above_its_threshold_of(model: Classifier, food_then_sport: [&str; 2]) {
    assert_eq!(model.thresholds(), Some(&[0.4f32, 0.4][..]));
    let served = strata_serve::Served::new("tiny-multi".into(), model, ServeConfig::default());
    let app = strata_serve::router(served);
    let body = serde_json::json!({"inputs": ["goal soup", food_then_sport[0], food_then_sport[1]]}).to_string();
    let req = Request::builder()
        .method("POST")
        .uri("/v1/predict")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let labels = |i: usize| -> Vec<&str> {
        let mut l: Vec<&str> = v[i].as_array().unwrap().iter().map(|x| x["label"].as_str().unwrap()).collect();
        l.sort_unstable();
        l
    };
    assert_eq!((labels(0), labels(1), labels(2)), (vec!["food", "sport"], vec!["food"], vec!["sport"]), "{v}");
    for row in v.as_array().unwrap() {
        let scores: Vec<f64> = row.as_array().unwrap().iter().map(|x| x["score"].as_f64().unwrap()).collect();
        assert!(scores.iter().all(|&s| s >= 0.4) && scores.windows(2).all(|w| w[0] >= w[1]), "{v}");
    }
}
