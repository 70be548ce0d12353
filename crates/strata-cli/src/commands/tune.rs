//! `strata tune`: hyperparameter search for any model on a validation split, within a
//! wall-clock budget (`strata_workflow::tune` has the method). This file turns the flags into
//! the search: the model's default space less the flags given on the command line, with
//! `--space` over it; a trial's settings are the command's `TrainArgs` with the trial's values
//! in place of those flags, checked by `TrainArgs::settings` like `strata train`'s. It prints a
//! line per trial on stderr and writes `--out`: `trials.csv` (after every trial), the best
//! trial's `model/`, and `best.json` (its values, its score, which parameter mattered, the
//! budget used).

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use strata_model::atomic::claim_dir;
use strata_model::folder::write_atomic;
use strata_model::owned::{Claimed, Owned};
use strata_model::zoo;
use strata_train::history::thousands;
use strata_workflow::pipeline::{holdout, label_indices, Probes, TrainData, TrainSettings};
use strata_workflow::tune::defaults::{self, Family, Known};
use strata_workflow::tune::importance::{effects, Effect};
use strata_workflow::tune::space::show;
use strata_workflow::tune::space_file::{self, Context};
use strata_workflow::tune::trials_csv::trials_csv;
use strata_workflow::tune::{search, Assignment, EpochRange, Limits, Space, Stop, Trial, TuneOptions};

use crate::args_train::TrainArgs;
use crate::args_tune::TuneCmd;
use crate::choices;

/// What tune writes into `--out` besides a run folder's files: replaced with the run.
const TUNE_FILES: [&str; 2] = ["trials.csv", "best.json"];

pub fn run(a: TuneCmd) -> Result<()> {
    let budget = strata_workflow::tune::budget(a.budget).ok_or_else(|| {
        anyhow!("--budget must be a positive number of seconds (hint: fastText's autotune uses 300; --budget 60 is a minute)")
    })?;
    if a.max_trials == Some(0) {
        bail!("--max-trials must be at least 1 (hint: leave it out to let --budget decide)");
    }
    if a.eta < 2 {
        bail!("--eta must be at least 2 (hint: Hyperband uses 3: keep a third, train 3x longer)");
    }
    let split = if a.validation_data.is_some() { 0.0 } else { a.validation_split };
    if a.validation_data.is_none() && !(split > 0.0 && split < 1.0) {
        bail!("--validation-split must be in (0, 1): tune scores every trial on it (hint: 0.1, or --validation-data FILE)");
    }
    let base = a.train.settings(split)?;
    let space = search_space(&a, &base)?;
    check_space(&a.train, &space, split, a.space.as_deref())?;

    let (mut examples, labels, mut y) = super::labelled(&a.data, &a.read.options())?;
    let (train_idx, val_idx) = match &a.validation_data {
        Some(path) => {
            let val = strata_data::read_examples(path, &a.read.options())?;
            let val_y = label_indices(&val, &labels, &path.display().to_string())?;
            let n = examples.len();
            examples.extend(val);
            y.extend(val_y);
            ((0..n).collect(), (n..examples.len()).collect())
        }
        None => holdout(&y, &base),
    };
    if val_idx.is_empty() || train_idx.is_empty() {
        bail!(
            "{}: {} examples leave nothing to {} (hint: tune needs a few hundred lines, or --validation-data FILE)",
            a.data.display(),
            examples.len(),
            if val_idx.is_empty() { "validate on" } else { "train on" }
        );
    }
    claim(&a.out, a.overwrite)?;
    let names: Vec<&str> = space.params.iter().map(|p| p.name.as_str()).collect();
    crate::progress::note(format_args!(
        "Tuning --model {} on {} samples, scoring on {}: budget {} s, Hyperband η={} over {}–{} epochs, searching {}",
        model_name(&a.train),
        thousands(train_idx.len() as u64),
        thousands(val_idx.len() as u64),
        show(a.budget),
        a.eta,
        space.epochs.min,
        space.epochs.max,
        names.join(", ")
    ));

    let options = TuneOptions {
        space: space.clone(),
        eta: a.eta,
        seed: a.train.seed,
        limits: Limits { budget, max_trials: a.max_trials },
        first: defaults_trial(&a.train, &base, &space),
    };
    let settings_for = |assignment: &Assignment| -> Result<TrainSettings> {
        let mut s = with_values(&a.train, assignment)?.settings(split)?;
        s.probes = Probes::Off;
        Ok(s)
    };
    let data = TrainData { examples: &examples, labels: &labels, y: &y, train_idx: &train_idx, val_idx: &val_idx };
    let mut seen: Vec<Trial> = Vec::new();
    let mut write_failed = None;
    let result = search(data, &options, &settings_for, &mut |t: &Trial| {
        crate::progress::note(trial_line(t));
        seen.push(t.clone());
        if write_failed.is_none() {
            write_failed = write_atomic(&a.out.join("trials.csv"), trials_csv(&space, &seen).as_bytes()).err();
        }
    })?;
    if let Some(e) = write_failed {
        return Err(e.into());
    }
    let (Some(best), Some(best_trial)) = (&result.best, result.best_trial()) else {
        bail!("no trial fit in --budget {} s (hint: give a larger --budget)", show(a.budget));
    };
    best.model.save(&a.out.join("model"))?;
    let mattered = effects(&space, &result.trials);
    let summary = summary(&a, &result, best_trial, &mattered, budget);
    write_atomic(&a.out.join("best.json"), serde_json::to_string_pretty(&summary)?.as_bytes())?;
    if a.json {
        println!("{summary}");
        return Ok(());
    }
    let values = best_trial.assignment.describe();
    println!(
        "Best: trial {} ({} epochs{}{values}): val_accuracy {:.4}  val_loss {:.4}",
        best_trial.number,
        best_trial.assignment.epochs,
        if values.is_empty() { "" } else { ", " },
        best_trial.score.accuracy,
        best_trial.score.loss
    );
    if let Some(line) = mattered_line(&mattered) {
        println!("{line}");
    }
    println!(
        "{} trials in {:.1} s ({}); best model saved to {}",
        result.trials.len(),
        result.seconds,
        match result.stop {
            Stop::MaxTrials => "--max-trials reached",
            Stop::Budget => "the budget ran out",
        },
        a.out.join("model").display()
    );
    println!("Repeat it: strata train --model {} {}", model_name(&a.train), repeat_flags(best_trial));
    Ok(())
}

/// `--model NAME` as the user gave it (a model file reads as its path).
fn model_name(t: &TrainArgs) -> String {
    match &t.model_file {
        Some(path) => path.display().to_string(),
        None => t.model.name().to_string(),
    }
}

/// Which family the command tunes.
fn family(t: &TrainArgs) -> Family<'static> {
    match (t.model_file.is_some(), t.model) {
        (true, _) => Family::ModelFile,
        (false, choices::Model::Linear) => Family::Linear,
        (false, m) => Family::Named(m.name()),
    }
}

/// The parameters whose flag is on the command line (or that another flag fixes: the vectors
/// of `--embeddings` and the folder of `--init-from` set the embedding's length, and
/// `--init-from` the vocabulary): they are not searched.
fn fixed(t: &TrainArgs) -> Vec<&'static str> {
    let l = &t.linear;
    let embedding_fixed = t.embeddings.is_some() || t.init_from.is_some();
    let given = [
        ("lr", t.lr.is_some()),
        ("epochs", t.epochs.is_some()),
        ("batch-size", t.batch_size.is_some()),
        ("maxlen", t.maxlen.is_some()),
        ("embedding-dim", t.embedding_dim.is_some() || embedding_fixed),
        ("num-words", t.text.num_words.is_some() || t.init_from.is_some()),
        ("embedding-init", t.embedding_init.is_some()),
        ("max-norm", t.max_norm.is_some()),
        ("units", t.units.is_some()),
        ("layers", t.layers.is_some()),
        ("max-sentences", t.max_sentences.is_some()),
        ("dim", l.dim.is_some()),
        ("word-ngrams", l.word_ngrams.is_some()),
        ("min-count", l.min_count.is_some()),
        ("minn", l.minn.is_some()),
        ("maxn", l.maxn.is_some()),
        ("buckets", l.buckets.is_some()),
    ];
    given.into_iter().filter(|&(_, g)| g).map(|(n, _)| n).collect()
}

/// The model's default space without the fixed flags, `--space` over it.
fn search_space(a: &TuneCmd, base: &TrainSettings) -> Result<Space> {
    let t = &a.train;
    let family = family(t);
    let recipe = if t.model_file.is_some() { zoo::SEED_RECIPE } else { zoo::recipe(t.model.name()) };
    let mut space = defaults::default_space(family, &recipe, f64::from(base.fit.optimizer.lr()));
    let fixed = fixed(t);
    space.params.retain(|p| !fixed.contains(&p.name.as_str()));
    if let Some(e) = t.epochs {
        space.epochs = EpochRange { min: e, max: e };
    }
    let known: Vec<Known> = defaults::parameters(family);
    if let Some(path) = &a.space {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow!("{}: cannot read: {e} (hint: check the path)", path.display()))?;
        let model = model_name(t);
        let file = path.display().to_string();
        let cx = Context { file: &file, model: &model, known: &known, fixed: &fixed };
        space_file::apply(&mut space, &text, &cx)?;
    }
    if space.is_empty() {
        bail!(
            "nothing to search: every parameter of --model {} is fixed on the command line or in --space (hint: leave out a flag such as --lr, or list values in --space)",
            model_name(t)
        );
    }
    Ok(space)
}

/// The model as `strata train` trains it with the same flags, as the first trial: each
/// searched parameter at the value it has when its flag is left out. `None` when one of those
/// values lies outside the space (a `--space` file that excludes it) or has no number (no
/// `--max-norm` is the default).
fn defaults_trial(t: &TrainArgs, base: &TrainSettings, space: &Space) -> Option<Assignment> {
    let linear = base.linear.as_ref();
    let named = t.model_file.is_none().then(|| t.model.name());
    let value = |name: &str| -> Option<f64> {
        let n = |v: usize| Some(v as f64);
        match name {
            "lr" => Some(short(linear.map_or(base.fit.optimizer.lr(), |l| l.lr))),
            "batch-size" => n(base.fit.batch_size),
            "maxlen" => n(base.text.pad.maxlen),
            "embedding-dim" => n(base.model.embedding_dim),
            "num-words" => base.text.tokenizer.num_words.map(|v| v as f64),
            "embedding-init" => Some(short(base.model.embedding_init)),
            "units" => named.map(|name| defaults::recipe_units(name) as f64),
            "layers" => named.map(|name| if name == "seed-stacked" { 2.0 } else { 1.0 }),
            "max-sentences" => n(15),
            "dim" => linear.map(|l| l.config.dim as f64),
            "word-ngrams" => linear.map(|l| l.config.word_ngrams as f64),
            "min-count" => linear.map(|l| l.config.min_count as f64),
            "minn" => linear.map(|l| l.config.minn as f64),
            "maxn" => linear.map(|l| l.config.maxn as f64),
            "buckets" => linear.map(|l| l.config.buckets as f64),
            _ => None,
        }
    };
    let epochs = base.fit.epochs;
    if !(space.epochs.min..=space.epochs.max).contains(&epochs) {
        return None;
    }
    let values: Option<Vec<(String, f64)>> = space
        .params
        .iter()
        .map(|p| value(&p.name).filter(|v| p.domain.contains(*v)).map(|v| (p.name.clone(), v)))
        .collect();
    Some(Assignment { values: values?, epochs })
}

/// An f32 as the f64 of its shortest decimal (`0.001`, not `0.0010000000474974513`).
fn short(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::from(v))
}

/// `t` with the trial's values in place of their flags.
fn with_values(t: &TrainArgs, a: &Assignment) -> Result<TrainArgs> {
    let mut t = t.clone();
    t.epochs = Some(a.epochs);
    for (name, v) in &a.values {
        set(&mut t, name, *v)?;
    }
    Ok(t)
}

/// Sets the flag `name` to `v` (a whole number for the integer flags: the space draws them so).
fn set(t: &mut TrainArgs, name: &str, v: f64) -> Result<()> {
    let n = v.round().max(0.0) as usize;
    let l = &mut t.linear;
    match name {
        "lr" => t.lr = Some(v as f32),
        "epochs" => t.epochs = Some(n),
        "batch-size" => t.batch_size = Some(n),
        "maxlen" => t.maxlen = Some(n),
        "embedding-dim" => t.embedding_dim = Some(n),
        "num-words" => t.text.num_words = Some(n),
        "embedding-init" => t.embedding_init = Some(v as f32),
        "max-norm" => t.max_norm = Some(v as f32),
        "units" => t.units = Some(n),
        "layers" => t.layers = Some(n),
        "max-sentences" => t.max_sentences = Some(n),
        "dim" => l.dim = Some(n),
        "word-ngrams" => l.word_ngrams = Some(n),
        "min-count" => l.min_count = Some(n as u64),
        "minn" => l.minn = Some(n),
        "maxn" => l.maxn = Some(n),
        "buckets" => l.buckets = Some(n),
        other => bail!("'{other}' is not a training flag tune can set (hint: see strata tune --help)"),
    }
    Ok(())
}

/// Before any data is read: every end of every parameter's range, and both ends of the
/// epochs, make settings `strata train` accepts (e.g. `[word-ngrams] values = [0]` is refused
/// here, not after minutes of trials). Parameters that are zero together (`minn`/`maxn`) are
/// checked in every pair of their ends the search can draw.
fn check_space(t: &TrainArgs, space: &Space, split: f64, file: Option<&Path>) -> Result<()> {
    let source = file.map_or_else(|| "the default search space".to_string(), |p| p.display().to_string());
    let partner = |name: &str| {
        space.zero_together.iter().find_map(|[a, b]| match name {
            n if n == a => space.param(b),
            n if n == b => space.param(a),
            _ => None,
        })
    };
    for epochs in [space.epochs.min, space.epochs.max] {
        for param in &space.params {
            let others = partner(&param.name)
                .map_or(vec![None], |q| q.domain.corners().into_iter().map(|v| Some((q, v))).collect());
            for v in param.domain.corners() {
                for other in &others {
                    let mut values = vec![(param.name.clone(), v)];
                    if let Some((q, w)) = other {
                        let both = if (v == 0.0) != (*w == 0.0) { 0.0 } else { *w };
                        values[0].1 = if both == 0.0 { 0.0 } else { v };
                        values.push((q.name.clone(), both));
                    }
                    let shown: Vec<String> = values.iter().map(|(n, v)| format!("{n} = {}", show(*v))).collect();
                    let a = Assignment { values, epochs };
                    with_values(t, &a)?
                        .settings(split)
                        .map_err(|e| anyhow!("{source}: {} with {epochs} epochs: {e}", shown.join(", ")))?;
                }
            }
        }
        let a = Assignment { values: Vec::new(), epochs };
        with_values(t, &a)?.settings(split).map_err(|e| anyhow!("{source}: epochs = {epochs}: {e}"))?;
    }
    Ok(())
}

/// Makes `out` this run's folder, as `strata train --out` does; a replaced run's outputs go.
fn claim(out: &Path, overwrite: bool) -> Result<()> {
    let inner = [("model", Owned::Model)];
    if claim_dir(out, Owned::Run, overwrite, &inner)? == Claimed::Replacing {
        super::train::clear_run(out, &inner)?;
        for name in TUNE_FILES {
            let path = out.join(name);
            if path.is_file() {
                std::fs::remove_file(&path)
                    .map_err(|e| anyhow!("{}: cannot remove: {e} (hint: check the folder)", path.display()))?;
            }
        }
    }
    Ok(())
}

/// `trial 12  bracket 1 rung 1  4 epochs  lr=0.31 dim=100  val_accuracy 0.7712  val_loss 0.4810  3.2 s`
fn trial_line(t: &Trial) -> String {
    let trained = match (t.score.cut, t.score.epochs_trained < t.assignment.epochs) {
        (true, _) => format!(" (cut by the budget after {})", t.score.epochs_trained),
        (false, true) => format!(" (stopped early after {})", t.score.epochs_trained),
        _ => String::new(),
    };
    format!(
        "trial {:>3}  bracket {} rung {}  {:>3} epochs{trained}  {}  val_accuracy {:.4}  val_loss {:.4}  {:.2} s",
        t.number,
        t.bracket,
        t.rung,
        t.assignment.epochs,
        t.assignment.describe(),
        t.score.accuracy,
        t.score.loss,
        t.seconds
    )
}

/// `Mattered most: lr (…), then word-ngrams (…)`: the top two effects.
fn mattered_line(effects: &[Effect]) -> Option<String> {
    let first = effects.first()?;
    let mut line =
        format!("Mattered most: {} (mean val_accuracy varies by {:.3} across its values)", first.name, first.spread);
    if let Some(second) = effects.get(1) {
        line += &format!(", then {} ({:.3})", second.name, second.spread);
    }
    Some(line)
}

/// The flags that repeat the best trial with `strata train`.
fn repeat_flags(t: &Trial) -> String {
    let mut flags = vec![format!("--epochs {}", t.assignment.epochs)];
    flags.extend(t.assignment.values.iter().map(|(n, v)| format!("--{n} {}", show(*v))));
    flags.join(" ")
}

/// `v` as JSON: a whole number without a fraction (`32`, not `32.0`).
fn number(v: f64) -> serde_json::Value {
    match v.fract() == 0.0 && v.abs() < 9e15 {
        true => serde_json::json!(v as i64),
        false => serde_json::json!(v),
    }
}

/// `best.json`: the best values and score, the trials run, the budget used, which parameter
/// mattered.
fn summary(
    a: &TuneCmd,
    result: &strata_workflow::tune::TuneResult,
    best: &Trial,
    mattered: &[Effect],
    budget: Duration,
) -> serde_json::Value {
    let values: serde_json::Map<String, serde_json::Value> =
        best.assignment.values.iter().map(|(n, v)| (n.clone(), number(*v))).collect();
    serde_json::json!({
        "model": model_name(&a.train),
        "best": {
            "trial": best.number,
            "epochs": best.assignment.epochs,
            "epochs_trained": best.score.epochs_trained,
            "values": values,
            "val_accuracy": best.score.accuracy,
            "val_loss": best.score.loss,
            "train_flags": repeat_flags(best),
        },
        "trials": result.trials.len(),
        "budget_seconds": budget.as_secs_f64(),
        "seconds": result.seconds,
        "stopped": match result.stop { Stop::MaxTrials => "max-trials", Stop::Budget => "budget" },
        "seed": a.train.seed,
        "threads": rayon::current_num_threads(),
        "eta": a.eta,
        "importance": mattered.iter().map(|e| serde_json::json!({
            "parameter": e.name, "spread": e.spread, "trials": e.trials
        })).collect::<Vec<_>>(),
        "model_dir": a.out.join("model"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        train: TrainArgs,
    }

    /// Every parameter any model declares is a flag tune can set.
    #[test]
    fn every_declared_parameter_is_a_settable_flag() {
        let mut t = Wrap::parse_from(["x"]).train;
        let families = zoo::NAMED_MODELS.iter().map(|&n| Family::Named(n)).chain([Family::Linear, Family::ModelFile]);
        for family in families {
            for k in defaults::parameters(family) {
                set(&mut t, k.name, 2.0).unwrap_or_else(|e| panic!("{}: {e}", k.name));
            }
        }
        assert!(set(&mut t, "dropout", 0.5).is_err());
        // and, set, it counts as given
        assert!(fixed(&t).len() >= 17, "{:?}", fixed(&t));
    }
}
