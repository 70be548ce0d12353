//! The classifier's output rule, in one place: two classes give one sigmoid logit trained with
//! binary cross-entropy (the seed's `Dense(1, activation="sigmoid")`), more give one logit per
//! class trained with softmax cross-entropy. The model's head, the auxiliary heads, the probes,
//! evaluation and prediction all go through it.

use strata_nn::activations::sigmoid;
use strata_nn::loss;

/// How a head's logits `[B, K]` are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Two classes: one logit, `P(class 1) = σ(z)`.
    Sigmoid,
    /// One logit per class, probabilities by softmax.
    Softmax { classes: usize },
}

impl Output {
    pub fn for_classes(classes: usize) -> Output {
        if classes <= 2 {
            Output::Sigmoid
        } else {
            Output::Softmax { classes }
        }
    }

    /// Logits per row (`K`).
    pub fn width(self) -> usize {
        match self {
            Output::Sigmoid => 1,
            Output::Softmax { classes } => classes,
        }
    }

    /// Summed loss of `logits: [B, K]` against `labels`, and its gradient × `scale` written
    /// into `dlogits` (resized to fit).
    pub fn loss(self, logits: &[f32], labels: &[usize], scale: f32, dlogits: &mut Vec<f32>) -> f64 {
        dlogits.resize(logits.len(), 0.0);
        match self {
            Output::Sigmoid => {
                let y: Vec<f32> = labels.iter().map(|&l| l as f32).collect();
                loss::bce_with_logits(logits, &y, scale, dlogits)
            }
            Output::Softmax { classes } => loss::softmax_cross_entropy(logits, classes, labels, scale, dlogits),
        }
    }

    /// How many rows of `logits` pick their label.
    pub fn correct(self, logits: &[f32], labels: &[usize]) -> usize {
        match self {
            Output::Sigmoid => logits.iter().zip(labels).filter(|(&z, &y)| (z > 0.0) == (y == 1)).count(),
            Output::Softmax { classes } => {
                logits.chunks_exact(classes).zip(labels).filter(|(z, &y)| argmax(z) == y).count()
            }
        }
    }

    /// One row's class probabilities (two for a sigmoid head) and the predicted class.
    pub fn probabilities(self, z: &[f32]) -> (Vec<f32>, usize) {
        match self {
            Output::Sigmoid => {
                let p = sigmoid(z[0]);
                (vec![1.0 - p, p], usize::from(p > 0.5))
            }
            Output::Softmax { .. } => {
                let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let e: Vec<f32> = z.iter().map(|v| (v - max).exp()).collect();
                let sum: f32 = e.iter().sum();
                let probs: Vec<f32> = e.iter().map(|v| v / sum).collect();
                let class = argmax(&probs);
                (probs, class)
            }
        }
    }
}

/// Index of the largest value (the first among ties).
pub fn argmax(z: &[f32]) -> usize {
    z.iter().enumerate().fold(0, |best, (i, &v)| if v > z[best] { i } else { best })
}

/// Classes by falling probability (ties by class index), the first `k`: the top-k a user asks
/// `predict` or the server for.
pub fn top_k(probs: &[f32], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&x, &y| probs[y].total_cmp(&probs[x]).then(x.cmp(&y)));
    order.truncate(k);
    order
}
