//! Training's shared sentence rows (`Workspace::share_identical_sentences`, issue 14 point 3)
//! give a HAN the same loss and outputs bit for bit and the same gradient up to rounding as
//! computing every row: on documents with empty sentence slots and a sentence repeated within
//! and across documents, unmasked and masked, with and without auxiliary heads on every level
//! (a word level's head reads its per-sentence summary through the distinct rows: decoupled
//! and layerwise train such heads, issue 16 point 5), and with decoupled's gradient cut at every
//! level boundary.

use strata_model::layers::{AttentionConfig, DropoutConfig, GruConfig, LayerSpec, SentencesConfig};
use strata_model::network::{self, word_rows, EmbeddingRows, Plan, Workspace};
use strata_model::plan::Group;
use strata_model::zoo::{named_layers, Knobs};
use strata_model::{Model, ModelConfig};
use strata_nn::Rng;

const V: usize = 12;

fn han(mask_padding: bool) -> Model {
    han_of(named_layers("han", Knobs { units: Some(3), sentences: Some(4), ..Knobs::default() }).unwrap(), mask_padding)
}

fn han_of(layers: Vec<LayerSpec>, mask_padding: bool) -> Model {
    let config = ModelConfig {
        architecture: "han".into(),
        vocab_size: V,
        embedding_dim: 5,
        layers,
        num_classes: 3,
        embedding_init: 0.5,
        multichannel: false,
        mask_padding,
        multi_label: false,
    };
    let mut m = Model::new(config, 7);
    m.add_aux_heads(1);
    m
}

/// Loss, logits, the full gradient (the embedding's summed per id, as the trainer sums it) and
/// the gradient at the embedding output per row.
fn run(m: &Model, ids: &[u32], t: usize, plan: &Plan, share: bool) -> (f64, Vec<f32>, Vec<f32>, Vec<f32>) {
    let b = ids.len() / t;
    let labels: Vec<usize> = (0..b).map(|i| i % 3).collect();
    let mut ws = Workspace::default();
    ws.share_identical_sentences = share;
    ws.dropout = Some(Rng::derive(5, 5)); // training; the same masks every call
    ws.grads.resize(m.params.len() - m.layout.embedding.end, 0.0);
    network::forward(m, ids, t, plan, &mut ws);
    let loss = network::backward(m, &labels, 1.0, plan, &mut ws).loss_sum;
    let e = m.config.embedding_dim;
    let mut g = vec![0.0f32; m.params.len()];
    g[m.layout.embedding.end..].copy_from_slice(&ws.grads);
    let t0 = word_rows(m, b, t).1;
    let EmbeddingRows { ids: rows, n, demb, .. } = ws.embedding_gradient_rows(m);
    for r in 0..n {
        for s in 0..t0 {
            let (id, at) = (rows[r * t0 + s] as usize, (s * n + r) * e);
            g[id * e..(id + 1) * e].iter_mut().zip(&demb[at..at + e]).for_each(|(a, v)| *a += v);
        }
    }
    (loss, ws.logits.clone(), g, demb.to_vec())
}

/// 3 documents of 4 sentences × 5 words (pre-padded); `a` appears three times, and five
/// sentence slots are empty.
fn documents() -> Vec<u32> {
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

/// Dropout below the sentences draws a mask per row, so identical rows differ: nothing is
/// shared, and training gives the bits it gives without sharing.
#[test]
fn dropout_below_the_sentences_shares_nothing() {
    let layers: Vec<LayerSpec> = vec![
        GruConfig { units: 3, bidirectional: true }.into(),
        DropoutConfig { rate: 0.5 }.into(),
        AttentionConfig { dim: 6 }.into(),
        SentencesConfig { count: 4 }.into(),
        GruConfig { units: 3, bidirectional: true }.into(),
        AttentionConfig { dim: 6 }.into(),
    ];
    let m = han_of(layers, false);
    let plan = Plan::end_to_end(m.config.levels());
    let (ids, t) = (documents(), 20);
    let (loss, logits, g, demb) = run(&m, &ids, t, &plan, false);
    assert!((loss, logits, g, demb) == run(&m, &ids, t, &plan, true), "sharing changed a model with dropout");
}

#[test]
fn shared_rows_give_the_same_loss_and_gradient() {
    let (ids, t) = (documents(), 20);
    for mask in [false, true] {
        let m = han(mask);
        let levels = m.config.levels();
        let mut aux = Plan::end_to_end(levels);
        for k in 0..levels {
            aux.aux_weights[k] = 0.5;
            aux.trainable[Group::Aux(k)] = true;
        }
        let mut decoupled = aux.clone();
        decoupled.detach_levels = true;
        decoupled.aux_weights[levels - 1] = 0.0;
        let plans = [("end-to-end", Plan::end_to_end(levels)), ("aux heads", aux), ("decoupled", decoupled)];
        for (tag, plan) in plans {
            let tag = format!("{tag}, mask_padding={mask}");
            let (loss, logits, g, demb) = run(&m, &ids, t, &plan, false);
            let (loss_s, logits_s, g_s, demb_s) = run(&m, &ids, t, &plan, true);
            assert_eq!((loss, &logits), (loss_s, &logits_s), "{tag}: forward differs");
            let scale = g.iter().fold(0.0f32, |a, v| a.max(v.abs()));
            let worst = g.iter().zip(&g_s).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
            assert!(worst <= 1e-5 * scale, "{tag}: gradient differs by {worst} (largest {scale})");
            // rows are shared under every plan here (auxiliary heads read the shared rows
            // too): the gradient comes for the 6 distinct rows of the 12 (`a` three times,
            // the empty row five times)
            let (rows_s, e) = (demb_s.len() / (5 * m.config.embedding_dim), m.config.embedding_dim);
            assert_eq!(demb.len(), 12 * 5 * e);
            assert_eq!(rows_s, 6, "{tag}: rows shared");
        }
    }
}
