//! Saliency checks: gradient × input agrees with a finite difference of the model itself, and
//! occlusion is the probability drop when a token becomes OOV.

use strata_data::{Example, LabelMap};
use strata_model::explain::{occlusion, Explanation};
use strata_model::zoo::Knobs;
use strata_model::ModelConfig;
use strata_text::{PadSequences, TokenizerConfig};
use strata_train::fit::{FitOptions, Silent};
use strata_train::schedule::Schedule;
use strata_workflow::pipeline::{predict, train, ModelSettings, Probes, TextSettings, TrainData, TrainSettings};

#[test]
fn gradient_x_input_matches_a_finite_difference() {
    let model = ModelSettings::named("seed-stacked", 6, Knobs { units: Some(5), layers: Some(2), ..Knobs::default() });
    check_explanation(model.unwrap(), 5, "dull film good", &["dull", "film", "good"]);
}

#[test]
fn a_multichannel_model_counts_both_copies_of_a_word_as_its_input() {
    // Kim's CNN-multichannel: gradient × input sums over [trained ; static], so scaling both
    // rows of a word is what it predicts (a static copy is an input like the trained one)
    let model = ModelSettings::named("kim-cnn", 6, Knobs { units: Some(3), ..Knobs::default() }).unwrap();
    let model = ModelSettings { multichannel: true, ..model };
    check_explanation(model, 6, "dull film good", &["dull", "film", "good"]);
}

#[test]
fn a_hierarchical_model_explains_by_sentence_with_attention() {
    let model = ModelSettings::named("han", 6, Knobs { units: Some(4), sentences: Some(2), ..Knobs::default() });
    let ex = check_explanation(model.unwrap(), 3, "dull film. good", &["dull", "film", "good"]);
    assert_eq!(ex.tokens.iter().map(|t| t.sentence).collect::<Vec<_>>(), [Some(0), Some(0), Some(1)]);
    assert_eq!(ex.sentence_attention.len(), 2);
    let words: f32 = ex.tokens[..2].iter().map(|t| t.attention.unwrap()).sum();
    assert!(words > 0.0 && words <= 1.0 + 1e-6, "word attention within a sentence: {words}");
    let sentences: f32 = ex.sentence_attention.iter().sum();
    assert!(sentences > 0.0 && sentences <= 1.0 + 1e-6, "sentence attention: {sentences}");
}

/// Trains `model` on a tiny corpus, explains `text` (whose tokens are `words`), and checks
/// gradient × input against a finite difference and occlusion against the OOV swap.
fn check_explanation(model: ModelSettings, maxlen: usize, text: &str, words: &[&str]) -> Explanation {
    let texts = ["good fine film", "bad dull plot", "fine good acting", "dull bad boring"];
    let examples: Vec<Example> = (0..40)
        .map(|i| Example { text: texts[i % 4].into(), label: ["pos", "neg"][i % 2].into(), line: i + 1 })
        .collect();
    let labels = LabelMap::from_labels(["neg", "pos"]);
    let y: Vec<usize> = examples.iter().map(|e| labels.index(&e.label).unwrap()).collect();
    let settings = TrainSettings {
        text: TextSettings {
            tokenizer: TokenizerConfig { num_words: Some(30), oov_token: Some("<OOV>".into()), ..Default::default() },
            pad: PadSequences::keras(maxlen),
        },
        schedule: Schedule::end_to_end(
            ModelConfig { layers: model.layers.clone(), ..ModelConfig::seed(2) }.levels(),
            4,
        ),
        model,
        fit: FitOptions { epochs: 4, batch_size: 8, ..FitOptions::default() },
        validation_split: 0.0,
        probes: Probes::Off,
        embeddings: None,
        init_from: None,
        linear: None,
        level_heads: Vec::new(),
        nbsvm: None,
    };
    let idx: Vec<usize> = (0..examples.len()).collect();
    let mut saved = train(
        TrainData { examples: &examples, labels: &labels, y: &y, train_idx: &idx, val_idx: &[] },
        &settings,
        &mut Silent,
    )
    .unwrap()
    .saved
    .into_network()
    .unwrap();
    let ex = occlusion(&saved, text).unwrap();
    let class = labels.index(&ex.label).unwrap();
    let prob = |s: &strata_model::folder::SavedModel| predict(s, &[text])[0].probs[class] as f64;
    let base = prob(&saved);
    assert!((base - ex.score as f64).abs() < 1e-6);
    // scaling one token's embedding row (in every copy) by (1 - eps) changes p by about
    // -eps * (grad · x)
    let eps = 1e-2f32;
    let e = saved.model.config.embedding_dim;
    let layout = &saved.model.layout;
    let tables: Vec<usize> =
        std::iter::once(layout.embedding.start).chain(layout.static_embedding.clone().map(|r| r.start)).collect();
    for (k, word) in words.iter().enumerate() {
        let id = saved.tokenizer.word_index()[*word] as usize;
        let mut scaled = saved.clone();
        for &at in &tables {
            scaled.model.params.data[at + id * e..at + (id + 1) * e].iter_mut().for_each(|v| *v *= 1.0 - eps);
        }
        let fd = (base - prob(&scaled)) / eps as f64;
        let gxi = ex.tokens[k].gradient_x_input.unwrap() as f64;
        assert!((fd - gxi).abs() < 2e-3 + 0.05 * gxi.abs(), "{word}: finite difference {fd} vs grad×input {gxi}");
    }
    // occlusion: the drop when the token becomes OOV
    let oov = saved.tokenizer.word_index()["<OOV>"] as usize;
    let good = saved.tokenizer.word_index()["good"] as usize;
    for &at in &tables {
        let row: Vec<f32> = saved.model.params.data[at + oov * e..at + (oov + 1) * e].to_vec();
        saved.model.params.data[at + good * e..at + (good + 1) * e].copy_from_slice(&row);
    }
    let drop = base - prob(&saved);
    assert!((drop - ex.tokens[2].occlusion.unwrap() as f64).abs() < 1e-5);
    ex
}
