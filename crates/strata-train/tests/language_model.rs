//! The language model end to end on small synthetic text: it learns, it repeats itself for a
//! seed and thread count, a resumed run ends bit-identical to an uninterrupted one, a damaged
//! checkpoint is refused, and its shared tensors start where the classifier's do.

use strata_nn::Cell;
use strata_train::pretrain::corpus::Corpus;
use strata_train::pretrain::language_model::{
    self, LanguageModel, LmConfig, LmEpoch, LmLevel, LmProgress, LmSilent, LmState,
};
use strata_train::pretrain::lm_checkpoint::{load_checkpoint, save_checkpoint};
use strata_train::{Model, ModelConfig};

const V: usize = 24;

/// Documents that walk a fixed cycle of ids from a varying start: each next word is certain
/// given the last, so a model that learns should approach perplexity ~1.
fn cyclic(docs: usize, offset: usize) -> Corpus {
    let cycle: Vec<u32> = (0..12).map(|i| 1 + ((i * 5) % (V - 1)) as u32).collect();
    let docs = (0..docs)
        .map(|d| {
            let start = (d * 7 + offset) % cycle.len();
            (0..20 + d % 9).map(|i| cycle[(start + i) % cycle.len()]).collect()
        })
        .collect();
    Corpus { docs, vocab_size: V }
}

fn config(epochs: usize, threads: usize) -> LmConfig {
    LmConfig {
        bptt: 8,
        batch_size: 6,
        epochs,
        lr: 1e-2,
        samples: 8,
        dropout_embedding: 0.1,
        dropout: 0.1,
        clip_norm: 1.0,
        seed: 5,
        threads,
        lr_decay_per_level: None,
        slanted: false,
    }
}

fn fresh(levels: Vec<LmLevel>) -> LmState {
    LmState::fresh(LanguageModel::new(V, 8, levels, 3))
}

fn lstm() -> Vec<LmLevel> {
    vec![LmLevel::new(Cell::Lstm, 0, 12)]
}

/// What must repeat: every parameter, and the losses and perplexities (not the timings).
fn fingerprint(s: &LmState) -> (Vec<f32>, Vec<(f64, f64)>) {
    (s.model.params.data.to_vec(), s.history.iter().map(|r| (r.loss, r.val_perplexity)).collect())
}

#[test]
fn learns_a_repetitive_corpus() {
    let (train, heldout) = (cyclic(60, 0), cyclic(8, 3));
    let before = language_model::perplexity(&fresh(lstm()).model, &heldout, 2);
    let s = language_model::train(fresh(lstm()), &train, &heldout, &config(10, 2), &mut LmSilent);
    let ppl: Vec<f64> = s.history.iter().map(|r| r.val_perplexity).collect();
    println!("perplexity before {before:.2}, per epoch {ppl:?}");
    assert!(before > 0.7 * V as f64, "an untrained model is near uniform: {before}");
    let last = *ppl.last().unwrap();
    assert!(last < 2.0, "held-out perplexity {last} is not far below the vocabulary's {V}");
    assert!(last < ppl[0], "perplexity did not fall after the first epoch: {ppl:?}");
    assert!(s.history.last().unwrap().loss < s.history[0].loss);
}

#[test]
fn a_gru_and_two_levels_learn_too() {
    let (train, heldout) = (cyclic(60, 0), cyclic(8, 3));
    let levels = vec![LmLevel::new(Cell::Gru, 0, 12), LmLevel::new(Cell::Lstm, 1, 12)];
    let cfg = LmConfig { lr: 2e-2, lr_decay_per_level: Some(2.6), slanted: true, ..config(15, 2) };
    let s = language_model::train(fresh(levels), &train, &heldout, &cfg, &mut LmSilent);
    let ppl: Vec<f64> = s.history.iter().map(|r| r.val_perplexity).collect();
    println!("two levels, perplexity per epoch {ppl:?}");
    assert!(*ppl.last().unwrap() < 3.0, "two levels: held-out perplexity {ppl:?}");
}

#[test]
fn same_seed_and_threads_repeat_bit_for_bit() {
    let (train, heldout) = (cyclic(30, 0), cyclic(4, 3));
    let run = |threads, seed| {
        let cfg = LmConfig { seed, ..config(2, threads) };
        fingerprint(&language_model::train(fresh(lstm()), &train, &heldout, &cfg, &mut LmSilent))
    };
    let a = run(2, 5);
    assert_eq!(a, run(2, 5), "two runs with the same seed and threads differ");
    assert_ne!(a, run(2, 6), "the seed changes nothing");
    // threads set the chunks, and chunks set the order in which gradients are summed and
    // the dropout streams, so 1 and 2 threads may differ; 3 threads run as 3 chunks each time
    assert_eq!(run(3, 5), run(3, 5));
}

/// Saves the checkpoint after epoch `at` and keeps going, as a run that is later killed.
struct SaveAt {
    at: usize,
    dir: std::path::PathBuf,
}

impl LmProgress for SaveAt {
    fn on_epoch(&mut self, record: &LmEpoch, state: &LmState) {
        if record.epoch == self.at {
            save_checkpoint(&self.dir, state).unwrap();
        }
    }
}

#[test]
fn two_epochs_then_resume_then_one_more_equals_three_epochs() {
    let (train, heldout) = (cyclic(30, 0), cyclic(4, 3));
    let dir = tempfile::tempdir().unwrap();
    // every schedule knob on, so the resumed run must also find its place in the schedule
    let cfg = LmConfig { lr_decay_per_level: Some(2.6), slanted: true, ..config(3, 2) };
    let levels = vec![LmLevel::new(Cell::Lstm, 0, 6), LmLevel::new(Cell::Gru, 1, 5)];
    let mut save = SaveAt { at: 2, dir: dir.path().to_path_buf() };
    let whole = language_model::train(fresh(levels), &train, &heldout, &cfg, &mut save);
    let loaded = load_checkpoint(dir.path()).unwrap();
    assert_eq!(loaded.epochs_done, 2);
    let resumed = language_model::train(loaded, &train, &heldout, &cfg, &mut LmSilent);
    assert_eq!(resumed.history.len(), 3);
    assert_eq!(fingerprint(&resumed), fingerprint(&whole), "the resumed run differs from the whole one");
    let (a, b) = (resumed.optimizer.unwrap(), whole.optimizer.unwrap());
    assert_eq!((a.t, a.m, a.v), (b.t, b.m, b.v));
}

#[test]
fn a_damaged_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = language_model::train(fresh(lstm()), &cyclic(6, 0), &cyclic(2, 1), &config(1, 1), &mut LmSilent);
    save_checkpoint(dir.path(), &s).unwrap();
    let back = load_checkpoint(dir.path()).unwrap();
    assert_eq!(fingerprint(&back), fingerprint(&s));
    assert_eq!(back.model.levels, s.model.levels);
    let tp = dir.path().join("checkpoint/tensors.safetensors");
    let mut bytes = std::fs::read(&tp).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(&tp, bytes).unwrap();
    let e = load_checkpoint(dir.path()).unwrap_err().to_string();
    assert!(e.contains("tensors.safetensors") && e.contains("checksum") && e.contains("hint:"), "{e}");
    save_checkpoint(dir.path(), &s).unwrap(); // strata's own folder: replaced, not refused
    assert!(load_checkpoint(dir.path()).is_ok());
}

#[test]
fn shared_tensors_start_where_the_classifiers_do() {
    let model = Model::new(ModelConfig::seed(50), 11);
    let lm = LanguageModel::new(50, 128, vec![LmLevel::new(Cell::Lstm, 0, 64)], 11);
    for name in ["embedding.weight", "lstm_0.kernel", "lstm_0.recurrent_kernel", "lstm_0.bias"] {
        assert_eq!(lm.params.find(name).unwrap().shape, model.params.find(name).unwrap().shape, "{name}");
        assert_eq!(lm.params.get(name), model.params.get(name), "{name} starts elsewhere");
    }
    assert_eq!(lm.params.find("lm_decoder.weight").unwrap().shape, vec![50, 64]);
    assert_eq!(lm.params.find("lm_decoder.bias").unwrap().shape, vec![50]);
}

#[test]
fn an_epoch_line_reads_like_keras() {
    let r =
        LmEpoch { epoch: 2, epochs: 5, loss: 4.12341, val_perplexity: 123.454, tokens_per_sec: 61234.4, seconds: 41.2 };
    assert_eq!(r.line(), "Epoch 2/5 - 41s - loss: 4.1234 - val_perplexity: 123.4540 - 61,234 tokens/s");
    let unheld = LmEpoch { val_perplexity: f64::NAN, ..r.clone() };
    assert_eq!(unheld.line(), "Epoch 2/5 - 41s - loss: 4.1234 - 61,234 tokens/s", "nothing held out");
    let wild = LmEpoch { val_perplexity: 3.2e114, ..r };
    assert!(wild.line().contains("val_perplexity: 3.200e114 -"), "{}", wild.line());
}
