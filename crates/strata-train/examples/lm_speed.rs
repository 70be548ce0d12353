//! Measures the language model's training speed (tokens/s) and held-out perplexity on real
//! text, tokenised crudely (lower case, split on non-alphanumerics, the `vocab − 1` most
//! frequent words as ids 1.., the rest dropped, as Keras's `num_words` does), so a change to
//! the LM's fast paths can be timed without the CLI.
//!
//! Usage: lm_speed FILE [--docs N] [--heldout-docs N] [--vocab 20000] [--embedding 128]
//! [--units 64] [--cell lstm|gru] [--levels 1] [--bptt 70] [--batch 32] [--samples 1024]
//! [--threads 2] [--epochs 1]
//!
//! FILE has one document per line (e.g. /work/shared/data/imdb_full/unsup.txt); the last
//! `--heldout-docs` documents are held out.

use std::collections::HashMap;
use std::time::Instant;

use strata_nn::Cell;
use strata_train::pretrain::corpus::Corpus;
use strata_train::pretrain::language_model::{self, LanguageModel, LmConfig, LmEpoch, LmLevel, LmProgress, LmState};

struct Lines {
    start: Instant,
    tokens_per_batch: usize,
}

impl LmProgress for Lines {
    fn on_batch(&mut self, done: usize, total: usize) {
        if done.is_multiple_of(100) || done == total {
            let s = self.start.elapsed().as_secs_f64();
            eprintln!("  batch {done}/{total}: {:.0} tokens/s", (done * self.tokens_per_batch) as f64 / s);
        }
    }

    fn on_epoch(&mut self, record: &LmEpoch, _state: &LmState) {
        println!("{}", record.line());
        self.start = Instant::now();
    }
}

fn words(line: &str) -> impl Iterator<Item = String> + '_ {
    line.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: &str| -> usize {
        args.iter().position(|a| a == name).map_or(default.to_string(), |i| args[i + 1].clone()).parse().unwrap()
    };
    let cell = match args.iter().position(|a| a == "--cell").map(|i| args[i + 1].as_str()) {
        Some("gru") => Cell::Gru,
        _ => Cell::Lstm,
    };
    let (docs_limit, heldout_docs, vocab) =
        (flag("--docs", "0"), flag("--heldout-docs", "500"), flag("--vocab", "20000"));
    let threads = flag("--threads", "2");
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().unwrap();
    let t0 = Instant::now();
    let text = std::fs::read_to_string(&args[1]).expect("readable text file");
    let mut lines: Vec<&str> = text.lines().collect();
    if docs_limit > 0 {
        lines.truncate(docs_limit + heldout_docs);
    }
    let mut counts: HashMap<String, u64> = HashMap::new();
    for line in &lines {
        words(line).for_each(|w| *counts.entry(w).or_default() += 1);
    }
    let mut by_freq: Vec<(String, u64)> = counts.into_iter().collect();
    by_freq.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let index: HashMap<&str, u32> =
        by_freq.iter().take(vocab - 1).enumerate().map(|(i, (w, _))| (w.as_str(), i as u32 + 1)).collect();
    let docs: Vec<Vec<u32>> =
        lines.iter().map(|l| words(l).filter_map(|w| index.get(w.as_str()).copied()).collect()).collect();
    let split = docs.len().saturating_sub(heldout_docs);
    let train = Corpus { docs: docs[..split].to_vec(), vocab_size: vocab };
    let heldout = Corpus { docs: docs[split..].to_vec(), vocab_size: vocab };
    eprintln!(
        "{} train tokens in {} docs, {} held out; tokenised in {:.1}s",
        train.tokens(),
        train.docs.len(),
        heldout.tokens(),
        t0.elapsed().as_secs_f64()
    );
    let cfg = LmConfig {
        bptt: flag("--bptt", "70"),
        batch_size: flag("--batch", "32"),
        epochs: flag("--epochs", "1"),
        samples: flag("--samples", "1024"),
        threads,
        ..LmConfig::default()
    };
    let levels = (0..flag("--levels", "1")).map(|i| LmLevel::new(cell, i, flag("--units", "64"))).collect();
    let model = LanguageModel::new(vocab, flag("--embedding", "128"), levels, 1);
    let before = language_model::perplexity(&model, &heldout, threads);
    eprintln!("held-out perplexity before training: {before:.1}");
    let mut progress = Lines { start: Instant::now(), tokens_per_batch: cfg.batch_size * cfg.bptt };
    language_model::train(LmState::fresh(model), &train, &heldout, &cfg, &mut progress);
}
