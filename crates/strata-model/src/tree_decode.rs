//! Top-down decoding of a leaf classifier over a label tree (issue 15 point 3): pick the best
//! node of the top level, then the best child under it, down to a leaf — a child is only ever
//! chosen under its predicted parent, so the path is consistent by construction. A node's score
//! is the probability mass of the leaves under it (the leaf softmax marginalised onto the
//! level), which any model with leaf probabilities has, the linear one included.

use strata_data::LabelTree;

/// How a tree model's leaf probabilities become one leaf.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TreeDecoding {
    /// The most probable leaf (today's rule).
    #[default]
    Flat,
    /// The most probable top node, then the most probable child under it, down to a leaf.
    TopDown,
}

impl TreeDecoding {
    pub fn name(self) -> &'static str {
        match self {
            TreeDecoding::Flat => "flat",
            TreeDecoding::TopDown => "top-down",
        }
    }

    /// The leaf this rule picks from `probs` (one per leaf, in the tree's leaf order).
    pub fn decode(self, probs: &[f32], tree: &LabelTree) -> usize {
        match self {
            TreeDecoding::Flat => crate::head::argmax(probs),
            TreeDecoding::TopDown => top_down(probs, tree),
        }
    }
}

/// The leaf reached by choosing, level by level, the node with the most probability mass among
/// the children of the node chosen above (ties: the lower node index).
pub fn top_down(probs: &[f32], tree: &LabelTree) -> usize {
    let mut candidates: Vec<usize> = (0..probs.len()).collect();
    for ancestor in &tree.ancestor {
        let mut mass = vec![0.0f64; ancestor.iter().max().map_or(0, |m| m + 1)];
        let mut present = vec![false; mass.len()];
        for &leaf in &candidates {
            mass[ancestor[leaf]] += f64::from(probs[leaf]);
            present[ancestor[leaf]] = true;
        }
        let best = (0..mass.len()).filter(|&n| present[n]).fold(None, |best: Option<usize>, n| match best {
            Some(b) if mass[b] >= mass[n] => Some(b),
            _ => Some(n),
        });
        let Some(best) = best else { break };
        candidates.retain(|&leaf| ancestor[leaf] == best);
    }
    candidates.first().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_data::LabelMap;
    use strata_nn::Rng;

    fn tree() -> LabelTree {
        let labels = LabelMap::from_labels(["a/x", "a/y", "b/p", "b/q", "b/r"]);
        LabelTree::of_leaves(&labels, "/").unwrap()
    }

    #[test]
    fn the_parent_with_most_mass_wins_over_the_single_best_leaf() {
        // b/p is the best leaf (0.4) but a holds 0.55
        let probs = [0.3, 0.25, 0.4, 0.03, 0.02];
        assert_eq!(TreeDecoding::Flat.decode(&probs, &tree()), 2);
        assert_eq!(TreeDecoding::TopDown.decode(&probs, &tree()), 0);
    }

    #[test]
    fn top_down_never_predicts_a_child_outside_its_predicted_parent() {
        let tree = tree();
        let mut rng = Rng::new(7);
        for _ in 0..2000 {
            let raw: Vec<f32> = (0..5).map(|_| rng.uniform(0.0, 1.0)).collect();
            let sum: f32 = raw.iter().sum();
            let probs: Vec<f32> = raw.iter().map(|v| v / sum).collect();
            let leaf = top_down(&probs, &tree);
            let parent_mass = |n: usize| tree.leaves_under(0, n).map(|l| probs[l]).sum::<f32>();
            let best_parent = if parent_mass(0) >= parent_mass(1) { 0 } else { 1 };
            assert_eq!(tree.ancestor[0][leaf], best_parent, "{probs:?}");
            let best_child = tree.leaves_under(0, best_parent).max_by(|&a, &b| probs[a].total_cmp(&probs[b])).unwrap();
            assert_eq!(leaf, best_child, "{probs:?}");
        }
    }
}
