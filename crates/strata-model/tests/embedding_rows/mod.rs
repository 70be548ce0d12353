//! What the tests of the embedding's gradient rows share (`shared_sentences.rs`: rows shared
//! between identical sentences; `id_groups.rs`: rows summed per id): a small model over a
//! vocabulary of 12 ids, HAN's layers among them, documents whose ids and sentences repeat, and
//! one training step, and the full gradient with the embedding's rows summed into the table as the
//! trainer sums them.

use strata_model::layers::LayerSpec;
use strata_model::network::{self, EmbeddingRows, Plan, Workspace};
use strata_model::zoo::{named_layers, Knobs};
use strata_model::{Model, ModelConfig};
use strata_nn::Rng;

pub const V: usize = 12;

/// `layers` over embeddings 5 wide, three classes, seed 7.
pub fn model(architecture: &str, layers: Vec<LayerSpec>, mask_padding: bool) -> Model {
    let config = ModelConfig {
        architecture: architecture.into(),
        vocab_size: V,
        embedding_dim: 5,
        layers,
        num_classes: 3,
        embedding_init: 0.5,
        multichannel: false,
        mask_padding,
        multi_label: false,
    };
    Model::new(config, 7)
}

/// A HAN of 4 sentences and 3 units with an auxiliary head on its word level.
pub fn han(mask_padding: bool) -> Model {
    let layers = named_layers("han", Knobs { units: Some(3), sentences: Some(4), ..Knobs::default() }).unwrap();
    let mut m = model("han", layers, mask_padding);
    m.add_aux_heads(1);
    m
}

/// 3 documents of 4 sentences × 5 words (pre-padded; 20 ids a text); `a` appears three times,
/// five sentence slots are empty, and every id 0..12 occurs.
pub fn documents() -> Vec<u32> {
    let a = [0, 0, 3, 5, 2];
    let empty = [0; 5];
    let doc = |s: [[u32; 5]; 4]| s.concat();
    [
        doc([empty, empty, a, [0, 7, 1, 4, 4]]),
        doc([empty, a, [0, 0, 0, 9, 11], a]),
        doc([empty, empty, [6, 2, 8, 10, 1], [0, 0, 0, 0, 3]]),
    ]
    .concat()
}

/// One training step's forward and backward of `ids` (`t` ids a text, labels `i % 3`) under
/// `plan`, with dropout's masks the same every call; its loss and the workspace it leaves.
pub fn step(m: &Model, ids: &[u32], t: usize, plan: &Plan, share: bool, per_id: bool) -> (f64, Workspace) {
    let b = ids.len() / t;
    let labels: Vec<usize> = (0..b).map(|i| i % 3).collect();
    let mut ws = Workspace::default();
    ws.share_identical_sentences = share;
    ws.sum_embedding_gradient_per_id = per_id;
    ws.dropout = Some(Rng::derive(5, 5));
    ws.grads.resize(m.params.len() - m.layout.embedding.end, 0.0);
    network::forward(m, ids, t, plan, &mut ws);
    let loss = network::backward(m, &labels, 1.0, plan, &mut ws).loss_sum;
    (loss, ws)
}

/// The full gradient after a backward into `ws` (the layers' from `ws.grads`, the
/// embedding's rows summed per id into the table, as the trainer sums them) and how many rows
/// the embedding's gradient came as.
pub fn full_gradient(m: &Model, ws: &Workspace) -> (Vec<f32>, usize) {
    let e = m.config.embedding_dim;
    let mut g = vec![0.0f32; m.params.len()];
    g[m.layout.embedding.end..].copy_from_slice(&ws.grads);
    let EmbeddingRows { ids: rows, n, steps, demb } = ws.embedding_gradient_rows(m);
    // `W` values a step: the trained channel's `E` first
    let w = demb.len() / (n * steps).max(1);
    assert_eq!((rows.len(), demb.len()), (n * steps, n * steps * w));
    for r in 0..n {
        for s in 0..steps {
            let (id, at) = (rows[r * steps + s] as usize, (s * n + r) * w);
            g[id * e..(id + 1) * e].iter_mut().zip(&demb[at..at + e]).for_each(|(a, v)| *a += v);
        }
    }
    (g, n * steps)
}
