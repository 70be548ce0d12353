//! What Keras's text preprocessing costs on a real file: `fit_on_texts` and
//! `texts_to_sequences` of every line (the text after the first tab of a TSV line, else the
//! whole line), timed apart, with a checksum of the ids so that two builds can be compared for
//! the same output. Threads come from rayon (`RAYON_NUM_THREADS`).
//!
//! Usage: cargo run --release -p strata-text --example tokenize_speed FILE [ROUNDS]
use std::time::Instant;

use strata_text::{Tokenizer, TokenizerConfig};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).expect("usage: tokenize_speed FILE [ROUNDS]");
    let rounds: usize = args.get(2).map_or(3, |r| r.parse().expect("ROUNDS is a number"));
    let raw = std::fs::read_to_string(path).expect("a UTF-8 file");
    let texts: Vec<&str> =
        raw.lines().filter(|l| !l.trim().is_empty()).map(|l| l.split_once('\t').map_or(l, |(_, t)| t)).collect();
    let config = TokenizerConfig { num_words: Some(10000), oov_token: Some("<OOV>".into()), ..Default::default() };
    let (mut fit_s, mut seq_s, mut sum) = (Vec::new(), Vec::new(), 0u64);
    for _ in 0..rounds {
        let t = Instant::now();
        let mut tok = Tokenizer::new(config.clone());
        tok.fit_on_texts(&texts);
        fit_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let seqs = tok.texts_to_sequences(&texts);
        seq_s.push(t.elapsed().as_secs_f64());
        sum = seqs
            .iter()
            .flatten()
            .enumerate()
            .fold(0u64, |s, (i, &id)| s.wrapping_mul(31).wrapping_add(id as u64 ^ i as u64));
    }
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "{{\"texts\":{},\"fit_s\":{:.3},\"to_sequences_s\":{:.3},\"checksum\":{sum}}}",
        texts.len(),
        min(&fit_s),
        min(&seq_s)
    );
}
