//! A multi-label network (issue 15, point 2) has one sigmoid per label on its head, trained
//! with binary cross-entropy summed over the labels against each text's multi-hot row
//! (`network::backward_multi`). This checks the whole model's gradient — head, auxiliary head
//! and body, and the embedding's through `demb` — against central differences, for the seed
//! model and Kim's CNN, with two labels (where a single-label model would have one sigmoid)
//! and four; texts carry zero, one or several labels.

use strata_model::network::{self, Plan, Workspace};
use strata_model::plan::Group;
use strata_model::zoo::{named_layers, Knobs};
use strata_model::{Model, ModelConfig};
use strata_nn::gradcheck::check;
use strata_nn::Rng;

const V: usize = 10;

/// Loss, the gradient of every tensor above the embedding, and the gradient at the embedding
/// output.
fn loss_and_grads(m: &Model, ids: &[u32], targets: &[f32], t: usize, plan: &Plan) -> (f64, Vec<f32>, Vec<f32>) {
    let mut ws = Workspace::default();
    ws.grads.resize(m.params.len() - m.layout.embedding.end, 0.0);
    network::forward(m, ids, t, plan, &mut ws);
    let loss = network::backward_multi(m, targets, 0.5, plan, &mut ws).loss_sum;
    (loss, ws.grads, ws.demb)
}

fn model(name: &str, labels: usize) -> Model {
    let knobs = Knobs { units: Some(if name == "kim-cnn" { 2 } else { 3 }), ..Knobs::default() };
    let config = ModelConfig {
        architecture: name.into(),
        vocab_size: V,
        embedding_dim: 4,
        layers: named_layers(name, knobs).unwrap(),
        num_classes: labels,
        embedding_init: 0.05,
        multichannel: false,
        mask_padding: false,
        multi_label: true,
    };
    let mut m = Model::new(config, 1);
    m.add_aux_heads(1);
    // larger embeddings than the init's ±0.05, so the body's gradients are well above noise
    let emb = m.layout.embedding.clone();
    m.params.data[emb].iter_mut().for_each(|v| *v *= 20.0);
    m
}

#[test]
fn the_multi_label_heads_gradients_match_finite_differences() {
    for (name, labels) in [("seed", 2usize), ("seed", 4), ("kim-cnn", 4)] {
        let m = model(name, labels);
        assert_eq!(m.config.outputs(), labels, "{name}: one logit per label, even for two");
        let (b, t) = (4, 6);
        let mut rng = Rng::new(3);
        let ids: Vec<u32> = (0..b * t).map(|i| if i % 6 == 0 { 0 } else { 1 + rng.below(V - 1) as u32 }).collect();
        // text 0 carries no label, text 1 one, texts 2 and 3 several
        let sets: [&[usize]; 4] = [&[], &[1], &[0, 1], &[1, labels - 1]];
        let mut targets = vec![0.0f32; b * labels];
        for (row, set) in targets.chunks_exact_mut(labels).zip(sets) {
            set.iter().for_each(|&c| row[c] = 1.0);
        }
        let mut plan = Plan::end_to_end(m.config.levels());
        plan.aux_weights[0] = 0.5;
        plan.trainable[Group::Aux(0)] = true;
        let (loss, g, demb) = loss_and_grads(&m, &ids, &targets, t, &plan);
        assert!(loss.is_finite() && loss > 0.0);
        let dense = m.layout.embedding.end..m.params.len();
        let worst = check(&format!("{name}, {labels} labels"), &m.params.data[dense.clone()], &g, |p| {
            let mut m2 = m.clone();
            m2.params.data[dense.clone()].copy_from_slice(p);
            0.5 * loss_and_grads(&m2, &ids, &targets, t, &plan).0
        });
        assert!(worst < 5e-3, "{name}, {labels} labels: max relative difference {worst}");
        // the embedding's gradient, row by row: the sum of demb over the steps that read it
        let (e, emb) = (m.config.embedding_dim, m.layout.embedding.clone());
        let mut want = vec![0.0f32; emb.len()];
        for s in 0..t {
            for r in 0..b {
                let id = ids[r * t + s] as usize;
                let g = &demb[(s * b + r) * e..(s * b + r + 1) * e];
                want[id * e..(id + 1) * e].iter_mut().zip(g).for_each(|(w, v)| *w += v);
            }
        }
        let worst = check(&format!("{name}, {labels} labels, embedding"), &m.params.data[emb.clone()], &want, |p| {
            let mut m2 = m.clone();
            m2.params.data[emb.clone()].copy_from_slice(p);
            0.5 * loss_and_grads(&m2, &ids, &targets, t, &plan).0
        });
        assert!(worst < 5e-3, "{name}, {labels} labels, embedding: max relative difference {worst}");
    }
}

/// Where every text carries exactly one label, the multi-label head's loss is the sum of one
/// binary cross-entropy per label (not softmax's): checked against the formula from the logits.
#[test]
fn the_loss_is_binary_cross_entropy_summed_over_the_labels() {
    let m = model("seed", 3);
    let (b, t) = (2, 4);
    let ids: Vec<u32> = vec![1, 2, 3, 0, 4, 5, 0, 6];
    let targets = vec![1.0f32, 0.0, 1.0, 0.0, 1.0, 0.0];
    let plan = Plan::end_to_end(m.config.levels());
    let mut ws = Workspace::default();
    ws.grads.resize(m.params.len() - m.layout.embedding.end, 0.0);
    network::forward(&m, &ids, t, &plan, &mut ws);
    let logits = ws.logits.clone();
    assert_eq!(logits.len(), b * 3);
    let loss = network::backward_multi(&m, &targets, 1.0, &plan, &mut ws).loss_sum;
    let want: f64 = logits
        .iter()
        .zip(&targets)
        .map(|(&z, &y)| {
            let p = 1.0 / (1.0 + (-(z as f64)).exp());
            -(y as f64 * p.ln() + (1.0 - y as f64) * (1.0 - p).ln())
        })
        .sum();
    assert!((loss - want).abs() < 1e-5, "{loss} vs {want}");
}
