//! Experiments: several schedules on the same model, data, splits, seeds and epoch budget, so
//! that their accuracies can be compared split by split and seed by seed.
//!
//! Each split (a cross-validation fold, or a fixed train/dev/test split) trains every schedule
//! from the same initial weights; the held-out part scores the final model; the validation part
//! (dev, or a stratified fraction of the training part) drives the learning curves and probes.
//! With several seeds (`--repeats`), the splits are made again under each seed and every
//! schedule trains on each: one comparison on one split can flip sign with the data's order, a
//! count of wins over every (split, seed) pair is harder to fool.
//!
//! With `--init-from`, every schedule runs twice on the same splits and seeds — from scratch
//! and from the folder's pretrained levels ([`with_scratch_twins`]) — so the report can pair
//! them; ulmfit, which needs the pretrained language model, runs only pretrained and is paired
//! with gradual-unfreeze from scratch (the same classifier stages without pretraining). A
//! pretrained run also probes its levels as loaded, before any fine-tuning.
//!
//! Every experiment can put a baseline first ([`with_baseline`]): fastText's linear model with
//! its defaults (or the linear flags given: `--buckets`, `--dim`, …), trained on the same splits and seeds, so that a schedule is said to help only
//! against what a user gets in seconds.

use std::time::Instant;

use strata_data::{Example, LabelMap};
pub use strata_report::results::{CurvePoint, ExperimentResults, LayerProbe, LmPoint, ScheduleResult, StageTime};

use crate::error::WorkflowError;
use crate::init_from::InitFrom;
use crate::linear::{LinearSettings, BASELINE_NAME, DEFAULT_EPOCHS, DEFAULT_LR};
use crate::pipeline::{train, Probes, TrainData, TrainSettings};
use crate::probe::probe_layers;
use crate::splits::{mean_std, score, Split};
use strata_model::encode::{encode_texts, Encoding};
use strata_model::linear::LinearConfig;
use strata_model::model::Model;
use strata_train::fit::{EpochRecord, Progress};
use strata_train::pretrain::language_model::LmEpoch;

/// The splits made under one seed, each with the name its report column takes ("fold 3",
/// "test").
pub struct SeededSplits {
    pub seed: u64,
    pub splits: Vec<(String, Split)>,
}

/// One training run of an experiment, as progress reports see it.
pub struct RunId<'a> {
    pub schedule: &'a str,
    /// The split's name, with its seed when there are several ("fold 2, seed 1").
    pub split: &'a str,
    /// 1-based position among the schedule's runs, and how many it has.
    pub index: usize,
    pub total: usize,
}

/// What an experiment tells the one who runs it: the epochs of the run in progress, and when
/// each run starts and ends.
pub trait ExperimentProgress {
    /// Where the epochs of the current run go.
    fn epochs(&mut self) -> &mut dyn Progress;
    fn run_started(&mut self, run: &RunId);
    fn run_finished(&mut self, run: &RunId, test_accuracy: f64);
    /// The run's trained model and the split's test part, for those who score more than
    /// accuracy on it (the label-tree comparison, [`crate::hierarchies`]); nothing by default.
    fn trained(&mut self, _run: &RunId, _model: &strata_model::Classifier, _test: &[usize]) {}
}

/// What an experiment compares, on what, and how its report names the data.
pub struct Experiment<'a> {
    pub examples: &'a [Example],
    pub labels: &'a LabelMap,
    /// Each example's class index in `labels`.
    pub y: &'a [usize],
    /// The splits under each seed; every schedule trains on every one of them with its seed.
    pub runs: &'a [SeededSplits],
    /// The schedules compared: a name and the settings to train with.
    pub schedules: &'a [(String, TrainSettings)],
    /// For the report: the data's name, and the protocol ("10-fold cross-validation", …).
    pub data: String,
    pub protocol: String,
}

/// Runs every schedule of `e` on every split under every seed.
pub fn run(e: &Experiment, progress: &mut dyn ExperimentProgress) -> Result<ExperimentResults, WorkflowError> {
    let first = &e.schedules.first().ok_or(WorkflowError::NoSchedules)?.1;
    // the model the report names is the schedules', not the baseline's
    let first = e.schedules.iter().find(|(n, s)| !is_baseline(n, s)).map_or(first, |(_, s)| s);
    // a folder whose tensors do not fit the model is refused before any schedule trains
    for (_, s) in e.schedules {
        if let Some(init) = &s.init_from {
            crate::init_from::check(&s.model, init)?;
        }
    }
    let runs = RunList::of(e.runs);
    let outcomes = crate::dealt::deal_runs(e.schedules.len(), runs.len(), |k, i| {
        let (name, s) = &e.schedules[k];
        train_run(e, &runs, name, s, i, progress)
    })?;
    let results = e.schedules.iter().zip(outcomes).map(|((name, s), o)| schedule_result(e, name, s, o)).collect();
    Ok(ExperimentResults {
        data: e.data.clone(),
        protocol: e.protocol.clone(),
        model: first.model.architecture.clone(),
        layers: first.model.layers.iter().filter(|l| l.layer().has_params()).count(),
        seed: first.fit.seed,
        threads: rayon::current_num_threads(),
        schedules: results,
        seeds: e.runs.iter().map(|r| r.seed).collect(),
        split_names: runs.names().to_vec(),
        config: None,
        init_from: e.schedules.iter().find_map(|(_, s)| s.init_from.as_ref()).map(|i| i.dir.display().to_string()),
        multichannel: e.schedules.iter().any(|(_, s)| s.model.multichannel),
        sparse_embedding_updates: e.schedules.iter().any(|(n, s)| !is_baseline(n, s) && s.fit.sparse_embedding_updates),
        class_weight: first.fit.class_weight.as_ref().map(|c| c.describe()),
        hierarchy: None,
        multi_label: None,
    })
}

/// The baseline's settings, made from the experiment's first schedule `first`: fastText's
/// linear model `config` (`LinearConfig::default()` unless the linear flags say otherwise) at
/// its default epochs and rate ([`DEFAULT_EPOCHS`], [`DEFAULT_LR`]) under the same seed,
/// validation split and tokenizer settings — but the whole vocabulary (`num_words: None`, as
/// fastText keeps every word), and nothing pretrained.
pub fn baseline_settings(first: &TrainSettings, config: LinearConfig) -> TrainSettings {
    let mut s = first.clone();
    s.linear = Some(LinearSettings { config, lr: DEFAULT_LR });
    s.fit.epochs = DEFAULT_EPOCHS;
    s.text.tokenizer.num_words = None;
    s.init_from = None;
    s.embeddings = None;
    s.probes = Probes::Off;
    s
}

/// `schedules` with the linear baseline ([`baseline_settings`] of the first one, with
/// `config`) in front, named [`BASELINE_NAME`]; as they are when there is none.
pub fn with_baseline(schedules: Vec<(String, TrainSettings)>, config: LinearConfig) -> Vec<(String, TrainSettings)> {
    let Some((_, first)) = schedules.first() else { return schedules };
    let baseline = (BASELINE_NAME.to_string(), baseline_settings(first, config));
    std::iter::once(baseline).chain(schedules).collect()
}

/// Whether the schedule named `name` is the experiment's linear baseline.
pub(crate) fn is_baseline(name: &str, s: &TrainSettings) -> bool {
    name == BASELINE_NAME && s.linear.is_some()
}

/// The name of a schedule's pretrained run beside its run from scratch.
pub fn pretrained_name(name: &str) -> String {
    format!("{name} (pretrained)")
}

/// The schedules an experiment with `--init-from` compares: each one from scratch (the same
/// settings without `--init-from`: the folder's tokenizer settings, but a vocabulary fitted on
/// each split's training part, as any run from scratch) and then from the folder's levels, named
/// [`pretrained_name`]; a schedule that needs the pretrained language model (ulmfit) only
/// pretrained. Schedules without `--init-from` are left as they are. A `--multichannel`
/// schedule's twin from scratch has one channel.
pub fn with_scratch_twins(schedules: Vec<(String, TrainSettings)>) -> Vec<(String, TrainSettings)> {
    let mut out = Vec::new();
    for (name, s) in schedules {
        if s.init_from.is_none() || s.schedule.language_model.is_some() {
            out.push((name, s));
            continue;
        }
        // from scratch there are no vectors for a static channel to hold (a fixed random one is
        // not Kim's multichannel model), so the twin has the trained channel alone
        let mut scratch = TrainSettings { init_from: None, ..s.clone() };
        scratch.model.multichannel = false;
        out.push((name.clone(), scratch));
        out.push((pretrained_name(&name), s));
    }
    out
}

/// The from-scratch schedule of `e` a pretrained one (`s`, named `name`) is paired with: its
/// twin, or for ulmfit gradual-unfreeze from scratch; `None` from scratch or without a twin.
fn scratch_twin(e: &Experiment, name: &str, s: &TrainSettings) -> Option<String> {
    s.init_from.as_ref()?;
    let twin = match s.schedule.language_model {
        Some(_) => "gradual-unfreeze",
        None => name.strip_suffix(" (pretrained)").unwrap_or(name),
    };
    e.schedules.iter().find(|(n, t)| n == twin && t.init_from.is_none()).map(|(n, _)| n.clone())
}

/// Every level's probe validation accuracy with the pretrained levels as loaded, before any
/// fine-tuning: the model the run starts from, probed on the split's training part and scored
/// on its validation part. Empty without validation data.
fn probe_as_loaded(data: &TrainData, s: &TrainSettings, init: &InitFrom) -> Result<Vec<(String, f64)>, WorkflowError> {
    if data.val_idx.is_empty() {
        return Ok(Vec::new());
    }
    let tokenizer = &init.tokenizer;
    let mut model = Model::new(s.model.config(tokenizer.vocab_size(), data.labels.len()), s.fit.seed);
    crate::init_from::copy_tensors(&mut model, &init.tensors, &init.dir)?;
    let encoding = Encoding { pad: s.text.pad, sentences: model.config.sentences() };
    let part = |idx: &[usize]| {
        let texts: Vec<&str> = idx.iter().map(|&i| data.examples[i].text.as_str()).collect();
        (encode_texts(tokenizer, &texts, &encoding), idx.iter().map(|&i| data.y[i]).collect::<Vec<_>>())
    };
    let ((train_ids, train_y), (val_ids, val_y)) = (part(data.train_idx), part(data.val_idx));
    let probes = probe_layers(&model, (&train_ids, &train_y), (&val_ids, &val_y), encoding.ids_per_text());
    Ok(probes.into_iter().map(|p| (p.layer, p.val_accuracy)).collect())
}

/// A split's language-model epochs as the report's points.
fn lm_curve(history: &[LmEpoch]) -> Vec<LmPoint> {
    history
        .iter()
        .map(|r| LmPoint {
            epoch: r.epoch,
            loss: r.loss,
            val_perplexity: Some(r.val_perplexity).filter(|p| !p.is_nan()),
            seconds: r.seconds,
        })
        .collect()
}

/// Every split of every seed, in the order [`split_names`] names them, with its seed.
fn seeded_splits(runs: &[SeededSplits]) -> Vec<(u64, &Split)> {
    runs.iter().flat_map(|r| r.splits.iter().map(move |(_, split)| (r.seed, split))).collect()
}

/// Every run a schedule makes — each split under its seed — and its name: what each run of
/// every schedule starts from.
pub(crate) struct RunList<'a> {
    splits: Vec<(u64, &'a Split)>,
    names: Vec<String>,
}

impl<'a> RunList<'a> {
    pub(crate) fn of(runs: &'a [SeededSplits]) -> Self {
        RunList { splits: seeded_splits(runs), names: split_names(runs) }
    }

    pub(crate) fn len(&self) -> usize {
        self.splits.len()
    }

    /// Each run's name, in run order ([`split_names`]).
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// Run `i` of the schedule `name` begun: announced to `progress`; its id, the schedule's
    /// settings `s` under the run's seed, and the split it trains on.
    pub(crate) fn start<'n>(
        &'n self,
        name: &'n str,
        s: &TrainSettings,
        i: usize,
        progress: &mut dyn ExperimentProgress,
    ) -> (RunId<'n>, TrainSettings, &'a Split) {
        let (seed, split) = self.splits[i];
        let id = RunId { schedule: name, split: &self.names[i], index: i + 1, total: self.len() };
        progress.run_started(&id);
        let mut s = s.clone();
        s.fit.seed = seed;
        (id, s, split)
    }
}

/// The name of every (seed, split) run, in the order runs are made.
fn split_names(runs: &[SeededSplits]) -> Vec<String> {
    runs.iter()
        .flat_map(|r| {
            r.splits.iter().map(
                move |(name, _)| {
                    if runs.len() > 1 {
                        format!("{name}, seed {}", r.seed)
                    } else {
                        name.clone()
                    }
                },
            )
        })
        .collect()
}

/// Why a schedule's epochs differ from the budget, if they do.
pub(crate) fn budget_note(s: &TrainSettings) -> Option<String> {
    let (budget, epochs, stages) = (s.fit.epochs, s.schedule.epochs(), s.schedule.stages.len());
    (epochs != budget).then(|| {
        if s.schedule.name == "decoupled" {
            let plural = if epochs == 1 { "" } else { "s" };
            format!("its levels train at once, each for the {epochs} epoch{plural} layerwise gives one level")
        } else if stages > budget {
            format!("its {stages} stages need at least one epoch each")
        } else {
            format!("its stages add up to {epochs} epochs")
        }
    })
}

/// What one run (a split under a seed) of a schedule gives the schedule's results, as a rank
/// sends it to the others under MPI.
#[derive(serde::Serialize, serde::Deserialize)]
struct RunOutcome {
    accuracy: f64,
    seconds: f64,
    history: Vec<EpochRecord>,
    language_model: Vec<LmEpoch>,
    /// the last stage's probes, and (pretrained) the probes before training
    probes: Option<Vec<(String, f64)>>,
    before: Option<Vec<(String, f64)>>,
}

/// Run `i` (a split under its seed) of the schedule `name`: trained, and scored on the split's
/// test part.
fn train_run(
    e: &Experiment,
    runs: &RunList,
    name: &str,
    s: &TrainSettings,
    i: usize,
    progress: &mut dyn ExperimentProgress,
) -> Result<RunOutcome, WorkflowError> {
    let Experiment { examples, labels, y, .. } = *e;
    let (id, s, split) = runs.start(name, s, i, progress);
    let t0 = Instant::now();
    let data = TrainData { examples, labels, y, train_idx: &split.train, val_idx: &split.val };
    let before = match s.init_from.as_ref().filter(|_| s.probes != Probes::Off) {
        Some(init) => Some(probe_as_loaded(&data, &s, init)?),
        None => None,
    };
    let trained = train(data, &s, progress.epochs())?;
    if let Some(why) = trained.diverged {
        return Err(WorkflowError::Diverged { run: format!("{name}, {}", id.split), why });
    }
    let seconds = t0.elapsed().as_secs_f64();
    let accuracy = score(&trained.saved, examples, y, &split.test).accuracy;
    progress.run_finished(&id, accuracy);
    progress.trained(&id, &trained.saved, &split.test);
    let probes =
        trained.probes.last().map(|last| last.probes.iter().map(|p| (p.layer.clone(), p.val_accuracy)).collect());
    Ok(RunOutcome {
        accuracy,
        seconds,
        history: trained.history,
        language_model: trained.language_model,
        probes,
        before,
    })
}

/// One schedule's results from its runs' `outcomes`, in run order: its accuracy per run,
/// learning curves, time per stage and final probes.
fn schedule_result(e: &Experiment, name: &str, s: &TrainSettings, outcomes: Vec<RunOutcome>) -> ScheduleResult {
    let (mut acc, mut curves, mut seconds) = (Vec::new(), Vec::new(), 0.0);
    // each run's probes after training, and (pretrained) before it
    let mut probe_runs: Vec<Vec<(String, f64)>> = Vec::new();
    let mut before_runs: Vec<Vec<(String, f64)>> = Vec::new();
    let mut lm_curves = Vec::new();
    // per stage: (stage, name, seconds summed, epochs)
    let mut stage_secs: Vec<(usize, String, f64, usize)> = Vec::new();
    for o in outcomes {
        seconds += o.seconds;
        acc.push(o.accuracy);
        before_runs.extend(o.before);
        for r in &o.history {
            match stage_secs.iter_mut().find(|(st, ..)| *st == r.stage) {
                Some(e) => {
                    e.2 += r.seconds;
                    e.3 += 1;
                }
                None => stage_secs.push((r.stage, r.stage_name.clone(), r.seconds, 1)),
            }
        }
        curves.push(curve(&o.history));
        if !o.language_model.is_empty() {
            lm_curves.push(lm_curve(&o.language_model));
        }
        probe_runs.extend(o.probes);
    }
    let (m, sd) = mean_std(&acc);
    let lm_stage = s.schedule.language_model.map(|lm| format!("language model ({} epochs)", lm.epochs));
    let baseline = is_baseline(name, s);
    // a linear model has no stages: its one line is the model, and its epochs are its own
    let (stages, epochs) = match &s.linear {
        Some(l) => (vec![linear_stage(l)], s.fit.epochs),
        None => (
            lm_stage.into_iter().chain(s.schedule.stages.iter().map(|st| st.name.clone())).collect(),
            s.schedule.epochs(),
        ),
    };
    ScheduleResult {
        name: name.to_string(),
        stages,
        epochs,
        split_accuracy: acc,
        mean_accuracy: m,
        std_accuracy: sd,
        seconds,
        stage_times: stage_secs
            .into_iter()
            .map(|(stage, name, secs, n)| StageTime { stage, name, seconds_per_epoch: secs / n.max(1) as f64 })
            .collect(),
        probes: mean_probes(&probe_runs),
        curves,
        // the baseline is not held to the schedules' epoch budget: it runs its own defaults
        budget: (!baseline).then_some(s.fit.epochs),
        budget_note: if s.linear.is_some() { None } else { budget_note(s) },
        pretrained: s.init_from.is_some(),
        scratch: scratch_twin(e, name, s),
        probes_before: mean_probes(&before_runs),
        language_model: lm_curves,
        baseline,
    }
}

/// What the report's stages column says of a linear model: fastText's flags as strata's.
pub(crate) fn linear_stage(l: &LinearSettings) -> String {
    let c = &l.config;
    let mut s = format!("linear: dim {}, word n-grams ≤ {}, lr {}", c.dim, c.word_ngrams, l.lr);
    if c.minn > 0 {
        s.push_str(&format!(", char n-grams {}–{}", c.minn, c.maxn));
    }
    s
}

/// A run's learning curve, one point per epoch.
pub(crate) fn curve(history: &[EpochRecord]) -> Vec<CurvePoint> {
    history
        .iter()
        .map(|r| CurvePoint {
            stage: r.stage,
            stage_name: r.stage_name.clone(),
            epoch: r.epoch,
            loss: r.loss,
            val_accuracy: r.val_accuracy,
            seconds: r.seconds,
        })
        .collect()
}

/// Each layer's final probe accuracy, averaged over the splits' runs.
fn mean_probes(runs: &[Vec<(String, f64)>]) -> Vec<LayerProbe> {
    let Some(first) = runs.first() else { return Vec::new() };
    first
        .iter()
        .enumerate()
        .map(|(li, (layer, _))| {
            let per_split: Vec<f64> = runs.iter().map(|r| r[li].1).collect();
            LayerProbe { layer: layer.clone(), val_accuracy: mean_std(&per_split).0, per_split }
        })
        .collect()
}
