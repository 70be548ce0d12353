//! Golden test: two Adam steps of the seed model against tf-keras's `train_on_batch`.
//!
//! Fixture from `tests/reference/make_fixtures.py`:
//! ```python
//! model = Sequential([Embedding(20, 8), LSTM(6), Dense(1, activation="sigmoid")])
//! model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
//! loss1 = model.train_on_batch(ids, y); loss2 = model.train_on_batch(ids, y)
//! ```
//! Same weights in, same loss and same weights out (to float rounding): this checks the BCE,
//! the whole backward pass, and Adam's update with its tf-keras epsilon.

use serde_json::Value;
use strata_model::model::LayerSpec;
use strata_model::{Model, ModelConfig};
use strata_nn::optim::Adam;
use strata_train::fit::{stage_groups, BatchStepper, Dataset, OptimizerState};
use strata_train::schedule::Schedule;

fn flat(v: &Value) -> Vec<f32> {
    match v {
        Value::Array(a) => a.iter().flat_map(flat).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap() as f32],
        other => panic!("unexpected {other}"),
    }
}

const KEYS: [&str; 6] =
    ["embedding.weight", "lstm_0.kernel", "lstm_0.recurrent_kernel", "lstm_0.bias", "head.kernel", "head.bias"];

#[test]
fn two_adam_steps_match_tf_keras() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/seed_step.json");
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let n = |k: &str| fx[k].as_u64().unwrap() as usize;
    let config = ModelConfig {
        architecture: "seed".into(),
        vocab_size: n("V"),
        embedding_dim: n("E"),
        layers: vec![LayerSpec::Lstm(strata_model::layers::LstmConfig { units: n("H"), bidirectional: false })],
        num_classes: 2,
        embedding_init: 0.05,
        multichannel: false,
        mask_padding: false,
        multi_label: false,
    };
    let mut model = Model::zeros(config);
    for (key, w) in KEYS.iter().zip(fx["before"].as_array().unwrap()) {
        model.params.get_mut(key).copy_from_slice(&flat(w));
    }
    let ids: Vec<u32> = flat(&fx["ids"]).iter().map(|&v| v as u32).collect();
    let labels: Vec<usize> = flat(&fx["labels"]).iter().map(|&v| v as usize).collect();
    let data = Dataset { ids: &ids, labels: &labels, t: n("T") };

    let probs: Vec<f32> =
        strata_model::predict_logits(&model, &ids, n("T")).iter().map(|z| 1.0 / (1.0 + (-z).exp())).collect();
    for (p, w) in probs.iter().zip(flat(&fx["prob"])) {
        assert!((p - w).abs() < 1e-6, "probability {p} vs keras {w}");
    }

    let stage = Schedule::end_to_end(1, 1).stages.remove(0);
    let groups = stage_groups(&model, &stage);
    let mut opt = OptimizerState::Adam(Adam::keras(model.params.len()));
    let mut trainer = BatchStepper::new(&model);
    let batch: Vec<usize> = (0..labels.len()).collect();
    let mut worst = 0.0f32;
    for (step, (loss_key, after_key)) in [("loss1", "after1"), ("loss2", "after2")].into_iter().enumerate() {
        let s = trainer.step(&mut model, &data, &batch, &stage.plan, &mut opt, &groups).expect("a finite step");
        let loss = s.loss_sum / labels.len() as f64;
        let want = fx[loss_key].as_f64().unwrap();
        assert!((loss - want).abs() < 1e-6, "step {step}: loss {loss} vs keras {want}");
        for (key, w) in KEYS.iter().zip(fx[after_key].as_array().unwrap()) {
            for (a, b) in model.params.get(key).iter().zip(flat(w)) {
                worst = worst.max((a - b).abs());
            }
        }
    }
    println!("seed model after 2 Adam steps vs tf-keras: max abs weight difference {worst:.2e}");
    assert!(worst < 1e-6, "weights differ from tf-keras by {worst}");
}
