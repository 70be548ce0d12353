//! The inference forward (`network::infer`, issue 14 point 3) against training's forward
//! without dropout (`network::forward`): the same logits and level summaries, for every named
//! model, masked and unmasked, over batches long enough that a recurrent layer's inference runs
//! several blocks of steps; and a workspace may switch between the two. A call that reads
//! enough tokens folds a first recurrent layer's input projection per vocabulary id
//! (`folded_inputs.rs`): the same bits again.

use strata_model::folded_inputs::{FoldedInputs, NOT_FOLDED};
use strata_model::layers::{
    Activation, AttentionConfig, Conv1dConfig, DenseConfig, DropoutConfig, GruConfig, LayerNormConfig, LayerSpec,
    LstmConfig, MaxPoolConfig, MeanPoolConfig,
};
use strata_model::network::{self, Plan, Workspace};
use strata_model::zoo::{named_layers, Knobs, NAMED_MODELS};
use strata_model::{Model, ModelConfig};
use strata_nn::Rng;

fn named(name: &str, mask_padding: bool) -> Model {
    let knobs = match name {
        "han" => Knobs { units: Some(6), sentences: Some(5), ..Knobs::default() },
        _ => Knobs { units: Some(7), ..Knobs::default() },
    };
    model(name, named_layers(name, knobs).unwrap(), mask_padding)
}

fn model(name: &str, layers: Vec<LayerSpec>, mask_padding: bool) -> Model {
    let config = config(name, layers, mask_padding);
    if let Err(e) = config.validate() {
        panic!("{name}: {e}");
    }
    let mut m = Model::new(config, 11);
    // Keras's ±0.05 embeddings make every step nearly alike; spread them so differences show
    let emb = m.layout.embedding.clone();
    m.params.data[emb].iter_mut().for_each(|v| *v *= 20.0);
    // and move every weight off its initial value (a GRU's biases start at zero)
    let mut rng = Rng::new(17);
    m.params.data.iter_mut().for_each(|v| *v += rng.uniform(-0.1, 0.1));
    m
}

fn config(name: &str, layers: Vec<LayerSpec>, mask_padding: bool) -> ModelConfig {
    ModelConfig {
        architecture: name.into(),
        vocab_size: 50,
        embedding_dim: 6,
        layers,
        num_classes: 3,
        embedding_init: 0.05,
        multichannel: false,
        mask_padding,
        multi_label: false,
    }
}

/// `[B, T]` ids: each row (each sentence of a hierarchical model) has some padding before or
/// after its words, some rows none, one row nothing at all.
fn ids(b: usize, t: usize, slots: usize, rng: &mut Rng) -> Vec<u32> {
    let w = t / slots;
    let mut out = Vec::with_capacity(b * t);
    for r in 0..b {
        for _ in 0..slots {
            let words = if r == 3 { 0 } else { w - rng.below(w / 2 + 1) };
            let pre = rng.below(2) == 0;
            let pad = w - words;
            for s in 0..w {
                let real = if pre { s >= pad } else { s < words };
                out.push(if real { 1 + rng.below(49) as u32 } else { 0 });
            }
        }
    }
    out
}

/// Which forward a pass runs.
#[derive(Clone, Copy, PartialEq)]
enum Pass {
    Training,
    Inference,
    /// inference through the first layer's input projection folded per id
    Folded,
}

/// Logits and every level's summary after one pass.
fn run(m: &Model, ids: &[u32], t: usize, ws: &mut Workspace, pass: Pass) -> Vec<f32> {
    let plan = Plan::inference(m.config.levels());
    match pass {
        Pass::Training => network::forward(m, ids, t, &plan, ws),
        Pass::Inference => network::infer(m, ids, t, &plan, ws),
        Pass::Folded => {
            let mut folded = FoldedInputs::for_call(m, ids).expect("the model folds its first layer for this call");
            assert!(folded.add(ids), "the call's ids fit");
            network::infer_folded(m, ids, t, &plan, ws, &folded);
        }
    }
    let b = ids.len() / t;
    let mut v = ws.logits.clone();
    for k in 0..m.config.levels() {
        v.extend_from_slice(ws.summary(m, b, k));
    }
    v
}

#[test]
fn inference_gives_the_training_forwards_logits_for_every_named_model() {
    for name in NAMED_MODELS {
        for mask in [false, true] {
            same_as_training(name, &named(name, mask), mask);
        }
    }
}

/// The layer types no named model has (layer norm, dropout, dense, attention on a flat
/// model, mean pooling), in model files.
#[test]
fn inference_gives_the_training_forwards_logits_for_every_layer_type() {
    let norm = || LayerSpec::from(LayerNormConfig { epsilon: 1e-3 });
    let files: [(&str, Vec<LayerSpec>); 4] = [
        (
            "dropout+bigru+norm+attention+dense+norm",
            vec![
                DropoutConfig { rate: 0.3 }.into(),
                GruConfig { units: 5, bidirectional: true }.into(),
                norm(),
                AttentionConfig { dim: 4 }.into(),
                DenseConfig { units: 4, activation: Activation::Tanh }.into(),
                norm(),
            ],
        ),
        ("lstm+mean_pool", vec![LstmConfig { units: 5, bidirectional: false }.into(), MeanPoolConfig {}.into()]),
        ("bilstm+max_pool", vec![LstmConfig { units: 5, bidirectional: true }.into(), MaxPoolConfig {}.into()]),
        ("conv1d", vec![Conv1dConfig { filters: 4, widths: vec![2, 3] }.into()]),
    ];
    for (name, layers) in files {
        for mask in [false, true] {
            same_as_training(name, &model("custom", layers.clone(), mask), mask);
        }
    }
}

/// Whether the model's first layer reads the embedding through a per-row product that
/// inference folds per id (a recurrent layer).
fn folds(m: &Model) -> bool {
    matches!(m.config.layers[0].layer().kind(), "lstm" | "bilstm" | "gru" | "bigru")
}

fn same_as_training(name: &str, m: &Model, mask: bool) {
    let slots = m.config.sentences().unwrap_or(1);
    // T·B well over a recurrent layer's block of steps (2,048 rows)
    let (b, t) = (45, 60);
    let ids = ids(b, t, slots, &mut Rng::new(3));
    let mut ws = Workspace::default();
    let trained = run(m, &ids, t, &mut ws, Pass::Training);
    let inferred = run(m, &ids, t, &mut ws, Pass::Inference);
    let again = run(m, &ids, t, &mut ws, Pass::Training);
    let worst = trained.iter().zip(&inferred).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);

    let same = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
    assert!(same(&trained, &inferred), "{name} mask={mask}: inference differs by {worst}");
    assert!(trained.iter().all(|v| v.is_finite()), "{name}: non-finite logits");
    assert_eq!(trained, again, "{name} mask={mask}: training's forward changed after an inference");
    assert!(trained.iter().any(|v| v.abs() > 1e-3), "{name}: trivial logits");
    // 2,700 ids over a vocabulary of 50: a call this long folds, where the first layer can
    assert_eq!(FoldedInputs::for_call(m, &ids).is_some(), folds(m), "{name} mask={mask}: whether the call folds");
    if folds(m) {
        let folded = run(m, &ids, t, &mut ws, Pass::Folded);
        assert!(same(&trained, &folded), "{name} mask={mask}: the folded inference differs");
        let after = run(m, &ids, t, &mut ws, Pass::Inference);
        assert!(same(&trained, &after), "{name} mask={mask}: inference changed after a folded one");
    }
}

/// A call folds only when it reads at least one token per 16 vocabulary ids, and never on a
/// multichannel model (whose first layer reads two tables); the tables take each batch's new
/// ids only, start again when a batch's new ids would not fit, and refuse a batch whose ids
/// alone would not.
#[test]
fn a_call_folds_what_it_reads_within_its_bytes() {
    let m = named("seed", false); // V = 50: a call of 4 tokens folds, of 3 does not
    assert!(FoldedInputs::for_call(&m, &[1, 2, 3, 4]).is_some() && FoldedInputs::for_call(&m, &[1, 2, 3]).is_none());
    let mut two_channels = config("multichannel", named_layers("seed", Knobs::default()).unwrap(), false);
    two_channels.multichannel = true;
    let multichannel = Model::new(two_channels, 1);
    assert!(FoldedInputs::for_call(&multichannel, &[1; 1000]).is_none(), "a multichannel model does not fold");

    // the seed's LSTM of 7 units: rows of 28 values; room for 10 rows
    let mut f = FoldedInputs::holding(&m, &[1; 100], 10 * 28 * 4).unwrap();
    let rows = |f: &FoldedInputs| (1..50).map(|id| f.row_of_id()[id]).collect::<Vec<u32>>();
    assert!(f.add(&[3, 5, 3, 0, 5]) && f.len() == 3);
    assert_eq!((f.row_of_id()[3], f.row_of_id()[5], f.row_of_id()[0]), (0, 1, 2), "rows in order of first appearance");
    assert!(f.add(&[5, 7, 7, 3]) && f.len() == 4, "only the new id 7 is added");
    assert_eq!(f.tables()[0].len(), 4 * 28);
    let before = rows(&f);
    assert!(f.add(&[8, 9, 10, 11, 12, 13]) && f.len() == 10, "ten rows fit");
    assert_eq!(rows(&f)[..7], before[..7], "the rows of ids 1..8 stay where they were");
    assert!(f.add(&[20, 21, 3]) && f.len() == 3, "full: the tables start again from this batch");
    assert_eq!((f.row_of_id()[20], f.row_of_id()[21], f.row_of_id()[3], f.row_of_id()[5]), (0, 1, 2, NOT_FOLDED));
    assert!(!f.add(&(1..=11).collect::<Vec<u32>>()) && f.is_empty(), "a batch of eleven new ids does not fit");
    assert!(rows(&f).iter().all(|&r| r == NOT_FOLDED));

    // a call whose batches overflow the tables still gives the unfolded logits
    let ids: Vec<u32> = (0..40 * 8).map(|i| (i * 7 % 50) as u32).collect(); // 40 texts of 8
    let plan = Plan::inference(m.config.levels());
    let (mut ws, mut logits) = (Workspace::default(), Vec::new());
    let mut f = FoldedInputs::holding(&m, &ids, 45 * 28 * 4).unwrap(); // a batch holds 40 ids
    for batch in ids.chunks(5 * 8) {
        assert!(f.add(batch));
        network::infer_folded(&m, batch, 8, &plan, &mut ws, &f);
        logits.extend_from_slice(&ws.logits);
    }
    network::infer(&m, &ids, 8, &plan, &mut ws);
    assert!(logits.iter().zip(&ws.logits).all(|(a, b)| a.to_bits() == b.to_bits()), "folded batches differ");

    // both directions' tables, batches of more than one slice of new ids (256) appended at an
    // offset, the tables starting again, and a batch refused: each batch the unfolded bits
    let mut config =
        config("bilstm", named_layers("bilstm", Knobs { units: Some(5), ..Knobs::default() }).unwrap(), true);
    config.vocab_size = 2000;
    let m = Model::new(config, 3);
    let plan = Plan::inference(m.config.levels());
    let (t, texts) = (40, 30);
    let batch = |from: u32, span: u32| -> Vec<u32> { (0..texts * t).map(|i| from + (i as u32 * 7) % span).collect() };
    // rows of 2 × 20 values: room for 900
    let mut f = FoldedInputs::holding(&m, &[1; 2000], 900 * 2 * 20 * 4).unwrap();
    // ids 1..=500; 400..=699 (199 new); 1000..=1599 (over 900: again from these 600); 1..=1000
    // (1,000 alone do not fit); 5..=703
    let batches = [(batch(1, 500), true, 500), (batch(400, 300), true, 699), (batch(1000, 600), true, 600)];
    let batches = batches.into_iter().chain([(batch(1, 1000), false, 0), (batch(5, 699), true, 699)]);
    for (k, (ids, fits, held)) in batches.enumerate() {
        assert_eq!(f.add(&ids), fits, "batch {k}: whether it fits");
        assert_eq!(f.len(), held, "batch {k}: the ids held");
        let mut ws = Workspace::default();
        network::infer(&m, &ids, t, &plan, &mut ws);
        let plain = ws.logits.clone();
        if fits {
            network::infer_folded(&m, &ids, t, &plan, &mut ws, &f);
            assert!(plain.iter().zip(&ws.logits).all(|(a, b)| a.to_bits() == b.to_bits()), "batch {k} differs");
        }
    }
}
