//! Adversarial training on the embedding output (Goodfellow, Shlens & Szegedy 2015, as Miyato,
//! Dai & Goodfellow 2017 apply it to text): besides each text's loss, the loss of the same text
//! with its word vectors pushed a small step the way that raises the loss most, so the model
//! learns to keep its answer when a word's vector moves a little — a regulariser that suits
//! pretrained levels, whose vectors the labels would otherwise pull freely.
//!
//! For a text with embedding output `e: [T, W]` (all its sentences' word steps, for a
//! hierarchical model) and `g = ∂L/∂e`, the perturbation is `r = ε · g / ‖g‖₂` (the L2 norm over
//! the whole text, as Miyato's; padded steps are not moved and not counted), and the loss trained is `L(e) + α · L(e + r)`, `r` held fixed
//! (no gradient flows through it). ε is in the embedding's own units; α is the adversarial
//! loss's weight (Miyato's 1; Keras's Neural Structured Learning calls the two `adv_step_size`
//! and `adv_multiplier`). The cost is a second forward and backward per batch.
//!
//! Shapes: `N` word rows (`B·S` for a hierarchical model), `T` word steps, `W` the embedding
//! output's width (`2E` for a multichannel model: both copies are perturbed).

use crate::model::Model;
use crate::network::{self, ChunkStats, Plan, Workspace};

/// `--adversarial EPS` and `--adversarial-weight W`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adversarial {
    /// ε, the L2 norm of each text's perturbation
    pub epsilon: f32,
    /// α, the adversarial loss's weight beside the clean loss
    pub weight: f32,
}

/// One training pass of `ids: [B, T]` with the adversarial loss added: `forward`, the clean
/// loss through `loss(ws, 1.0)` (which runs one of `network::backward`'s forms with its scale
/// times the factor given), the perturbation from the gradient at the embedding output, then
/// `forward` and `loss(ws, α)` again on the perturbed vectors. The parameter gradients in
/// `ws.grads` are the sum of both passes', and so is the gradient at the embedding output
/// (every position's, never summed per id: the trainer reads it through
/// `Workspace::embedding_gradient_rows` as usual). Returns the clean pass's loss and correct
/// count — what a run reports is the loss of the texts as they are — unless the perturbed
/// pass's loss is not finite, which is then returned as the loss, so the step is refused
/// under its real cause.
pub fn train_pass(
    model: &Model,
    ids: &[u32],
    t: usize,
    plan: &Plan,
    adversarial: Adversarial,
    ws: &mut Workspace,
    mut loss: impl FnMut(&mut Workspace, f32) -> ChunkStats,
) -> ChunkStats {
    assert!(ws.feed.is_none(), "adversarial training perturbs the embedding: a pass fed from below has none");
    ws.input_gradient = true;
    ws.emb_shift.clear();
    ws.demb.clear();
    network::forward(model, ids, t, plan, ws);
    let clean = loss(ws, 1.0);
    let at = TextRows {
        ids: &ws.ids,
        rows: network::word_rows(model, ws.texts.0, ws.texts.1).0,
        width: model.config.input_width(),
        per_text: model.config.sentences().unwrap_or(1),
    };
    perturbation(&ws.demb, at, adversarial.epsilon, &mut ws.emb_shift);
    std::mem::swap(&mut ws.demb, &mut ws.demb_clean);
    ws.demb.clear();
    network::forward(model, ids, t, plan, ws);
    let perturbed = loss(ws, adversarial.weight);
    ws.emb_shift.clear();
    ws.input_gradient = false;
    // the embedding's gradient is both passes' (both empty where no gradient reached it)
    assert_eq!(ws.demb.len(), ws.demb_clean.len(), "the two passes' gradients at the embedding differ in shape");
    ws.demb.iter_mut().zip(&ws.demb_clean).for_each(|(a, g)| *a += g);
    // a perturbed loss that is not finite is what stops the step: the caller hears it
    if perturbed.loss_sum.is_finite() {
        clean
    } else {
        ChunkStats { loss_sum: perturbed.loss_sum, ..clean }
    }
}

/// The median, over the texts of `ids: [N, t]` (one text a row: a hierarchical model's row is
/// all its sentences' words), of the L2 norm of a text's word vectors at the embedding output
/// as the model stands (both copies of a multichannel model; real tokens only, as
/// `perturbation` counts them; an id past the table counts nothing): the length ε is measured
/// against. `None` when no text has a real token, or the median is not a positive finite
/// number (word vectors that start at zero: no share of them means anything).
pub fn median_text_norm(model: &Model, ids: &[u32], t: usize) -> Option<f64> {
    if t == 0 {
        return None;
    }
    let e = model.config.embedding_dim;
    let tables: Vec<&[f32]> = model.embedding_tables().map(|r| &model.params.data[r]).collect();
    // ‖row‖² per vocabulary id, summed over the copies, in f64
    let vocab = tables.first().map_or(0, |tab| tab.len() / e.max(1));
    let row2: Vec<f64> = (0..vocab)
        .map(|id| {
            tables.iter().map(|tab| tab[id * e..(id + 1) * e].iter().map(|&x| f64::from(x).powi(2)).sum::<f64>()).sum()
        })
        .collect();
    let mut norms: Vec<f64> = ids
        .chunks_exact(t)
        .filter(|text| text.iter().any(|&id| id != 0))
        .map(|text| {
            text.iter()
                .filter(|&&id| id != 0)
                .map(|&id| row2.get(id as usize).copied().unwrap_or(0.0))
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    norms.sort_by(f64::total_cmp);
    norms.get(norms.len() / 2).copied().filter(|n| n.is_finite() && *n > 0.0)
}

/// ε's share of a text's norm past which `scale_note` warns, a precaution: on SST-2 at one seed
/// (bench/README.md, "Eleventh round") the ε chosen on dev was 9–14 % of it for kim-cnn and
/// the LSTM, pretrained or not; kim-cnn lost 2 and 8.6 dev points at 24–25 %, the LSTM within
/// noise up to 37 %, and near 50 % and 100 % models learned little or nothing.
pub const LARGE_SHARE: f64 = 0.2;

/// What a run says before adversarial training: ε against `median_text_norm` (`norm`, positive
/// and finite), and whether ε is past `LARGE_SHARE` of it (the share as printed, in whole
/// per cent), in which case the line is a warning with a hint.
pub fn scale_note(epsilon: f32, norm: f64) -> (String, bool) {
    let percent = (f64::from(epsilon) / norm * 100.0).round();
    let shown = match percent {
        p if p < 1.0 => "<1%".to_string(),
        p if p < 1e4 => format!("{p:.0}%"),
        p => format!("{p:.1e}%"),
    };
    let line = format!(
        "Adversarial training: each text's step of norm {} is {shown} of the median norm of a text's word vectors at the start ({})",
        readable(epsilon, f64::from(epsilon)),
        two_digits(norm)
    );
    if percent <= LARGE_SHARE * 100.0 {
        return (line, false);
    }
    let hint = format!(
        "{line}; on SST-2 kim-cnn lost dev accuracy from about a quarter and no model learned near 100% (hint: --adversarial is in the embedding's units: try about a tenth of that norm, e.g. --adversarial {}, and choose it on validation data)",
        two_digits(0.1 * norm)
    );
    (hint, true)
}

/// A positive finite `x` to two significant digits, as a flag value reads (`0.21`, `16`,
/// `1.6e-7`).
fn two_digits(x: f64) -> String {
    let rounded: f64 = format!("{x:.1e}").parse().unwrap_or(x);
    readable(rounded, rounded)
}

/// `x` as `Display` writes it while its `magnitude` is near 1; else with an exponent, not a
/// run of zeros (`1e-31`, `3e20`).
fn readable(x: impl std::fmt::Display + std::fmt::LowerExp, magnitude: f64) -> String {
    if (1e-4..1e6).contains(&magnitude) {
        x.to_string()
    } else {
        format!("{x:e}")
    }
}

/// Where a text's values lie in the embedding output `[T, N, W]`: the word rows' ids
/// `[N, T]` (0 is padding), their width `W`, and how many consecutive rows a text owns (its
/// sentences: text `b` owns the rows from `b · per_text`).
#[derive(Clone, Copy, Debug)]
pub struct TextRows<'a> {
    pub ids: &'a [u32],
    pub rows: usize,
    pub width: usize,
    pub per_text: usize,
}

/// `r = ε · g / ‖g‖₂` per text, from the gradient `g: [T, N, W]` at the embedding output, over
/// the text's real tokens only: a padded step is neither moved nor counted in the norm (as
/// Miyato et al., whose texts are not padded), so a text's `r` does not depend on `--maxlen`
/// or its batch's width. A text whose gradient is zero is not moved; an empty `g` (no gradient
/// reached the embedding) moves nothing. The scale is applied in f64, so a gradient of tiny
/// (even subnormal) values still gives a step of norm ε, not an infinite one.
pub fn perturbation(g: &[f32], at: TextRows, epsilon: f32, r: &mut Vec<f32>) {
    r.clear();
    let TextRows { ids, rows, width, per_text } = at;
    if g.is_empty() || rows == 0 || width == 0 {
        return;
    }
    let t = ids.len() / rows;
    assert_eq!(g.len(), t * rows * width, "the gradient is not [T, N, W] of the ids' [N, T]");
    let text_of = |row: usize| row / per_text.max(1);
    let real = |step: usize, row: usize| ids[row * t + step] != 0;
    // ‖g‖² per text, in f64: a long text sums many small squares
    let mut norm2 = vec![0.0f64; rows.div_ceil(per_text.max(1))];
    for (step, values) in g.chunks_exact(rows * width).enumerate() {
        for (row, v) in values.chunks_exact(width).enumerate().filter(|&(row, _)| real(step, row)) {
            norm2[text_of(row)] += v.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>();
        }
    }
    let scale: Vec<f64> = norm2.iter().map(|&n2| if n2 > 0.0 { f64::from(epsilon) / n2.sqrt() } else { 0.0 }).collect();
    r.resize(g.len(), 0.0);
    for (step, (gs, rs)) in g.chunks_exact(rows * width).zip(r.chunks_exact_mut(rows * width)).enumerate() {
        for (row, (v, out)) in gs.chunks_exact(width).zip(rs.chunks_exact_mut(width)).enumerate() {
            if real(step, row) {
                let f = scale[text_of(row)];
                out.iter_mut().zip(v).for_each(|(o, &x)| *o = (f64::from(x) * f) as f32);
            }
        }
    }
}
