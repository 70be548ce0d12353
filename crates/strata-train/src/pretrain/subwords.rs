//! fastText's subwords for the skip-gram (Bojanowski et al. 2017): a word is its own input row
//! plus the rows of its character n-grams of `<word>`, hashed into `buckets`, and its input
//! vector is their mean. This file says which rows those are; the training loop is
//! `skipgram.rs` and the step `strata_nn::skipgram::step_subwords`.
//!
//! Only the buckets some vocabulary word's n-grams hash to can ever be read, so the working
//! matrix holds just those (renumbered in first-seen order, word ids ascending) after the
//! trained words' rows: the hashing, and so the collisions, are fastText's for any `buckets`,
//! while memory grows with the distinct n-grams of the vocabulary (at most `buckets`), not with
//! `buckets`. Bucket rows start as fastText's do, uniform in ±1/dim.

use std::collections::HashMap;

use strata_nn::Rng;
use strata_text::subwords::char_ngrams;

/// fastText's `-minn`, `-maxn` and `-bucket` for the skip-gram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subwords {
    pub minn: usize,
    pub maxn: usize,
    pub buckets: usize,
}

/// Every corpus id's character n-grams as bucket ids (`hash % buckets`), in fastText's order,
/// repeats kept. Padding, the OOV token and empty words have none.
#[derive(Clone, Debug, PartialEq)]
pub struct WordNgrams {
    pub subwords: Subwords,
    offsets: Vec<usize>,
    buckets: Vec<u32>,
}

impl WordNgrams {
    /// `words[id]` is the text of corpus id `id` (`""` for none: padding, the OOV token).
    pub fn new<S: AsRef<str>>(words: &[S], subwords: Subwords) -> WordNgrams {
        assert!(subwords.buckets > 0, "WordNgrams: buckets must be at least 1");
        let (mut offsets, mut buckets, mut bow) = (vec![0], Vec::new(), Vec::new());
        for w in words {
            let w = w.as_ref();
            if !w.is_empty() {
                char_ngrams(w, subwords.minn, subwords.maxn, &mut bow, |h| {
                    buckets.push((h as u64 % subwords.buckets as u64) as u32)
                });
            }
            offsets.push(buckets.len());
        }
        WordNgrams { subwords, offsets, buckets }
    }

    /// Corpus ids covered.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Distinct buckets over all ids: the bucket rows training holds.
    pub fn distinct_buckets(&self) -> usize {
        self.buckets.iter().collect::<std::collections::HashSet<_>>().len()
    }

    /// The bucket ids of corpus id `id`.
    pub fn of(&self, id: usize) -> &[u32] {
        &self.buckets[self.offsets[id]..self.offsets[id + 1]]
    }
}

/// The RNG stream of the bucket rows' initialisation.
const BUCKET_INIT_STREAM: u64 = 0x5355_4257; // "SUBW"

/// Rows of the working input matrix: `trained` word rows, then the used bucket rows.
pub(crate) struct SubwordRows {
    /// Distinct buckets the vocabulary uses (the extra rows of the working matrix).
    bucket_rows: usize,
    /// Per trained (dense) word: its own row, then its n-grams' rows.
    centre_offsets: Vec<usize>,
    centre_rows: Vec<u32>,
    /// Per corpus id: its n-grams' rows (what composes the vector of an untrained word).
    ngram_offsets: Vec<usize>,
    ngram_rows: Vec<u32>,
}

impl SubwordRows {
    /// `trained_ids[d]` is the corpus id of dense word `d`; `ngrams` covers every corpus id.
    pub(crate) fn new(trained_ids: &[u32], ngrams: &WordNgrams) -> SubwordRows {
        let trained = trained_ids.len();
        let mut compact: HashMap<u32, u32> = HashMap::new();
        let (mut ngram_offsets, mut ngram_rows) = (vec![0], Vec::with_capacity(ngrams.buckets.len()));
        for id in 0..ngrams.len() {
            for &b in ngrams.of(id) {
                let next = (trained + compact.len()) as u32;
                ngram_rows.push(*compact.entry(b).or_insert(next));
            }
            ngram_offsets.push(ngram_rows.len());
        }
        let (mut centre_offsets, mut centre_rows) = (vec![0], Vec::new());
        for (d, &id) in trained_ids.iter().enumerate() {
            centre_rows.push(d as u32);
            centre_rows.extend_from_slice(&ngram_rows[ngram_offsets[id as usize]..ngram_offsets[id as usize + 1]]);
            centre_offsets.push(centre_rows.len());
        }
        SubwordRows { bucket_rows: compact.len(), centre_offsets, centre_rows, ngram_offsets, ngram_rows }
    }

    /// The input rows whose mean is dense word `d`'s input vector.
    #[inline]
    pub(crate) fn centre(&self, d: u32) -> &[u32] {
        &self.centre_rows[self.centre_offsets[d as usize]..self.centre_offsets[d as usize + 1]]
    }

    /// The bucket rows' starting values, `[bucket_rows, dim]`, uniform in ±1/dim (fastText).
    pub(crate) fn init(&self, dim: usize, seed: u64) -> Vec<f32> {
        let mut rng = Rng::derive(seed, BUCKET_INIT_STREAM);
        let a = 1.0 / dim.max(1) as f32;
        (0..self.bucket_rows * dim).map(|_| rng.uniform(-a, a)).collect()
    }

    /// Writes each word's fastText vector into `vectors` `[corpus ids, dim]`: the mean of its
    /// input rows in `input` (trained words: own row and n-grams; others: n-grams only, as
    /// fastText's `getWordVector` of a word outside its dictionary). A word with neither keeps
    /// its row. `dense[id]` is the trained index of corpus id `id`.
    pub(crate) fn compose(&self, input: &[f32], dense: &[Option<u32>], vectors: &mut [f32], dim: usize) {
        let mut sum = vec![0.0f32; dim];
        for (id, out) in vectors.chunks_exact_mut(dim.max(1)).enumerate() {
            let rows = match dense.get(id).copied().flatten() {
                Some(d) => self.centre(d),
                None => &self.ngram_rows[self.ngram_offsets[id]..self.ngram_offsets[id + 1]],
            };
            if rows.is_empty() {
                continue;
            }
            sum.fill(0.0);
            for &r in rows {
                for (s, &w) in sum.iter_mut().zip(&input[r as usize * dim..][..dim]) {
                    *s += w;
                }
            }
            let scale = 1.0 / rows.len() as f32;
            for (o, &s) in out.iter_mut().zip(&sum) {
                *o = s * scale;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subwords() -> Subwords {
        Subwords { minn: 2, maxn: 3, buckets: 1_000_000 }
    }

    #[test]
    fn rows_are_own_row_then_shared_compact_bucket_rows() {
        // ids: 0 padding, 1 "ab" (trained), 2 "abc" (below min-count), 3 "ab" again (trained)
        let ngrams = WordNgrams::new(&["", "ab", "abc", "ab"], subwords());
        assert!(ngrams.of(0).is_empty());
        assert_eq!(ngrams.of(1).len(), 5); // <a <ab ab ab> b>
        assert_eq!(ngrams.of(1), ngrams.of(3));
        let rows = SubwordRows::new(&[1, 3], &ngrams);
        // after the two word rows: <a <ab ab ab> b> (2..=6), then what "abc" adds: abc bc bc> c>
        assert_eq!(rows.centre(0), &[0, 2, 3, 4, 5, 6]);
        assert_eq!(rows.centre(1), &[1, 2, 3, 4, 5, 6]);
        assert_eq!(rows.bucket_rows, 9);
        assert_eq!(ngrams.distinct_buckets(), 9);
        // composing: a trained word is the mean of its rows, an untrained one of its n-grams'
        let input: Vec<f32> = (0..2 + rows.bucket_rows).map(|r| r as f32).collect();
        let mut vectors = vec![-1.0f32; 4];
        rows.compose(&input, &[None, Some(0), None, Some(1)], &mut vectors, 1);
        assert_eq!(vectors[0], -1.0, "padding keeps its row");
        assert_eq!(vectors[1], 20.0 * (1.0 / 6.0));
        assert_eq!(vectors[2], (2 + 3 + 4 + 7 + 8 + 9 + 10) as f32 * (1.0 / 7.0));
        assert_eq!(vectors[3], 21.0 * (1.0 / 6.0));
    }
}
