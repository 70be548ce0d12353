//! Continuing to train a classifier (`train --init-from DIR`, DIR a trained classifier; issue
//! 15, point 5): the new model's label set is DIR's labels (in DIR's order) followed by the new
//! data's other labels, and its head starts from DIR's rows for the labels DIR knows; a new
//! label's row keeps the fresh Keras initialisation (glorot-uniform kernel, zero bias) the new
//! model was made with. A label of DIR that the new data lacks is kept — its row stays and it
//! can still be predicted; it just never appears in training.
//!
//! The head is `head.kernel [w, K]` and `head.bias [K]`; a two-class head is one sigmoid logit
//! (`P(second label) = σ(z)`). Moving between the two is exact: a sigmoid logit `z` is the
//! softmax over `(0, z)`, so a sigmoid folder gives its first label a zero row and its second
//! the logit's row; and a softmax folder continued on two labels gives their difference.
//! Rows are read by label name, so the two label orders need not agree.

use std::path::Path;

use strata_data::LabelMap;
use strata_model::model::Model;
use strata_nn::ParamStore;

/// The labels a continued model has: DIR's, then the new data's others.
pub struct ContinuedLabels {
    pub labels: LabelMap,
    /// Each example's class in `labels`.
    pub y: Vec<usize>,
    /// The line to print: which labels are DIR's, which new, which DIR's the data lacks.
    pub note: String,
}

/// With `dir` a classifier of labels `theirs` sharing at least one label with the data
/// (`labels`, classes `y`), the continued model's labels; `None` when the labels are all other
/// than the data's (then its head is another task's, and the new model's labels are the data's
/// alone: a transfer, not a continuation).
pub fn continued_labels(dir: &Path, theirs: &LabelMap, labels: &LabelMap, y: &[usize]) -> Option<ContinuedLabels> {
    if !labels.labels().iter().any(|l| theirs.index(l).is_some()) {
        return None;
    }
    let mut all: Vec<String> = theirs.labels().to_vec();
    let new: Vec<String> = labels.labels().iter().filter(|l| theirs.index(l).is_none()).cloned().collect();
    all.extend(new.iter().cloned());
    let continued = LabelMap::from_vec(all);
    let y = y.iter().map(|&c| continued.index(labels.label(c)).expect("every label is kept")).collect();
    let absent: Vec<&str> = theirs.labels().iter().filter(|l| labels.index(l).is_none()).map(String::as_str).collect();
    let dir = dir.display();
    let mut note = format!(
        "Continue from {dir}: its {} labels ({}) keep their head rows; new labels, fresh rows: {}",
        theirs.len(),
        theirs.labels().join(", "),
        if new.is_empty() { "none".to_string() } else { new.join(", ") }
    );
    if !absent.is_empty() {
        note.push_str(&format!(
            "; not in the new data, kept (still predictable, never trained on here): {}",
            absent.join(", ")
        ));
    }
    Some(ContinuedLabels { labels: continued, y, note })
}

/// A head's rows as functions of the label: `(kernel column [w], bias)`.
struct Head<'a> {
    kernel: &'a [f32],
    bias: &'a [f32],
    /// outputs per row of the kernel (1: one sigmoid logit)
    k: usize,
}

impl Head<'_> {
    fn width(&self) -> usize {
        self.kernel.len() / self.k.max(1)
    }

    /// The softmax row of class `c` of `labels` (a sigmoid head's first class: zeros).
    fn row(&self, labels: &LabelMap, c: usize) -> (Vec<f32>, f32) {
        let w = self.width();
        if self.k == 1 && labels.len() == 2 && c == 0 {
            return (vec![0.0; w], 0.0);
        }
        let j = if self.k == 1 { 0 } else { c };
        ((0..w).map(|i| self.kernel[i * self.k + j]).collect(), self.bias[j])
    }
}

/// Copies `from`'s head rows (`from_labels`, DIR's) into `model`'s (`labels`) for the labels
/// both know; the others keep `model`'s initialisation. Returns the labels copied, or `None`
/// when nothing could be (no label shared, another width, a two-class model either of whose
/// labels DIR lacks).
pub fn copy_head_rows(
    model: &mut Model,
    labels: &LabelMap,
    from: &ParamStore,
    from_labels: &LabelMap,
) -> Option<Vec<String>> {
    let (Some(kernel), Some(bias)) = (from.find("head.kernel"), from.find("head.bias")) else { return None };
    let src = Head { kernel: &from.data[kernel.range.clone()], bias: &from.data[bias.range.clone()], k: bias.shape[0] };
    let (w, k) = (model.top_width(), model.config.outputs());
    if src.width() != w || (src.k == 1) != (from_labels.len() == 2) || src.k.max(2) != from_labels.len() {
        return None;
    }
    let rows: Vec<Option<(Vec<f32>, f32)>> =
        labels.labels().iter().map(|l| from_labels.index(l).map(|c| src.row(from_labels, c))).collect();
    let (kr, br) = (model.layout.head_kernel.clone(), model.layout.head_bias.clone());
    if k == 1 {
        // two classes: the logit of the second over the first, z₁ − z₀
        let (Some((c0, b0)), Some((c1, b1))) = (&rows[0], &rows[1]) else { return None };
        let kernel = &mut model.params.data[kr.clone()];
        kernel.iter_mut().zip(c1.iter().zip(c0)).for_each(|(d, (a, b))| *d = a - b);
        model.params.data[br][0] = b1 - b0;
    } else {
        for (c, row) in rows.iter().enumerate() {
            if let Some((col, b)) = row {
                let kernel = &mut model.params.data[kr.clone()];
                col.iter().enumerate().for_each(|(i, v)| kernel[i * k + c] = *v);
                model.params.data[br.clone()][c] = *b;
            }
        }
    }
    let copied: Vec<String> =
        labels.labels().iter().zip(&rows).filter(|(_, r)| r.is_some()).map(|(l, _)| l.clone()).collect();
    (!copied.is_empty()).then_some(copied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_model::model::ModelConfig;

    fn map(labels: &[&str]) -> LabelMap {
        LabelMap::from_vec(labels.iter().map(|l| l.to_string()).collect())
    }

    fn model(classes: usize, seed: u64) -> Model {
        Model::new(ModelConfig { embedding_dim: 3, num_classes: classes, ..ModelConfig::seed(7) }, seed)
    }

    /// column `c` of a `[w, k]` kernel and its bias
    fn column(m: &Model, c: usize) -> (Vec<u32>, u32) {
        let (k, kernel) = (m.config.outputs(), &m.params.data[m.layout.head_kernel.clone()]);
        let col = (0..m.top_width()).map(|i| kernel[i * k + c].to_bits()).collect();
        (col, m.params.data[m.layout.head_bias.clone()][c].to_bits())
    }

    #[test]
    fn known_labels_rows_arrive_bit_identical_and_a_new_labels_row_is_fresh() {
        // softmax → softmax: {a, b, c} continued on {a, b, c, d}, the new order differing
        let mut old = model(3, 1);
        let b = old.layout.head_bias.clone();
        old.params.data[b].copy_from_slice(&[0.5, -0.25, 0.125]);
        let mut new = model(4, 2);
        let fresh = new.clone();
        let labels = map(&["c", "a", "d", "b"]);
        let copied = copy_head_rows(&mut new, &labels, &old.params, &map(&["a", "b", "c"])).unwrap();
        assert_eq!(copied, ["c", "a", "b"]);
        for (c, was) in [(0, 2), (1, 0), (3, 1)] {
            assert_eq!(column(&new, c), column(&old, was), "label {} arrives bit for bit", labels.label(c));
        }
        assert_eq!(column(&new, 2), column(&fresh, 2), "the new label d keeps the fresh init");
        // everything but the head is the new model's own (copy_tensors's job)
        assert_eq!(new.params.get("lstm_0.kernel"), fresh.params.get("lstm_0.kernel"));
    }

    #[test]
    fn a_sigmoid_head_continues_as_the_softmax_over_zero_and_its_logit() {
        // {a, b}: one logit z = P(b); continued on {a, b, c}: a's row 0, b's the logit's, c fresh
        let old = model(2, 1);
        let mut new = model(3, 2);
        let fresh = new.clone();
        let copied = copy_head_rows(&mut new, &map(&["a", "b", "c"]), &old.params, &map(&["a", "b"])).unwrap();
        assert_eq!(copied, ["a", "b"]);
        assert_eq!(column(&new, 1), column(&old, 0), "b's row is the sigmoid's, bit for bit");
        let zeros = (vec![0.0f32.to_bits(); new.top_width()], 0.0f32.to_bits());
        assert_eq!(column(&new, 0), zeros);
        assert_eq!(column(&new, 2), column(&fresh, 2));
        // and back to two labels, swapped: the logit of the new second label over its first
        let mut two = model(2, 3);
        copy_head_rows(&mut two, &map(&["b", "a"]), &old.params, &map(&["a", "b"])).unwrap();
        let negated: Vec<u32> = column(&old, 0).0.iter().map(|&v| (-f32::from_bits(v)).to_bits()).collect();
        assert_eq!(column(&two, 0).0, negated);
        // no label shared: nothing copied
        let mut other = model(2, 4);
        assert!(copy_head_rows(&mut other, &map(&["x", "y"]), &old.params, &map(&["a", "b"])).is_none());
    }

    #[test]
    fn the_continued_labels_are_the_folders_then_the_new_ones_and_none_is_dropped() {
        let theirs = map(&["neg", "pos", "mixed"]);
        let data = map(&["neg", "pos", "spam"]);
        let c = continued_labels(Path::new("DIR"), &theirs, &data, &[2, 0, 1]).unwrap();
        assert_eq!(c.labels.labels(), ["neg", "pos", "mixed", "spam"]);
        assert_eq!(c.y, [3, 0, 1]);
        assert!(c.note.contains("fresh rows: spam") && c.note.contains("never trained on here): mixed"), "{}", c.note);
        let other = continued_labels(Path::new("DIR"), &theirs, &map(&["x", "y"]), &[0, 1]);
        assert!(other.is_none(), "no label shared: a transfer");
    }
}
