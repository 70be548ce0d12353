//! The classifier's output rule, in one place: two classes give one sigmoid logit trained with
//! binary cross-entropy (the seed's `Dense(1, activation="sigmoid")`), more give one logit per
//! class trained with softmax cross-entropy. A multi-label model (issue 15, point 2) has one
//! sigmoid per label, trained with binary cross-entropy summed over the labels against a
//! multi-hot target ([`Output::multi_loss`]). The model's head, the auxiliary heads, the probes,
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
    /// Several labels a text: one logit per label, `P(label c) = σ(z_c)` each on its own.
    MultiSigmoid { labels: usize },
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
            Output::MultiSigmoid { labels } => labels,
        }
    }

    /// A multi-label head's summed binary cross-entropy of `logits: [B, K]` against the
    /// multi-hot `targets: [B, K]` (1 where the text carries the label), summed over the labels
    /// as fastText's one-vs-all loss is; its gradient × `scale` is written into `dlogits`.
    pub fn multi_loss(logits: &[f32], targets: &[f32], scale: f32, dlogits: &mut Vec<f32>) -> f64 {
        assert_eq!(logits.len(), targets.len(), "one target per logit");
        dlogits.resize(logits.len(), 0.0);
        loss::bce_with_logits(logits, targets, scale, dlogits)
    }

    /// How many rows of a multi-label head's `logits` have their most probable label among
    /// the text's own (precision at 1, what a multi-label run reports as its accuracy).
    pub fn hits_at_1(self, logits: &[f32], targets: &[f32]) -> usize {
        let k = self.width();
        logits.chunks_exact(k).zip(targets.chunks_exact(k)).filter(|(z, y)| y[argmax(z)] > 0.5).count()
    }

    /// Summed loss of `logits: [B, K]` against `labels`, and its gradient × `scale` written
    /// into `dlogits` (resized to fit).
    pub fn loss(self, logits: &[f32], labels: &[usize], scale: f32, dlogits: &mut Vec<f32>) -> f64 {
        self.weighted_loss(logits, labels, None, scale, dlogits)
    }

    /// [`Output::loss`] with each row's loss and gradient multiplied by the weight of its class
    /// (`class_weights[label]`, `--class-weight`; Keras's `class_weight=`, whose loss is the
    /// batch's weighted sum over the batch size). `None` is every weight 1, bit for bit.
    pub fn weighted_loss(
        self,
        logits: &[f32],
        labels: &[usize],
        class_weights: Option<&[f32]>,
        scale: f32,
        dlogits: &mut Vec<f32>,
    ) -> f64 {
        dlogits.resize(logits.len(), 0.0);
        if let Some(weights) = class_weights {
            let k = self.width();
            let rows = logits.chunks_exact(k).zip(dlogits.chunks_exact_mut(k)).zip(labels);
            return rows
                .map(|((z, dz), &y)| {
                    let w = weights[y];
                    w as f64 * self.unweighted(z, std::slice::from_ref(&y), scale * w, dz)
                })
                .sum();
        }
        self.unweighted(logits, labels, scale, dlogits)
    }

    fn unweighted(self, logits: &[f32], labels: &[usize], scale: f32, dlogits: &mut [f32]) -> f64 {
        match self {
            Output::Sigmoid => {
                let y: Vec<f32> = labels.iter().map(|&l| l as f32).collect();
                loss::bce_with_logits(logits, &y, scale, dlogits)
            }
            Output::Softmax { classes } => loss::softmax_cross_entropy(logits, classes, labels, scale, dlogits),
            // one label a text: its one-hot multi-hot target
            Output::MultiSigmoid { labels: k } => {
                let mut y = vec![0.0f32; logits.len()];
                labels.iter().enumerate().for_each(|(r, &l)| y[r * k + l] = 1.0);
                loss::bce_with_logits(logits, &y, scale, dlogits)
            }
        }
    }

    /// How many rows of `logits` pick their label.
    pub fn correct(self, logits: &[f32], labels: &[usize]) -> usize {
        match self {
            Output::Sigmoid => logits.iter().zip(labels).filter(|(&z, &y)| (z > 0.0) == (y == 1)).count(),
            Output::Softmax { classes } | Output::MultiSigmoid { labels: classes } => {
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
            Output::MultiSigmoid { .. } => {
                let probs: Vec<f32> = z.iter().map(|&v| sigmoid(v)).collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use strata_nn::gradcheck::check;

    /// The weighted loss of either output is the weight times each row's loss, and its gradient
    /// still matches central differences with weights other than 1.
    #[test]
    fn class_weights_scale_each_rows_loss_and_keep_the_gradient_exact() {
        for (output, logits, labels) in [
            (Output::Sigmoid, vec![-1.5f32, 0.3, 2.0, -0.2], vec![0usize, 1, 1, 0]),
            (Output::Softmax { classes: 3 }, vec![0.3, -1.2, 2.0, 0.1, 0.5, -0.4, 1.0, 0.0, -2.0], vec![2, 0, 1]),
        ] {
            let weights = [0.4f32, 2.5, 1.75];
            let mut dz = Vec::new();
            let weighted = output.weighted_loss(&logits, &labels, Some(&weights), 0.5, &mut dz);
            let k = output.width();
            let by_row: f64 = logits
                .chunks_exact(k)
                .zip(&labels)
                .map(|(z, &y)| weights[y] as f64 * output.loss(z, &[y], 1.0, &mut Vec::new()))
                .sum();
            assert!((weighted - by_row).abs() < 1e-9, "{output:?}: {weighted} vs {by_row}");
            let worst = check("weighted", &logits, &dz, |z| {
                0.5 * output.weighted_loss(z, &labels, Some(&weights), 0.5, &mut Vec::new())
            });
            assert!(worst < 1e-3, "{output:?}: weighted loss gradient max rel diff {worst}");
            // no weights is the unweighted loss, bit for bit
            let (mut plain, mut none) = (Vec::new(), Vec::new());
            let a = output.loss(&logits, &labels, 0.5, &mut plain);
            let b = output.weighted_loss(&logits, &labels, None, 0.5, &mut none);
            assert_eq!((a.to_bits(), plain), (b.to_bits(), none));
        }
    }

    /// A multi-label head's loss is the binary cross-entropy of each label summed, its gradient
    /// σ(z) − y; a one-label text through `loss` is its one-hot target.
    #[test]
    fn a_multi_label_head_sums_one_bce_per_label() {
        let out = Output::MultiSigmoid { labels: 3 };
        let (z, y) = ([0.4f32, -1.0, 2.0, 0.0, 0.3, -0.7], [1.0f32, 0.0, 1.0, 0.0, 1.0, 0.0]);
        let mut dz = Vec::new();
        let got = Output::multi_loss(&z, &y, 1.0, &mut dz);
        let want: f64 = z
            .iter()
            .zip(&y)
            .map(|(&z, &y)| {
                let p = 1.0 / (1.0 + (-(z as f64)).exp());
                -(y as f64 * p.ln() + (1.0 - y as f64) * (1.0 - p).ln())
            })
            .sum();
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        for ((g, &z), &y) in dz.iter().zip(&z).zip(&y) {
            assert!((g - (sigmoid(z) - y)).abs() < 1e-6);
        }
        let one_hot = out.loss(&z, &[0, 1], 1.0, &mut Vec::new());
        let multi = Output::multi_loss(&z, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0], 1.0, &mut Vec::new());
        assert_eq!(one_hot.to_bits(), multi.to_bits());
        assert_eq!(out.hits_at_1(&z, &y), 2); // both rows' most probable label is one of theirs
    }
}
