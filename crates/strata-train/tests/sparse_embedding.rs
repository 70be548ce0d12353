//! `--sparse-embedding-updates` through the trainer (issue 14, point 5): a batch moves only the
//! embedding rows it used (their weights and Adam's moments), a run whose batches use every
//! row is dense Adam's run bit for bit, and a checkpointed run resumes to the same bytes.

use std::ops::ControlFlow;

use strata_model::layers::{LayerSpec, LstmConfig};
use strata_model::plan::Group;
use strata_model::{Model, ModelConfig};
use strata_train::fit::{
    stage_groups, BatchStepper, Dataset, FitInput, FitOptions, OptimizerKind, OptimizerSnapshot, OptimizerState,
    Progress, Silent, TrainState,
};
use strata_train::schedule::Schedule;
use strata_train::{fit_schedule, fit_schedule_from};

const E: usize = 4;

fn model(vocab: usize) -> Model {
    let config = ModelConfig {
        architecture: "seed".into(),
        vocab_size: vocab,
        embedding_dim: E,
        layers: vec![LayerSpec::Lstm(LstmConfig { units: 5, bidirectional: false })],
        num_classes: 2,
        embedding_init: 0.05,
        multichannel: false,
        mask_padding: false,
        multi_label: false,
    };
    Model::new(config, 9)
}

/// `n` texts of `t` ids in `[0, v)`, labelled by whether their ids sum to an even number.
fn data(n: usize, t: usize, v: usize) -> (Vec<u32>, Vec<usize>) {
    let mut rng = strata_nn::Rng::new(4);
    let ids: Vec<u32> = (0..n * t).map(|_| rng.below(v) as u32).collect();
    let labels = ids.chunks(t).map(|r| (r.iter().sum::<u32>() % 2) as usize).collect();
    (ids, labels)
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn row(m: &[f32], table_start: usize, id: usize) -> &[f32] {
    &m[table_start + id * E..table_start + (id + 1) * E]
}

#[test]
fn a_lazy_step_leaves_the_rows_it_did_not_use_bit_identical() {
    // two batches: the first uses rows 1..=4, the second 5..=8; rows 9.. are never used
    let t = 3;
    let ids: Vec<u32> = vec![1, 2, 3, 4, 1, 2, 5, 6, 7, 8, 5, 6];
    let labels = vec![0, 1, 0, 1];
    let train = Dataset { ids: &ids, labels: &labels, t };
    let schedule = Schedule::end_to_end(1, 1);
    let stage = &schedule.stages[0];
    for lazy in [false, true] {
        let mut m = model(12);
        let groups = stage_groups(&m, stage);
        let table = m.layout.embedding.start;
        let mut opt = OptimizerState::new(OptimizerKind::Adam { lr: 0.01 }, m.params.len());
        let mut stepper = BatchStepper::new(&m);
        stepper.sparse_embedding = lazy;
        stepper.step(&mut m, &train, &[0, 1], &stage.plan, &mut opt, &groups).expect("a finite step");
        let (after_first, moments) = (m.params.data.clone(), opt.snapshot());
        stepper.step(&mut m, &train, &[2, 3], &stage.plan, &mut opt, &groups).expect("a finite step");
        let Some(OptimizerSnapshot::Adam { m: m1, v: v1, .. }) = moments else { panic!("adam") };
        let Some(OptimizerSnapshot::Adam { m: m2, v: v2, t: steps }) = opt.snapshot() else { panic!("adam") };
        assert_eq!(steps, 2, "the step count is global");
        for id in 1..=4 {
            // used by the first batch only: dense Adam moves it on by its momentum, lazy Adam not
            let same = bits(row(&m.params.data, table, id)) == bits(row(&after_first, table, id));
            assert_eq!(same, lazy, "row {id}, lazy {lazy}");
            let (m_same, v_same) =
                (row(&m1, table, id) == row(&m2, table, id), row(&v1, table, id) == row(&v2, table, id));
            assert_eq!((m_same, v_same), (lazy, lazy), "row {id}'s moments, lazy {lazy}");
        }
        for id in 5..=8 {
            assert_ne!(row(&m.params.data, table, id), row(&after_first, table, id), "row {id} was used");
        }
        // the layers above the embedding move either way
        let level = m.layout.range(Group::Level(0)).unwrap();
        assert_ne!(m.params.data[level.clone()], after_first[level]);
    }
}

/// Runs `opts` on `train` end to end; the final weights.
fn weights_after(train: &Dataset, vocab: usize, opts: &FitOptions) -> Vec<f32> {
    let mut m = model(vocab);
    let schedule = Schedule::end_to_end(1, opts.epochs);
    fit_schedule(&mut m, FitInput { train, val: None, schedule: &schedule, opts }, &mut Silent);
    m.params.data.into_vec()
}

#[test]
fn a_run_whose_batches_use_every_row_is_dense_adams_run_bit_for_bit() {
    // every text holds every id of a vocabulary of 5
    let (v, t, n) = (5, 7, 24);
    let ids: Vec<u32> = (0..n * t).map(|i| ((i * 3 + i / t) % v) as u32).collect();
    assert!(ids.chunks(t).all(|r| (0..v as u32).all(|id| r.contains(&id))));
    let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
    let train = Dataset { ids: &ids, labels: &labels, t };
    let dense = FitOptions { epochs: 3, batch_size: 4, ..FitOptions::default() };
    let lazy = FitOptions { sparse_embedding_updates: true, ..dense.clone() };
    assert_eq!(bits(&weights_after(&train, v, &lazy)), bits(&weights_after(&train, v, &dense)));
    // and on batches that leave rows out, the two differ: the flag does something
    let (ids, labels) = data(n, 3, 40);
    let sparse_train = Dataset { ids: &ids, labels: &labels, t: 3 };
    assert_ne!(weights_after(&sparse_train, 40, &lazy), weights_after(&sparse_train, 40, &dense));
}

/// Keeps the checkpoint after `at` epochs.
struct KeepCheckpoint {
    at: usize,
    kept: Option<TrainState>,
}

impl Progress for KeepCheckpoint {
    fn checkpoint_every(&self) -> usize {
        1
    }
    fn on_checkpoint(&mut self, state: &TrainState) -> ControlFlow<()> {
        if state.history.len() == self.at {
            self.kept = Some(state.clone());
        }
        ControlFlow::Continue(())
    }
}

#[test]
fn a_lazy_run_resumed_from_its_checkpoint_ends_with_the_same_bytes() {
    let (ids, labels) = data(40, 4, 60);
    let train = Dataset { ids: &ids, labels: &labels, t: 4 };
    let opts = FitOptions { epochs: 4, batch_size: 8, sparse_embedding_updates: true, ..FitOptions::default() };
    let schedule = Schedule::end_to_end(1, opts.epochs);
    let input = FitInput { train: &train, val: None, schedule: &schedule, opts: &opts };
    let mut whole = model(60);
    let mut keep = KeepCheckpoint { at: 2, kept: None };
    fit_schedule(&mut whole, input, &mut keep);
    let state = keep.kept.expect("a checkpoint after epoch 2");
    assert!(matches!(state.optimizer, Some(OptimizerSnapshot::Adam { .. })), "mid-stage: Adam's moments kept");
    let mut resumed = model(60);
    fit_schedule_from(&mut resumed, input, &mut Silent, Some(state)).unwrap();
    assert_eq!(bits(&resumed.params.data), bits(&whole.params.data));
}
