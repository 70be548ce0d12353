//! Measures skip-gram pretraining: words/s per thread count on a real corpus, and a sanity
//! check of what one epoch learned (nearest neighbours of a few words by cosine).
//!
//! The text is tokenised crudely (lowercase, split on non-alphanumerics, the top `--vocab − 1`
//! words get ids 1.. by frequency, others are dropped), one document per line. `--write-ids
//! DIR` saves that tokenisation (`vocab.txt`, and `ids.u16`: little-endian ids, 0 between
//! documents) and `--ids DIR` reads it back, so a machine without the text can run the bench.
//!
//! Besides wall-clock words/s it prints words per CPU-second (user + system time of the
//! process), which is what a shared, busy machine can still measure fairly.
//!
//! Usage: skipgram_speed (TEXT | --ids DIR) [--threads 1,2] [--epochs 1] [--dim 128]
//!        [--window 5] [--negatives 5] [--vocab 20000] [--docs N] [--write-ids DIR]

use std::collections::HashMap;

use strata_nn::Rng;
use strata_train::pretrain::corpus::Corpus;
use strata_train::pretrain::skipgram::{train, SkipGramConfig};

struct Args {
    text: Option<String>,
    ids: Option<String>,
    write_ids: Option<String>,
    threads: Vec<usize>,
    epochs: usize,
    dim: usize,
    window: usize,
    negatives: usize,
    vocab: usize,
    docs: Option<usize>,
}

fn parse() -> Args {
    let mut a = Args {
        text: None,
        ids: None,
        write_ids: None,
        threads: vec![1, 2],
        epochs: 1,
        dim: 128,
        window: 5,
        negatives: 5,
        vocab: 20000,
        docs: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--ids" => a.ids = Some(value()),
            "--write-ids" => a.write_ids = Some(value()),
            "--threads" => a.threads = value().split(',').map(|t| t.parse().expect("thread count")).collect(),
            "--epochs" => a.epochs = value().parse().expect("epochs"),
            "--dim" => a.dim = value().parse().expect("dim"),
            "--window" => a.window = value().parse().expect("window"),
            "--negatives" => a.negatives = value().parse().expect("negatives"),
            "--vocab" => a.vocab = value().parse().expect("vocab"),
            "--docs" => a.docs = Some(value().parse().expect("docs")),
            _ => a.text = Some(flag),
        }
    }
    a
}

/// Lowercase, split on non-alphanumerics, ids by frequency (ties by word), top `vocab − 1`.
fn tokenise(path: &str, vocab: usize) -> (Corpus, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let lines: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect())
        .collect();
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for w in lines.iter().flatten() {
        *counts.entry(w).or_default() += 1;
    }
    let mut ranked: Vec<(&str, u64)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut words = vec![String::new()];
    words.extend(ranked.iter().take(vocab - 1).map(|(w, _)| w.to_string()));
    let index: HashMap<&str, u32> = words.iter().enumerate().skip(1).map(|(i, w)| (w.as_str(), i as u32)).collect();
    let docs = lines.iter().map(|l| l.iter().filter_map(|w| index.get(w.as_str()).copied()).collect()).collect();
    (Corpus { docs, vocab_size: words.len() }, words)
}

fn write_ids(dir: &str, corpus: &Corpus, words: &[String]) {
    std::fs::create_dir_all(dir).expect("create --write-ids dir");
    std::fs::write(format!("{dir}/vocab.txt"), words[1..].join("\n")).expect("write vocab");
    let mut bytes = Vec::with_capacity(2 * (corpus.tokens() + corpus.docs.len()));
    for doc in &corpus.docs {
        for &id in doc {
            bytes.extend_from_slice(&u16::try_from(id).expect("ids fit u16").to_le_bytes());
        }
        bytes.extend_from_slice(&[0, 0]);
    }
    std::fs::write(format!("{dir}/ids.u16"), bytes).expect("write ids");
}

fn read_ids(dir: &str) -> (Corpus, Vec<String>) {
    let vocab = std::fs::read_to_string(format!("{dir}/vocab.txt")).expect("vocab.txt");
    let mut words = vec![String::new()];
    words.extend(vocab.lines().map(str::to_string));
    let bytes = std::fs::read(format!("{dir}/ids.u16")).expect("ids.u16");
    let mut docs = vec![Vec::new()];
    for pair in bytes.chunks_exact(2) {
        match u16::from_le_bytes([pair[0], pair[1]]) {
            0 => docs.push(Vec::new()),
            id => docs.last_mut().expect("a document").push(id as u32),
        }
    }
    docs.pop();
    (Corpus { docs, vocab_size: words.len() }, words)
}

fn neighbours(vectors: &[f32], dim: usize, words: &[String], of: &str, n: usize) -> String {
    let Some(q) = words.iter().position(|w| w == of) else { return format!("{of}: not in vocabulary") };
    let row = |i: usize| &vectors[i * dim..][..dim];
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    let (qv, qn) = (row(q), norm(row(q)));
    let mut scored: Vec<(f32, usize)> = (1..words.len())
        .filter(|&i| i != q)
        .map(|i| (row(i).iter().zip(qv).map(|(a, b)| a * b).sum::<f32>() / (norm(row(i)) * qn), i))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let list: Vec<String> = scored[..n].iter().map(|(c, i)| format!("{} {c:.2}", words[*i])).collect();
    format!("{of}: {}", list.join(", "))
}

/// User + system CPU seconds of this process so far (from /proc; 0 where there is none).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<f64> = after.split_whitespace().map(|f| f.parse().unwrap_or(0.0)).collect();
    fields.get(11).zip(fields.get(12)).map_or(0.0, |(u, s)| (u + s) / 100.0)
}

fn main() {
    let a = parse();
    let (mut corpus, words) = match (&a.ids, &a.text) {
        (Some(dir), _) => read_ids(dir),
        (None, Some(path)) => tokenise(path, a.vocab),
        _ => panic!("usage: skipgram_speed (TEXT | --ids DIR) [--threads 1,2] ..."),
    };
    if let Some(n) = a.docs {
        corpus.docs.truncate(n);
    }
    if let Some(dir) = &a.write_ids {
        write_ids(dir, &corpus, &words);
    }
    eprintln!("{} documents, {} tokens, vocabulary {}", corpus.docs.len(), corpus.tokens(), corpus.vocab_size);
    for &threads in &a.threads {
        let cfg = SkipGramConfig {
            dim: a.dim,
            window: a.window,
            negatives: a.negatives,
            min_count: 5,
            epochs: a.epochs,
            sample: 1e-3,
            lr: 0.025,
            seed: 1,
            threads,
        };
        let mut rng = Rng::new(2);
        let mut vectors: Vec<f32> = (0..corpus.vocab_size * a.dim).map(|_| rng.uniform(-0.05, 0.05)).collect();
        let cpu = cpu_seconds();
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool").install(|| {
            train(&corpus, &mut vectors, &cfg, &mut |e| {
                println!(
                    "threads {threads}: epoch {}/{} - {:.1}s - loss: {:.4} - {:.0} words/s",
                    e.epoch, e.epochs, e.seconds, e.loss, e.words_per_sec
                )
            })
        });
        let cpu = cpu_seconds() - cpu;
        let words_trained = (corpus.tokens() * a.epochs) as f64;
        println!("  {:.1} CPU-s, {:.0} words per CPU-second", cpu, words_trained / cpu.max(1e-9));
        for w in ["good", "bad", "boring"] {
            println!("  {}", neighbours(&vectors, a.dim, &words, w, 8));
        }
    }
}
