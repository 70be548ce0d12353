//! The columns of a batch that hold any real token: a padded batch is cut to them before it is
//! computed (`--bucket-by-length`, `--mask-padding`), so a batch of short texts costs its own
//! length rather than `maxlen`.
//!
//! `ids` rows are `[T]` (id 0 = padding), or for a hierarchical model `S` sentence slots of
//! `W = T/S` words each; the window is then over word positions within a slot, the same for
//! every slot, and the cut row is `S·W'` ids. The window runs from the first column where any
//! row has a real token to the last such column, so it holds whether the padding is before or
//! after the text. It is never narrower than the model's fewest steps (a convolution's widest
//! kernel), nor than one step.

use crate::model::ModelConfig;

/// Whether cutting a batch of `config`'s model to its [`window`] leaves every number as it is:
/// the model masks padding (recurrent layers skip padded steps; pooling and attention always
/// do) and no layer needs a least number of steps — a convolution's windows reach into the
/// padding beside a text, so cutting it away changes them.
pub fn cut_is_exact(config: &ModelConfig) -> bool {
    config.mask_padding && config.layers.iter().all(|l| l.layer().min_steps() == 0)
}

/// Fewest word steps any layer of `config` needs (at least 1).
pub fn min_steps(config: &ModelConfig) -> usize {
    config.layers.iter().map(|l| l.layer().min_steps()).max().unwrap_or(0).max(1)
}

/// Word positions within a slot: `(slots, words per slot)` for rows of `t` ids.
fn slots(config: &ModelConfig, t: usize) -> (usize, usize) {
    let s = config.sentences().unwrap_or(1).max(1);
    (s, t / s)
}

/// Adds `row`'s real word positions (over all its slots of `w` words) to the span `(first,
/// end)`; an empty span is `(w, 0)`.
fn widen(span: &mut (usize, usize), row: &[u32], w: usize) {
    for slot in row.chunks_exact(w.max(1)) {
        if let Some(first) = slot.iter().position(|&id| id != 0) {
            let last = slot.iter().rposition(|&id| id != 0).unwrap_or(first);
            span.0 = span.0.min(first);
            span.1 = span.1.max(last + 1);
        }
    }
}

/// How many word steps of `row` (`[T]`) lie between its first and last real token, over all
/// its slots: what bucketing sorts by (0 for a text with no token).
pub fn real_width(config: &ModelConfig, row: &[u32]) -> usize {
    let (_, w) = slots(config, row.len());
    let mut span = (w, 0);
    widen(&mut span, row, w);
    span.1.saturating_sub(span.0)
}

/// The word columns `[start, end)` of `ids: [N, T]` to keep: the span of real tokens over all
/// rows, widened (to the right, then to the left) to the model's fewest steps.
pub fn window(config: &ModelConfig, ids: &[u32], t: usize) -> std::ops::Range<usize> {
    let (_, w) = slots(config, t);
    let mut span = (w, 0);
    for row in ids.chunks_exact(t.max(1)) {
        widen(&mut span, row, w);
    }
    let need = min_steps(config).min(w);
    let (start, mut end) = if span.1 > span.0 { span } else { (0, 0) };
    if end - start >= need {
        return start..end;
    }
    end = (start + need).min(w);
    end - need..end
}

/// `ids: [N, T]` cut to their [`window`] into `out` (`[N, T']`); returns `T'` (`S·W'` for a
/// hierarchical model). Every real token is kept, in its order.
pub fn cut(config: &ModelConfig, ids: &[u32], t: usize, out: &mut Vec<u32>) -> usize {
    let (s, w) = slots(config, t);
    let keep = window(config, ids, t);
    out.clear();
    for slot in ids.chunks_exact(w.max(1)) {
        out.extend_from_slice(&slot[keep.clone()]);
    }
    s * keep.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Conv1dConfig;
    use crate::zoo;

    fn seed() -> ModelConfig {
        ModelConfig::seed(50)
    }

    #[test]
    fn pre_and_post_padding_are_cut_to_the_longest_text() {
        // pre-padding: texts end at the last column
        let pre = [0, 0, 0, 4, 5, 0, 0, 0, 0, 7];
        let mut out = Vec::new();
        assert_eq!(cut(&seed(), &pre, 5, &mut out), 2);
        assert_eq!(out, [4, 5, 0, 7]);
        // post-padding: texts start at column 0
        let post = [4, 5, 0, 0, 0, 7, 0, 0, 0, 0];
        assert_eq!(cut(&seed(), &post, 5, &mut out), 2);
        assert_eq!(out, [4, 5, 7, 0]);
        // a batch of empty texts keeps one step
        assert_eq!(cut(&seed(), &[0; 6], 3, &mut out), 1);
        assert_eq!(out, [0, 0]);
    }

    #[test]
    fn only_a_masked_model_without_convolution_is_cut_exactly() {
        assert!(!cut_is_exact(&seed()));
        assert!(cut_is_exact(&ModelConfig { mask_padding: true, ..seed() }));
        let conv = vec![Conv1dConfig { widths: vec![3], filters: 2 }.into()];
        assert!(!cut_is_exact(&ModelConfig { mask_padding: true, layers: conv, ..seed() }));
    }

    #[test]
    fn a_convolution_keeps_its_widest_kernel() {
        let conv = ModelConfig { layers: vec![Conv1dConfig { widths: vec![3, 4], filters: 2 }.into()], ..seed() };
        assert_eq!(min_steps(&conv), 4);
        // one real token at the end (pre-padding): widened to the left
        assert_eq!(window(&conv, &[0, 0, 0, 0, 0, 9], 6), 2..6);
        // one real token at the start (post-padding): widened to the right
        assert_eq!(window(&conv, &[9, 0, 0, 0, 0, 0], 6), 0..4);
    }

    #[test]
    fn a_hierarchical_model_cuts_every_slot_alike() {
        let knobs = zoo::Knobs { units: Some(2), layers: None, sentences: Some(2) };
        let han = ModelConfig { layers: zoo::named_layers("han", knobs).expect("han"), ..seed() };
        // two slots of 4 words, pre-padded: the longest sentence has 3 words
        let row = [0, 0, 3, 4, 0, 5, 6, 7];
        assert_eq!(real_width(&han, &row), 3);
        let mut out = Vec::new();
        assert_eq!(cut(&han, &row, 8, &mut out), 6);
        assert_eq!(out, [0, 3, 4, 5, 6, 7]);
    }
}
