//! Issue 16, point 5 (`--level-workers`): a pipelined level group runs from a [`LevelFeed`] —
//! the output of the layer below its first layer, computed by the group below — instead of
//! from the embedding. Its forward must give the logits the whole model gives, and its
//! backward the gradient of its own levels' classifiers: checked against central differences
//! of that loss, and against the lock-step decoupled gradient on the same levels, on a stacked
//! LSTM of three levels and on han (whose upper group starts at the word attention, below the
//! `sentences` layer).

use strata_model::network::{self, LevelFeed, Plan, Workspace};
use strata_model::plan::Group;
use strata_model::zoo::{named_layers, Knobs};
use strata_model::{Model, ModelConfig};
use strata_nn::gradcheck::check;
use strata_nn::Rng;

mod common;
use common::{config, decoupled, V};

/// The group of levels `from..levels` (the top group): its levels, their classifiers.
fn upper_group(levels: usize, from: usize) -> Plan {
    let mut plan = decoupled(levels);
    plan.trainable[Group::Embedding] = false;
    for k in 0..from {
        plan.aux_weights[k] = 0.0;
        plan.trainable[Group::Level(k)] = false;
        plan.trainable[Group::Aux(k)] = false;
    }
    plan
}

/// What the group from level `from` reads: the lower levels' top output for `ids`.
fn feed(m: &Model, ids: &[u32], t: usize, from: usize) -> LevelFeed {
    let mut ws = Workspace::default();
    let below = Plan { depth: from, head_weight: 0.0, ..decoupled(m.config.levels()) };
    network::forward(m, ids, t, &below, &mut ws);
    let (x, rows) = ws.computed_output();
    let first_layer = m.placed.iter().position(|p| p.group == Group::Level(from)).unwrap();
    LevelFeed { first_layer, x: x.to_vec(), rows }
}

/// The fed group's loss, gradient (after the embedding) and final logits.
fn fed(m: &Model, ids: &[u32], labels: &[usize], t: usize, plan: &Plan, f: &LevelFeed) -> (f64, Vec<f32>, Vec<f32>) {
    let mut ws = Workspace::default();
    ws.feed = Some(f.clone());
    ws.grads.resize(m.params.len() - m.layout.embedding.end, 0.0);
    network::forward(m, ids, t, plan, &mut ws);
    let logits = ws.logits.clone();
    let loss = network::backward(m, labels, 1.0, plan, &mut ws).loss_sum;
    (loss, ws.grads, logits)
}

fn check_fed_group(name: &str, c: ModelConfig, t: usize, from: usize) {
    let mut m = Model::new(c, 1);
    m.add_aux_heads(1);
    let emb = m.layout.embedding.clone();
    m.params.data[emb].iter_mut().for_each(|v| *v *= 20.0);
    let levels = m.config.levels();
    let mut rng = Rng::new(3);
    let b = 3;
    let ids: Vec<u32> = (0..b * t).map(|i| if i % 5 == 0 { 0 } else { 1 + rng.below(V - 1) as u32 }).collect();
    let labels: Vec<usize> = (0..b).map(|i| i % 2).collect();
    let f = feed(&m, &ids, t, from);
    let plan = upper_group(levels, from);
    let (_, g, logits) = fed(&m, &ids, &labels, t, &plan, &f);
    // lock-step: the whole decoupled plan from the embedding
    let mut ws = Workspace::default();
    ws.grads.resize(g.len(), 0.0);
    network::forward(&m, &ids, t, &decoupled(levels), &mut ws);
    assert_eq!(logits, ws.logits, "{name}: the fed group's logits are the whole model's");
    network::backward(&m, &labels, 1.0, &decoupled(levels), &mut ws);
    let off = m.layout.embedding.end;
    for k in from..levels {
        let mut groups = vec![Group::Level(k), if k + 1 < levels { Group::Aux(k) } else { Group::Head }];
        groups.dedup();
        // the loss of level k's own classifier alone (a detached level learns from it only)
        let mut own = plan.clone();
        own.aux_weights.iter_mut().enumerate().for_each(|(j, w)| *w = if j == k { *w } else { 0.0 });
        if k + 1 < levels {
            own.head_weight = 0.0;
        }
        for group in groups {
            let r = m.layout.range(group).unwrap();
            let local = r.start - off..r.end - off;
            assert_eq!(g[local.clone()], ws.grads[local.clone()], "{name} level {k} {group:?}: lock-step's gradient");
            let worst = check(&format!("{name} fed level {k} {group:?}"), &m.params.data[r.clone()], &g[local], |p| {
                let mut m2 = m.clone();
                m2.params.data[r.clone()].copy_from_slice(p);
                fed(&m2, &ids, &labels, t, &own, &f).0
            });
            assert!(worst < 5e-3, "{name} level {k} {group:?}: max relative difference {worst}");
        }
    }
    // nothing below the feed is touched
    let lower = m.layout.range(Group::Level(from - 1)).unwrap();
    assert!(g[lower.start - off..lower.end - off].iter().all(|&v| v == 0.0), "{name}: a gradient below the feed");
}

#[test]
fn a_fed_level_group_learns_as_its_levels_do_in_lock_step() {
    let stacked = named_layers("seed-stacked", Knobs { units: Some(3), layers: Some(3), ..Knobs::default() }).unwrap();
    check_fed_group("seed-stacked x3 from level 1", config("seed-stacked", stacked.clone()), 5, 1);
    check_fed_group("seed-stacked x3 from level 2", config("seed-stacked", stacked), 5, 2);
    let han = named_layers("han", Knobs { units: Some(2), sentences: Some(2), ..Knobs::default() }).unwrap();
    check_fed_group("han from level 1", config("han", han.clone()), 6, 1);
    check_fed_group("han from level 2", config("han", han), 6, 2);
}
