//! Issue 16, point 5: a decoupled plan (`Plan::detach_levels`, the `decoupled` schedule's) lets
//! no gradient cross a level boundary, so each level's gradient is that of its own classifier's
//! loss alone — level k's auxiliary head below the top, the final head on the top level, the
//! embedding with level 0 — checked against central differences of that loss, on a stacked
//! LSTM of three levels and on han (whose sentence level reads the word level's attention).

use strata_model::network::{self, word_rows, Plan, Workspace};
use strata_model::plan::{Group, GroupMap};
use strata_model::zoo::{named_layers, Knobs};
use strata_model::{Model, ModelConfig};
use strata_nn::gradcheck::check;
use strata_nn::Rng;

mod common;
use common::{config, decoupled, V};

/// Loss and full gradient (the embedding's rows included) of `plan` on a fixed batch.
fn loss_and_grad(m: &Model, ids: &[u32], labels: &[usize], t: usize, plan: &Plan) -> (f64, Vec<f32>) {
    let mut ws = Workspace::default();
    ws.grads.resize(m.params.len() - m.layout.embedding.end, 0.0);
    network::forward(m, ids, t, plan, &mut ws);
    let loss = network::backward(m, labels, 1.0, plan, &mut ws).loss_sum;
    let e = m.config.embedding_dim;
    let mut g = vec![0.0f32; m.params.len()];
    g[m.layout.embedding.end..].copy_from_slice(&ws.grads);
    let (n0, t0) = word_rows(m, labels.len(), t);
    let table = m.layout.embedding.start;
    for r in 0..n0 {
        for s in 0..t0 {
            let id = ids[r * t0 + s] as usize;
            let at = (s * n0 + r) * e;
            g[table + id * e..table + (id + 1) * e].iter_mut().zip(&ws.demb[at..at + e]).for_each(|(a, v)| *a += v);
        }
    }
    (loss, g)
}

/// The loss of level k's classifier alone (the final head for the top level), all levels on.
fn own_loss(levels: usize, k: usize) -> Plan {
    let mut plan = Plan::end_to_end(levels);
    plan.trainable = GroupMap::from_fn(levels, |_| true);
    if k + 1 < levels {
        plan.head_weight = 0.0;
        plan.aux_weights[k] = 1.0;
    }
    plan
}

/// The groups level `k`'s loss trains in a decoupled plan.
fn groups_of_level(levels: usize, k: usize) -> Vec<Group> {
    let mut g = vec![Group::Level(k), if k + 1 < levels { Group::Aux(k) } else { Group::Head }];
    if k == 0 {
        g.push(Group::Embedding);
    }
    g
}

fn check_decoupled(name: &str, c: ModelConfig, t: usize) {
    let mut m = Model::new(c, 1);
    m.add_aux_heads(1);
    let emb = m.layout.embedding.clone();
    m.params.data[emb].iter_mut().for_each(|v| *v *= 20.0); // spread out, as model_gradients.rs does
    let levels = m.config.levels();
    let mut rng = Rng::new(3);
    let b = 3;
    let ids: Vec<u32> = (0..b * t).map(|i| if i % 5 == 0 { 0 } else { 1 + rng.below(V - 1) as u32 }).collect();
    let labels: Vec<usize> = (0..b).map(|i| i % 2).collect();
    let (_, g) = loss_and_grad(&m, &ids, &labels, t, &decoupled(levels));
    for k in 0..levels {
        let plan = own_loss(levels, k);
        for group in groups_of_level(levels, k) {
            let r = m.layout.range(group).unwrap();
            let worst = check(&format!("{name} level {k} {group:?}"), &m.params.data[r.clone()], &g[r.clone()], |p| {
                let mut m2 = m.clone();
                m2.params.data[r.clone()].copy_from_slice(p);
                loss_and_grad(&m2, &ids, &labels, t, &plan).0
            });
            assert!(worst < 5e-3, "{name} level {k} {group:?}: max relative difference {worst}");
        }
    }
}

#[test]
fn each_decoupled_level_learns_from_its_own_classifier_alone() {
    let stacked = named_layers("seed-stacked", Knobs { units: Some(3), layers: Some(3), ..Knobs::default() }).unwrap();
    check_decoupled("seed-stacked x3", config("seed-stacked", stacked), 5);
    let han = named_layers("han", Knobs { units: Some(2), sentences: Some(2), ..Knobs::default() }).unwrap();
    check_decoupled("han", config("han", han), 6);
}

/// Without the cut, level 0 would also learn from the levels above: the two gradients differ
/// there and agree on the top level (whose classifier is the final head either way).
#[test]
fn the_cut_changes_only_what_crosses_a_boundary() {
    let layers = named_layers("seed-stacked", Knobs { units: Some(3), layers: Some(2), ..Knobs::default() }).unwrap();
    let mut m = Model::new(config("seed-stacked", layers), 1);
    m.add_aux_heads(1);
    let ids: Vec<u32> = (0..10).map(|i| (i % (V as u32 - 1)) + 1).collect();
    let labels = [0, 1];
    let (_, cut) = loss_and_grad(&m, &ids, &labels, 5, &decoupled(2));
    let (_, joined) = loss_and_grad(&m, &ids, &labels, 5, &Plan { detach_levels: false, ..decoupled(2) });
    let level = |g: &[f32], k| g[m.layout.range(Group::Level(k)).unwrap()].to_vec();
    assert_ne!(level(&cut, 0), level(&joined, 0));
    assert_eq!(level(&cut, 1), level(&joined, 1));
}
