//! Finite-difference checks of whole models: every named model and a model file with the
//! remaining layer types, end to end and with auxiliary heads on every level — so the glue
//! between layers (sequence or last state, the conv widths' concatenation, the sentence
//! boundary's transpose, summaries averaged over sentences, dropout's mask) is checked, not
//! only each layer alone.

use strata_model::model::LayerSpec;
use strata_model::network::{self, word_rows, Plan, Workspace};
use strata_model::plan::Group;
use strata_model::zoo::{named_layers, Knobs};
use strata_model::{Model, ModelConfig};
use strata_nn::gradcheck::check;
use strata_nn::Rng;

const V: usize = 12;

fn config(architecture: &str, layers: Vec<LayerSpec>, num_classes: usize) -> ModelConfig {
    ModelConfig {
        architecture: architecture.into(),
        vocab_size: V,
        embedding_dim: 4,
        layers,
        num_classes,
        embedding_init: 0.05,
        multichannel: false,
        mask_padding: false,
        multi_label: false,
    }
}

/// Loss and full gradient (embedding rows included) of `plan` on a fixed batch. A multichannel
/// model's static copy is given the gradient at its half of each step too, so that the check
/// covers the whole `[trained ; static]` input the layers read (training never applies it).
fn loss_and_grad(m: &Model, ids: &[u32], labels: &[usize], t: usize, plan: &Plan) -> (f64, Vec<f32>) {
    let b = labels.len();
    let mut ws = Workspace::default();
    ws.grads.resize(m.params.len() - m.layout.embedding.end, 0.0);
    ws.dropout = Some(Rng::derive(5, 5)); // the same mask every call
    network::forward(m, ids, t, plan, &mut ws);
    let loss = network::backward(m, labels, 1.0, plan, &mut ws).loss_sum;
    let (e, w) = (m.config.embedding_dim, m.config.input_width());
    let mut g = vec![0.0f32; m.params.len()];
    g[m.layout.embedding.end..].copy_from_slice(&ws.grads);
    let (n0, t0) = word_rows(m, b, t);
    let tables = std::iter::once(m.layout.embedding.start).chain(m.layout.static_embedding.clone().map(|r| r.start));
    for (channel, table) in tables.enumerate() {
        for r in 0..n0 {
            for s in 0..t0 {
                let id = ids[r * t0 + s] as usize;
                let at = (s * n0 + r) * w + channel * e;
                let src = &ws.demb[at..at + e];
                g[table + id * e..table + (id + 1) * e].iter_mut().zip(src).for_each(|(a, v)| *a += v);
            }
        }
    }
    (loss, g)
}

/// A model of `c` with auxiliary heads on every level and its embeddings spread out.
fn prepared(c: ModelConfig) -> Model {
    let mut m = Model::new(c, 1);
    m.add_aux_heads(1);
    // Keras's ±0.05 embeddings make an untrained layer's steps nearly equal, so max pooling
    // sits on a near-tie that a finite difference steps across; spread them out
    let emb = m.layout.embedding.clone();
    m.params.data[emb].iter_mut().for_each(|v| *v *= 20.0);
    if let Some(fixed) = m.layout.static_embedding.clone() {
        // the static channel starts equal to the trained one; make them differ, so that a
        // gradient sent to the wrong half would show (stream 7 puts a max-over-time near-tie
        // within the 1e-2 step of one conv1d weight: 1.5e-1 there, 2.4e-3 at step 2e-3)
        let mut rng = Rng::new(11);
        m.params.data[fixed].iter_mut().for_each(|v| *v = rng.uniform(-1.0, 1.0));
    }
    m
}

fn check_model(name: &str, c: ModelConfig, t: usize) {
    let m = prepared(c);
    let mut rng = Rng::new(3);
    let b = 3;
    let ids: Vec<u32> = (0..b * t).map(|i| if i % 5 == 0 { 0 } else { 1 + rng.below(V - 1) as u32 }).collect();
    check_model_on(name, m, &ids, t);
}

/// The checks of [`check_model`] on a prepared model and given ids `[B, t]`.
fn check_model_on(name: &str, m: Model, ids: &[u32], t: usize) {
    let levels = m.config.levels();
    let b = ids.len() / t;
    let labels: Vec<usize> = (0..b).map(|i| i % m.config.num_classes).collect();
    let mut deep = Plan::end_to_end(levels);
    for k in 0..levels {
        deep.aux_weights[k] = 0.5;
        deep.trainable[Group::Aux(k)] = true;
    }
    for (tag, plan) in [("end-to-end", Plan::end_to_end(levels)), ("aux heads", deep)] {
        let (_, g) = loss_and_grad(&m, ids, &labels, t, &plan);
        if m.config.mask_padding {
            // the masked path reads no padding step, so the padding row learns nothing
            let row0 = &g[m.layout.embedding.start..m.layout.embedding.start + m.config.embedding_dim];
            assert!(row0.iter().all(|&v| v == 0.0), "{name} {tag}: padding's embedding has gradient {row0:?}");
        }
        let worst = check(&format!("{name} {tag}"), &m.params.data, &g, |p| {
            let mut m2 = m.clone();
            m2.params.data.copy_from_slice(p);
            loss_and_grad(&m2, ids, &labels, t, &plan).0
        });
        // max pooling has kinks at ties, which a central difference can step across
        let tolerance = if name.contains("max_pool") { 3e-2 } else { 5e-3 };
        assert!(worst < tolerance, "{name} {tag}: max relative difference {worst}");
    }
}

fn small(name: &str) -> Vec<LayerSpec> {
    let knobs = match name {
        "han" => Knobs { units: Some(2), sentences: Some(2), ..Knobs::default() },
        "kim-cnn" => Knobs { units: Some(2), ..Knobs::default() },
        _ => Knobs { units: Some(3), ..Knobs::default() },
    };
    named_layers(name, knobs).unwrap()
}

#[test]
fn recurrent_models_match_finite_differences() {
    for name in ["seed", "seed-stacked", "gru", "bilstm"] {
        check_model(name, config(name, small(name), 2), 5);
    }
}

/// `--mask-padding`: the recurrent layers skip padding, on a pre-padded text, a post-padded
/// one and one with no token at all (for han, `t / 2`-word sentences, one of them empty).
#[test]
fn masked_recurrent_models_match_finite_differences() {
    let masked = |name: &str| ModelConfig { mask_padding: true, ..config(name, small(name), 2) };
    let flat = [0, 0, 3, 5, 2, 4, 7, 1, 0, 0, 0, 0, 0, 0, 0];
    for name in ["seed", "seed-stacked", "gru", "bilstm"] {
        check_model_on(&format!("{name} masked"), prepared(masked(name)), &flat, 5);
    }
    let sentences = [0, 2, 5, 0, 0, 7, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    check_model_on("han masked", prepared(masked("han")), &sentences, 6);
}

#[test]
fn kim_cnn_matches_finite_differences() {
    check_model("kim-cnn", config("kim-cnn", small("kim-cnn"), 3), 6);
}

#[test]
fn multichannel_models_match_finite_differences() {
    // Kim's CNN-multichannel: every filter reads [trained ; static] (2E values per step)
    let multichannel = |c: ModelConfig| ModelConfig { multichannel: true, ..c };
    check_model("kim-cnn multichannel", multichannel(config("kim-cnn", small("kim-cnn"), 3)), 6);
    check_model("bilstm multichannel", multichannel(config("bilstm", small("bilstm"), 2)), 5);
    check_model("han multichannel", multichannel(config("han", small("han"), 2)), 6);
}

#[test]
fn han_matches_finite_differences() {
    // 2 sentences of 3 words per text
    check_model("han", config("han", small("han"), 2), 6);
}

#[test]
fn remaining_layers_match_finite_differences() {
    let layers = vec![
        LayerSpec::Dropout(strata_model::layers::DropoutConfig { rate: 0.3 }),
        LayerSpec::Gru(strata_model::layers::GruConfig { units: 3, bidirectional: false }),
        LayerSpec::MeanPool(strata_model::layers::MeanPoolConfig {}),
        LayerSpec::Dense(strata_model::layers::DenseConfig {
            units: 3,
            activation: strata_model::layers::Activation::Tanh,
        }),
    ];
    check_model("gru+mean_pool+dense", config("custom", layers, 3), 4);
    let layers = vec![
        LayerSpec::Lstm(strata_model::layers::LstmConfig { units: 3, bidirectional: true }),
        LayerSpec::MeanPool(strata_model::layers::MeanPoolConfig {}),
    ];
    check_model("bilstm+mean_pool", config("custom", layers, 2), 4);
    let layers = vec![
        LayerSpec::Lstm(strata_model::layers::LstmConfig { units: 3, bidirectional: false }),
        LayerSpec::MaxPool(strata_model::layers::MaxPoolConfig {}),
    ];
    check_model("lstm+max_pool", config("custom", layers, 2), 4);
    let layers = vec![
        LayerSpec::Lstm(strata_model::layers::LstmConfig { units: 3, bidirectional: true }),
        LayerSpec::MaxPool(strata_model::layers::MaxPoolConfig {}),
    ];
    check_model("bilstm+max_pool", config("custom", layers, 2), 4);
}

#[test]
fn layer_norm_matches_finite_differences() {
    use strata_model::layers::{DenseConfig, LayerNormConfig, LstmConfig, MeanPoolConfig};
    // the layer alone is checked at Keras's ε 1e-3 (layers/layer_norm.rs); here an untrained
    // LSTM's outputs are so small that ε 1e-3 bends the loss more than a central difference
    // in f32 can follow, so the glue is checked at ε 0.05
    let norm = || LayerSpec::from(LayerNormConfig { epsilon: 0.05 });
    // on a sequence (a level of its own, whose aux head reads its last step) and on a vector
    let layers = vec![
        LstmConfig { units: 3, bidirectional: false }.into(),
        norm(),
        MeanPoolConfig {}.into(),
        DenseConfig { units: 4, activation: strata_model::layers::Activation::Tanh }.into(),
        norm(),
    ];
    check_model("lstm+layer_norm+mean_pool+dense+layer_norm", config("custom", layers, 3), 4);
    // straight on the embedding
    let layers = vec![norm(), LstmConfig { units: 3, bidirectional: true }.into()];
    check_model("layer_norm+bilstm", config("custom", layers, 2), 4);
}

/// `--hierarchy per-level`: the per-level heads on the top layer (one softmax over three nodes,
/// one sigmoid over two) add their losses and gradients to the leaf head's; the check covers
/// their weights and what they send down into the body. Dropping them restores the store.
#[test]
fn per_level_heads_match_finite_differences() {
    for name in ["seed", "kim-cnn"] {
        // no auxiliary heads: the level heads follow the head
        let mut m = Model::new(config(name, small(name), 6), 1);
        let emb = m.layout.embedding.clone();
        m.params.data[emb].iter_mut().for_each(|v| *v *= 20.0);
        let plain = m.params.len();
        m.add_level_heads(&[vec![0, 0, 1, 1, 2, 2], vec![0, 0, 0, 1, 1, 1]], 1);
        assert!(m.layout.range(Group::Head).unwrap().end == m.layout.level_heads[1].bias.end);
        let t = 5;
        let mut rng = Rng::new(3);
        let ids: Vec<u32> = (0..3 * t).map(|i| if i % 5 == 0 { 0 } else { 1 + rng.below(V - 1) as u32 }).collect();
        let labels = [0, 3, 5];
        let plan = Plan::end_to_end(m.config.levels());
        let (with_heads, g) = loss_and_grad(&m, &ids, &labels, t, &plan);
        let worst = check(&format!("{name} per-level"), &m.params.data, &g, |p| {
            let mut m2 = m.clone();
            m2.params.data.copy_from_slice(p);
            loss_and_grad(&m2, &ids, &labels, t, &plan).0
        });
        assert!(worst < 5e-3, "{name} per-level: max relative difference {worst}");
        let mut dropped = m.clone();
        dropped.drop_level_heads();
        assert_eq!(dropped.params.len(), plain);
        let (leaf_only, _) = loss_and_grad(&dropped, &ids, &labels, t, &plan);
        assert!(with_heads > leaf_only, "the levels' losses are added: {with_heads} vs {leaf_only}");
    }
}
