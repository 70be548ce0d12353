//! `--class-weight` multiplies each text's loss by its class's weight in the final head and in
//! every auxiliary head (`network::backward_weighted`). This checks the whole model's gradient
//! under such weights (not 1) against central differences, for a sigmoid head (two classes) and
//! a softmax head (three), so a weight applied to the loss but not to its gradient, or to one
//! head and not the other, would show.

use strata_model::network::{self, Plan, Workspace};
use strata_model::plan::Group;
use strata_model::zoo::{named_layers, Knobs};
use strata_model::{Model, ModelConfig};
use strata_nn::gradcheck::check;
use strata_nn::Rng;

const V: usize = 10;

/// Weighted loss and the gradient of every tensor above the embedding.
fn loss_and_grad(m: &Model, ids: &[u32], labels: &[usize], weights: &[f32], t: usize, plan: &Plan) -> (f64, Vec<f32>) {
    let mut ws = Workspace::default();
    ws.grads.resize(m.params.len() - m.layout.embedding.end, 0.0);
    network::forward(m, ids, t, plan, &mut ws);
    let loss = network::backward_weighted(m, labels, Some(weights), 1.0, plan, &mut ws).loss_sum;
    (loss, ws.grads)
}

#[test]
fn weighted_losses_of_head_and_auxiliary_heads_match_finite_differences() {
    for classes in [2usize, 3] {
        let layers = named_layers("seed", Knobs { units: Some(3), ..Knobs::default() }).unwrap();
        let config = ModelConfig {
            architecture: "seed".into(),
            vocab_size: V,
            embedding_dim: 4,
            layers,
            num_classes: classes,
            embedding_init: 0.05,
            multichannel: false,
            mask_padding: false,
            multi_label: false,
        };
        let mut m = Model::new(config, 1);
        m.add_aux_heads(1);
        let emb = m.layout.embedding.clone();
        m.params.data[emb.clone()].iter_mut().for_each(|v| *v *= 20.0);
        let (b, t) = (4, 5);
        let mut rng = Rng::new(3);
        let ids: Vec<u32> = (0..b * t).map(|i| if i % 5 == 0 { 0 } else { 1 + rng.below(V - 1) as u32 }).collect();
        let labels: Vec<usize> = (0..b).map(|i| i % classes).collect();
        let weights = [0.3f32, 2.5, 1.7][..classes].to_vec();
        let mut plan = Plan::end_to_end(m.config.levels());
        plan.aux_weights[0] = 0.5;
        plan.trainable[Group::Aux(0)] = true;
        let (weighted, g) = loss_and_grad(&m, &ids, &labels, &weights, t, &plan);
        let (plain, _) = loss_and_grad(&m, &ids, &labels, &vec![1.0; classes], t, &plan);
        assert_ne!(weighted, plain, "{classes} classes: the weights change the loss");
        let dense = emb.end..m.params.len();
        let worst = check(&format!("seed, {classes} classes, weighted"), &m.params.data[dense.clone()], &g, |p| {
            let mut m2 = m.clone();
            m2.params.data[dense.clone()].copy_from_slice(p);
            loss_and_grad(&m2, &ids, &labels, &weights, t, &plan).0
        });
        assert!(worst < 5e-3, "{classes} classes: max relative difference {worst}");
    }
}
