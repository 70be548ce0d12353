//! `strata demo`: trains the seed model on a built-in corpus and shows what it learned that a
//! bag of words cannot — negation, which depends on word order.
//!
//! Steps: generate the corpus (see `demo_corpus`), hold out 20%, fit a bag-of-words logistic
//! regression as the baseline, train the seed's `Embedding → LSTM(64) → Dense(1)` with the
//! seed's settings, then compare both on the held-out sentences, split by whether the
//! adjective is negated.

use std::time::Instant;

use anyhow::{bail, Result};
use strata_data::{stratified_split, Example, LabelMap};
use strata_model::zoo::Knobs;
use strata_text::{PadSequences, Tokenizer, TokenizerConfig};
use strata_train::history::epoch_line;
use strata_train::schedule::Schedule;
use strata_train::{EpochRecord, FitOptions, Progress};
use strata_workflow::pipeline::{predict, train, ModelSettings, Probes, TextSettings, TrainData, TrainSettings};

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
    };
    println!("Training the seed model: Embedding(10000, 128) → LSTM(64) → Dense(1, sigmoid), Adam, batch 32,");
    println!("maxlen 100 — validation on the held-out sentences:");
    let mut curve = Curve { val: Vec::new() };
    let data = TrainData { examples: &examples, labels: &labels, y: &y, train_idx: &train_idx, val_idx: &test_idx };
    let trained = train(data, &settings, &mut curve)?;

    let test: Vec<&DemoExample> = test_idx.iter().map(|&i| &corpus[i]).collect();
    let train_ex: Vec<&DemoExample> = train_idx.iter().map(|&i| &corpus[i]).collect();
    let texts: Vec<&str> = test.iter().map(|e| e.text.as_str()).collect();
    let lstm: Vec<usize> = predict(&trained.saved, &texts).iter().map(|p| p.class).collect();
    let bow = bag_of_words(&trained.saved.tokenizer, &train_ex, &test, a.seed);

    println!("\nLearning curve (held-out accuracy per epoch):");
    for (i, acc) in curve.val.iter().enumerate() {
        let bar = "█".repeat(((acc - 0.5).max(0.0) * 80.0).round() as usize);
        println!("  epoch {:>2}  {:.3}  |{bar}", i + 1, acc);
    }
    println!("  (bars start at 0.5, chance level)\n");
    println!("Held-out accuracy               all   plain   negated");
    for (name, pred) in [("bag of words (logistic reg.)", &bow), ("seed LSTM", &lstm)] {
        println!(
            "  {:<28} {:.3}   {:.3}   {:.3}",
            name,
            accuracy(pred, &test, |_| true),
            accuracy(pred, &test, |e| !e.negated),
            accuracy(pred, &test, |e| e.negated)
        );
    }
    println!("\nThe bag of words learns which adjectives are positive and stops there: it sees every");
    println!("'not' but not which word it belongs to, so it gets the negated sentences backwards.");
    println!("The LSTM reads in order and gets both right; early in its learning curve it sits near");
    println!("the bag of words (adjectives only, ~0.7) until it has learned negation.\n");
    let mine = [
        "the plot was not boring at all",
        "i did not expect much but the acting was brilliant",
        "the ending wasn't clever",
        "the film felt really dull",
    ];
    println!("New sentences:");
    for (t, p) in mine.iter().zip(predict(&trained.saved, &mine)) {
        println!("  {:<3} {:.3}  {t}", if p.class == 1 { "pos" } else { "neg" }, p.probs[1]);
    }
    println!(
        "\nDone in {:.1}s. Next: strata train --data ../shared/data/mr/all.tsv --out runs/mr",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
