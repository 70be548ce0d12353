//! Training's shared sentence rows (`Workspace::share_identical_sentences`, issue 14 point 3)
//! give a HAN the same loss and outputs bit for bit and the same gradient up to rounding as
//! computing every row: on documents with empty sentence slots and a sentence repeated within
//! and across documents, unmasked and masked, with and without auxiliary heads on every level
//! (a word level's head reads its per-sentence summary through the distinct rows: decoupled
//! and layerwise train such heads, issue 16 point 5), and with decoupled's gradient cut at every
//! level boundary.

mod embedding_rows;

use embedding_rows::{documents, full_gradient, han, model, step};
use strata_model::layers::{AttentionConfig, DropoutConfig, GruConfig, LayerSpec, SentencesConfig};
use strata_model::network::Plan;
use strata_model::plan::Group;
use strata_model::Model;

/// Loss, logits, the full gradient (the embedding's summed per id, as the trainer sums it) and
/// the gradient at the embedding output per row.
fn run(m: &Model, ids: &[u32], t: usize, plan: &Plan, share: bool) -> (f64, Vec<f32>, Vec<f32>, Vec<f32>) {
    let (loss, ws) = step(m, ids, t, plan, share, false);
    let (g, _) = full_gradient(m, &ws);
    (loss, ws.logits.clone(), g, ws.embedding_gradient_rows(m).demb.to_vec())
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
    let mut m = model("han", layers, false);
    m.add_aux_heads(1);
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
