//! Per-level heads of a label tree (issue 15 point 3, `--hierarchy per-level`): beside the leaf
//! head, one softmax classifier per upper level of the tree on the same top representation,
//! each trained on the leaf's ancestor at its level, their losses added to the leaf head's.
//! Like the auxiliary heads they are training scaffolding: they sit right after the head in the
//! store (so they train with the `head` group), and are dropped before the model is saved; a
//! per-level model predicts with its leaf head.

use strata_nn::dense::{self, DenseDims, DenseGrads};
use strata_nn::{init, Rng};

use crate::head::Output;
pub use crate::model::LevelHead;
use crate::model::Model;

impl Model {
    /// Appends one head per entry of `levels` (each maps every leaf class to its node at that
    /// level), glorot-initialised from their own stream of `seed`. Call before training starts
    /// (before any auxiliary head), so they follow the head in the store.
    pub fn add_level_heads(&mut self, levels: &[Vec<usize>], seed: u64) {
        assert!(
            self.layout.aux.is_empty() && self.layout.level_heads.is_empty(),
            "level heads come right after the head"
        );
        let w = self.top_width();
        let mut rng = Rng::derive(seed, 0x6c6576656c); // "level"
        for (l, node) in levels.iter().enumerate() {
            assert_eq!(node.len(), self.config.outputs().max(self.config.num_classes), "one node per leaf class");
            let output = Output::for_classes(node.iter().max().map_or(1, |m| m + 1));
            let k = output.width();
            let kernel = self.params.add(&format!("level_head_{l}.kernel"), &[w, k]);
            let bias = self.params.add(&format!("level_head_{l}.bias"), &[k]);
            init::glorot_uniform(&mut self.params.data[kernel.clone()], w, k, &mut rng);
            self.layout.level_heads.push(LevelHead { kernel, bias, node: node.clone(), output });
        }
    }

    /// Removes the level heads (and anything after them in the store).
    pub fn drop_level_heads(&mut self) {
        if let Some(first) = self.layout.level_heads.first() {
            let start = first.kernel.start;
            self.params.data.truncate(start);
            self.params.specs.retain(|s| s.range.start < start);
            self.layout.level_heads.clear();
            self.layout.aux.clear();
        }
    }
}

/// Each level head's logits `[B, K_l]` from the top layer's output `x: [B, W]`.
pub fn forward(model: &Model, x: &[f32], b: usize, logits: &mut Vec<Vec<f32>>) {
    let (w, p) = (model.top_width(), &model.params.data);
    logits.resize_with(model.layout.level_heads.len(), Vec::new);
    for (h, out) in model.layout.level_heads.iter().zip(logits.iter_mut()) {
        out.resize(b * h.output.width(), 0.0);
        dense::forward(DenseDims { b, i: w, o: h.output.width() }, x, &p[h.kernel.clone()], &p[h.bias.clone()], out);
    }
}

/// The level heads' summed loss against the leaves' ancestors; their weights' gradients into
/// `grads` (which starts at store offset `off`), and, when `dx` is given, the gradient at the
/// top layer's output added to it. `scratch` holds the loss and input gradients.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    model: &Model,
    x: &[f32],
    leaves: &[usize],
    scale: f32,
    logits: &[Vec<f32>],
    grads: &mut [f32],
    off: usize,
    mut dx: Option<&mut [f32]>,
    scratch: &mut (Vec<f32>, Vec<f32>),
) -> f64 {
    let (b, w) = (leaves.len(), model.top_width());
    let mut loss = 0.0;
    for (h, z) in model.layout.level_heads.iter().zip(logits) {
        let labels: Vec<usize> = leaves.iter().map(|&leaf| h.node[leaf]).collect();
        let (dlogits, dinput) = scratch;
        loss += h.output.loss(z, &labels, scale, dlogits);
        let (kr, br) = (h.kernel.start - off..h.kernel.end - off, h.bias.start - off..h.bias.end - off);
        let (gk, gb) = grads[kr.start..br.end].split_at_mut(kr.len());
        dinput.clear();
        dinput.resize(b * w, 0.0);
        let want_dx = dx.is_some();
        let grads = DenseGrads { kernel: gk, bias: gb, dx: want_dx.then_some(&mut dinput[..]) };
        dense::backward(
            DenseDims { b, i: w, o: h.output.width() },
            x,
            &model.params.data[h.kernel.clone()],
            dlogits,
            grads,
        );
        if let Some(dx) = dx.as_deref_mut() {
            dx.iter_mut().zip(dinput.iter()).for_each(|(a, g)| *a += g);
        }
    }
    loss
}
