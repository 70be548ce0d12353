//! What stage-wise training promises: frozen weights stay bit-identical, a head-only stage
//! moves nothing else, deep supervision with weight 0 is end-to-end, and backward never runs
//! below the lowest trainable layer.

use strata_model::model::LayerSpec;
use strata_model::plan::Group;
use strata_model::{Model, ModelConfig};
use strata_train::fit::{
    stage_groups, BatchStepper, Dataset, FitInput, FitOptions, Monitor, OptimizerSnapshot, OptimizerState, Silent,
    TrainState,
};
use strata_train::schedule::Schedule;
use strata_train::{fit_schedule, fit_schedule_from, ResumeError};

/// Label 1 iff more ids are in the lower half of the vocabulary (learnable, not trivial).
fn data(n: usize, t: usize, v: u32) -> (Vec<u32>, Vec<usize>) {
    let mut rng = strata_nn::Rng::new(7);
    let ids: Vec<u32> = (0..n * t).map(|_| 1 + rng.below(v as usize - 1) as u32).collect();
    let labels = ids.chunks(t).map(|r| usize::from(r.iter().filter(|&&i| i < v / 2).count() * 2 > t)).collect();
    (ids, labels)
}

fn model(layers: usize) -> Model {
    Model::new(
        ModelConfig {
            architecture: "seed-stacked".into(),
            vocab_size: 50,
            embedding_dim: 8,
            layers: vec![LayerSpec::Lstm(strata_model::layers::LstmConfig { units: 6, bidirectional: false }); layers],
            num_classes: 2,
            embedding_init: 0.05,
            multichannel: false,
            mask_padding: false,
            multi_label: false,
        },
        3,
    )
}

fn opts(epochs: usize) -> FitOptions {
    FitOptions { epochs, batch_size: 8, ..FitOptions::default() }
}

fn group(m: &Model, g: Group) -> Vec<f32> {
    m.params.data[m.layout.range(g).unwrap()].to_vec()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn frozen_layers_are_bit_identical_after_training() {
    let (ids, labels) = data(64, 10, 50);
    let train = Dataset { ids: &ids, labels: &labels, t: 10 };
    let mut m = model(2);
    let mut s = Schedule::end_to_end(2, 2);
    s.freeze(&["embedding".into(), "lstm_0".into()], &m.config).unwrap();
    let (emb, l0, l1) = (group(&m, Group::Embedding), group(&m, Group::Level(0)), group(&m, Group::Level(1)));
    fit_schedule(&mut m, FitInput { train: &train, val: None, schedule: &s, opts: &opts(2) }, &mut Silent);
    assert_eq!(bits(&group(&m, Group::Embedding)), bits(&emb));
    assert_eq!(bits(&group(&m, Group::Level(0))), bits(&l0));
    assert_ne!(bits(&group(&m, Group::Level(1))), bits(&l1), "the unfrozen layer trains");
}

#[test]
fn a_head_only_stage_changes_nothing_else() {
    let (ids, labels) = data(64, 10, 50);
    let train = Dataset { ids: &ids, labels: &labels, t: 10 };
    let mut m = model(2);
    // gradual unfreezing's first stage trains the head alone
    let mut s = Schedule::gradual_unfreeze(&m.config, 4);
    s.stages.truncate(1);
    assert_eq!(s.stages[0].name, "head");
    let before = m.params.data.clone();
    let head = m.layout.range(Group::Head).unwrap();
    fit_schedule(&mut m, FitInput { train: &train, val: None, schedule: &s, opts: &opts(1) }, &mut Silent);
    for (i, (a, b)) in before.iter().zip(&m.params.data).enumerate() {
        if !head.contains(&i) {
            assert_eq!(a.to_bits(), b.to_bits(), "parameter {i} outside the head moved");
        }
    }
    assert_ne!(bits(&before[head.clone()]), bits(&m.params.data[head]));
}

#[test]
fn deep_supervision_with_weight_zero_is_end_to_end() {
    let (ids, labels) = data(64, 10, 50);
    let (vids, vlabels) = data(16, 10, 50);
    let train = Dataset { ids: &ids, labels: &labels, t: 10 };
    let val = Dataset { ids: &vids, labels: &vlabels, t: 10 };
    let curve = |s: &Schedule| {
        let mut m = model(2);
        let h =
            fit_schedule(&mut m, FitInput { train: &train, val: Some(&val), schedule: s, opts: &opts(3) }, &mut Silent)
                .history;
        h.iter().map(|r| (r.loss.to_bits(), r.accuracy.to_bits(), r.val_loss.unwrap().to_bits())).collect::<Vec<_>>()
    };
    let e2e = curve(&Schedule::end_to_end(2, 3));
    assert_eq!(curve(&Schedule::deep_supervision(2, 3, 0.0)), e2e);
    assert_ne!(curve(&Schedule::deep_supervision(2, 3, 0.5)), e2e, "a real auxiliary loss changes training");
}

#[test]
fn backward_stops_at_the_lowest_trainable_layer() {
    let (ids, labels) = data(32, 10, 50);
    let train = Dataset { ids: &ids, labels: &labels, t: 10 };
    let mut m = model(3);
    let mut s = Schedule::end_to_end(3, 1);
    s.freeze(&["embedding".into(), "lstm_0".into(), "lstm_1".into()], &m.config).unwrap();
    let stage = &s.stages[0];
    let groups = stage_groups(&m, stage);
    let mut opt = OptimizerState::new(FitOptions::default().optimizer, m.params.len());
    let mut trainer = BatchStepper::new(&m);
    let batch: Vec<usize> = (0..8).collect();
    trainer.step(&mut m, &train, &batch, &stage.plan, &mut opt, &groups).expect("a finite step");
    for ws in trainer.spaces.iter().filter(|ws| !ws.level_backward_calls.is_empty()) {
        assert_eq!(ws.level_backward_calls, vec![0, 0, 1], "only the top LSTM runs backward");
        assert!(ws.demb.is_empty(), "no gradient is formed for the frozen embedding");
    }
    // and with everything trainable, every layer runs backward
    let all = Schedule::end_to_end(3, 1);
    let groups = stage_groups(&m, &all.stages[0]);
    let mut trainer = BatchStepper::new(&m);
    trainer.step(&mut m, &train, &batch, &all.stages[0].plan, &mut opt, &groups).expect("a finite step");
    assert!(trainer.spaces.iter().any(|ws| ws.level_backward_calls == vec![1, 1, 1]));
}

#[test]
fn layerwise_trains_each_layer_in_its_stage_and_reports_every_stage() {
    let (ids, labels) = data(64, 10, 50);
    let train = Dataset { ids: &ids, labels: &labels, t: 10 };
    let mut m = model(2);
    let s = Schedule::layerwise(&m.config, 3, 1);
    let l1 = group(&m, Group::Level(1));
    let h =
        fit_schedule(&mut m, FitInput { train: &train, val: None, schedule: &s, opts: &opts(3) }, &mut Silent).history;
    assert_eq!(h.iter().map(|r| r.stage).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(h[0].stage_name, "embedding + lstm_0 + aux head");
    assert_ne!(bits(&group(&m, Group::Level(1))), bits(&l1));
    assert!(m.layout.aux.len() == 2, "auxiliary heads exist while training");
    m.drop_aux_heads();
    assert!(m.params.specs.iter().all(|s| !s.name.starts_with("aux_")));
}

#[test]
fn early_stopping_ends_with_the_best_epochs_weights() {
    // random labels: training memorises, validation loss rises
    let (ids, _) = data(96, 10, 50);
    let mut rng = strata_nn::Rng::new(11);
    let labels: Vec<usize> = (0..96).map(|_| rng.below(2)).collect();
    let (vids, _) = data(32, 10, 50);
    let vlabels: Vec<usize> = (0..32).map(|_| rng.below(2)).collect();
    let train = Dataset { ids: &ids, labels: &labels, t: 10 };
    let val = Dataset { ids: &vids, labels: &vlabels, t: 10 };
    let mut m = model(1);
    let o = FitOptions { early_stopping: Some(2), ..opts(30) };
    let fitted = fit_schedule(
        &mut m,
        FitInput { train: &train, val: Some(&val), schedule: &Schedule::end_to_end(1, 30), opts: &o },
        &mut Silent,
    );
    assert_eq!(fitted.early_stops.len(), 1, "{:?}", fitted.history.iter().map(|r| r.val_loss).collect::<Vec<_>>());
    let best = fitted.history.iter().map(|r| r.val_loss.unwrap()).fold(f64::INFINITY, f64::min);
    let now = strata_model::evaluate(&m, &val).loss;
    assert_eq!(now.to_bits(), best.to_bits(), "the model ends with its best epoch's weights");

    // monitor="val_accuracy": the first epoch with the highest accuracy is the one kept
    let mut m = model(1);
    let o = FitOptions { early_stopping: Some(2), monitor: Monitor::ValAccuracy, ..opts(30) };
    let fitted = fit_schedule(
        &mut m,
        FitInput { train: &train, val: Some(&val), schedule: &Schedule::end_to_end(1, 30), opts: &o },
        &mut Silent,
    );
    let accs: Vec<f64> = fitted.history.iter().map(|r| r.val_accuracy.unwrap()).collect();
    let best = accs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let first_best = accs.iter().position(|&a| a == best).unwrap() + 1;
    assert_eq!(fitted.early_stops, vec![(1, accs.len(), first_best)], "{accs:?}");
    assert_eq!(strata_model::evaluate(&m, &val).accuracy, best);
}

#[test]
fn adadelta_trains_and_max_norm_bounds_the_heads_columns() {
    let (ids, labels) = data(96, 10, 50);
    let train = Dataset { ids: &ids, labels: &labels, t: 10 };
    let mut m = model(1);
    let before = group(&m, Group::Head);
    let o = FitOptions { optimizer: strata_train::OptimizerKind::Adadelta { lr: 1.0 }, max_norm: Some(0.3), ..opts(3) };
    let fitted = fit_schedule(
        &mut m,
        FitInput { train: &train, val: None, schedule: &Schedule::end_to_end(1, 3), opts: &o },
        &mut Silent,
    );
    assert!(fitted.history[2].loss < fitted.history[0].loss, "Adadelta lowers the loss");
    let head = &m.params.data[m.layout.head_kernel.clone()];
    let norm = head.iter().map(|w| w * w).sum::<f32>().sqrt();
    assert!(norm <= 0.3 + 1e-5, "head column norm {norm}");
    assert_ne!(group(&m, Group::Head), before);
}

#[test]
fn a_checkpoint_of_another_run_is_refused_naming_what_differs() {
    let (ids, labels) = data(16, 10, 50);
    let train = Dataset { ids: &ids, labels: &labels, t: 10 };
    let schedule = Schedule::end_to_end(1, 2);
    let mut m = model(1);
    let n = m.params.len();
    let state = |params: usize, stage: usize, optimizer: Option<OptimizerSnapshot>| TrainState {
        stage,
        epochs_done: 1,
        shuffles: 0,
        step: 0,
        params: vec![0.0; params],
        optimizer,
        history: Vec::new(),
        early_stops: Vec::new(),
        best: None,
        waited: 0,
    };
    let mut resume = |state: TrainState| {
        let input = FitInput { train: &train, val: None, schedule: &schedule, opts: &opts(2) };
        fit_schedule_from(&mut m, input, &mut Silent, Some(state)).err()
    };
    assert_eq!(resume(state(n + 1, 0, None)), Some(ResumeError::Params { saved: n + 1, model: n }));
    assert_eq!(resume(state(n, 2, None)), Some(ResumeError::Stage { finished: 2, stages: 1 }));
    let adadelta = OptimizerSnapshot::Adadelta { acc_grad: vec![0.0; n], acc_update: vec![0.0; n] };
    assert_eq!(resume(state(n, 0, Some(adadelta))), Some(ResumeError::Optimizer { saved: "adadelta", run: "adam" }));
    let adam = OptimizerSnapshot::Adam { m: vec![0.0; n - 1], v: vec![0.0; n - 1], t: 1 };
    assert_eq!(
        resume(state(n, 0, Some(adam))),
        Some(ResumeError::OptimizerSize { optimizer: "adam", saved: n - 1, run: n })
    );
    assert!(resume(state(n, 1, None)).is_none(), "a checkpoint after the last stage finishes the run");
}
