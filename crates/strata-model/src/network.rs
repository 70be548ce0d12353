//! Forward and backward of a whole model over one chunk of a batch, as a stage plans it.
//!
//! Training splits each batch into one chunk per core; each chunk runs here in its own
//! `Workspace` with no synchronisation, writing its gradients into its own buffer, and the fit
//! loop sums them afterwards in a fixed order (so results depend only on seed and thread count).
//!
//! The body is a list of [`Layer`]s; a model's levels are those with parameters. A [`Plan`]
//! says what one training stage computes: how many levels (those above are absent), which
//! classifiers give a loss (the final head, auxiliary heads on levels' summary vectors) with
//! what weights, and which parameter groups train. Backward runs from the top
//! computed layer down and **stops at the lowest trainable layer**: a frozen lower part of the
//! model costs a forward pass only.

use strata_nn::dense::{self, DenseDims, DenseGrads};
use strata_nn::{embedding, Rng};

use crate::folded_inputs::FoldedInputs;
use crate::head::Output;
use crate::id_groups::IdGroups;
use crate::layers::{Folded, Grads, Layer, Rows};
use crate::model::{Model, ModelConfig};
use crate::multichannel;
use crate::plan::Group;
pub use crate::plan::Plan;
use crate::shared_sentences::SharedRows;

/// Per-chunk activations, scratch and gradients, reused from batch to batch.
#[derive(Default)]
pub struct Workspace {
    /// `(B, T)`: the texts and ids per text of the last `forward`, which `backward` continues
    pub texts: (usize, usize),
    /// `[N₀, T₀]` the chunk's ids, as last given to `forward` (`N₀ = B·S` sentence rows of
    /// `T₀` words for a hierarchical model, else `B` rows of `T` ids)
    pub ids: Vec<u32>,
    /// `[T₀, N₀, C·E]` embedding output (`C` channels: 2 for a multichannel model, the
    /// trained copy's `E` values first)
    pub emb: Vec<f32>,
    /// `[T₀, N₀]` which word steps are not padding, and for a hierarchical model `[S, B]`
    /// which sentence slots are not
    word_valid: Vec<bool>,
    sentence_valid: Vec<bool>,
    /// The body's layers with their activations, built for `built_for`.
    layers: Vec<Box<dyn Layer>>,
    built_for: Option<ModelConfig>,
    /// `[B, K]` final head output (logits)
    pub logits: Vec<f32>,
    /// `[L][B, K]` auxiliary heads' logits (empty where there is no aux head)
    pub aux_logits: Vec<Vec<f32>>,
    /// a label tree's per-level heads' logits `[B, K_l]` (empty without them)
    pub level_logits: Vec<Vec<f32>>,
    /// scratch of the per-level heads' backward: loss gradient, input gradient
    level_scratch: (Vec<f32>, Vec<f32>),
    /// `[L][B, D_k]` each level's summary vector, where computed
    pub summaries: Vec<Vec<f32>>,
    /// `[B, K]` scratch for a head's loss gradient
    dlogits: Vec<f32>,
    /// `[B, D]` scratch: one head's gradient at its input
    dstate: Vec<f32>,
    /// per layer: gradient at its output, and at a recurrent layer's last state (from an
    /// auxiliary head), with whether anything was written this batch
    dy: Vec<Vec<f32>>,
    has_dy: Vec<bool>,
    dlast: Vec<Vec<f32>>,
    has_dlast: Vec<bool>,
    /// scratch input gradient when the layer below already holds one
    dx_scratch: Vec<f32>,
    /// `[T₀, N₀, C·E]` gradient at the embedding output (the trained channel's first), when the
    /// pass shares no sentence rows; when it does, the gradient is the distinct rows' and this
    /// holds nothing current: read it through [`Workspace::embedding_gradient_rows`]
    pub demb: Vec<f32>,
    /// Gradients of every parameter after the embedding (`[P − V·E]`); the embedding's are
    /// sparse and come from `demb`.
    pub grads: Vec<f32>,
    /// How many times each level's backward ran (for tests and reports).
    pub level_backward_calls: Vec<usize>,
    /// Dropout's random stream; `Some` in training only.
    pub dropout: Option<Rng>,
    /// Whether `forward` may compute a hierarchical model's identical sentence rows once
    /// ([`crate::shared_sentences`]; the trainer sets it): the embedding's gradient is then
    /// the distinct rows' (see [`Workspace::embedding_gradient_rows`]), for a caller that
    /// sums it per id, and `demb` is not written.
    pub share_identical_sentences: bool,
    /// Whether the layer over a single-channel embedding may hand on its gradient summed per
    /// id (`crate::id_groups`; the trainer sets it): the embedding's gradient is then one
    /// row per distinct id ([`Workspace::embedding_gradient_rows`]), for a caller that sums it
    /// per id, and `demb` is not written.
    pub sum_embedding_gradient_per_id: bool,
    /// The last `forward`'s shared rows, and the `sentences` layer's index when it shared any.
    shared: SharedRows,
    sharing_at: Option<usize>,
    /// The word rows grouped by id, and whether the last backward's embedding gradient is
    /// the groups' (`crate::id_groups`)
    id_groups: IdGroups,
    grouped_ids: bool,
    /// A pipelined level group's input (`--level-workers`): the output of the layer below its
    /// first layer, computed by the group below; with it, forward starts at that layer and
    /// backward stops there. `None` runs from the embedding.
    pub feed: Option<LevelFeed>,
    /// The top computed layer of the last forward, and the rows of its output.
    computed: (usize, Rows),
    /// Whether `backward` goes down to the embedding output whatever the plan trains, writing
    /// its gradient there for every position (`demb`, never summed per id or per shared row;
    /// and `forward` then shares no sentence rows): what adversarial training reads
    /// (`crate::adversarial`). Frozen layers' parameter gradients are computed too, and only
    /// the stage's groups are stepped.
    pub input_gradient: bool,
    /// `[T₀, N₀, C·E]`: added to the embedding output by a training `forward` when not empty
    /// (the adversarial perturbation).
    pub emb_shift: Vec<f32>,
    /// scratch of adversarial training: the clean pass's `demb`
    pub(crate) demb_clean: Vec<f32>,
}

/// The gradient at the embedding output as the trainer sums it per id: `ids: [N, steps]`,
/// `demb: [steps, N, W]`.
pub struct EmbeddingRows<'a> {
    pub ids: &'a [u32],
    pub n: usize,
    pub steps: usize,
    pub demb: &'a [f32],
}

/// What a level group reads in place of the layers below it: the output `x` (`rows` of the
/// shape `layers[first_layer].input` says) of the layer below `first_layer`, for the chunk's
/// texts.
#[derive(Clone, Debug, Default)]
pub struct LevelFeed {
    pub first_layer: usize,
    pub x: Vec<f32>,
    pub rows: Rows,
}

impl Workspace {
    /// The gradient at the embedding output after `backward`, as [`EmbeddingRows`]: every
    /// row's (`ws.ids`, `demb`); or, when sentence rows were shared, the distinct rows' — each
    /// group's gradient once, so that summed per id it is every row's sum (in the same order: a
    /// group's first rows come in row order), without a `[T₀, N₀, W]` buffer of zeros for the
    /// trainer to add (issue 14); or, when the layer over the embedding summed it per id
    /// (`crate::id_groups`), one row of one step per distinct id.
    pub fn embedding_gradient_rows(&self, model: &Model) -> EmbeddingRows<'_> {
        if self.grouped_ids {
            let g = &self.id_groups;
            return EmbeddingRows { ids: &g.ids, n: g.ids.len(), steps: 1, demb: &g.demb };
        }
        let (n, steps) = word_rows(model, self.texts.0, self.texts.1);
        match self.sharing_at {
            Some(_) => EmbeddingRows { ids: &self.shared.ids, n: self.shared.distinct, steps, demb: &self.shared.demb },
            None => EmbeddingRows { ids: &self.ids, n, steps, demb: &self.demb },
        }
    }

    /// Level `k`'s summary `[B, D_k]` after `forward` (computed on demand).
    pub fn summary(&mut self, model: &Model, b: usize, k: usize) -> &[f32] {
        let shared = self.sharing_at.map(|_| &self.shared.of_row[..]);
        level_summary(model, &self.layers, b, k, shared, &mut self.summaries);
        &self.summaries[k]
    }

    /// The output of the top layer the last forward computed, with its rows: what the level
    /// group above reads as its [`LevelFeed`].
    pub fn computed_output(&self) -> (&[f32], Rows) {
        let (top, rows) = self.computed;
        (self.layers[top].output(), rows)
    }

    /// The attention weights `[T, N]` of the body's `index`-th layer, if it is attention.
    pub fn attention_weights(&self, index: usize) -> Option<&[f32]> {
        self.layers.get(index).and_then(|l| l.attention_weights())
    }

    fn prepare(&mut self, model: &Model) {
        if self.built_for.as_ref() != Some(&model.config) {
            let placed = model.placed.iter().zip(&model.layout.layers);
            self.layers = placed.map(|(p, ranges)| p.spec.layer().build(p.input, p.output, ranges.clone())).collect();
            self.built_for = Some(model.config.clone());
        }
        let (n, l) = (model.placed.len(), model.config.levels());
        self.dy.resize_with(n, Vec::new);
        self.has_dy.resize(n, false);
        self.dlast.resize_with(n, Vec::new);
        self.has_dlast.resize(n, false);
        self.summaries.resize_with(l, Vec::new);
        self.aux_logits.resize_with(l, Vec::new);
        self.level_backward_calls.resize(l, 0);
    }
}

/// Fills `out[k]` with level `k`'s summary `[B, D_k]` from where [`Model::summary`]
/// says (a last state, or the level's last vector output); below a `sentences` layer, the mean
/// over each document's sentences.
/// With `shared` (each sentence row's distinct row, when the forward shared identical rows), a
/// per-sentence summary reads each row's distinct row.
fn level_summary(
    model: &Model,
    layers: &[Box<dyn Layer>],
    b: usize,
    k: usize,
    shared: Option<&[usize]>,
    out: &mut [Vec<f32>],
) {
    let from = model.summary(k);
    let layer = &layers[from.layer];
    let src = if from.from_last_state {
        layer.last_state().expect("a level read by its last state ends in a layer that keeps one")
    } else {
        layer.output()
    };
    let d = model.summary_width(k);
    let dst = &mut out[k];
    if from.per_sentence {
        let s = model.config.sentences().unwrap_or(1);
        dst.clear();
        dst.resize(b * d, 0.0);
        for (bi, row) in dst.chunks_exact_mut(d).enumerate() {
            for si in 0..s {
                let r = shared.map_or(bi * s + si, |of_row| of_row[bi * s + si]);
                let v = &src[r * d..(r + 1) * d];
                row.iter_mut().zip(v).for_each(|(a, x)| *a += x / s as f32);
            }
        }
    } else {
        dst.clear();
        dst.extend_from_slice(&src[..b * d]);
    }
}

/// Result of a chunk's loss: summed (weighted) loss and correct predictions of the reported
/// classifier.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChunkStats {
    pub loss_sum: f64,
    pub correct: usize,
}

/// How many body layers a plan of `depth` levels computes (the levels' layers and the
/// parameter-free layers that belong to them).
fn layers_computed(model: &Model, depth: usize) -> usize {
    model.placed.iter().take_while(|p| p.group < Group::Level(depth)).count()
}

/// Embedding rows and steps for `b` texts of `t` ids: `B·S` sentences of `T/S` words for a
/// hierarchical model, else `B` rows of `T`.
pub fn word_rows(model: &Model, b: usize, t: usize) -> (usize, usize) {
    let s = model.config.sentences().unwrap_or(1);
    (b * s, t / s)
}

/// Whether `layer` reads the padding mask in `model`: pooling always, recurrent layers when
/// the model masks padding.
fn reads_mask(model: &Model, layer: &dyn crate::layers::LayerType) -> bool {
    layer.reads_padding_mask() || (model.config.mask_padding && layer.skips_padding_when_masked())
}

/// Which steps are padding (id 0): word steps `[T₀, N₀]`, and for a hierarchical model the
/// sentence slots `[S, B]` with no word.
fn padding_masks(model: &Model, ids: &[u32], b: usize, t: usize, ws: &mut Workspace) {
    let t0 = word_rows(model, b, t).1;
    // the word rows computed: the distinct ones when sentences are shared
    let word_ids = if ws.sharing_at.is_some() { &ws.shared.ids[..] } else { ids };
    let n0 = word_ids.len() / t0.max(1);
    ws.word_valid.clear();
    ws.sentence_valid.clear();
    if !model.placed.iter().any(|l| reads_mask(model, l.spec.layer())) {
        return; // no layer reads a mask (the seed's models): nothing to compute
    }
    ws.word_valid.resize(t0 * n0, false);
    for (r, row) in word_ids.chunks_exact(t0.max(1)).enumerate() {
        for (s, &id) in row.iter().enumerate() {
            ws.word_valid[s * n0 + r] = id != 0;
        }
    }
    if let Some(s) = model.config.sentences() {
        ws.sentence_valid.resize(s * b, false);
        for (r, row) in ids.chunks_exact(t0.max(1)).enumerate() {
            ws.sentence_valid[(r % s) * b + r / s] = row.iter().any(|&id| id != 0);
        }
    }
}

/// The `sentences` layer's index when training may share identical sentence rows below it
/// ([`crate::shared_sentences`]): the plan computes it and nothing below it draws dropout
/// (which would make identical rows differ). An auxiliary head on a word level reads its
/// per-sentence summary through the rows' distinct rows and hands its gradient back to them
/// (decoupled and layerwise train those heads; issue 16 point 5).
fn sharing_boundary(model: &Model, top: usize) -> Option<usize> {
    let at = model.placed.iter().position(|p| p.input.sentence_rows && !p.output.sentence_rows)?;
    let no_dropout = model.placed[..at].iter().all(|p| p.spec.layer().kind() != "dropout");
    (at < top && no_dropout).then_some(at)
}

/// Whether a training pass of `plan` may share identical sentence rows (the trainer then cuts
/// batches with [`crate::shared_sentences::balanced_chunks`]).
pub fn may_share_sentences(model: &Model, plan: &Plan) -> bool {
    sharing_boundary(model, layers_computed(model, plan.depth)).is_some()
}

/// Forward of `ids: [B, T]` through the layers and heads `plan` computes, keeping what
/// [`backward`] reads (with dropout when `ws.dropout` is set).
pub fn forward(model: &Model, ids: &[u32], t: usize, plan: &Plan, ws: &mut Workspace) {
    run(model, ids, t, plan, ws, Pass::Training);
}

/// [`forward`] for inference: no [`backward`] may follow, no dropout runs, and each layer keeps
/// only what is read after it (its output, a last state, attention weights), not training's
/// saved activations (see [`Layer::infer`]). The logits, auxiliary logits and summaries are
/// `forward`'s without dropout.
pub fn infer(model: &Model, ids: &[u32], t: usize, plan: &Plan, ws: &mut Workspace) {
    run(model, ids, t, plan, ws, Pass::Inference(None));
}

/// [`infer`], the first layer reading each token's input projection from `folded` (the
/// model's, holding every id of `ids`): the same numbers, without computing the embedding's
/// output (`ws.emb` is left empty) or the first layer's input product.
pub fn infer_folded(model: &Model, ids: &[u32], t: usize, plan: &Plan, ws: &mut Workspace, folded: &FoldedInputs) {
    assert!(folded.of(model), "infer_folded: the folded inputs are another model's");
    assert!(ids.iter().all(|&id| folded.holds(id)), "infer_folded: an id with no row in the folded inputs");
    run(model, ids, t, plan, ws, Pass::Inference(Some(folded)));
}

/// Which forward of the layers runs.
#[derive(Clone, Copy)]
enum Pass<'f> {
    Training,
    /// with the first layer's input projection per id, when the call folded it
    Inference(Option<&'f FoldedInputs<'f>>),
}

fn run(model: &Model, ids: &[u32], t: usize, plan: &Plan, ws: &mut Workspace, pass: Pass) {
    let b = ids.len().checked_div(t).unwrap_or(0);
    ws.texts = (b, t);
    ws.prepare(model);
    let (e, k_out) = (model.config.embedding_dim, model.config.outputs());
    let p = &model.params.data;
    let (n0, t0) = word_rows(model, b, t);
    ws.ids.clear();
    ws.ids.extend_from_slice(ids);
    let first = ws.feed.as_ref().map_or(0, |f| f.first_layer);
    let top = layers_computed(model, plan.depth);
    let training = matches!(pass, Pass::Training);
    // the first layer reads its folded input projection by id instead of the embedding's output
    let folded = match pass {
        Pass::Inference(folded) => folded.filter(|_| first == 0 && top > 0),
        Pass::Training => None,
    };
    // identical sentence rows are shared only by a pass that computes the word levels itself
    ws.sharing_at = (training && ws.share_identical_sentences && !ws.input_gradient && first == 0)
        .then(|| sharing_boundary(model, top))
        .flatten()
        .filter(|_| ws.shared.find(ids, t0));
    let (word_ids, n_rows) = match ws.sharing_at {
        Some(_) => (&ws.shared.ids[..], ws.shared.distinct),
        None => (ids, n0),
    };
    if folded.is_some() {
        ws.emb.clear(); // not computed: a reader finds nothing rather than another batch's
    } else if first == 0 {
        ws.emb.resize(t0 * n_rows * model.config.input_width(), 0.0);
        let trained = &p[model.layout.embedding.clone()];
        match model.layout.static_embedding.clone() {
            Some(fixed) => multichannel::forward(word_ids, n_rows, t0, trained, &p[fixed], e, &mut ws.emb),
            None => embedding::forward(word_ids, n_rows, t0, trained, e, &mut ws.emb),
        }
        if training && !ws.emb_shift.is_empty() {
            assert_eq!(ws.emb_shift.len(), ws.emb.len(), "the perturbation is another batch's");
            ws.emb.iter_mut().zip(&ws.emb_shift).for_each(|(x, r)| *x += r);
        }
    }
    padding_masks(model, ids, b, t, ws);
    let mut rows = ws.feed.as_ref().filter(|_| first > 0).map_or(Rows { n: n_rows, t: t0 }, |f| f.rows);
    let hierarchical = model.config.sentences().is_some();
    for i in first..top {
        let (below, this) = ws.layers.split_at_mut(i);
        let mut x = match &ws.feed {
            Some(f) if i == first && first > 0 => &f.x[..],
            _ if i == 0 => &ws.emb[..],
            _ => below[i - 1].output(),
        };
        if ws.sharing_at == Some(i) {
            // the distinct rows' sentence vectors spread back to every row
            ws.shared.expand(x, model.placed[i].input.width);
            (x, rows.n) = (&ws.shared.expanded[..], n0);
        }
        let at_words = model.placed[i].input.sentence_rows || !hierarchical;
        let valid = if at_words { &ws.word_valid } else { &ws.sentence_valid };
        let valid = (!valid.is_empty() && reads_mask(model, model.placed[i].spec.layer())).then_some(&valid[..]);
        rows = match (pass, folded) {
            (Pass::Training, _) => this[0].forward(p, x, rows, valid, ws.dropout.as_mut()),
            (Pass::Inference(_), Some(f)) if i == 0 => {
                let folded = Folded { row_of_id: f.row_of_id(), tables: f.tables() };
                this[0].infer_folded(p, ids, folded, rows, valid)
            }
            (Pass::Inference(_), _) => this[0].infer(p, x, rows, valid),
        };
    }
    ws.computed = (top.saturating_sub(1), rows);
    if plan.head_weight > 0.0 {
        let w = model.top_width();
        ws.logits.resize(b * k_out, 0.0);
        let (hk, hb) = (&p[model.layout.head_kernel.clone()], &p[model.layout.head_bias.clone()]);
        dense::forward(DenseDims { b, i: w, o: k_out }, ws.layers[top - 1].output(), hk, hb, &mut ws.logits);
        if !model.layout.level_heads.is_empty() && training {
            crate::level_heads::forward(model, ws.layers[top - 1].output(), b, &mut ws.level_logits);
        }
    }
    for k in 0..plan.depth {
        if plan.aux_weights[k] > 0.0 {
            let shared = ws.sharing_at.map(|_| &ws.shared.of_row[..]);
            level_summary(model, &ws.layers, b, k, shared, &mut ws.summaries);
            let (ak, ab) = model.layout.aux[k].clone();
            ws.aux_logits[k].resize(b * k_out, 0.0);
            let d = model.summary_width(k);
            let dims = DenseDims { b, i: d, o: k_out };
            dense::forward(dims, &ws.summaries[k], &p[ak], &p[ab], &mut ws.aux_logits[k]);
        }
    }
}

/// The chunk's loss after `forward` (of the texts whose `labels` these are), and backward
/// through what `plan` trains: the final head, the auxiliary heads, then the body from the top
/// computed layer down to the lowest trainable level. `scale` is `1 / full batch size`, so that
/// summing chunks gives the batch-mean gradient. Gradients are accumulated into `ws.grads` and,
/// if the embedding trains, the embedding output's (`ws.demb`, or the shared sentence rows'
/// when identical rows are shared: [`Workspace::embedding_gradient_rows`] reads either).
pub fn backward(model: &Model, labels: &[usize], scale: f32, plan: &Plan, ws: &mut Workspace) -> ChunkStats {
    backward_weighted(model, labels, None, scale, plan, ws)
}

/// [`backward`] with each text's loss (final head and auxiliary heads alike) multiplied by
/// the weight of its class, `class_weights[label]` (`--class-weight`); `None` is [`backward`].
pub fn backward_weighted(
    model: &Model,
    labels: &[usize],
    class_weights: Option<&[f32]>,
    scale: f32,
    plan: &Plan,
    ws: &mut Workspace,
) -> ChunkStats {
    assert_eq!(labels.len(), ws.texts.0, "backward reads the labels of the texts forward ran");
    backward_targets(model, Targets::Classes(labels, class_weights), scale, plan, ws)
}

/// [`backward`] of a multi-label model (`ModelConfig::multi_label`): `targets: [B, K]` is each
/// text's multi-hot row (1 where it carries the label), the loss of the final head and of
/// every auxiliary head is binary cross-entropy summed over the labels, and `correct` counts
/// the texts whose most probable label is one of theirs (precision at 1).
pub fn backward_multi(model: &Model, targets: &[f32], scale: f32, plan: &Plan, ws: &mut Workspace) -> ChunkStats {
    let k = model.config.outputs();
    assert!(model.config.multi_label, "multi-hot targets are for a multi-label model");
    assert_eq!(targets.len(), ws.texts.0 * k, "backward reads one multi-hot row per text forward ran");
    backward_targets(model, Targets::MultiHot(targets), scale, plan, ws)
}

fn backward_targets(model: &Model, targets: Targets, scale: f32, plan: &Plan, ws: &mut Workspace) -> ChunkStats {
    ws.has_dy.iter_mut().for_each(|h| *h = false);
    ws.has_dlast.iter_mut().for_each(|h| *h = false);
    ws.grouped_ids = false;
    let mut stats = ChunkStats::default();
    // how far down the gradient goes: the lowest trainable group, or the embedding's output
    let lowest = if ws.input_gradient { Some(Group::Embedding) } else { plan.lowest_trainable_layer() };
    let heads = Heads { targets, scale, plan, lowest };
    head_backward(model, heads, ws, &mut stats);
    aux_backward(model, heads, ws, &mut stats);
    if let Some(lowest) = lowest {
        body_backward(model, plan, lowest, ws);
    }
    stats
}

/// What the heads' backward reads: the chunk's targets, the loss scale, the plan, and the
/// lowest group the gradient goes down to (`None`: no gradient below the heads).
#[derive(Clone, Copy)]
struct Heads<'a> {
    targets: Targets<'a>,
    scale: f32,
    plan: &'a Plan,
    lowest: Option<Group>,
}

/// Where the parameter range `r` of the store sits in `ws.grads` (which starts after the
/// embedding).
fn local(model: &Model, r: &std::ops::Range<usize>) -> std::ops::Range<usize> {
    let off = model.layout.embedding.end;
    r.start - off..r.end - off
}

/// What a chunk's texts should give: a class each (with, under `--class-weight`, the weight of
/// each class), or a multi-label model's multi-hot rows `[B, K]`.
#[derive(Clone, Copy)]
enum Targets<'a> {
    Classes(&'a [usize], Option<&'a [f32]>),
    MultiHot(&'a [f32]),
}

impl Targets<'_> {
    /// The summed loss of `logits` read by `output`, its gradient × `scale` in `dlogits`.
    fn loss(self, output: Output, logits: &[f32], scale: f32, dlogits: &mut Vec<f32>) -> f64 {
        match self {
            Targets::Classes(labels, weights) => output.weighted_loss(logits, labels, weights, scale, dlogits),
            Targets::MultiHot(y) => Output::multi_loss(logits, y, scale, dlogits),
        }
    }

    /// Texts whose prediction is right: the class picked, or (multi-label) the most probable
    /// label among the text's own.
    fn correct(self, output: Output, logits: &[f32]) -> usize {
        match self {
            Targets::Classes(labels, _) => output.correct(logits, labels),
            Targets::MultiHot(y) => output.hits_at_1(logits, y),
        }
    }
}

/// The final head: its loss, its weights' gradients, the gradient at the top layer's output.
fn head_backward(model: &Model, heads: Heads, ws: &mut Workspace, stats: &mut ChunkStats) {
    let Heads { targets, scale, plan, lowest } = heads;
    if plan.head_weight <= 0.0 {
        return;
    }
    let (b, k_out, output) = (ws.texts.0, model.config.outputs(), model.config.output());
    let top = layers_computed(model, plan.depth);
    let sum = targets.loss(output, &ws.logits, scale * plan.head_weight, &mut ws.dlogits);
    stats.loss_sum += plan.head_weight as f64 * sum;
    stats.correct = targets.correct(output, &ws.logits);
    let (kr, br) = (model.layout.head_kernel.clone(), model.layout.head_bias.clone());
    let (gk, gb) = ws.grads[local(model, &kr).start..local(model, &br).end].split_at_mut(kr.len());
    let w = model.top_width();
    let x = ws.layers[top - 1].output();
    let dx = lowest.is_some().then(|| {
        ws.dy[top - 1].resize(b * w, 0.0);
        ws.has_dy[top - 1] = true;
        &mut ws.dy[top - 1][..]
    });
    let grads = DenseGrads { kernel: gk, bias: gb, dx };
    dense::backward(DenseDims { b, i: w, o: k_out }, x, &model.params.data[kr], &ws.dlogits, grads);
    if let (false, Targets::Classes(labels, _)) = (model.layout.level_heads.is_empty(), targets) {
        let dx = ws.has_dy[top - 1].then_some(&mut ws.dy[top - 1][..]);
        let off = model.layout.embedding.end;
        let (logits, scratch) = (&ws.level_logits, &mut ws.level_scratch);
        let scale = scale * plan.head_weight;
        let sum = crate::level_heads::backward(model, x, labels, scale, logits, &mut ws.grads, off, dx, scratch);
        stats.loss_sum += plan.head_weight as f64 * sum;
    }
}

/// The auxiliary heads on the levels' summaries: their losses (added after the final head's,
/// in level order), their weights' gradients, and the gradient at each summary's source.
fn aux_backward(model: &Model, heads: Heads, ws: &mut Workspace, stats: &mut ChunkStats) {
    let Heads { targets, scale, plan, lowest } = heads;
    let (b, k_out, output) = (ws.texts.0, model.config.outputs(), model.config.output());
    let reported_aux = (!plan.reports_head()).then(|| plan.depth - 1);
    for k in 0..plan.depth {
        let weight = plan.aux_weights[k];
        if weight == 0.0 {
            continue;
        }
        let sum = targets.loss(output, &ws.aux_logits[k], scale * weight, &mut ws.dlogits);
        stats.loss_sum += weight as f64 * sum;
        if reported_aux == Some(k) {
            stats.correct = targets.correct(output, &ws.aux_logits[k]);
        }
        let (kr, br) = model.layout.aux[k].clone();
        let (gk, gb) = ws.grads[local(model, &kr).start..local(model, &br).end].split_at_mut(kr.len());
        let d = model.summary_width(k);
        let needs_dx = lowest.is_some_and(|lo| lo <= Group::Level(k));
        ws.dstate.resize(b * d, 0.0);
        let dx = needs_dx.then_some(&mut ws.dstate[..]);
        let grads = DenseGrads { kernel: gk, bias: gb, dx };
        let p = &model.params.data;
        dense::backward(DenseDims { b, i: d, o: k_out }, &ws.summaries[k], &p[kr], &ws.dlogits, grads);
        if needs_dx {
            add_summary_gradient(model, k, b, ws);
        }
    }
}

/// The body's layers, from the top computed one down to the `lowest` trainable group: each
/// reads the gradient at its output (and last state) and writes the one at its input, added
/// to what the layer below already holds.
fn body_backward(model: &Model, plan: &Plan, lowest: Group, ws: &mut Workspace) {
    let (p, off) = (&model.params.data, model.layout.embedding.end);
    let group_of = |i: usize| model.placed[i].group;
    let first = ws.feed.as_ref().map_or(0, |f| f.first_layer);
    for i in (first..layers_computed(model, plan.depth)).rev() {
        let group = group_of(i);
        if group < lowest {
            break;
        }
        if !ws.has_dy[i] && !ws.has_dlast[i] {
            continue; // nothing above reads this layer's output in this plan
        }
        // a decoupled plan stops the gradient where one level's layers end and the next's begin
        let cut = i > 0 && plan.detach_levels && matches!(group_of(i - 1), Group::Level(_)) && group_of(i - 1) != group;
        let fed = i == first && first > 0; // the group below computed this layer's input
        let need_dx = if i == 0 { lowest == Group::Embedding } else { group_of(i - 1) >= lowest && !cut && !fed };
        let (below, this) = ws.layers.split_at_mut(i);
        let shared_here = ws.sharing_at == Some(i);
        let x = match &ws.feed {
            _ if shared_here => &ws.shared.expanded[..],
            Some(f) if fed => &f.x[..],
            _ if i == 0 => &ws.emb[..],
            _ => below[i - 1].output(),
        };
        let (dy_below, dy_this) = ws.dy.split_at_mut(i);
        let dy = ws.has_dy[i].then_some(&dy_this[0][..]);
        let dlast = ws.has_dlast[i].then_some(&ws.dlast[i][..]);
        // (a fed layer computes no input gradient: the group below owns its input)
        let in_len = if i == 0 {
            ws.emb.len()
        } else if fed {
            x.len()
        } else {
            below[i - 1].output().len()
        };
        let accumulate = i > 0 && ws.has_dy[i - 1];
        // the trainer's layer over a single-channel embedding: its gradient summed per id
        let group_ids = i == 0
            && need_dx
            && ws.sum_embedding_gradient_per_id
            && !ws.input_gradient
            && model.layout.static_embedding.is_none()
            && this[0].groups_input_gradient();
        let dx = if !need_dx || group_ids {
            None
        } else if shared_here {
            // every row's gradient, summed per distinct row below
            ws.shared.dx.resize(x.len(), 0.0);
            Some(&mut ws.shared.dx[..])
        } else if i == 0 && ws.sharing_at.is_some() {
            ws.shared.demb.resize(in_len, 0.0);
            Some(&mut ws.shared.demb[..])
        } else if i == 0 {
            ws.demb.resize(in_len, 0.0);
            Some(&mut ws.demb[..])
        } else if accumulate {
            ws.dx_scratch.resize(in_len, 0.0);
            Some(&mut ws.dx_scratch[..])
        } else {
            dy_below[i - 1].resize(in_len, 0.0);
            ws.has_dy[i - 1] = true;
            Some(&mut dy_below[i - 1][..])
        };
        if group_ids {
            let (ids, n) = match ws.sharing_at {
                Some(_) => (&ws.shared.ids[..], ws.shared.distinct),
                None => (&ws.ids[..], word_rows(model, ws.texts.0, ws.texts.1).0),
            };
            let e = model.config.embedding_dim;
            let (groups, demb) = ws.id_groups.find(ids, n, model.layout.embedding.len() / e, e);
            this[0].backward_grouped(p, x, Grads { dy, dlast, params: &mut ws.grads, off, dx: Some(demb) }, groups);
            ws.grouped_ids = true;
        } else {
            this[0].backward(p, x, Grads { dy, dlast, params: &mut ws.grads, off, dx });
        }
        if need_dx && shared_here {
            dy_below[i - 1].resize(in_len, 0.0);
            ws.shared.sum_dx(model.placed[i].input.width, &mut dy_below[i - 1], accumulate);
            ws.has_dy[i - 1] = true;
        } else if need_dx && accumulate {
            dy_below[i - 1].iter_mut().zip(&ws.dx_scratch).for_each(|(a, v)| *a += v);
        }
        // the level's own layer (it has tensors), not a parameter-free one that belongs to it
        match group {
            Group::Level(k) if !model.layout.layers[i].is_empty() => ws.level_backward_calls[k] += 1,
            _ => {}
        }
    }
}

/// Adds an auxiliary head's gradient at level `k`'s summary (`ws.dstate`, `[B, D]`) to the
/// layer it came from — spread evenly over a document's sentences below a `sentences` layer
/// (to each sentence's distinct row, summed, when the forward shared identical rows).
fn add_summary_gradient(model: &Model, k: usize, b: usize, ws: &mut Workspace) {
    let from = model.summary(k);
    let (i, d) = (from.layer, model.summary_width(k));
    let s = if from.per_sentence { model.config.sentences().unwrap_or(1) } else { 1 };
    let shared = ws.sharing_at.filter(|_| from.per_sentence).map(|_| &ws.shared);
    let rows = shared.map_or(b * s, |sh| sh.distinct);
    let (buf, has) = if from.from_last_state {
        (&mut ws.dlast[i], &mut ws.has_dlast[i])
    } else {
        (&mut ws.dy[i], &mut ws.has_dy[i])
    };
    if !*has {
        buf.clear();
        buf.resize(rows * d, 0.0);
        *has = true;
    }
    for bi in 0..b {
        let g = &ws.dstate[bi * d..(bi + 1) * d];
        for si in 0..s {
            let r = shared.map_or(bi * s + si, |sh| sh.of_row[bi * s + si]);
            let dst = &mut buf[r * d..(r + 1) * d];
            dst.iter_mut().zip(g).for_each(|(a, v)| *a += v / s as f32);
        }
    }
}
