//! Adversarial training (`strata_model::adversarial`) trains `L(e) + α · L(e + r)` with the
//! perturbation `r` held fixed. These check its gradient — every tensor after the embedding,
//! and the embedding table through the gradient at its output — against central differences of
//! that objective, on an LSTM model, a multichannel kim-cnn (both copies perturbed) and a HAN
//! (a text's perturbation spans its sentences); that `r` has norm ε per text and points along
//! the gradient over real tokens only; that a frozen embedding is still perturbed; and that
//! ε = 0 trains twice the clean gradient (up to rounding).

use strata_model::adversarial::{self, Adversarial, TextRows};
use strata_model::network::{self, Plan, Workspace};
use strata_model::plan::Group;
use strata_model::zoo::{named_layers, Knobs};
use strata_model::{Model, ModelConfig};
use strata_nn::gradcheck::check;
use strata_nn::Rng;

const V: usize = 10;

fn model(name: &str, multichannel: bool) -> Model {
    let knobs = Knobs { units: Some(3), ..Knobs::default() };
    let config = ModelConfig {
        architecture: name.into(),
        vocab_size: V,
        embedding_dim: 4,
        layers: named_layers(name, knobs).unwrap(),
        num_classes: 2,
        embedding_init: 0.05,
        multichannel,
        mask_padding: false,
        multi_label: false,
    };
    let mut m = Model::new(config, 1);
    // larger vectors than Keras's init, so the gradient is not flat
    let emb = m.layout.embedding.clone();
    m.params.data[emb].iter_mut().for_each(|v| *v *= 20.0);
    if let Some(fixed) = m.layout.static_embedding.clone() {
        // the static copy starts equal to the trained one; make them differ, as
        // model_gradients.rs does (whose note on max pooling's near-ties holds here too)
        let mut rng = Rng::new(11);
        m.params.data[fixed].iter_mut().for_each(|v| *v = rng.uniform(-1.0, 1.0));
    }
    m
}

/// `b` texts of `t` ids, some padding, and the last `tail` ids of the first two texts padding
/// (a HAN's empty last sentence: identical rows, which training would share without
/// adversarial training).
fn batch(b: usize, t: usize, tail: usize) -> (Vec<u32>, Vec<usize>) {
    let mut rng = Rng::new(3);
    let mut ids: Vec<u32> = (0..b * t).map(|i| if i % 7 == 0 { 0 } else { 1 + rng.below(V - 1) as u32 }).collect();
    for text in 0..2.min(b) {
        ids[(text + 1) * t - tail..(text + 1) * t].iter_mut().for_each(|id| *id = 0);
    }
    (ids, (0..b).map(|i| i % 2).collect())
}

/// A workspace as the trainer sets one up (`BatchStepper::new`): sharing identical sentence
/// rows and summing the embedding's gradient per id, both of which adversarial training must
/// turn off for its passes.
fn trainers_workspace(m: &Model) -> Workspace {
    let mut ws = Workspace::default();
    ws.share_identical_sentences = true;
    ws.sum_embedding_gradient_per_id = true;
    ws.grads.resize(m.params.len() - m.layout.embedding.end, 0.0);
    ws
}

/// The perturbation of the clean pass: `ε · g / ‖g‖` per text from the gradient at the
/// embedding output, as `train_pass` computes it.
fn perturbation_of(m: &Model, ids: &[u32], labels: &[usize], t: usize, plan: &Plan, eps: f32) -> Vec<f32> {
    let mut ws = Workspace::default();
    ws.grads.resize(m.params.len() - m.layout.embedding.end, 0.0);
    ws.input_gradient = true;
    network::forward(m, ids, t, plan, &mut ws);
    network::backward(m, labels, 1.0, plan, &mut ws);
    let at = TextRows {
        ids,
        rows: network::word_rows(m, labels.len(), t).0,
        width: m.config.input_width(),
        per_text: m.config.sentences().unwrap_or(1),
    };
    let mut r = Vec::new();
    adversarial::perturbation(&ws.demb, at, eps, &mut r);
    r
}

/// `L(e) + α · L(e + r)`, `r` fixed.
fn objective(m: &Model, ids: &[u32], labels: &[usize], t: usize, plan: &Plan, r: &[f32], alpha: f32) -> f64 {
    let mut ws = Workspace::default();
    ws.grads.resize(m.params.len() - m.layout.embedding.end, 0.0);
    network::forward(m, ids, t, plan, &mut ws);
    let clean = network::backward(m, labels, 1.0, plan, &mut ws).loss_sum;
    ws.emb_shift = r.to_vec();
    network::forward(m, ids, t, plan, &mut ws);
    clean + f64::from(alpha) * network::backward(m, labels, 1.0, plan, &mut ws).loss_sum
}

/// `train_pass`'s gradient: every tensor after the embedding, and the trained table's, with
/// the clean loss it reports.
fn analytic(
    m: &Model,
    ids: &[u32],
    labels: &[usize],
    t: usize,
    plan: &Plan,
    adv: Adversarial,
) -> (Vec<f32>, Vec<f32>, f64) {
    let mut ws = trainers_workspace(m);
    let stats =
        adversarial::train_pass(m, ids, t, plan, adv, &mut ws, |ws, f| network::backward(m, labels, f, plan, ws));
    let table = table_gradient(m, &ws);
    (ws.grads, table, stats.loss_sum)
}

/// The trained table's gradient after a backward: the gradient at the embedding output summed
/// per id (a multichannel model's static copy has none).
fn table_gradient(m: &Model, ws: &Workspace) -> Vec<f32> {
    let (e, width) = (m.config.embedding_dim, m.config.input_width());
    let rows = ws.embedding_gradient_rows(m);
    let mut table = vec![0.0f32; m.layout.embedding.len()];
    for s in 0..rows.steps {
        for n in 0..rows.n {
            let id = rows.ids[n * rows.steps + s] as usize;
            let g = &rows.demb[(s * rows.n + n) * width..][..e];
            table[id * e..(id + 1) * e].iter_mut().zip(g).for_each(|(a, v)| *a += v);
        }
    }
    table
}

/// Checks `name`'s model on 3 texts of `words` ids a row (a HAN's texts: that many a sentence).
fn check_model(name: &str, multichannel: bool, words: usize, frozen_embedding: bool) {
    let m = model(name, multichannel);
    let t = words * m.config.sentences().unwrap_or(1);
    let (ids, labels) = batch(3, t, words);
    let mut plan = Plan::end_to_end(m.config.levels());
    plan.trainable[Group::Embedding] = !frozen_embedding;
    let adv = Adversarial { epsilon: 0.7, weight: 0.6 };
    let r = perturbation_of(&m, &ids, &labels, t, &plan, adv.epsilon);
    assert!(r.iter().any(|&v| v != 0.0), "{name}: the texts are perturbed");
    let (dense_grad, table_grad, clean) = analytic(&m, &ids, &labels, t, &plan, adv);
    let plain = objective(&m, &ids, &labels, t, &plan, &vec![0.0; r.len()], 0.0);
    assert_eq!(clean, plain, "{name}: the loss reported is the clean one");
    // the perturbation is applied, and raises the loss (it points up the gradient)
    let raised = objective(&m, &ids, &labels, t, &plan, &r, 1.0) - plain;
    assert!(raised > plain, "{name}: the perturbed loss {raised} is above the clean {plain}");
    let label = format!("{name}{}", if multichannel { ", multichannel" } else { "" });
    // the objective's central differences over one range of the store, against `grad`
    let check_range = |range: std::ops::Range<usize>, grad: &[f32], what: &str| {
        let worst = check(&format!("{label}: adversarial, {what}"), &m.params.data[range.clone()], grad, |p| {
            let mut m2 = m.clone();
            m2.params.data[range.clone()].copy_from_slice(p);
            objective(&m2, &ids, &labels, t, &plan, &r, adv.weight)
        });
        assert!(worst < 5e-3, "{label}: max relative difference {worst} in {what}");
    };
    // the tensors after the tables (a multichannel model's static copy comes before the trained one)
    check_range(m.layout.embedding.end..m.params.len(), &dense_grad, "the tensors after the embedding");
    if !frozen_embedding {
        check_range(m.layout.embedding.clone(), &table_grad, "the table");
    }
}

#[test]
fn an_lstm_models_adversarial_gradient_matches_finite_differences() {
    check_model("seed", false, 6, false);
}

#[test]
fn a_multichannel_cnns_adversarial_gradient_matches_finite_differences() {
    check_model("kim-cnn", true, 6, false);
}

#[test]
fn a_hans_adversarial_gradient_matches_finite_differences() {
    check_model("han", false, 3, false);
}

#[test]
fn a_frozen_embedding_is_still_perturbed_and_the_levels_gradient_holds() {
    check_model("seed", false, 6, true);
}

#[test]
fn the_perturbation_has_norm_epsilon_per_text_along_the_gradient_over_real_tokens() {
    // [T = 2, N = 4, W = 3]; texts of 2 rows each (a hierarchical model's sentences)
    let mut g: Vec<f32> = (0..24).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
    // the second text's rows (2 and 3) have no gradient
    for s in 0..2 {
        for row in 2..4 {
            g[(s * 4 + row) * 3..][..3].iter_mut().for_each(|v| *v = 0.0);
        }
    }
    // ids [N = 4, T = 2]: row 1's second step is padding (its gradient is not zero)
    let ids = [3, 4, 5, 0, 6, 7, 8, 9];
    let at = |per_text| TextRows { ids: &ids, rows: 4, width: 3, per_text };
    let mut r = Vec::new();
    adversarial::perturbation(&g, at(2), 1.5, &mut r);
    let real_of_text = |v: &[f32], b: usize| -> Vec<f32> {
        let real =
            (0..2).flat_map(|s| (2 * b..2 * b + 2).map(move |row| (s, row))).filter(|&(s, row)| ids[row * 2 + s] != 0);
        real.flat_map(|(s, row)| (0..3).map(move |k| (s * 4 + row) * 3 + k)).map(|i| v[i]).collect()
    };
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let (r0, g0) = (real_of_text(&r, 0), real_of_text(&g, 0));
    assert!((norm(&r0) - 1.5).abs() < 1e-5, "norm {}", norm(&r0));
    for (a, b) in r0.iter().zip(&g0) {
        assert!((a - 1.5 * b / norm(&g0)).abs() < 1e-6, "along the gradient");
    }
    let (g_pad, r_pad) = (&g[(4 + 1) * 3..][..3], &r[(4 + 1) * 3..][..3]);
    assert!(g_pad.iter().any(|&v| v != 0.0) && r_pad.iter().all(|&v| v == 0.0), "padding is not moved");
    let text1 = (0..2).flat_map(|s| (2..4).map(move |row| (s * 4 + row) * 3));
    assert!(text1.flat_map(|at| r[at..at + 3].to_vec()).all(|v| v == 0.0), "a text with no gradient is not moved");
    // one row a text: each row its own norm
    adversarial::perturbation(&g, at(1), 2.0, &mut r);
    let row = |v: &[f32], n: usize| -> Vec<f32> {
        let real = (0..2).filter(|&s| ids[n * 2 + s] != 0);
        real.flat_map(|s| (0..3).map(move |k| v[(s * 4 + n) * 3 + k])).collect()
    };
    assert!((norm(&row(&r, 0)) - 2.0).abs() < 1e-5 && (norm(&row(&r, 1)) - 2.0).abs() < 1e-5);
    // a gradient of subnormal values still gives a step of norm ε, not an infinite one
    let tiny: Vec<f32> = g.iter().map(|&v| v * 1e-44).collect();
    adversarial::perturbation(&tiny, at(2), 1.5, &mut r);
    assert!(r.iter().all(|v| v.is_finite()), "{r:?}");
    assert!((norm(&real_of_text(&r, 0)) - 1.5).abs() < 0.1, "{}", norm(&real_of_text(&r, 0)));
    adversarial::perturbation(&[], TextRows { ids: &[], rows: 4, width: 3, per_text: 1 }, 2.0, &mut r);
    assert!(r.is_empty(), "no gradient, no perturbation");
}

#[test]
fn epsilon_zero_trains_twice_the_clean_gradient() {
    for name in ["seed", "kim-cnn"] {
        let m = model(name, false);
        let (ids, labels) = batch(3, 6, 2);
        let plan = Plan::end_to_end(m.config.levels());
        let (dense, table, _) = analytic(&m, &ids, &labels, 6, &plan, Adversarial { epsilon: 0.0, weight: 1.0 });
        let mut ws = Workspace::default();
        ws.grads.resize(m.params.len() - m.layout.embedding.end, 0.0);
        network::forward(&m, &ids, 6, &plan, &mut ws);
        network::backward(&m, &labels, 1.0, &plan, &mut ws);
        // twice the clean gradient up to rounding: the second pass's products accumulate onto
        // the first's, not onto zero
        let twice = |got: &[f32], clean: &[f32], what: &str| {
            assert!(clean.iter().any(|&v| v != 0.0));
            for (i, (a, c)) in got.iter().zip(clean).enumerate() {
                assert!((a - 2.0 * c).abs() <= 1e-5 * (1.0 + c.abs()), "{name}: {what}[{i}] {a} against twice {c}");
            }
        };
        twice(&dense, &ws.grads, "the tensors after the embedding");
        twice(&table, &table_gradient(&m, &ws), "the table");
    }
}

#[test]
fn the_median_text_norm_counts_real_tokens_in_both_copies_and_the_note_warns_past_its_share() {
    for multichannel in [false, true] {
        let m = model("seed", multichannel);
        let e = m.config.embedding_dim;
        let row2 = |id: u32| -> f64 {
            let rows = m.embedding_tables().map(|r| m.params.data[r][id as usize * e..(id as usize + 1) * e].to_vec());
            rows.flatten().map(|x| f64::from(x).powi(2)).sum()
        };
        // three texts of 4 ids, padding anywhere (0), and an all-padding text that counts for none
        let ids = [1, 0, 2, 0, 3, 3, 3, 3, 0, 0, 0, 0, 0, 4, 0, 0];
        let mut norms: Vec<f64> = [&[1u32, 2][..], &[3, 3, 3, 3], &[4]]
            .iter()
            .map(|t| t.iter().map(|&id| row2(id)).sum::<f64>().sqrt())
            .collect();
        norms.sort_by(f64::total_cmp);
        let got = adversarial::median_text_norm(&m, &ids, 4).unwrap();
        assert!((got - norms[1]).abs() < 1e-12, "multichannel {multichannel}: {got} vs {}", norms[1]);
        assert_eq!(adversarial::median_text_norm(&m, &[0; 8], 4), None, "no real token, no norm");
    }
    // an id past the table counts nothing; a zero-width row, or vectors all zero, give no norm
    let m = model("seed", false);
    let past = adversarial::median_text_norm(&m, &[1, V as u32 + 5], 2).unwrap();
    assert_eq!(past, adversarial::median_text_norm(&m, &[1, 0], 2).unwrap());
    assert_eq!(adversarial::median_text_norm(&m, &[1, 2], 0), None);
    let mut zero = model("seed", true);
    zero.params.data.iter_mut().for_each(|v| *v = 0.0);
    assert_eq!(adversarial::median_text_norm(&zero, &[1, 2, 3, 0], 2), None, "vectors at zero have no size");

    let (fine, warn) = adversarial::scale_note(2.0, 15.74);
    assert!(!warn && fine.contains("norm 2 is 13% of") && fine.contains("(16)") && !fine.contains("hint"), "{fine}");
    let (large, warn) = adversarial::scale_note(2.0, 2.069);
    assert!(warn && large.contains("97% of") && large.contains("(2.1)"), "{large}");
    assert!(large.contains("e.g. --adversarial 0.21,"), "a tenth of the norm, two digits: {large}");
    // the share is judged as printed: 20% is not past 20%, 21% is
    assert!(!adversarial::scale_note(0.2, 1.0).1, "0.2 of 1.0 shows 20%");
    assert!(adversarial::scale_note(0.21, 1.0).1);
    // a hint that rounds up to the next power of ten, and tiny or huge norms, stay readable
    let (line, _) = adversarial::scale_note(1.0, 0.999);
    assert!(line.contains("--adversarial 0.1,") && line.contains("(1)"), "{line}");
    let (line, _) = adversarial::scale_note(1.0, 1e-30);
    assert!(line.contains("1.0e32%") && line.contains("--adversarial 1e-31,"), "{line}");
    let (line, _) = adversarial::scale_note(1.0, 3e20);
    assert!(line.contains(" <1% of") && line.contains("(3e20)"), "{line}");
    let (line, _) = adversarial::scale_note(1e-30, 2.0);
    assert!(line.contains("step of norm 1e-30 is <1%"), "{line}");
}
