//! The embedding's gradient summed per id by the layer over it
//! (`Workspace::sum_embedding_gradient_per_id`, issue 14): the same loss and outputs bit for
//! bit, and the same table and weight gradients up to rounding, as every row's gradient summed
//! per id — for a GRU, a bidirectional GRU, an LSTM and a bidirectional LSTM, masked or not,
//! and a HAN, with and without shared sentence rows — and a multichannel model's gradients
//! unchanged bit for bit.
//! Ids repeat within and across texts and the padding id fills most rows, as in the benchmark.

mod embedding_rows;

use embedding_rows::{documents, full_gradient, han, model, step, V};
use strata_model::layers::{GruConfig, LayerSpec, LstmConfig};
use strata_model::network::Plan;
use strata_model::Model;

/// Loss, logits, the full gradient (the embedding's summed per id as the trainer sums it)
/// and how many rows the embedding's gradient came as.
fn run(m: &Model, ids: &[u32], t: usize, share: bool, per_id: bool) -> (f64, Vec<f32>, Vec<f32>, usize) {
    let (loss, ws) = step(m, ids, t, &Plan::end_to_end(m.config.levels()), share, per_id);
    let (g, rows) = full_gradient(m, &ws);
    (loss, ws.logits.clone(), g, rows)
}

/// With `grouped`, the gradient summed per id by the layer (one row per distinct id) matches
/// every row's up to rounding; without, the layer hands on every row's, bit for bit.
fn assert_grouped_matches(tag: &str, m: &Model, share: bool, grouped: bool) {
    let (ids, t) = (documents(), 20);
    let (loss, logits, g, rows) = run(m, &ids, t, share, false);
    let (loss_g, logits_g, g_g, rows_g) = run(m, &ids, t, share, true);
    assert_eq!((loss, &logits), (loss_g, &logits_g), "{tag}: forward differs");
    if !grouped {
        assert!(g == g_g && rows == rows_g, "{tag}: an ungrouped layer's gradient moved");
        return;
    }
    let scale = g.iter().fold(0.0f32, |a, v| a.max(v.abs()));
    let worst = g.iter().zip(&g_g).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(worst <= 1e-5 * scale, "{tag}: gradient differs by {worst} (largest {scale})");
    // ids 0..=11 all appear: 12 distinct
    assert_eq!(rows_g, V, "{tag}: the embedding's gradient comes one row per distinct id");
}

/// A recurrent layer's input product runs per id, a GRU's and an LSTM's, masked or not.
#[test]
fn recurrent_layers_sum_the_embedding_gradient_per_id() {
    let cases: Vec<(&str, LayerSpec)> = vec![
        ("gru", GruConfig { units: 3, bidirectional: false }.into()),
        ("bigru", GruConfig { units: 3, bidirectional: true }.into()),
        ("lstm", LstmConfig { units: 3, bidirectional: false }.into()),
        ("bilstm", LstmConfig { units: 3, bidirectional: true }.into()),
    ];
    for (tag, layer) in cases {
        for mask in [false, true] {
            let m = model(tag, vec![layer.clone()], mask);
            assert_grouped_matches(&format!("{tag}, mask_padding={mask}"), &m, false, true);
        }
    }
}

#[test]
fn a_han_sums_its_embedding_gradient_per_id_with_and_without_shared_sentences() {
    for mask in [false, true] {
        let m = han(mask);
        for share in [false, true] {
            assert_grouped_matches(&format!("han, mask_padding={mask}, shared={share}"), &m, share, true);
        }
    }
}

/// A multichannel model's static channel takes no gradient: its layer hands on every row's.
#[test]
fn a_multichannel_model_keeps_every_rows_gradient() {
    let (ids, t) = (documents(), 20);
    let mut m = model("gru", vec![GruConfig { units: 3, bidirectional: false }.into()], false);
    m.config.multichannel = true;
    let m = Model::new(m.config.clone(), 7);
    let (_, _, g, _) = run(&m, &ids, t, false, false);
    let (_, _, g_g, rows) = run(&m, &ids, t, false, true);
    assert_eq!(g, g_g);
    assert_eq!(rows, ids.len(), "every row's");
}
