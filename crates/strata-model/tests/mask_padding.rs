//! `--mask-padding` at model level (issue 14): with `ModelConfig.mask_padding` a text's logits
//! do not depend on how much padding surrounds it, nor on which side — the recurrent layers
//! skip padded steps (Keras's `Embedding(mask_zero=True)`), and for han the sentence level
//! skips empty sentence slots. Without the mask they do depend on it, which shows the check
//! can fail.

use strata_model::network::{self, Plan, Workspace};
use strata_model::zoo::{named_layers, Knobs};
use strata_model::{Model, ModelConfig};

/// Three texts as sentences of ids (one sentence unless the model is hierarchical).
type Texts = Vec<Vec<Vec<u32>>>;

fn model(name: &str, mask_padding: bool) -> Model {
    let knobs = match name {
        "han" => Knobs { units: Some(3), sentences: Some(5), ..Knobs::default() },
        _ => Knobs { units: Some(4), ..Knobs::default() },
    };
    let config = ModelConfig {
        architecture: name.into(),
        vocab_size: 12,
        embedding_dim: 4,
        layers: named_layers(name, knobs).unwrap(),
        num_classes: 3,
        embedding_init: 0.05,
        multichannel: false,
        mask_padding,
        multi_label: false,
    };
    let mut m = Model::new(config, 7);
    // Keras's ±0.05 embeddings make every step nearly alike; spread them so padding shows
    let emb = m.layout.embedding.clone();
    m.params.data[emb].iter_mut().for_each(|v| *v *= 20.0);
    m
}

/// `texts` as a `[B, t]` id matrix: each sentence padded to `t / slots` words, the empty
/// sentence slots and the padding of each sentence on the `pre` side or after.
fn pad(texts: &Texts, t: usize, slots: usize, pre: bool) -> Vec<u32> {
    let w = t / slots;
    let mut ids = Vec::new();
    for text in texts {
        let mut row: Vec<Vec<u32>> = text
            .iter()
            .map(|s| {
                let fill = vec![0; w - s.len()];
                if pre {
                    [fill, s.clone()].concat()
                } else {
                    [s.clone(), fill].concat()
                }
            })
            .collect();
        let empty = vec![vec![0; w]; slots - text.len()];
        row = if pre { [empty, row].concat() } else { [row, empty].concat() };
        ids.extend(row.concat());
    }
    ids
}

fn logits(m: &Model, ids: &[u32], t: usize) -> Vec<f32> {
    let mut ws = Workspace::default();
    network::forward(m, ids, t, &Plan::end_to_end(m.config.levels()), &mut ws);
    ws.logits.clone()
}

/// The largest change of any logit between the four paddings (10 or 25 steps, pre or post).
fn spread(name: &str, mask_padding: bool, texts: &Texts) -> f32 {
    let m = model(name, mask_padding);
    let slots = m.config.sentences().unwrap_or(1);
    let runs: Vec<Vec<f32>> = [(10, true), (10, false), (25, true), (25, false)]
        .iter()
        .map(|&(t, pre)| logits(&m, &pad(texts, t, slots, pre), t))
        .collect();
    runs.iter().flat_map(|r| r.iter().zip(&runs[0]).map(|(a, b)| (a - b).abs())).fold(0.0, f32::max)
}

fn check(name: &str, texts: Texts) {
    let masked = spread(name, true, &texts);
    let unmasked = spread(name, false, &texts);
    println!("{name}: logits move by {masked:.1e} with the mask, {unmasked:.1e} without");
    assert!(masked < 1e-5, "{name}: with mask_padding the logits move by {masked} with the padding");
    assert!(unmasked > 1e-3, "{name}: without the mask the padding should move the logits ({unmasked})");
}

#[test]
fn masked_logits_do_not_depend_on_padding() {
    let flat = || vec![vec![vec![3, 7, 2, 9]], vec![vec![5]], vec![vec![4, 4, 8, 1, 6, 2, 11, 10]]];
    for name in ["seed", "seed-stacked", "gru", "bilstm"] {
        check(name, flat());
    }
    // han: sentences of at most 2 words (10 steps = 5 slots of 2), some slots left empty
    check("han", vec![vec![vec![3, 7], vec![2]], vec![vec![5]], vec![vec![4, 4], vec![8, 1], vec![6], vec![11, 10]]]);
}
