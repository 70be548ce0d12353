//! A saved and reloaded model predicts bit-identically, and every tensor survives the trip.

use strata_data::{Example, LabelMap};
use strata_model::folder::{load, save};
use strata_model::model::LayerSpec;
use strata_model::zoo::Knobs;
use strata_model::{predict_logits, ModelConfig};
use strata_text::{PadSequences, TokenizerConfig};
use strata_train::fit::{FitOptions, Silent};
use strata_train::schedule::Schedule;
use strata_workflow::pipeline::{train, ModelSettings, Probes, TextSettings, TrainData, TrainSettings};

#[test]
fn reloaded_model_predicts_bit_identically() {
    let texts = ["good fine film", "bad dull plot", "fine acting good", "dull bad boring", "good good", "boring film"];
    let examples: Vec<Example> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Example { text: t.to_string(), label: ["pos", "neg"][i % 2].into(), line: i + 1 })
        .collect();
    let labels = LabelMap::from_labels(["neg", "pos"]);
    let y: Vec<usize> = examples.iter().map(|e| labels.index(&e.label).unwrap()).collect();
    let settings = TrainSettings {
        text: TextSettings {
            tokenizer: TokenizerConfig { num_words: Some(50), oov_token: Some("<OOV>".into()), ..Default::default() },
            pad: PadSequences::keras(6),
        },
        model: ModelSettings::named("seed-stacked", 8, Knobs { units: Some(5), layers: Some(2), ..Knobs::default() })
            .unwrap(),
        fit: FitOptions { epochs: 3, batch_size: 2, ..FitOptions::default() },
        schedule: Schedule::layerwise(
            &ModelConfig {
                layers: vec![LayerSpec::Lstm(strata_model::layers::LstmConfig { units: 5, bidirectional: false }); 2],
                ..ModelConfig::seed(2)
            },
            3,
            1,
        ),
        validation_split: 0.0,
        probes: Probes::Off,
        embeddings: None,
        init_from: None,
        linear: None,
        level_heads: Vec::new(),
        nbsvm: None,
    };
    let idx: Vec<usize> = (0..examples.len()).collect();
    let trained = train(
        TrainData { examples: &examples, labels: &labels, y: &y, train_idx: &idx, val_idx: &[] },
        &settings,
        &mut Silent,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    save(&path, trained.saved.network().unwrap()).unwrap();
    let back = load(&path).unwrap();

    assert_eq!(back.model.params.specs, trained.saved.network().unwrap().model.params.specs);
    assert!(back
        .model
        .params
        .data
        .iter()
        .zip(&trained.saved.network().unwrap().model.params.data)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    let probe = ["good film", "unseen words only", "", "bad bad bad bad bad bad bad bad"];
    assert_eq!(back.pad, PadSequences::keras(6));
    let (ids_a, ids_b) = (trained.saved.network().unwrap().encode(&probe), back.encode(&probe));
    assert_eq!(ids_a, ids_b);
    let a = predict_logits(&trained.saved.network().unwrap().model, &ids_a, 6);
    let b = predict_logits(&back.model, &ids_b, 6);
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "{a:?} vs {b:?}");
    assert_eq!(back.labels.labels(), ["neg", "pos"]);
}
