//! Skip-gram pretraining, end to end on small synthetic corpora: it learns planted structure,
//! its loss falls, it is deterministic for a seed and thread count, and it leaves alone the
//! rows it must not train (padding, words below `min_count`). With fastText's subwords it
//! learns the same structure, is as reproducible, and gives a word below `min_count` the
//! vector of its character n-grams.

use strata_nn::Rng;
use strata_train::pretrain::corpus::Corpus;
use strata_train::pretrain::skipgram::{train, train_with_subwords, SkipGramConfig, SkipGramEpoch};
use strata_train::pretrain::subwords::{Subwords, WordNgrams};

/// Words 1..=20 form group A and 21..=40 group B; each document draws 40 words from one group,
/// so words co-occur only within their group. 60 is a rare word seen twice (below min_count).
const GROUP: u32 = 20;
const RARE: u32 = 60;
const VOCAB: usize = 61;

fn grouped_corpus(docs: usize, seed: u64) -> Corpus {
    let mut rng = Rng::new(seed);
    let mut docs: Vec<Vec<u32>> = (0..docs)
        .map(|d| {
            let first = 1 + (d as u32 % 2) * GROUP;
            (0..40).map(|_| first + rng.below(GROUP as usize) as u32).collect()
        })
        .collect();
    docs[3][5] = RARE;
    docs[7][0] = RARE;
    Corpus { docs, vocab_size: VOCAB }
}

fn config(threads: usize, seed: u64) -> SkipGramConfig {
    SkipGramConfig { dim: 16, window: 3, negatives: 5, min_count: 3, epochs: 3, sample: 1e-3, lr: 0.025, seed, threads }
}

/// Keras's uniform init, as the caller does it.
fn init(dim: usize) -> Vec<f32> {
    let mut rng = Rng::new(99);
    (0..VOCAB * dim).map(|_| rng.uniform(-0.05, 0.05)).collect()
}

fn run(corpus: &Corpus, cfg: &SkipGramConfig) -> (Vec<f32>, Vec<SkipGramEpoch>) {
    let mut vectors = init(cfg.dim);
    let mut seen = Vec::new();
    let history = train(corpus, &mut vectors, cfg, &mut |e| seen.push(e.epoch));
    assert_eq!(seen, (1..=cfg.epochs).collect::<Vec<_>>(), "on_epoch once per epoch, in order");
    (vectors, history)
}

fn cosine(v: &[f32], dim: usize, a: u32, b: u32) -> f32 {
    let (x, y) = (&v[a as usize * dim..][..dim], &v[b as usize * dim..][..dim]);
    let dot: f32 = x.iter().zip(y).map(|(p, q)| p * q).sum();
    let norm = |z: &[f32]| z.iter().map(|p| p * p).sum::<f32>().sqrt();
    dot / (norm(x) * norm(y))
}

/// Mean cosine over pairs of distinct words within a group, and across the groups.
fn within_and_across(v: &[f32], dim: usize) -> (f32, f32) {
    let (mut within, mut across, mut nw, mut na) = (0.0, 0.0, 0, 0);
    for a in 1..=2 * GROUP {
        for b in a + 1..=2 * GROUP {
            let c = cosine(v, dim, a, b);
            if (a - 1) / GROUP == (b - 1) / GROUP {
                (within, nw) = (within + c, nw + 1);
            } else {
                (across, na) = (across + c, na + 1);
            }
        }
    }
    (within / nw as f32, across / na as f32)
}

#[test]
fn learns_which_words_share_contexts_with_one_and_two_threads() {
    let corpus = grouped_corpus(400, 1);
    for threads in [1, 2] {
        let cfg = config(threads, 7);
        let (before, _) = (init(cfg.dim), ());
        let (within0, across0) = within_and_across(&before, cfg.dim);
        let (after, history) = run(&corpus, &cfg);
        let (within, across) = within_and_across(&after, cfg.dim);
        println!("threads {threads}: within {within0:.3} → {within:.3}, across {across0:.3} → {across:.3}");
        assert!(within > across + 0.5, "threads {threads}: within {within} vs across {across}");
        let losses: Vec<f64> = history.iter().map(|e| e.loss).collect();
        println!("threads {threads}: losses {losses:?}");
        assert!(losses.windows(2).all(|w| w[1] < w[0]), "threads {threads}: loss must fall: {losses:?}");
        assert!(history.iter().all(|e| e.words_per_sec > 0.0 && e.epochs == cfg.epochs));
    }
}

#[test]
fn same_seed_and_threads_give_the_same_bits_and_another_seed_does_not() {
    let corpus = grouped_corpus(300, 2);
    for threads in [1, 2, 3] {
        let (a, ha) = run(&corpus, &config(threads, 5));
        let (b, hb) = run(&corpus, &config(threads, 5));
        let (c, _) = run(&corpus, &config(threads, 6));
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "threads {threads}: not reproducible");
        assert_eq!(
            ha.iter().map(|e| e.loss.to_bits()).collect::<Vec<_>>(),
            hb.iter().map(|e| e.loss.to_bits()).collect::<Vec<_>>()
        );
        assert_ne!(a, c, "threads {threads}: the seed must matter");
    }
}

#[test]
fn padding_and_rare_rows_stay_and_rare_words_are_not_context() {
    let corpus = grouped_corpus(100, 3);
    let cfg = config(2, 5);
    let (trained, _) = run(&corpus, &cfg);
    let (dim, untouched) = (cfg.dim, init(cfg.dim));
    let row = |v: &[f32], id: u32| v[id as usize * dim..][..dim].to_vec();
    assert_eq!(row(&trained, 0), row(&untouched, 0), "padding row changed");
    assert_eq!(row(&trained, RARE), row(&untouched, RARE), "row below min_count changed");
    // Ids that never occur (41..60) keep their init too; every occurring word moved.
    assert_eq!(row(&trained, 50), row(&untouched, 50));
    assert!((1..=2 * GROUP).all(|id| row(&trained, id) != row(&untouched, id)));
    // Dropped from the stream: training without the rare word at all gives the same bits.
    let mut without = corpus.clone();
    for doc in &mut without.docs {
        doc.retain(|&id| id != RARE);
    }
    let (trained_without, _) = run(&without, &cfg);
    assert_eq!(trained, trained_without, "a word below min_count changed the others' training");
}

/// The corpus's words for subwords: six random letters per id (so words share few n-grams by
/// chance), and the rare word is word 1 with an "s" (it shares most of word 1's n-grams).
fn words() -> Vec<String> {
    let mut rng = Rng::new(42);
    let mut words: Vec<String> =
        (0..VOCAB).map(|_| (0..6).map(|_| char::from(b'a' + rng.below(26) as u8)).collect()).collect();
    words[0].clear();
    words[RARE as usize] = format!("{}s", words[1]);
    words
}

fn run_subwords(corpus: &Corpus, cfg: &SkipGramConfig) -> (Vec<f32>, Vec<SkipGramEpoch>) {
    let ngrams = WordNgrams::new(&words(), Subwords { minn: 3, maxn: 6, buckets: 2_000_000 });
    let mut vectors = init(cfg.dim);
    let history = train_with_subwords(corpus, &ngrams, &mut vectors, cfg, &mut |_| {});
    (vectors, history)
}

#[test]
fn subwords_learn_which_words_share_contexts_and_are_reproducible() {
    let corpus = grouped_corpus(400, 1);
    for threads in [1, 2] {
        let cfg = config(threads, 7);
        let (a, history) = run_subwords(&corpus, &cfg);
        let (b, again) = run_subwords(&corpus, &cfg);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "threads {threads}: not reproducible");
        let bits = |h: &[SkipGramEpoch]| h.iter().map(|e| e.loss.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&history), bits(&again));
        let (within, across) = within_and_across(&a, cfg.dim);
        let losses: Vec<f64> = history.iter().map(|e| e.loss).collect();
        println!("subwords, threads {threads}: within {within:.3}, across {across:.3}, losses {losses:?}");
        assert!(within > across + 0.5, "threads {threads}: within {within} vs across {across}");
        assert!(losses.windows(2).all(|w| w[1] < w[0]), "threads {threads}: loss must fall: {losses:?}");
        // not word2vec's vectors: the n-grams took part
        let (plain, _) = run(&corpus, &cfg);
        assert_ne!(a, plain);
        assert_ne!(a, run_subwords(&corpus, &config(threads, 8)).0, "threads {threads}: the seed must matter");
    }
}

#[test]
fn a_word_below_min_count_gets_the_vector_of_its_ngrams() {
    let corpus = grouped_corpus(400, 1);
    let cfg = config(2, 7);
    let (trained, _) = run_subwords(&corpus, &cfg);
    let (dim, untouched) = (cfg.dim, init(cfg.dim));
    let row = |v: &[f32], id: u32| v[id as usize * dim..][..dim].to_vec();
    assert_eq!(row(&trained, 0), row(&untouched, 0), "padding has no n-grams and keeps its row");
    let rare = row(&trained, RARE);
    assert!(rare != row(&untouched, RARE) && rare.iter().all(|x| x.is_finite()), "{rare:?}");
    // "xxxxxxs" shares most n-grams with "xxxxxx", word 1 of group A, and no context with any
    // word: its n-grams alone place it with group A, away from group B
    let to_word_1 = cosine(&trained, dim, RARE, 1);
    let nearest_other = (GROUP + 1..=2 * GROUP).map(|id| cosine(&trained, dim, RARE, id)).fold(f32::MIN, f32::max);
    println!("rare word: cosine {to_word_1:.3} to word 1, at most {nearest_other:.3} to group B");
    assert!(to_word_1 > nearest_other + 0.2, "{to_word_1} vs {nearest_other}");
}
