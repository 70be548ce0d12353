//! What `strata tune` tells: a line per trial, which parameter mattered, the flags that
//! repeat the best trial, and `best.json`.

use std::time::Duration;

use strata_workflow::tune::halving::LOCAL;
use strata_workflow::tune::importance::{Effect, Importance, MIN_GROUP};
use strata_workflow::tune::space::show;
use strata_workflow::tune::{Stop, Trial, TrialStatus, TuneResult};

use super::flags::model_flag;
use crate::args_tune::TuneCmd;
/// `trial 12  bracket 1 rung 1  4 epochs  lr=0.31 dim=100  val_accuracy 0.7712  val_loss 0.4810  3.2 s`
/// (`bracket 1 local` for a step around the incumbent); a trial that did not end `ok` says its
/// status last (`  diverged`, `  cut`), as trials.csv's `status` column does.
pub(super) fn trial_line(t: &Trial) -> String {
    let trained = match (t.score.cut, t.score.epochs_trained < t.assignment.epochs) {
        (true, _) => format!(" (cut by the budget after {})", t.score.epochs_trained),
        (false, true) => format!(" (stopped early after {})", t.score.epochs_trained),
        _ => String::new(),
    };
    let status = match t.score.status() {
        TrialStatus::Ok => String::new(),
        other => format!("  {}", other.name()),
    };
    let rung = if t.rung == LOCAL { "local".to_string() } else { format!("rung {}", t.rung) };
    format!(
        "trial {:>3}  bracket {} {rung}  {:>3} epochs{trained}  {}  val_accuracy {:.4}  val_loss {:.4}  {:.2} s{status}",
        t.number,
        t.bracket,
        t.assignment.epochs,
        t.assignment.describe(),
        t.score.accuracy,
        t.score.loss,
        t.seconds
    )
}

/// What the command prints on stdout: the best trial, which parameter mattered, how the search
/// ended, and the `strata train` command that repeats the best trial.
pub(super) fn lines(a: &TuneCmd, result: &TuneResult, best: &Trial, mattered: &Importance) -> Vec<String> {
    let values = best.assignment.describe();
    let mut lines = vec![format!(
        "Best: trial {} ({} epochs{}{values}): val_accuracy {:.4}  val_loss {:.4}",
        best.number,
        best.assignment.epochs,
        if values.is_empty() { "" } else { ", " },
        best.score.accuracy,
        best.score.loss
    )];
    // every trial holds every searched parameter: none in the best, none searched
    lines.extend(mattered_line(mattered, !best.assignment.values.is_empty()));
    lines.push(format!(
        "{} trials in {:.1} s ({}); best model saved to {}",
        result.trials.len(),
        result.seconds,
        match result.stop {
            Stop::MaxTrials => "--max-trials reached",
            Stop::Budget => "the budget ran out",
            Stop::Exhausted => "every point of the space was trained",
        },
        a.out.join("model").display()
    ));
    lines.push(format!(
        "Repeat it (with your other flags): strata train {} {}",
        model_flag(&a.train),
        repeat_flags(best)
    ));
    lines
}

/// The smallest spread the line names: a smaller one prints as 0.000 and is no effect seen.
const SMALLEST_SPREAD: f64 = 0.0005;

/// `Mattered most: lr (…), then word-ngrams (…)`: the top two effects that moved mean
/// val_accuracy; `none` when no parameter did; `cannot tell` when parameters were `searched`
/// but too few random configurations ran to measure one; nothing when none was searched.
fn mattered_line(mattered: &Importance, searched: bool) -> Option<String> {
    if mattered.effects.is_empty() {
        return searched.then(|| {
            let n = mattered.random_trials;
            format!(
                "Mattered most: cannot tell from {n} random configuration{} (it compares at least {MIN_GROUP} a value, at the same epochs; steps around the best trial and promotions are not random draws)",
                if n == 1 { "" } else { "s" }
            )
        });
    }
    let effects: Vec<&Effect> = mattered.effects.iter().filter(|e| e.spread >= SMALLEST_SPREAD).collect();
    let Some(first) = effects.first() else {
        return Some("Mattered most: none (no parameter's values changed mean val_accuracy)".to_string());
    };
    let mut line = format!(
        "Mattered most: {} (mean val_accuracy varies by {:.3} across its values, over {} random configurations)",
        first.name, first.spread, first.trials
    );
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
pub(super) fn summary(
    a: &TuneCmd,
    result: &TuneResult,
    best: &Trial,
    mattered: &Importance,
    budget: Duration,
) -> serde_json::Value {
    let values: serde_json::Map<String, serde_json::Value> =
        best.assignment.values.iter().map(|(n, v)| (n.clone(), number(*v))).collect();
    serde_json::json!({
        "model": match &a.train.model_file {
            Some(path) => path.display().to_string(),
            None => a.train.model.name().to_string(),
        },
        "best": {
            "trial": best.number,
            "epochs": best.assignment.epochs,
            "epochs_trained": best.score.epochs_trained,
            "values": values,
            "val_accuracy": best.score.accuracy,
            "val_loss": best.score.loss,
            "train_flags": format!("{} {}", model_flag(&a.train), repeat_flags(best)),
        },
        "trials": result.trials.len(),
        "budget_seconds": budget.as_secs_f64(),
        "seconds": result.seconds,
        "stopped": match result.stop { Stop::MaxTrials => "max-trials", Stop::Budget => "budget", Stop::Exhausted => "exhausted" },
        "seed": a.train.seed,
        "threads": rayon::current_num_threads(),
        "eta": a.eta,
        "trials_at_once": a.trials_at_once.unwrap_or(strata_workflow::tune::waves::DEFAULT_AT_ONCE),
        "importance": mattered.effects.iter().map(|e| serde_json::json!({
            "parameter": e.name, "spread": e.spread, "trials": e.trials
        })).collect::<Vec<_>>(),
        "importance_random_trials": mattered.random_trials,
        "model_dir": a.out.join("model"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_workflow::tune::{Assignment, Score};

    fn effect(name: &str, spread: f64) -> Effect {
        Effect { name: name.into(), spread, trials: 6 }
    }

    fn measured(effects: Vec<Effect>) -> Importance {
        Importance { effects, random_trials: 6 }
    }

    #[test]
    fn a_trial_line_says_diverged_or_cut_and_nothing_for_an_ok_trial() {
        let score = Score { accuracy: 0.8, loss: 0.4, epochs_trained: 3, cut: false, diverged: false };
        let assignment = Assignment { values: vec![("lr".to_string(), 0.5)], epochs: 3 };
        let trial = |score| Trial {
            number: 1,
            bracket: 1,
            rung: 0,
            config: 1,
            assignment: assignment.clone(),
            score,
            seconds: 1.0,
        };
        let ok = trial_line(&trial(score));
        assert!(ok.ends_with("1.00 s"), "{ok}");
        let diverged = trial_line(&trial(Score { accuracy: 0.0, loss: f64::INFINITY, diverged: true, ..score }));
        assert!(diverged.ends_with("val_loss inf  1.00 s  diverged"), "{diverged}");
        let cut = trial_line(&trial(Score { epochs_trained: 1, cut: true, ..score }));
        assert!(cut.ends_with("1.00 s  cut"), "{cut}");
    }

    #[test]
    fn a_parameter_that_changed_nothing_is_never_named() {
        let line = mattered_line(&measured(vec![effect("batch-size", 0.0), effect("lr", 0.0001)]), true).unwrap();
        assert_eq!(line, "Mattered most: none (no parameter's values changed mean val_accuracy)");
        let line = mattered_line(&measured(vec![effect("lr", 0.12), effect("batch-size", 0.0)]), true).unwrap();
        assert_eq!(
            line,
            "Mattered most: lr (mean val_accuracy varies by 0.120 across its values, over 6 random configurations)"
        );
        assert_eq!(mattered_line(&measured(Vec::new()), false), None, "nothing searched, nothing said");
    }

    /// Review of the tune steps: too few random configurations to measure a parameter is said,
    /// not left to look like a space with nothing to measure.
    #[test]
    fn too_few_random_configurations_cannot_tell() {
        let line = mattered_line(&Importance { effects: Vec::new(), random_trials: 4 }, true).unwrap();
        assert!(line.starts_with("Mattered most: cannot tell from 4 random configurations"), "{line}");
        let line = mattered_line(&Importance { effects: Vec::new(), random_trials: 1 }, true).unwrap();
        assert!(line.starts_with("Mattered most: cannot tell from 1 random configuration ("), "{line}");
    }
}
