//! Why a model decided, per token, by occlusion and by gradient × input — and, for a model with
//! attention, where it looked:
//!
//! - **occlusion**: each token in turn is replaced by the OOV token (or removed, for a
//!   vocabulary without one); the drop in the predicted class's probability is its saliency —
//!   positive when the word pushed towards the prediction. All occluded copies are scored in one
//!   batch. Only tokens inside the model's input are occluded (a token cut by `maxlen` scores
//!   0: occluding it leaves the input as it was), so the work is bounded by `maxlen`, not by
//!   the length of the text.
//! - **gradient × input**: the gradient of the predicted class's probability with respect to the
//!   token's embedding vector, dotted with that vector (one backward pass through the layers).
//! - **attention** (models with an attention layer, e.g. han): the word-level weights, and for a
//!   hierarchical model the sentence-level weights (Yang et al. 2016's visualisation).
//!
//! A hierarchical model reads a text as sentences; tokens are taken sentence by sentence, as
//! its encoding does, so each saliency is of the token the model actually read.

use serde::Serialize;

use crate::encode::{place, sentence_slots, split_sentences, Encoding};
use crate::folder::SavedModel;
use crate::infer::predict_padded;
use crate::network::{self, word_rows, Plan, Workspace};

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TokenSaliency {
    pub token: String,
    /// Whether the token has its own id (not OOV, not dropped).
    pub in_vocabulary: bool,
    /// `None` for a token the tokenizer drops (unknown, and no OOV token); 0 for one cut by
    /// `maxlen`, which the model does not read.
    pub occlusion: Option<f32>,
    /// `None` for a dropped token, or one truncated away by `maxlen`.
    pub gradient_x_input: Option<f32>,
    /// Word-level attention weight (models with attention; `None` where not read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attention: Option<f32>,
    /// Which of the text's sentences the token is in (hierarchical models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentence: Option<usize>,
}

impl TokenSaliency {
    /// A linear model's token: its exact contribution to the score is both its occlusion and
    /// its gradient × input.
    pub fn exact(token: String, in_vocabulary: bool, contribution: f32) -> TokenSaliency {
        TokenSaliency {
            token,
            in_vocabulary,
            occlusion: Some(contribution),
            gradient_x_input: Some(contribution),
            attention: None,
            sentence: None,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Explanation {
    pub label: String,
    pub score: f32,
    pub tokens: Vec<TokenSaliency>,
    /// Sentence-level attention per sentence of the text (hierarchical models; 0 for a
    /// sentence cut by `--max-sentences`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sentence_attention: Vec<f32>,
}

/// One token of the text: its string, id, and sentence.
struct Token {
    text: String,
    id: Option<u32>,
    sentence: usize,
}

/// Explains `text`; `None` when no token of it is in the vocabulary.
pub fn occlusion(saved: &SavedModel, text: &str) -> Option<Explanation> {
    let enc = saved.encoding();
    let pieces = if enc.sentences.is_some() { split_sentences(text) } else { vec![text] };
    let tokens: Vec<Token> = pieces
        .iter()
        .enumerate()
        .flat_map(|(s, p)| {
            saved.tokenizer.token_ids(p).into_iter().map(move |(text, id)| Token { text, id, sentence: s })
        })
        .collect();
    let oov = saved.tokenizer.config.oov_token.as_ref().and_then(|t| saved.tokenizer.word_index().get(t)).copied();
    if tokens.iter().all(|t| t.id.is_none() || t.id == oov) {
        return None;
    }
    // the ids the model reads, by sentence, and each kept token's (sentence, position)
    let mut ids: Vec<Vec<u32>> = vec![Vec::new(); pieces.len()];
    let mut at = Vec::new();
    for t in &tokens {
        if let Some(id) = t.id {
            at.push((t.sentence, ids[t.sentence].len()));
            ids[t.sentence].push(id);
        }
    }
    // Only the ids inside the model's input are occluded: an id cut by `maxlen` (or by the
    // sentence limit) changes nothing when it is replaced or removed, since truncation keeps a
    // window at one end. So a text of any length costs at most `ids_per_text + 1` rows, each
    // built on its own (never a copy of the whole text per token).
    let width = enc.ids_per_text();
    let (base_row, where_) = placed_with_marks(&ids, &enc);
    let mut position_of = vec![None; at.len()]; // kept id → its position in the row
    for (f, &mark) in where_.iter().enumerate() {
        if mark > 0 {
            position_of[mark as usize - 1] = Some(f);
        }
    }
    let occluded: Vec<usize> = (0..at.len()).filter(|&i| position_of[i].is_some()).collect();
    let mut rows = vec![0u32; (occluded.len() + 1) * width];
    rows[..width].copy_from_slice(&base_row);
    for (row, &i) in rows[width..].chunks_exact_mut(width).zip(&occluded) {
        match (oov, position_of[i]) {
            (Some(o), Some(f)) => {
                row.copy_from_slice(&base_row);
                row[f] = o;
            }
            _ => {
                let (s, k) = at[i];
                let mut v = ids.clone();
                v[s].remove(k);
                place(&nonempty(&v), &enc, row);
            }
        }
    }
    let preds = predict_padded(saved, &rows);
    let class = preds[0].class;
    let base = preds[0].probs[class];
    let mut drop = vec![0.0f32; at.len()]; // 0 where the model does not read the id
    for (n, &i) in occluded.iter().enumerate() {
        drop[i] = base - preds[n + 1].probs[class];
    }
    let read = read_by_model(saved, &ids, class);
    let mut kept = 0;
    let tokens = tokens
        .into_iter()
        .map(|t| {
            let (occlusion, gxi, attention) = match t.id {
                Some(_) => {
                    kept += 1;
                    let k = kept - 1;
                    (Some(drop[k]), read.gradient_x_input[k], read.attention[k])
                }
                None => (None, None, None),
            };
            TokenSaliency {
                in_vocabulary: t.id.is_some() && t.id != oov,
                token: t.text,
                occlusion,
                gradient_x_input: gxi,
                attention,
                sentence: enc.sentences.map(|_| t.sentence),
            }
        })
        .collect();
    let sentence_attention = read.sentence_attention;
    Some(Explanation { label: saved.labels.label(class).to_string(), score: base, tokens, sentence_attention })
}

/// The sentences that keep at least one id (as the encoding drops empty ones).
fn nonempty(sentences: &[Vec<u32>]) -> Vec<Vec<u32>> {
    sentences.iter().filter(|s| !s.is_empty()).cloned().collect()
}

/// The row the model reads for `ids` (by sentence), and beside it which id each position
/// holds: `i + 1` for the i-th id in reading order, 0 for padding — placed by the same rule.
fn placed_with_marks(ids: &[Vec<u32>], enc: &Encoding) -> (Vec<u32>, Vec<u32>) {
    let mut next = 0u32;
    let marks: Vec<Vec<u32>> = ids
        .iter()
        .map(|s| {
            s.iter()
                .map(|_| {
                    next += 1;
                    next
                })
                .collect()
        })
        .collect();
    let t = enc.ids_per_text();
    let (mut row, mut where_) = (vec![0u32; t], vec![0u32; t]);
    place(&nonempty(ids), enc, &mut row);
    place(&nonempty(&marks), enc, &mut where_);
    (row, where_)
}

/// What one backward pass of the model shows, per kept id in reading order.
struct Read {
    gradient_x_input: Vec<Option<f32>>,
    attention: Vec<Option<f32>>,
    /// per sentence of the text
    sentence_attention: Vec<f32>,
}

/// Gradient × input of `class`'s probability and attention weights for each id of `ids`
/// (by sentence; `None` where padding or truncation left the id out of the model's input).
///
/// The model's own backward gives the gradient of the cross-entropy `−ln p(class)` at the
/// embedding output; since `∂p/∂x = −p · ∂(−ln p)/∂x`, scaling by `−p` turns it into the
/// gradient of the probability.
fn read_by_model(saved: &SavedModel, ids: &[Vec<u32>], class: usize) -> Read {
    let model = &saved.model;
    let enc = saved.encoding();
    // a multichannel model's static copy is an input like the trained one: both channels count
    let (t, e) = (enc.ids_per_text(), model.config.input_width());
    // which position of the row holds the i-th id, and which slot holds each sentence
    let (row, where_) = placed_with_marks(ids, &enc);
    let kept_sentences: Vec<usize> = (0..ids.len()).filter(|&s| !ids[s].is_empty()).collect();
    let slots = sentence_slots(kept_sentences.len(), enc.sentences.unwrap_or(1), &enc);

    let plan = Plan::end_to_end(model.config.levels());
    let mut ws = Workspace::default();
    ws.grads.resize(model.params.len() - model.layout.embedding.end, 0.0);
    network::forward(model, &row, t, &plan, &mut ws);
    let loss = network::backward(model, &[class], 1.0, &plan, &mut ws).loss_sum;
    let p = (-loss).exp() as f32; // the loss is −ln p(class)
    let hierarchical = enc.sentences.is_some();
    let attention_layer = |sentence_rows: bool| {
        model.placed.iter().rposition(|l| l.spec.layer().attends() && l.input.sentence_rows == sentence_rows)
    };
    let word_attention = attention_layer(hierarchical).and_then(|i| ws.attention_weights(i)).map(<[f32]>::to_vec);
    let (n0, t0) = word_rows(model, 1, t);
    let n: usize = ids.iter().map(Vec::len).sum();
    let mut read = Read { gradient_x_input: vec![None; n], attention: vec![None; n], sentence_attention: Vec::new() };
    for (f, &mark) in where_.iter().enumerate() {
        if mark > 0 {
            let at = (f % t0) * n0 + f / t0; // time-major [T₀, N₀] position of (slot, step)
            let g = &ws.demb[at * e..(at + 1) * e];
            let x = &ws.emb[at * e..(at + 1) * e];
            read.gradient_x_input[mark as usize - 1] = Some(-p * g.iter().zip(x).map(|(a, b)| a * b).sum::<f32>());
            if let Some(alpha) = word_attention.as_ref().filter(|a| a.len() == t0 * n0) {
                read.attention[mark as usize - 1] = Some(alpha[at]);
            }
        }
    }
    if hierarchical {
        read.sentence_attention = vec![0.0; ids.len()];
        if let Some(alpha) = attention_layer(false).and_then(|i| ws.attention_weights(i)) {
            for (slot, &m) in slots.iter().enumerate() {
                if m > 0 {
                    read.sentence_attention[kept_sentences[m as usize - 1]] = alpha[slot];
                }
            }
        }
    }
    read
}
