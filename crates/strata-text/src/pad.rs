//! `pad_sequences`: ragged id lists to one dense `[N, T]` matrix, as tf-keras does it.
//!
//! Padding and truncation both default to `'pre'`, which matters for recurrent models: with
//! pre-padding the last time step, whose state the classifier reads, is a real token.

use serde::{Deserialize, Serialize};

/// Which end of a sequence is padded or truncated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// At the start (Keras's default for both padding and truncating).
    #[default]
    Pre,
    /// At the end.
    Post,
}

/// A side that is not `pre` or `post`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected 'pre' or 'post', got '{0}'")]
pub struct UnknownSide(pub String);

impl std::str::FromStr for Side {
    type Err = UnknownSide;
    fn from_str(s: &str) -> Result<Self, UnknownSide> {
        match s {
            "pre" => Ok(Side::Pre),
            "post" => Ok(Side::Post),
            other => Err(UnknownSide(other.into())),
        }
    }
}

/// Keras's `pad_sequences(maxlen=…, padding=…, truncating=…)`: how every id list becomes one
/// row of `maxlen` ids. The one place these three travel together — in the training settings,
/// in a saved model and in its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PadSequences {
    pub maxlen: usize,
    pub padding: Side,
    pub truncating: Side,
}

impl PadSequences {
    /// Keras's defaults (`'pre'` both) for `maxlen`.
    pub fn keras(maxlen: usize) -> PadSequences {
        PadSequences { maxlen, padding: Side::Pre, truncating: Side::Pre }
    }

    /// Writes `seq` into `out` padded with 0 and truncated to `out.len()` by this rule's sides
    /// (`out` is `maxlen` long for a text's ids; the sentence slots of a hierarchical model
    /// use the same sides at their own length).
    pub fn fit_into(&self, seq: &[u32], out: &mut [u32]) {
        pad_sequence_into(seq, out, self.padding, self.truncating, 0);
    }
}

/// Writes one sequence into `out` (length `maxlen = out.len()`), exactly like one row of
/// `pad_sequences(..., maxlen, padding, truncating, value)`.
pub fn pad_sequence_into(seq: &[u32], out: &mut [u32], padding: Side, truncating: Side, value: u32) {
    let maxlen = out.len();
    out.fill(value);
    if seq.is_empty() || maxlen == 0 {
        return;
    }
    let trunc = if seq.len() <= maxlen {
        seq
    } else {
        match truncating {
            Side::Pre => &seq[seq.len() - maxlen..],
            Side::Post => &seq[..maxlen],
        }
    };
    match padding {
        Side::Pre => out[maxlen - trunc.len()..].copy_from_slice(trunc),
        Side::Post => out[..trunc.len()].copy_from_slice(trunc),
    }
}

/// Pads every sequence to `maxlen` (or to the longest one when `None`).
/// Returns the row-major matrix `[N, T]` and `T`.
pub fn pad_sequences(
    seqs: &[Vec<u32>],
    maxlen: Option<usize>,
    padding: Side,
    truncating: Side,
    value: u32,
) -> (Vec<u32>, usize) {
    let t = maxlen.unwrap_or_else(|| seqs.iter().map(Vec::len).max().unwrap_or(0));
    let mut out = vec![value; seqs.len() * t];
    if t > 0 {
        for (row, seq) in out.chunks_exact_mut(t).zip(seqs) {
            pad_sequence_into(seq, row, padding, truncating, value);
        }
    }
    (out, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_padding_and_pre_truncation_are_the_defaults() {
        let seqs = vec![vec![1, 2, 3, 4, 5], vec![7], vec![]];
        let (m, t) = pad_sequences(&seqs, Some(3), Side::Pre, Side::Pre, 0);
        assert_eq!(t, 3);
        assert_eq!(m, vec![3, 4, 5, 0, 0, 7, 0, 0, 0]);
    }

    #[test]
    fn post_padding_and_post_truncation() {
        let seqs = vec![vec![1, 2, 3, 4, 5], vec![7]];
        let (m, _) = pad_sequences(&seqs, Some(3), Side::Post, Side::Post, 9);
        assert_eq!(m, vec![1, 2, 3, 7, 9, 9]);
    }

    #[test]
    fn maxlen_none_pads_to_longest() {
        let seqs = vec![vec![1, 2], vec![3]];
        let (m, t) = pad_sequences(&seqs, None, Side::Pre, Side::Pre, 0);
        assert_eq!((t, m), (2, vec![1, 2, 0, 3]));
    }
}
