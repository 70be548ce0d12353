//! `strata experiment`: every schedule on the same model, data, splits, seeds and epoch budget,
//! after the linear baseline (`--baseline linear`, the default; the linear flags `--buckets`,
//! `--dim`, … configure it) on the same splits and seeds;
//! writes results.json (with the configuration that reproduces it), report.md and a
//! self-contained report/index.html. With `--multi-label` (several labels a text) every model
//! trains multi-label on `cv --multi-label`'s folds and is compared on the multi-label figures,
//! micro F1 first (`strata_workflow::experiment_multi`).

use std::path::Path;
use std::time::SystemTime;

use anyhow::{bail, Result};
use strata_data::{read_examples, stratified_split, Example, LabelMap};
use strata_model::atomic::claim_dir;
use strata_model::folder::write_atomic;
use strata_model::limits::MAX_REPEATS;
use strata_model::linear::LinearConfig;
use strata_model::owned::Owned;
use strata_report::results::{ClassCount, ExperimentResults, RunConfig};
use strata_train::Progress;
use strata_workflow::experiment::{
    run, with_baseline, with_scratch_twins, Experiment, ExperimentProgress, RunId, SeededSplits,
};
use strata_workflow::pipeline::{label_indices, Probes, TrainSettings};
use strata_workflow::splits::{kfold_splits, Split};

use crate::args::ExperimentCmd;
use crate::args_linear::LinearArgs;
use crate::args_train::TrainArgs;
use crate::choices::{Baseline, Model};
use crate::progress::{float, EpochPrinter};

/// The labelled examples an experiment splits, and how it splits them under a seed: one label
/// a text (`Data`), or a set of them (`experiment_multi`'s `Data<MultiExample, Vec<usize>>`).
pub(crate) struct Data<E = Example, Y = usize> {
    pub(crate) examples: Vec<E>,
    pub(crate) labels: LabelMap,
    pub(crate) y: Vec<Y>,
    /// How many of the first examples are the training file's (the rest are dev and test).
    pub(crate) n_train: usize,
    pub(crate) protocol: String,
    pub(crate) name: String,
    pub(crate) layout: Layout,
}

impl<E, Y> Data<E, Y> {
    /// One file (`--data`), dealt into `--folds` folds.
    pub(crate) fn folds(a: &ExperimentCmd, data: &Path, examples: Vec<E>, labels: LabelMap, y: Vec<Y>) -> Self {
        Data {
            n_train: y.len(),
            examples,
            labels,
            y,
            protocol: format!("{}-fold cross-validation", a.folds),
            name: data.display().to_string(),
            layout: Layout::Folds(a.folds),
        }
    }
}

pub(crate) enum Layout {
    Folds(usize),
    /// `--train`, `--dev` and `--test`: dev follows train, test follows dev.
    TrainDevTest {
        n_dev: usize,
    },
    /// `--train` and `--test`: validation is held out of train under each seed.
    TrainTest,
}

/// `--train/--dev/--test`'s one split: dev follows train, test follows dev.
pub(crate) fn fixed_split(n_train: usize, n_dev: usize, n: usize) -> Vec<(String, Split)> {
    let split = Split {
        train: (0..n_train).collect(),
        val: (n_train..n_train + n_dev).collect(),
        test: (n_train + n_dev..n).collect(),
    };
    vec![("test".into(), split)]
}

/// The splits of each of `--repeats` seeds (`--seed`, `--seed` + 1, …).
pub(crate) fn seeded_runs(a: &ExperimentCmd, splits: impl Fn(u64) -> Vec<(String, Split)>) -> Vec<SeededSplits> {
    (0..a.repeats as u64)
        .map(|r| a.train.seed.wrapping_add(r))
        .map(|seed| SeededSplits { seed, splits: splits(seed) })
        .collect()
}

impl Data {
    /// The named splits under `seed`.
    fn splits(&self, seed: u64, validation_split: f64) -> Vec<(String, Split)> {
        let (n_train, n) = (self.n_train, self.y.len());
        match self.layout {
            Layout::Folds(k) => kfold_splits(&self.y, k, validation_split, seed)
                .into_iter()
                .enumerate()
                .map(|(i, s)| (format!("fold {}", i + 1), s))
                .collect(),
            Layout::TrainDevTest { n_dev } => fixed_split(n_train, n_dev, n),
            Layout::TrainTest => {
                let (train, val) = stratified_split(&(0..n_train).collect::<Vec<_>>(), &self.y, validation_split, seed);
                vec![("test".into(), Split { train, val, test: (n_train..n).collect() })]
            }
        }
    }
}

/// `--train`, `--dev` (when given) and `--test` read one after another, with where each split
/// starts: shared by the single- and the multi-label experiment, which differ only in how a file
/// is read (`first` reads train and makes the label map; `more` reads the others against it).
pub(crate) fn read_split_files<E, Y>(
    a: &ExperimentCmd,
    train: &Path,
    dev: Option<&Path>,
    test: &Path,
    first: impl FnOnce(&Path) -> Result<(Vec<E>, LabelMap, Vec<Y>)>,
    more: impl Fn(&Path, &LabelMap) -> Result<(Vec<E>, Vec<Y>)>,
) -> Result<Data<E, Y>> {
    if dev.is_none() && a.validation_split <= 0.0 {
        // no dev split (IMDB): hold out --validation-split of train, stratified and seeded
        bail!("without --dev, --validation-split must hold out some training data (hint: 0.1)");
    }
    let (mut examples, labels, mut y) = first(train)?;
    let n_train = examples.len();
    let mut n_dev = 0;
    for (path, is_dev) in dev.map(|d| (d, true)).into_iter().chain([(test, false)]) {
        let (more_examples, more_y) = more(path, &labels)?;
        if is_dev {
            n_dev = more_examples.len();
        }
        examples.extend(more_examples);
        y.extend(more_y);
    }
    let (protocol, layout) = match dev {
        Some(_) => ("train/dev/test".to_string(), Layout::TrainDevTest { n_dev }),
        None => (format!("train ({} held out for validation)/test", a.validation_split), Layout::TrainTest),
    };
    Ok(Data { examples, labels, y, n_train, protocol, name: train.display().to_string(), layout })
}

fn read_data(a: &ExperimentCmd) -> Result<Data> {
    let read = a.read.options();
    match (&a.data, &a.train_file, &a.dev, &a.test) {
        (Some(data), None, None, None) => {
            if a.folds < 2 {
                bail!("--folds must be at least 2 (hint: Kim 2014 uses 10)");
            }
            let (examples, labels, y) = super::labelled(data, &read)?;
            super::cv::check_classes_fill_folds(data, &labels, &y, a.folds)?;
            Ok(Data::folds(a, data, examples, labels, y))
        }
        (None, Some(tr), dev, Some(test)) => {
            let labelled = |tr: &Path| {
                let (examples, labels, y) = super::labelled(tr, &read)?;
                if dev.is_some() {
                    super::warn_if_sorted_by_label(tr, &y);
                }
                Ok((examples, labels, y))
            };
            let more = |path: &Path, labels: &LabelMap| {
                let examples = read_examples(path, &read)?;
                let y = label_indices(&examples, labels, &path.display().to_string())?;
                Ok((examples, y))
            };
            read_split_files(a, tr, dev.as_deref(), test, labelled, more)
        }
        _ => bail!(
            "give either --data FILE with --folds K, or --train and --test, with --dev if the data has one (hint: SST-2 has a standard split)"
        ),
    }
}

/// Epoch lines that say which schedule and split they belong to, and a line per finished run.
pub(crate) struct RunPrinter {
    pub(crate) epochs: EpochPrinter,
    /// What a run's test score is ("accuracy", "micro F1").
    pub(crate) score: &'static str,
}

impl ExperimentProgress for RunPrinter {
    fn epochs(&mut self) -> &mut dyn Progress {
        &mut self.epochs
    }

    fn run_started(&mut self, run: &RunId) {
        self.epochs.prefix = format!("{} · {} ({}/{}) · ", run.schedule, run.split, run.index, run.total);
    }

    fn run_finished(&mut self, run: &RunId, test_accuracy: f64) {
        crate::progress::note(format_args!(
            "{}: {} ({}/{}) test {} {}",
            run.schedule,
            run.split,
            run.index,
            run.total,
            self.score,
            float(test_accuracy)
        ));
    }
}

/// The command line as typed, quoted for a POSIX shell where an argument needs it.
pub(crate) fn command_line() -> String {
    let quote = |a: String| {
        let plain = !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=,:@%+".contains(c));
        if plain {
            a
        } else {
            format!("'{}'", a.replace('\'', r"'\''"))
        }
    };
    std::iter::once("strata".to_string()).chain(std::env::args().skip(1).map(quote)).collect::<Vec<_>>().join(" ")
}

pub(crate) fn run_config(
    a: &ExperimentCmd,
    s: &TrainSettings,
    examples_per_class: Vec<ClassCount>,
    date: SystemTime,
) -> RunConfig {
    RunConfig {
        command: command_line(),
        strata_version: env!("CARGO_PKG_VERSION").to_string(),
        date: humantime::format_rfc3339_seconds(date).to_string(),
        epochs: s.fit.epochs,
        batch_size: s.fit.batch_size,
        optimizer: a.train.optimizer.name().to_string(),
        lr: s.fit.optimizer.lr(),
        maxlen: s.text.pad.maxlen,
        num_words: s.text.tokenizer.num_words.unwrap_or_default(),
        validation_split: a.validation_split,
        repeats: a.repeats,
        examples_per_class,
        mask_padding: s.model.mask_padding,
        bucket_by_length: s.fit.bucket_by_length,
        adversarial: crate::settings::adversarial_record(s),
    }
}

/// Writes report.md and report/index.html, made from `results`, into `out`.
pub fn write_pages(out: &std::path::Path, results: &ExperimentResults) -> Result<()> {
    write_atomic(&out.join("report.md"), strata_report::markdown(results).as_bytes())?;
    write_atomic(&out.join("report/index.html"), strata_report::html(results).as_bytes())?;
    Ok(())
}

/// The linear baseline's model: the linear flags given, checked as `strata train --model
/// linear` checks them (on a command line that has only them), fastText's defaults for the
/// rest. The network flags are the schedules'; the baseline keeps its own epochs and rate.
fn baseline_config(linear: &LinearArgs, validation_split: f64) -> Result<LinearConfig> {
    use clap::{Args, FromArgMatches};
    let command = TrainArgs::augment_args(clap::Command::new("baseline"));
    let mut only_linear = TrainArgs::from_arg_matches(&command.try_get_matches_from(["baseline"])?)?;
    only_linear.model = Model::Linear;
    only_linear.linear = linear.clone();
    let settings = only_linear.linear_settings(validation_split, None)?;
    Ok(settings.linear.map(|l| l.config).unwrap_or_default())
}

pub fn run_cmd(a: ExperimentCmd) -> Result<()> {
    let started = SystemTime::now();
    if a.train.model == Model::Nbsvm {
        bail!("experiment compares a network's schedules, and --model nbsvm has none (hint: compare it on the same folds with `strata cv --model nbsvm`; --model seed, kim-cnn, … run schedules)");
    }
    if a.train.model == Model::Linear {
        bail!("experiment compares a network's schedules; the linear model is every experiment's baseline (hint: --model seed, kim-cnn, …; --buckets, --dim and the other linear flags configure the baseline)");
    }
    if a.repeats == 0 {
        bail!("--repeats must be at least 1 (hint: 3 runs every schedule under seeds seed, seed+1, seed+2)");
    }
    if a.repeats > MAX_REPEATS {
        bail!(
            "--repeats {} is more than strata's limit of {MAX_REPEATS} (hint: 3 to 10 seeds show the spread)",
            a.repeats
        );
    }
    if !(0.0..1.0).contains(&a.validation_split) {
        bail!("--validation-split must be in [0, 1) (hint: 0.1 holds out a tenth)");
    }
    // the linear flags configure the baseline; the schedules' settings are made without them
    let mut train = a.train.clone();
    let linear = std::mem::take(&mut train.linear);
    let baseline = match (a.baseline, linear.first_given()) {
        (Baseline::None, Some(flag)) => {
            bail!("{flag} configures the linear baseline; --baseline none has none (hint: leave out {flag}, or --baseline linear)")
        }
        (Baseline::None, None) => None,
        (Baseline::Linear, _) => Some(baseline_config(&linear, a.validation_split)?),
    };
    // every flag is checked and the data read before --out is claimed: a refused run leaves
    // no folder behind
    let mut schedules = Vec::new();
    for name in &a.schedules {
        let mut s = train.settings_for(0.0, Some(name.name()))?;
        // an experiment probes after the last stage only, and not at all with --no-probes
        if s.probes != Probes::Off {
            s.probes = Probes::Final;
        }
        schedules.push((name.name().to_string(), s));
    }
    // with --init-from, each schedule from scratch and from the folder's levels, on the same splits
    let schedules = with_scratch_twins(schedules);
    // the configuration recorded is the schedules' (the baseline runs its own epochs and rate)
    let config_settings = schedules.first().map(|(_, s)| s.clone());
    config_settings.iter().flat_map(crate::settings::padding_notes).for_each(crate::progress::note);
    // the baseline first, on the same splits and seeds as every schedule
    let schedules = match baseline {
        Some(config) => with_baseline(schedules, config),
        None => schedules,
    };
    if a.dev.is_none() {
        super::cv::check_early_stopping_has_validation(a.train.early_stopping, a.validation_split)?;
    }
    if a.multi.multi_label {
        return super::experiment_multi::run(&a, &schedules, config_settings.as_ref(), started);
    }
    super::train_multi::refuse_without_multi_label(&a.multi)?;
    let data = read_data(&a)?;
    // labels as paths: each model also per-level (a twin schedule) and decoded top-down
    let train_part = &data.examples[..data.n_train];
    let hierarchies = crate::tree_report::experiment_tree(&a.tree, train_part, &data.name, &data.labels)?;
    if hierarchies.is_some() && strata_train::ranks::world().is_some() {
        bail!("experiment --label-path-sep scores every trained model in one process; under mpirun the runs train on different ranks (hint: run it without mpirun)");
    }
    let (schedules, refused) = match &hierarchies {
        Some((tree, ways)) => strata_workflow::hierarchies::with_per_level_twins(schedules, tree, ways),
        None => (schedules, Vec::new()),
    };
    if strata_train::ranks::is_root() {
        claim_dir(&a.out, Owned::Experiment, a.overwrite, &[])?; // rank 0 writes the results
    }
    let runs = seeded_runs(&a, |seed| data.splits(seed, a.validation_split));
    let experiment = Experiment {
        examples: &data.examples,
        labels: &data.labels,
        y: &data.y,
        runs: &runs,
        schedules: &schedules,
        data: data.name.clone(),
        protocol: data.protocol.clone(),
    };
    let mut printer = RunPrinter { epochs: EpochPrinter::new(), score: "accuracy" };
    let mut results = match &hierarchies {
        Some((tree, ways)) => strata_workflow::hierarchies::run(&experiment, tree, ways, refused, &mut printer)?,
        None => run(&experiment, &mut printer)?,
    };
    if !strata_train::ranks::is_root() {
        return Ok(()); // rank 0 gathered the same results, and writes them
    }
    if let Some(s) = &config_settings {
        let per_class = (0..data.labels.len())
            .map(|c| ClassCount {
                label: data.labels.label(c).to_string(),
                count: data.y[..data.n_train].iter().filter(|&&v| v == c).count(),
            })
            .collect();
        results.config = Some(run_config(&a, s, per_class, started));
    }
    write_results(&a, &results)
}

/// Writes results.json, report.md and the HTML page into `--out`, and prints the report (or
/// results.json with `--json`).
pub(crate) fn write_results(a: &ExperimentCmd, results: &ExperimentResults) -> Result<()> {
    let json = serde_json::to_string_pretty(results)?;
    write_atomic(&a.out.join("results.json"), json.as_bytes())?;
    write_pages(&a.out, results)?;
    if a.json {
        println!("{json}");
    } else {
        print!("{}", strata_report::markdown(results));
        println!("\nreport: {}", a.out.join("report/index.html").display());
    }
    Ok(())
}
