//! The language model's batches, as AWD-LSTM makes them: every document in one token stream
//! (id 0, padding, before each document and after the last: what a pre-padded classifier
//! input looks like), cut into `streams` contiguous rows, read `bptt` steps at a time. A row's
//! state carries from one segment to the next, so each row reads its part of the text in
//! order; gradients stop at segment boundaries (truncated BPTT).

use super::corpus::Corpus;
use std::ops::Range;
use strata_nn::Rng;

/// The text cut into rows: row `i` is `stream[i·len .. (i+1)·len + 1]` (inputs and the targets
/// one step later).
pub struct Streams {
    stream: Vec<u32>,
    /// rows (parallel streams)
    pub rows: usize,
    /// input steps per row
    pub len: usize,
}

impl Streams {
    /// Documents in `order` (or file order), separated by id 0, cut into at most `rows` rows.
    /// A text too short for one step per row gets fewer rows; one of under two tokens none.
    pub fn new(corpus: &Corpus, order: Option<&[usize]>, rows: usize) -> Streams {
        let mut stream = Vec::with_capacity(corpus.tokens() + corpus.docs.len() + 1);
        let mut push = |doc: &[u32]| {
            stream.push(0);
            stream.extend_from_slice(doc);
        };
        match order {
            Some(order) => order.iter().for_each(|&i| push(&corpus.docs[i])),
            None => corpus.docs.iter().for_each(|d| push(d)),
        }
        stream.push(0);
        let steps = stream.len().saturating_sub(1);
        let rows = rows.clamp(1, steps.max(1));
        Streams { stream, rows, len: steps / rows }
    }

    /// Documents shuffled for `epoch` (a stream of the seed, so a resumed run reads the same).
    pub fn shuffled(corpus: &Corpus, seed: u64, epoch: usize, rows: usize) -> Streams {
        let mut order: Vec<usize> = (0..corpus.docs.len()).collect();
        Rng::derive(seed ^ SHUFFLE_STREAM, epoch as u64).shuffle(&mut order);
        Streams::new(corpus, Some(&order), rows)
    }

    /// The segments of an epoch: step ranges of at most `bptt` steps.
    pub fn segments(&self, bptt: usize) -> Vec<Range<usize>> {
        let bptt = bptt.max(1);
        (0..self.len).step_by(bptt).map(|s| s..(s + bptt).min(self.len)).collect()
    }

    /// Input steps in an epoch (tokens predicted).
    pub fn tokens(&self) -> usize {
        self.rows * self.len
    }

    /// Inputs `[b, T]` (batch-major, what the embedding reads) and targets `[T, b]`
    /// (time-major, the order of the top level's outputs) of `rows` over `steps`.
    pub fn segment(&self, rows: Range<usize>, steps: Range<usize>, inputs: &mut Vec<u32>, targets: &mut Vec<u32>) {
        let (b, t) = (rows.len(), steps.len());
        inputs.clear();
        targets.clear();
        targets.resize(b * t, 0);
        for (bi, row) in rows.enumerate() {
            let start = row * self.len + steps.start;
            inputs.extend_from_slice(&self.stream[start..start + t]);
            for ti in 0..t {
                targets[ti * b + bi] = self.stream[start + ti + 1];
            }
        }
    }

    /// How often each id occurs as a target: the sampler's unigram counts.
    pub fn target_counts(&self, vocab_size: usize) -> Vec<u64> {
        let mut counts = vec![0u64; vocab_size];
        for &id in &self.stream[1..] {
            counts[id as usize] += 1;
        }
        counts
    }
}

/// Seed offsets of the training run's random streams, so none repeats another's numbers.
pub const SHUFFLE_STREAM: u64 = 0x7368_7566_666c_6500; // "shuffle"
pub const DROPOUT_STREAM: u64 = 0x6472_6f70_6f75_7400; // "dropout"
pub const SAMPLE_STREAM: u64 = 0x7361_6d70_6c65_7300; // "samples"

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_the_separated_stream_in_order_and_targets_are_one_step_later() {
        let c = Corpus { docs: vec![vec![5, 6, 7], vec![8, 9]], vocab_size: 10 };
        // stream: 0 5 6 7 0 8 9 0 (8 tokens, 7 steps); 2 rows of 3 steps: 0 5 6 | 7 0 8
        let s = Streams::new(&c, None, 2);
        assert_eq!((s.rows, s.len), (2, 3));
        let (mut inp, mut tgt) = (Vec::new(), Vec::new());
        s.segment(0..2, 1..3, &mut inp, &mut tgt);
        assert_eq!(inp, vec![5, 6, 0, 8], "[b, T]");
        assert_eq!(tgt, vec![6, 8, 7, 9], "[T, b]");
        assert_eq!(s.segments(2), vec![0..2, 2..3]);
        assert_eq!(Streams::new(&Corpus { docs: vec![vec![]], vocab_size: 3 }, None, 4).tokens(), 1);
    }
}
