//! Text to the id matrix a model reads: Keras's `texts_to_sequences` + `pad_sequences`
//! (`[N, maxlen]`), or for a hierarchical model each text split into sentences, each sentence
//! padded to `maxlen` words and each text to `S` sentences (`[N, S·maxlen]`, sentence-major).

use rayon::prelude::*;
use strata_text::{PadSequences, Tokenizer};

/// How texts become ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoding {
    /// Ids per sentence (per text for a flat model): `maxlen`, and the sides that pad and
    /// truncate both sentences and a text's sentence slots.
    pub pad: PadSequences,
    /// Sentences per text for a hierarchical model.
    pub sentences: Option<usize>,
}

impl Encoding {
    /// Ids per text: `maxlen`, or `S·maxlen`. Loading a model folder and reading the training
    /// flags both hold it to [`crate::limits::MAX_IDS_PER_TEXT`]; a product that overflows here
    /// is a caller that skipped them, and panics rather than wrapping to a short row.
    pub fn ids_per_text(&self) -> usize {
        self.pad.maxlen.checked_mul(self.sentences.unwrap_or(1)).expect("maxlen × sentences overflows usize")
    }
}

/// Splits `text` into sentences after `.` `!` `?` `。` `！` `？` and at `<br />` (IMDB's paragraph
/// breaks), dropping pieces with nothing but spaces and punctuation.
pub fn split_sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for para in text.split("<br />").flat_map(|p| p.split("<br/>")) {
        let mut start = 0;
        for (i, c) in para.char_indices() {
            if matches!(c, '.' | '!' | '?' | '。' | '！' | '？') {
                out.push(&para[start..i + c.len_utf8()]);
                start = i + c.len_utf8();
            }
        }
        out.push(&para[start..]);
    }
    out.retain(|s| s.chars().any(|c| c.is_alphanumeric()));
    out
}

/// A text as the model's unit of reading: its sentences' ids for a hierarchical model, else
/// one "sentence" with all of its ids.
pub fn text_ids(tok: &Tokenizer, text: &str, enc: &Encoding) -> Vec<Vec<u32>> {
    match enc.sentences {
        None => vec![tok.text_to_sequence(text)],
        Some(_) => {
            split_sentences(text).into_iter().map(|t| tok.text_to_sequence(t)).filter(|ids| !ids.is_empty()).collect()
        }
    }
}

/// Places one text's sentences into its row (`[ids_per_text]`, zeroed first): which
/// sentences fit, and where, by the rule pad_sequences applies to ids, then each sentence's
/// ids within its slot by the same rule.
pub fn place(sentences: &[Vec<u32>], enc: &Encoding, row: &mut [u32]) {
    row.fill(0);
    let Some(s) = enc.sentences else {
        let flat: Vec<u32> = sentences.concat();
        enc.pad.fit_into(&flat, row);
        return;
    };
    for (slot, &mark) in row.chunks_exact_mut(enc.pad.maxlen).zip(&sentence_slots(sentences.len(), s, enc)) {
        if mark > 0 {
            enc.pad.fit_into(&sentences[mark as usize - 1], slot);
        }
    }
}

/// Which of `n` sentences fills each of the `s` slots (`i + 1` for sentence `i`, 0 for an
/// empty slot): pad_sequences's rule applied to sentences.
pub fn sentence_slots(n: usize, s: usize, enc: &Encoding) -> Vec<u32> {
    let marks: Vec<u32> = (1..=n as u32).collect();
    let mut slots = vec![0u32; s];
    enc.pad.fit_into(&marks, &mut slots);
    slots
}

/// Ids for every text, `[N, ids_per_text]`, the texts in parallel (each row is its own text's).
pub fn encode_texts<S: AsRef<str> + Sync>(tok: &Tokenizer, texts: &[S], enc: &Encoding) -> Vec<u32> {
    let width = enc.ids_per_text();
    let mut out = vec![0u32; texts.len() * width];
    if width > 0 {
        out.par_chunks_exact_mut(width)
            .zip(texts.par_iter())
            .with_min_len(TEXTS_PER_TASK)
            .for_each(|(row, text)| place(&text_ids(tok, text.as_ref(), enc), enc, row));
    }
    out
}

/// Texts one parallel task of [`encode_texts`] encodes at least: a short text is a few µs.
const TEXTS_PER_TASK: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use strata_text::TokenizerConfig;

    #[test]
    fn sentences_split_on_terminators_and_breaks() {
        let t = "Great film. Really!<br /><br />Would I watch again? 会。好！";
        assert_eq!(split_sentences(t), ["Great film.", " Really!", "Would I watch again?", " 会。", "好！"]);
        assert_eq!(split_sentences("... !?"), Vec::<&str>::new());
    }

    #[test]
    fn hierarchical_rows_keep_the_last_sentences_pre_padded() {
        let mut tok = Tokenizer::new(TokenizerConfig::default());
        tok.fit_on_texts(&["a b c d"]);
        let enc = Encoding { pad: PadSequences::keras(2), sentences: Some(2) };
        // three sentences, two fit: the last two; "b c d" keeps its last two words
        let ids = encode_texts(&tok, &["a. b c d. c!"], &enc);
        let id = |w: &str| tok.text_to_sequence(w)[0];
        assert_eq!(ids, vec![id("c"), id("d"), 0, id("c")]);
    }
}
