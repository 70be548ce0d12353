//! Prediction throughput of the linear model at strata's defaults (dim 100, 2,000,000 buckets,
//! word bigrams) on real reviews (IMDB test, 5,000 texts read twice), on one thread and on
//! all: the figure compared with fastText's C++ `predict`. Ignored by default (it times, and
//! needs `../shared/data`); it also checks that both thread counts predict the same.
//!
//!     cargo test --release -p strata-model --test linear_throughput -- --ignored --nocapture

use std::path::PathBuf;
use std::time::Instant;

use strata_data::LabelMap;
use strata_model::linear::{Dictionary, LinearConfig, LinearModel};
use strata_text::{Tokenizer, TokenizerConfig};

#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn predicts_ten_thousand_reviews() {
    let dir = std::env::var_os("STRATA_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")));
    let Ok(tsv) = std::fs::read_to_string(dir.join("imdb/test.tsv")) else {
        eprintln!("skipped: {} not found (set STRATA_DATA)", dir.join("imdb/test.tsv").display());
        return;
    };
    let texts: Vec<&str> = tsv.lines().filter_map(|l| l.split_once('\t').map(|(_, t)| t)).collect();
    let tokenizer = Tokenizer::new(TokenizerConfig::default());
    let words: Vec<Vec<String>> = texts.iter().map(|t| tokenizer.tokens(t)).collect();
    let labels = LabelMap::from_vec(vec!["neg".into(), "pos".into()]);
    let t = Instant::now();
    let mut model =
        LinearModel::new(LinearConfig::default(), TokenizerConfig::default(), Dictionary::build(&words, 1), labels, 1);
    eprintln!("init {} rows × 100: {:.2} s", model.rows(), t.elapsed().as_secs_f64());
    for (i, w) in model.output.iter_mut().enumerate() {
        *w = (i % 7) as f32 - 3.0;
    }
    let many: Vec<&str> = texts.iter().cycle().take(texts.len() * 2).copied().collect();
    let tokens: usize = words.iter().map(Vec::len).sum::<usize>() * 2;
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let t = Instant::now();
        let p = pool.install(|| model.predict(&many));
        let s = t.elapsed().as_secs_f64();
        eprintln!(
            "{threads} thread(s): {} texts in {s:.3} s = {:.0} texts/s, {:.1} M words/s",
            many.len(),
            many.len() as f64 / s,
            tokens as f64 / s / 1e6
        );
        p
    };
    let one = run(1);
    let all = run(std::thread::available_parallelism().map_or(2, |n| n.get()));
    assert_eq!(one, all);
}
