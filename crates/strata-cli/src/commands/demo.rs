//! `strata demo`: trains the seed model on a built-in corpus and shows what it learned that a
//! bag of words cannot — negation, which depends on word order — and then the project's
//! question: the seed's stacked model trained end-to-end and layer by layer, side by side.
//!
//! Steps: generate the corpus (see `demo_corpus`), hold out 20%, fit a bag-of-words logistic
//! regression as the baseline, train the seed's `Embedding → LSTM(64) → Dense(1)` with the
//! seed's settings, then compare both on the held-out sentences, split by whether the
//! adjective is negated. Then train `seed-stacked` with the `end-to-end` and `layerwise`
//! schedules on the same split, budget and seed, probe every level, and compare accuracy, time
//! and what each level makes readable. The closing sentences come from `verdict`, which writes
//! them from the numbers.

mod verdict;

use std::time::Instant;

use anyhow::{bail, Result};
use strata_data::{stratified_split, Example, LabelMap};
use strata_model::zoo::Knobs;
use strata_text::{PadSequences, Tokenizer, TokenizerConfig};
use strata_train::history::epoch_line;
use strata_train::schedule::Schedule;
use strata_train::{EpochRecord, FitOptions, Progress};
use strata_workflow::pipeline::{train, ModelSettings, Probes, TextSettings, TrainData, TrainSettings, Trained};
use verdict::{Run, Scores};

use crate::args::DemoCmd;
use crate::demo_corpus::{generate, DemoExample};

/// Prints epoch lines and remembers validation accuracy for the curve.
struct Curve {
    val: Vec<f64>,
}

impl Progress for Curve {
    fn on_epoch(&mut self, r: &EpochRecord) {
        eprintln!("  {}", epoch_line(r));
        self.val.push(r.val_accuracy.unwrap_or(0.0));
    }
}

/// A linear bag-of-words classifier (unique word ids → logistic regression), trained by SGD.
fn bag_of_words(tok: &Tokenizer, train: &[&DemoExample], test: &[&DemoExample], seed: u64) -> Vec<usize> {
    let v = tok.vocab_size();
    let feats = |e: &DemoExample| {
        let mut ids = tok.text_to_sequence(&e.text);
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let train_x: Vec<Vec<u32>> = train.iter().map(|e| feats(e)).collect();
    let (mut w, mut b) = (vec![0.0f32; v], 0.0f32);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut rng = strata_nn::Rng::new(seed);
    for _ in 0..30 {
        rng.shuffle(&mut order);
        for &i in &order {
            let z: f32 = b + train_x[i].iter().map(|&id| w[id as usize]).sum::<f32>();
            let g = strata_nn::activations::sigmoid(z) - train[i].label as f32;
            b -= 0.05 * g;
            train_x[i].iter().for_each(|&id| w[id as usize] -= 0.05 * g);
        }
    }
    test.iter().map(|e| usize::from(b + feats(e).iter().map(|&id| w[id as usize]).sum::<f32>() > 0.0)).collect()
}

fn accuracy(pred: &[usize], test: &[&DemoExample], keep: impl Fn(&DemoExample) -> bool) -> f64 {
    let (mut right, mut n) = (0, 0);
    for (p, e) in pred.iter().zip(test) {
        if keep(e) {
            n += 1;
            right += usize::from(*p == e.label);
        }
    }
    right as f64 / n.max(1) as f64
}

fn scores(pred: &[usize], test: &[&DemoExample]) -> Scores {
    Scores {
        all: accuracy(pred, test, |_| true),
        plain: accuracy(pred, test, |e| !e.negated),
        negated: accuracy(pred, test, |e| e.negated),
        n: test.len(),
    }
}

/// Words per sentence the stacked runs read: the longest generated sentence has 22 words
/// (`demo_corpus`), so 24 loses nothing and spares the recurrent layers 76 steps of padding.
const STACKED_MAXLEN: usize = 24;

/// Prints epoch lines only.
struct Quiet;

impl Progress for Quiet {
    fn on_epoch(&mut self, r: &EpochRecord) {
        eprintln!("  {}", epoch_line(r));
    }
}

/// One stacked run as `verdict` reads it.
fn as_run<'a>((name, scores, seconds, probes): &'a (&str, Scores, f64, Vec<(String, f64)>)) -> Run<'a> {
    Run { name, scores: *scores, seconds: *seconds, probes }
}

/// The final model's probes as (level, validation accuracy), bottom up.
fn level_probes(t: &Trained) -> Vec<(String, f64)> {
    t.probes.last().map_or(Vec::new(), |s| s.probes.iter().map(|p| (p.layer.clone(), p.val_accuracy)).collect())
}

/// The stacked runs' epochs as the demo says them: the real counts, which differ when the
/// budget is below layerwise's one epoch per stage.
fn epochs_each_way(end_to_end: usize, layerwise: usize) -> String {
    let epochs = |n: usize| format!("{n} epoch{}", if n == 1 { "" } else { "s" });
    if end_to_end == layerwise {
        format!("{} either way", epochs(end_to_end))
    } else {
        format!("{} end-to-end and {} layerwise (one per stage at least)", epochs(end_to_end), epochs(layerwise))
    }
}

pub fn run(a: DemoCmd) -> Result<()> {
    if a.size < 100 || a.epochs == 0 {
        bail!("--size must be at least 100 and --epochs at least 1 (hint: the defaults are 5000 and 10)");
    }
    let started = Instant::now();
    let corpus = generate(a.size, a.seed);
    let y: Vec<usize> = corpus.iter().map(|e| e.label).collect();
    let all: Vec<usize> = (0..corpus.len()).collect();
    let (train_idx, test_idx) = stratified_split(&all, &y, 0.2, a.seed);
    println!("strata demo — does word order matter? (seed {}, {} threads)\n", a.seed, rayon::current_num_threads());
    println!("A generated corpus of {} movie-review sentences. The label is the adjective's polarity,", corpus.len());
    println!("flipped when the verb is negated (30%); a third open with a clause whose 'not' negates nothing:");
    for e in corpus.iter().take(4) {
        println!("  {:<3} {}", if e.label == 1 { "pos" } else { "neg" }, e.text);
    }
    println!("{} sentences train, {} are held out.\n", train_idx.len(), test_idx.len());

    let examples: Vec<Example> = corpus
        .iter()
        .enumerate()
        .map(|(i, e)| Example { text: e.text.clone(), label: e.label.to_string(), line: i + 1 })
        .collect();
    let labels = LabelMap::from_labels(["0", "1"]);
    let settings = TrainSettings {
        text: TextSettings {
            tokenizer: TokenizerConfig {
                num_words: Some(10000),
                oov_token: Some("<OOV>".into()),
                ..Default::default()
            },
            pad: PadSequences::keras(100),
        },
        model: ModelSettings::named("seed", 128, Knobs::default()).expect("the seed model is valid"),
        fit: FitOptions { epochs: a.epochs, seed: a.seed, ..FitOptions::default() },
        schedule: Schedule::end_to_end(1, a.epochs),
        validation_split: 0.0,
        probes: Probes::Off,
        embeddings: None,
        init_from: None,
        linear: None,
        level_heads: Vec::new(),
        nbsvm: None,
    };
    let seed_started = Instant::now();
    println!("Training the seed model: Embedding(10000, 128) → LSTM(64) → Dense(1, sigmoid), Adam, batch 32,");
    println!("maxlen 100 — validation on the held-out sentences:");
    let mut curve = Curve { val: Vec::new() };
    let data = TrainData { examples: &examples, labels: &labels, y: &y, train_idx: &train_idx, val_idx: &test_idx };
    let trained = train(data, &settings, &mut curve)?;

    let test: Vec<&DemoExample> = test_idx.iter().map(|&i| &corpus[i]).collect();
    let train_ex: Vec<&DemoExample> = train_idx.iter().map(|&i| &corpus[i]).collect();
    let texts: Vec<&str> = test.iter().map(|e| e.text.as_str()).collect();
    let lstm: Vec<usize> = trained.saved.predict(&texts).iter().map(|p| p.class).collect();
    let bow =
        bag_of_words(&trained.saved.network().expect("the demo trains a network").tokenizer, &train_ex, &test, a.seed);

    println!("\nLearning curve (held-out accuracy per epoch):");
    for (i, acc) in curve.val.iter().enumerate() {
        let bar = "█".repeat(((acc - 0.5).max(0.0) * 80.0).round() as usize);
        println!("  epoch {:>2}  {:.3}  |{bar}", i + 1, acc);
    }
    println!("  (bars start at 0.5, chance level)\n");
    let seed_seconds = seed_started.elapsed().as_secs_f64();
    let (bow_scores, lstm_scores) = (scores(&bow, &test), scores(&lstm, &test));
    println!("Held-out accuracy               all   plain   negated");
    for (name, s) in [("bag of words (logistic reg.)", bow_scores), ("seed LSTM", lstm_scores)] {
        println!("  {:<28} {:.3}   {:.3}   {:.3}", name, s.all, s.plain, s.negated);
    }
    println!();
    for line in verdict::seed_verdict(bow_scores, lstm_scores, &curve.val, a.epochs) {
        println!("{line}");
    }
    println!();
    let mine = [
        "the plot was not boring at all",
        "i did not expect much but the acting was brilliant",
        "the ending wasn't clever",
        "the film felt really dull",
    ];
    println!("New sentences:");
    for (t, p) in mine.iter().zip(trained.saved.predict(&mine)) {
        println!("  {:<3} {:.3}  {t}", if p.class == 1 { "pos" } else { "neg" }, p.probs[1]);
    }
    println!("\n(the seed LSTM trained and predicted in {seed_seconds:.1}s)");

    // The project's question, on the same split, budget and seed.
    println!("\nEnd-to-end or layer by layer? The seed's stacked model, Embedding(10000, 128) → LSTM(64) →");
    let stacked = |schedule: &str| {
        let finetune = usize::from(schedule == "layerwise" && a.epochs > 2);
        let model = ModelSettings::named("seed-stacked", 128, Knobs::default()).expect("seed-stacked is valid");
        Schedule::named(schedule, &model.config(2, 2), a.epochs, finetune, 0.3)
    };
    let budget = epochs_each_way(stacked("end-to-end")?.epochs(), stacked("layerwise")?.epochs());
    println!("LSTM(64) → Dense(1), maxlen {STACKED_MAXLEN}, {budget}: end-to-end trains every level on");
    println!("the final loss; layerwise trains embedding + lstm_0 with an auxiliary head, then lstm_1 with");
    let finetune = if a.epochs > 2 { ", then one epoch of everything" } else { "" };
    println!("lstm_0 frozen{finetune}. A linear probe then reads each level.");
    let mut runs = Vec::new();
    for schedule in ["end-to-end", "layerwise"] {
        let model = ModelSettings::named("seed-stacked", 128, Knobs::default()).expect("seed-stacked is valid");
        let s = TrainSettings {
            text: TextSettings { pad: PadSequences::keras(STACKED_MAXLEN), ..settings.text.clone() },
            schedule: stacked(schedule)?,
            model,
            probes: Probes::Final,
            embeddings: None,
            init_from: None,
            ..settings.clone()
        };
        eprintln!("{schedule}:");
        let clock = Instant::now();
        let trained = train(data, &s, &mut Quiet)?;
        let seconds = clock.elapsed().as_secs_f64();
        let pred: Vec<usize> = trained.saved.predict(&texts).iter().map(|p| p.class).collect();
        runs.push((schedule, scores(&pred, &test), seconds, level_probes(&trained)));
    }
    println!("\nSeed-stacked, held-out        all   plain   negated   train s   probe of each level");
    for (name, s, seconds, probes) in &runs {
        let levels: Vec<String> = probes.iter().map(|(l, acc)| format!("{l} {acc:.3}")).collect();
        println!(
            "  {:<26} {:.3}   {:.3}   {:.3}   {:>7.1}   {}",
            name,
            s.all,
            s.plain,
            s.negated,
            seconds,
            levels.join(", ")
        );
    }
    println!();
    for line in verdict::schedule_verdict(&as_run(&runs[0]), &as_run(&runs[1])) {
        println!("{line}");
    }
    if let Some(line) = verdict::embedding_vs_bag(bow_scores, &runs[0].3) {
        println!("{line}");
    }
    println!(
        "\nDone in {:.1}s. Next: strata experiment --data YOUR.tsv --model seed-stacked --out runs/exp",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
