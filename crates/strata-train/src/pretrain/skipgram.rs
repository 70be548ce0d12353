//! word2vec's skip-gram with negative sampling over a [`Corpus`]: the `embedding` level's
//! pretraining. It does what word2vec.c does — words below `min_count` dropped from the
//! stream, frequent words subsampled with keep-probability `(√(f/(s·N)) + 1)·(s·N)/f`, a
//! dynamic window (a reduced window `1..=window` drawn per centre word), noise words from
//! unigram^0.75, output vectors starting at zero, the learning rate decayed linearly from `lr`
//! to `lr·1e-4` over `epochs × N` words — with the step itself in `strata_nn::skipgram`.
//!
//! # Determinism: rounds of blocks, deltas summed in block order
//!
//! word2vec.c's threads update shared vectors without locks (Hogwild), so its vectors depend
//! on timing. Here the stream is cut into blocks of whole sentences; a *round* is `threads`
//! consecutive blocks. With one thread, blocks train in place, one after the other. With more,
//! each thread trains its block of the round on its own copy of both matrices (which starts as
//! the shared state and sees the thread's own updates), and then every row some thread touched
//! becomes `base + Σ_t (copy_t − base)`, summed in thread order, and is copied back to every
//! copy. Every random draw comes from a stream seeded by (seed, epoch, block), and the block
//! cut depends only on the corpus and the thread count, so the vectors depend only on the
//! seed and the thread count.
//!
//! What it costs: memory for `threads` extra copies of the input and output matrices of the
//! trained words (`2·threads·V·D·4` bytes: 330 MB at 16 threads, 20k words, D 128); the merge,
//! which streams the touched rows of `threads + 1` copies once per round (blocks are up to 32k
//! words, so that is a few percent of a round); and staleness — a thread does not see the
//! other threads' updates of the current round, where Hogwild sees most of them at once.
//! Measured with examples/skipgram_speed.rs on IMDB's unlabelled half (11.9M words, 20k
//! words, D 128, window 5, 5 negatives, sample 1e-3, one epoch): one thread 759k words/s; with
//! two, the merge took 0.5 s of a 23 s epoch (2%) and the epoch's loss was 2.53 against one
//! thread's 2.44 (the staleness), with the same neighbours for "good", "bad", "boring". The
//! two-thread speed-up itself could not be measured on the shared two-core machine we had.
//!
//! # Subwords
//!
//! [`train_with_subwords`] is fastText's skip-gram (Bojanowski et al. 2017): a centre word's
//! input vector is the mean of its own row and its character n-grams' bucket rows, and the
//! step's change of that mean goes to every one of those rows (`strata_nn::skipgram::
//! step_subwords`). The input matrix then holds the buckets the vocabulary uses after the word
//! rows (`subwords.rs`), each copy too, so the copies cost `threads·(2V + B)·D·4` bytes for `B`
//! used buckets; the merge folds touched bucket rows like word rows. At the end every word's
//! row is its fastText vector, the mean of its rows — a word below `min_count` gets the mean
//! of its n-grams' rows, as fastText gives vectors to words outside its dictionary.

use std::ops::Range;
use std::time::Instant;

use rayon::prelude::*;
use strata_nn::{skipgram as sgns, Rng};

use super::corpus::Corpus;
use super::subwords::{SubwordRows, WordNgrams};

/// word2vec's knobs, with word2vec's defaults where they serve short-text classifiers.
#[derive(Clone, Debug, PartialEq)]
pub struct SkipGramConfig {
    /// Vector width (the embedding level's width).
    pub dim: usize,
    /// Largest distance between centre and context word (word2vec `-window`, dynamic: a
    /// window of 1..=window is drawn per centre word).
    pub window: usize,
    /// Negative samples per positive pair (`-negative`), drawn from unigram^0.75.
    pub negatives: usize,
    /// Words seen fewer times are not trained (`-min-count`); their rows keep their init.
    pub min_count: u64,
    pub epochs: usize,
    /// Subsampling threshold of frequent words (`-sample`); 0 turns it off.
    pub sample: f64,
    /// Starting learning rate, decayed linearly to ~0 over all epochs (`-alpha`).
    pub lr: f32,
    pub seed: u64,
    /// Blocks trained at once (see the module doc); the vectors depend on it, and 0 means 1.
    pub threads: usize,
}

/// One finished epoch, for a Keras-style line.
#[derive(Clone, Debug, PartialEq)]
pub struct SkipGramEpoch {
    pub epoch: usize,
    pub epochs: usize,
    /// Mean negative-sampling loss per positive pair this epoch.
    pub loss: f64,
    pub words_per_sec: f64,
    pub seconds: f64,
}

/// word2vec.c cuts lines into sentences of at most 1000 words (`MAX_SENTENCE_LENGTH`); a
/// window never crosses a sentence, and a block holds whole sentences.
const MAX_SENTENCE: usize = 1000;
/// Words per block at most: large enough that the merge is a few percent of a round, small
/// enough that a thread's view is not too stale (and that small corpora still split).
const MAX_BLOCK_WORDS: usize = 1 << 15;
/// The noise table holds this many ids at most (fastText's size), ~1000 per word below that.
const MAX_TABLE: usize = 10_000_000;
const TABLE_PER_WORD: usize = 1000;
/// word2vec.c's floor of the decayed learning rate, as a fraction of the starting one.
const MIN_LR_FRACTION: f32 = 1e-4;
/// Rows per task of the parallel merge.
const MERGE_ROWS: usize = 256;

/// Trains input vectors in place: `vectors` is `[corpus.vocab_size, cfg.dim]`, already
/// initialised by the caller (Keras's uniform init); rows of words below `min_count` (and
/// padding, id 0) are left as they are. `on_epoch` is called after every epoch.
pub fn train(
    corpus: &Corpus,
    vectors: &mut [f32],
    cfg: &SkipGramConfig,
    on_epoch: &mut dyn FnMut(&SkipGramEpoch),
) -> Vec<SkipGramEpoch> {
    train_inner(corpus, None, vectors, cfg, on_epoch)
}

/// [`train`] with fastText's subwords: a centre word's input vector is the mean of its row and
/// its n-grams' bucket rows (`ngrams` covers every corpus id), and every row of the vocabulary
/// — a word below `min_count` too, from its n-grams alone — becomes its fastText vector (see
/// `subwords.rs`). Padding and words without n-grams that are not trained keep their rows.
pub fn train_with_subwords(
    corpus: &Corpus,
    ngrams: &WordNgrams,
    vectors: &mut [f32],
    cfg: &SkipGramConfig,
    on_epoch: &mut dyn FnMut(&SkipGramEpoch),
) -> Vec<SkipGramEpoch> {
    assert_eq!(ngrams.len(), corpus.vocab_size, "skipgram::train_with_subwords: n-grams for every corpus id");
    train_inner(corpus, Some(ngrams), vectors, cfg, on_epoch)
}

fn train_inner(
    corpus: &Corpus,
    ngrams: Option<&WordNgrams>,
    vectors: &mut [f32],
    cfg: &SkipGramConfig,
    on_epoch: &mut dyn FnMut(&SkipGramEpoch),
) -> Vec<SkipGramEpoch> {
    let dim = cfg.dim;
    assert_eq!(vectors.len(), corpus.vocab_size * dim, "skipgram::train: vectors must be [vocab_size, dim]");
    let threads = cfg.threads.max(1);
    let vocab = Vocab::new(corpus, cfg.min_count);
    let stream = Stream::new(corpus, &vocab, threads);
    let subwords = ngrams.map(|n| SubwordRows::new(&vocab.ids, n));
    let run = Run {
        cfg,
        stream: &stream,
        keep: keep_probabilities(&vocab.counts, cfg.sample),
        noise: noise_table(&vocab.counts, cfg.seed),
        total_words: stream.tokens.len() as f64 * cfg.epochs as f64,
        subwords: subwords.as_ref(),
    };
    let mut input = vocab.gather(vectors, dim);
    if let Some(sw) = &subwords {
        input.extend(sw.init(dim, cfg.seed));
    }
    let mut base = Shard::new(input, vocab.ids.len(), dim);
    let mut copies: Vec<Shard> = if threads > 1 { vec![base.clone(); threads] } else { Vec::new() };
    let mut history = Vec::with_capacity(cfg.epochs);
    for epoch in 0..cfg.epochs {
        let start = Instant::now();
        let (mut loss, mut pairs) = (0.0f64, 0u64);
        for (round, blocks) in stream.blocks.chunks(threads).enumerate() {
            let first = round * threads;
            let stats: Vec<BlockStats> = if copies.is_empty() {
                vec![run.train_block(&mut base, epoch, first, &blocks[0])]
            } else {
                let stats = copies
                    .par_iter_mut()
                    .zip(blocks.par_iter())
                    .enumerate()
                    .map(|(t, (copy, block))| run.train_block(copy, epoch, first + t, block))
                    .collect();
                merge(&mut base, &mut copies);
                stats
            };
            for s in stats {
                loss += s.loss;
                pairs += s.pairs;
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        let record = SkipGramEpoch {
            epoch: epoch + 1,
            epochs: cfg.epochs,
            loss: if pairs == 0 { 0.0 } else { loss / pairs as f64 },
            words_per_sec: stream.tokens.len() as f64 / seconds.max(1e-9),
            seconds,
        };
        on_epoch(&record);
        history.push(record);
    }
    match &subwords {
        None => vocab.scatter(&base.input, vectors, dim),
        Some(sw) => sw.compose(&base.input, &vocab.dense, vectors, dim),
    }
    history
}

/// The trained words: ids with `count >= min_count` other than padding, renumbered densely so
/// the working matrices hold only their rows.
struct Vocab {
    /// Corpus id of each trained word.
    ids: Vec<u32>,
    /// Dense index of each corpus id, `None` for dropped ones.
    dense: Vec<Option<u32>>,
    /// Count of each trained word.
    counts: Vec<u64>,
}

impl Vocab {
    fn new(corpus: &Corpus, min_count: u64) -> Vocab {
        let all = corpus.counts();
        let mut v = Vocab { ids: Vec::new(), dense: vec![None; all.len()], counts: Vec::new() };
        for (id, &count) in all.iter().enumerate().skip(1) {
            if count > 0 && count >= min_count {
                v.dense[id] = Some(v.ids.len() as u32);
                v.ids.push(id as u32);
                v.counts.push(count);
            }
        }
        v
    }

    /// The trained words' rows of `vectors`, `[ids, dim]`.
    fn gather(&self, vectors: &[f32], dim: usize) -> Vec<f32> {
        self.ids.iter().flat_map(|&id| &vectors[id as usize * dim..][..dim]).copied().collect()
    }

    fn scatter(&self, rows: &[f32], vectors: &mut [f32], dim: usize) {
        for (&id, row) in self.ids.iter().zip(rows.chunks_exact(dim.max(1))) {
            vectors[id as usize * dim..][..dim].copy_from_slice(row);
        }
    }
}

/// The corpus as dense ids, cut into sentences and blocks.
struct Stream {
    /// Trained words only, in corpus order, `[N]`.
    tokens: Vec<u32>,
    /// Each sentence's range of `tokens`.
    sentences: Vec<Range<usize>>,
    /// Each block's range of `sentences`.
    blocks: Vec<Range<usize>>,
}

impl Stream {
    fn new(corpus: &Corpus, vocab: &Vocab, threads: usize) -> Stream {
        let mut s = Stream { tokens: Vec::new(), sentences: Vec::new(), blocks: Vec::new() };
        for doc in &corpus.docs {
            let start = s.tokens.len();
            s.tokens.extend(doc.iter().filter_map(|&id| vocab.dense[id as usize]));
            let mut at = start;
            while at < s.tokens.len() {
                let end = (at + MAX_SENTENCE).min(s.tokens.len());
                s.sentences.push(at..end);
                at = end;
            }
        }
        // Blocks of whole sentences: at most MAX_BLOCK_WORDS, and small enough that a small
        // corpus still gives every thread a few blocks.
        let target = s.tokens.len().div_ceil(4 * threads).clamp(1, MAX_BLOCK_WORDS);
        let (mut first, mut words) = (0, 0);
        for (i, sentence) in s.sentences.iter().enumerate() {
            words += sentence.len();
            if words >= target {
                s.blocks.push(first..i + 1);
                (first, words) = (i + 1, 0);
            }
        }
        if first < s.sentences.len() {
            s.blocks.push(first..s.sentences.len());
        }
        s
    }
}

/// word2vec.c's probability of keeping an occurrence of each word, `(√(f/(s·N)) + 1)·(s·N)/f`
/// (≥ 1 means always); `sample` 0 keeps everything.
fn keep_probabilities(counts: &[u64], sample: f64) -> Vec<f32> {
    let threshold = sample * counts.iter().sum::<u64>() as f64;
    counts
        .iter()
        .map(|&f| {
            if sample <= 0.0 {
                return 1.0;
            }
            let f = f as f64;
            (((f / threshold).sqrt() + 1.0) * threshold / f) as f32
        })
        .collect()
}

/// Noise ids drawn from unigram^0.75 as fastText does: a table in which each word fills a
/// share proportional to `count^0.75` (at least one slot), shuffled once; a block walks it
/// from a random start. Sequential reads keep the draws cheap and out of the RNG.
fn noise_table(counts: &[u64], seed: u64) -> Vec<u32> {
    let size = (counts.len() * TABLE_PER_WORD).min(MAX_TABLE);
    let weights: Vec<f64> = counts.iter().map(|&c| (c as f64).powf(0.75)).collect();
    let z: f64 = weights.iter().sum();
    let mut table = Vec::with_capacity(size + counts.len());
    for (id, w) in weights.iter().enumerate() {
        let slots = ((w / z * size as f64).round() as usize).max(1);
        table.extend(std::iter::repeat_n(id as u32, slots));
    }
    Rng::derive(seed, NOISE_STREAM).shuffle(&mut table);
    table
}

/// The RNG stream of the noise table's shuffle; block streams are `epoch << 32 | block`.
const NOISE_STREAM: u64 = u64::MAX;

/// Input matrix `[V + B, D]` (the trained words' rows, then with subwords the used bucket
/// rows) and output matrix `[V, D]`, and which rows changed since the last merge.
#[derive(Clone)]
struct Shard {
    input: Vec<f32>,
    output: Vec<f32>,
    input_touched: Vec<bool>,
    output_touched: Vec<bool>,
}

impl Shard {
    /// `input` holds `output_rows` word rows and any bucket rows after them.
    fn new(input: Vec<f32>, output_rows: usize, dim: usize) -> Shard {
        let rows = input.len() / dim.max(1);
        Shard {
            output: vec![0.0; output_rows * dim],
            input,
            input_touched: vec![false; rows],
            output_touched: vec![false; output_rows],
        }
    }
}

#[derive(Default)]
struct BlockStats {
    loss: f64,
    pairs: u64,
}

/// What every block reads.
struct Run<'a> {
    cfg: &'a SkipGramConfig,
    stream: &'a Stream,
    keep: Vec<f32>,
    noise: Vec<u32>,
    /// `epochs × N`, the denominator of the learning-rate decay.
    total_words: f64,
    /// With subwords: each centre word's input rows.
    subwords: Option<&'a SubwordRows>,
}

impl Run<'_> {
    /// Trains one block on `shard`: per sentence, subsample, then one [`sgns::step`] (with
    /// subwords [`sgns::step_subwords`]) per centre word with its dynamic window and `K` noise
    /// ids per context.
    fn train_block(&self, shard: &mut Shard, epoch: usize, index: usize, block: &Range<usize>) -> BlockStats {
        let (cfg, dim) = (self.cfg, self.cfg.dim);
        let mut rng = Rng::derive(cfg.seed, (epoch as u64) << 32 | index as u64);
        let mut noise_at = rng.below(self.noise.len().max(1));
        let (mut sentence, mut contexts, mut negatives) = (Vec::new(), Vec::new(), Vec::new());
        let (mut neu1e, mut hidden) = (vec![0.0f32; dim], vec![0.0f32; dim]);
        let mut stats = BlockStats::default();
        let Shard { input, output, input_touched, output_touched } = shard;
        for range in &self.stream.sentences[block.clone()] {
            let done = (epoch * self.stream.tokens.len() + range.start) as f64;
            let lr = cfg.lr * ((1.0 - done / (self.total_words + 1.0)) as f32).max(MIN_LR_FRACTION);
            sentence.clear();
            for &w in &self.stream.tokens[range.clone()] {
                let keep = self.keep[w as usize];
                if keep >= 1.0 || rng.uniform(0.0, 1.0) < keep {
                    sentence.push(w);
                }
            }
            for (i, &centre) in sentence.iter().enumerate() {
                let reach = if cfg.window == 0 { 0 } else { cfg.window - rng.below(cfg.window) };
                contexts.clear();
                contexts.extend_from_slice(&sentence[i.saturating_sub(reach)..i]);
                contexts.extend_from_slice(&sentence[i + 1..(i + 1 + reach).min(sentence.len())]);
                if contexts.is_empty() {
                    continue;
                }
                negatives.clear();
                for _ in 0..contexts.len() * cfg.negatives {
                    negatives.push(self.noise[noise_at]);
                    noise_at = if noise_at + 1 == self.noise.len() { 0 } else { noise_at + 1 };
                }
                for &row in contexts.iter().chain(&negatives) {
                    output_touched[row as usize] = true;
                }
                stats.loss += match self.subwords {
                    None => {
                        input_touched[centre as usize] = true;
                        let v = &mut input[centre as usize * dim..][..dim];
                        sgns::step(v, output, &contexts, &negatives, lr, &mut neu1e)
                    }
                    Some(sw) => {
                        let rows = sw.centre(centre);
                        for &r in rows {
                            input_touched[r as usize] = true;
                        }
                        sgns::step_subwords(input, rows, output, &contexts, &negatives, lr, &mut hidden, &mut neu1e)
                    }
                };
                stats.pairs += contexts.len() as u64;
            }
        }
        stats
    }
}

/// Folds the copies' changes into `base` (rows touched by any copy become `base + Σ_t
/// (copy_t − base)`, in copy order) and makes every copy equal to it again.
fn merge(base: &mut Shard, copies: &mut [Shard]) {
    let dim = base.input.len() / base.input_touched.len().max(1);
    let (inputs, outputs): (Vec<_>, Vec<_>) = copies
        .iter_mut()
        .map(|c| ((&mut c.input[..], &mut c.input_touched[..]), (&mut c.output[..], &mut c.output_touched[..])))
        .unzip();
    merge_matrix(&mut base.input, inputs, dim);
    merge_matrix(&mut base.output, outputs, dim);
}

/// [`merge`] for one matrix `[V, D]`, in parallel over blocks of rows.
fn merge_matrix(base: &mut [f32], copies: Vec<(&mut [f32], &mut [bool])>, dim: usize) {
    if dim == 0 {
        return;
    }
    let chunks = base.len().div_ceil(MERGE_ROWS * dim);
    let mut parts: Vec<Vec<(&mut [f32], &mut [bool])>> = (0..chunks).map(|_| Vec::new()).collect();
    for (rows, touched) in copies {
        for (part, pair) in parts.iter_mut().zip(rows.chunks_mut(MERGE_ROWS * dim).zip(touched.chunks_mut(MERGE_ROWS)))
        {
            part.push(pair);
        }
    }
    base.par_chunks_mut(MERGE_ROWS * dim).zip(parts.into_par_iter()).for_each(|(base, mut copies)| {
        let mut sum = vec![0.0f32; dim];
        for (r, b) in base.chunks_exact_mut(dim).enumerate() {
            if !copies.iter().any(|(_, touched)| touched[r]) {
                continue;
            }
            sum.copy_from_slice(b);
            for (rows, _) in &copies {
                for ((s, &c), &b0) in sum.iter_mut().zip(&rows[r * dim..][..dim]).zip(b.iter()) {
                    *s += c - b0;
                }
            }
            b.copy_from_slice(&sum);
            for (rows, touched) in &mut copies {
                rows[r * dim..][..dim].copy_from_slice(&sum);
                touched[r] = false;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_probability_is_word2vecs() {
        // f = 100 of N = 1000 with s = 1e-3: s·N = 1, (√100 + 1)·1/100 = 0.11.
        let keep = keep_probabilities(&[100, 900], 1e-3);
        assert!((keep[0] - 0.11).abs() < 1e-6, "{}", keep[0]);
        assert_eq!(keep_probabilities(&[100, 900], 0.0), vec![1.0, 1.0]);
    }

    #[test]
    fn noise_table_follows_unigram_to_the_three_quarters() {
        let counts = [16u64, 1, 81];
        let table = noise_table(&counts, 1);
        let z: f64 = counts.iter().map(|&c| (c as f64).powf(0.75)).sum();
        for (id, &c) in counts.iter().enumerate() {
            let share = table.iter().filter(|&&t| t == id as u32).count() as f64 / table.len() as f64;
            assert!((share - (c as f64).powf(0.75) / z).abs() < 1e-3, "id {id}: {share}");
        }
        assert_ne!(table[..20], noise_table(&counts, 2)[..20], "the shuffle follows the seed");
    }

    #[test]
    fn blocks_hold_whole_sentences_and_split_for_threads() {
        let corpus = Corpus { docs: vec![vec![1; 2500], vec![2; 10], vec![1; 30]], vocab_size: 3 };
        let vocab = Vocab::new(&corpus, 1);
        let s = Stream::new(&corpus, &vocab, 2);
        assert_eq!(s.sentences, vec![0..1000, 1000..2000, 2000..2500, 2500..2510, 2510..2540]);
        // target ⌈2540 / 8⌉ = 318 words: every sentence closes a block but the last two share one.
        assert_eq!(s.blocks, vec![0..1, 1..2, 2..3, 3..5]);
    }

    #[test]
    fn merge_sums_every_copys_change_in_order() {
        let mut base = Shard::new(vec![1.0, 1.0, 5.0, 5.0], 2, 2);
        let mut copies = vec![base.clone(), base.clone()];
        copies[0].input[0] = 3.0; // +2
        copies[0].input_touched[0] = true;
        copies[1].input[0] = 0.5; // −0.5
        copies[1].input_touched[0] = true;
        copies[1].input[2] = 9.0; // changed but not marked: a bug elsewhere, left alone here
        merge(&mut base, &mut copies);
        assert_eq!(base.input, vec![2.5, 1.0, 5.0, 5.0]);
        assert_eq!(copies[0].input, base.input);
        assert!(copies.iter().all(|c| !c.input_touched.iter().any(|&t| t)));
    }
}
