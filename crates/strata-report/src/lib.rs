//! Reports of an experiment: `report.md` for people who read text, and `report/index.html`, a
//! single self-contained page (inline CSS and SVG, no scripts or fonts fetched) with the
//! accuracy of each schedule, a split-by-split (and seed-by-seed) comparison with end-to-end,
//! time per schedule and per stage, learning curves by stage, probe accuracy by layer, and the
//! configuration that reproduces it; with `--init-from`, each pretrained schedule beside its
//! from-scratch twin, the levels' probes before and after fine-tuning, and ulmfit's
//! language-model epochs. Both are made from `results.json` alone.
//!
//! When the experiment ran a baseline (`--baseline linear`, the first row), every other row is
//! also paired with it, and a sentence per schedule says whether it beats the baseline by at
//! least [`BASELINE_MARGIN`] — said plainly, not left out, when it does not.

#![forbid(unsafe_code)]

pub mod charts;
pub mod hierarchy_table;
mod html;
mod markdown;
pub mod multi_label_table;
pub mod results;

pub use html::html;
pub use markdown::markdown;
pub use results::AdversarialConfig;

use crate::results::{ExperimentResults, ScheduleResult};

/// Text made safe inside HTML and SVG (element content and quoted attributes), by maud's
/// escaper — the one the report's template uses — for pages written outside a template.
pub fn escape_html(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len());
    let _ = maud::Escaper::new(&mut out).write_str(s);
    out
}

/// Accuracy differences between two schedules on the same splits and seeds.
pub struct Paired {
    pub diffs: Vec<f64>,
    pub mean: f64,
    /// Population standard deviation of the differences.
    pub std: f64,
    pub wins: usize,
    pub ties: usize,
    pub losses: usize,
}

impl Paired {
    /// `a − b`, pair by pair over every (split, seed).
    fn between(a: &ScheduleResult, b: &ScheduleResult) -> Paired {
        let diffs: Vec<f64> = a.split_accuracy.iter().zip(&b.split_accuracy).map(|(a, b)| a - b).collect();
        let n = diffs.len().max(1) as f64;
        let mean = diffs.iter().sum::<f64>() / n;
        let std = (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n).sqrt();
        let count = |f: fn(f64) -> bool| diffs.iter().filter(|&&d| f(d)).count();
        Paired {
            mean,
            std,
            wins: count(|d| d > 1e-12),
            ties: count(|d| d.abs() <= 1e-12),
            losses: count(|d| d < -1e-12),
            diffs,
        }
    }
}

/// `s` against the `end-to-end` schedule of the same results, pair by pair over every (split,
/// seed); `None` for end-to-end itself or when there is none.
pub fn paired(results: &ExperimentResults, s: &ScheduleResult) -> Option<Paired> {
    let base = results.schedules.iter().find(|b| b.name == "end-to-end")?;
    (s.name != base.name).then(|| Paired::between(s, base))
}

/// How much better than the baseline a schedule must be, mean over the same splits and seeds,
/// for the report to say it helps: 2 points of accuracy (issue 12's rule, against fastText).
pub const BASELINE_MARGIN: f64 = 0.02;

/// `s` against the experiment's baseline row (`ScheduleResult::baseline`), pair by pair over
/// every (split, seed): `s − baseline`; `None` for the baseline itself or when there is none.
pub fn paired_with_baseline(results: &ExperimentResults, s: &ScheduleResult) -> Option<Paired> {
    let base = results.baseline()?;
    (!s.baseline).then(|| Paired::between(s, base))
}

/// Whether a mean difference from the baseline is at least [`BASELINE_MARGIN`] (an accuracy
/// difference that prints as +0.0200 counts).
pub fn beats_baseline(p: &Paired) -> bool {
    p.mean >= BASELINE_MARGIN - 1e-9
}

/// The sentence that introduces the comparisons with the baseline, when there is one.
pub fn baseline_intro(results: &ExperimentResults) -> Option<String> {
    let b = results.baseline()?;
    Some(format!(
        "Against the baseline ({}: {:.4} ± {:.4}, trained in {} s over every split), a schedule helps only if \
         it beats it by at least {:.0} points of {}, mean over the same splits and seeds:",
        b.name,
        b.mean_accuracy,
        b.std_accuracy,
        seconds(b.seconds),
        BASELINE_MARGIN * 100.0,
        score_name(results)
    ))
}

/// For each row but the baseline, in order: the row and a plain sentence saying whether it
/// beats the baseline by [`BASELINE_MARGIN`] ("end-to-end beats it by 3.10 points …", "layerwise
/// does not beat it by 2 points: +0.80 …"). Empty without a baseline.
pub fn baseline_verdicts(results: &ExperimentResults) -> Vec<(&ScheduleResult, String)> {
    let Some(base) = results.baseline() else { return Vec::new() };
    let margin = BASELINE_MARGIN * 100.0;
    results
        .schedules
        .iter()
        .filter_map(|s| paired_with_baseline(results, s).map(|p| (s, p)))
        .map(|(s, p)| {
            let points = p.mean * 100.0;
            let how = if beats_baseline(&p) {
                format!("beats it by {points:.2} points")
            } else if points >= 0.0 {
                format!("does not beat it by {margin:.0} points: {points:+.2} points")
            } else {
                format!("does not beat it by {margin:.0} points: it is {:.2} points below it", -points)
            };
            let sentence = format!(
                "{} {how} (wins/ties/losses {}/{}/{}), in {} s against its {} s.",
                s.name,
                p.wins,
                p.ties,
                p.losses,
                seconds(s.seconds),
                seconds(base.seconds)
            );
            (s, sentence)
        })
        .collect()
}

/// What the schedules' `split_accuracy` holds: "micro F1" in a multi-label experiment, else
/// "accuracy"; the report's headers name it with this.
pub fn score_name(r: &ExperimentResults) -> &'static str {
    if r.multi_label.is_some() {
        "micro F1"
    } else {
        "accuracy"
    }
}

/// What the learning curves' validation figure is ("validation …"): a multi-label run scores
/// precision at 1 after each epoch.
pub fn curve_score_name(r: &ExperimentResults) -> &'static str {
    if r.multi_label.is_some() {
        "precision at 1"
    } else {
        "accuracy"
    }
}

/// A training time in seconds as the report writes it: whole seconds, or hundredths below one
/// (a baseline on a small data set trains in less than a second, which "0 s" would hide).
pub fn seconds(v: f64) -> String {
    if v < 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.0}")
    }
}

/// A pretrained schedule against its from-scratch twin (`ScheduleResult::scratch`) on the same
/// splits and seeds: pretrained − scratch. `None` for a schedule without a twin.
pub fn paired_with_scratch<'r>(
    results: &'r ExperimentResults,
    s: &ScheduleResult,
) -> Option<(&'r ScheduleResult, Paired)> {
    let name = s.scratch.as_deref()?;
    let base = results.schedules.iter().find(|b| b.name == name)?;
    Some((base, Paired::between(s, base)))
}

/// What `--multichannel` made of the networks, said the same way on both pages; `None`
/// without it. With `--init-from`, only the pretrained runs have the static channel: their
/// twins from scratch have no vectors for it to hold (`experiment::with_scratch_twins`).
pub fn multichannel_phrase(results: &ExperimentResults) -> Option<&'static str> {
    results.multichannel.then(|| {
        if results.init_from.is_some() {
            "multichannel (--multichannel): the pretrained runs read a static copy of the pretrained vectors beside the trained one; their twins from scratch have the trained channel alone"
        } else {
            "multichannel (--multichannel): every network reads a static copy of the pretrained vectors beside the trained one"
        }
    })
}

/// What `--class-weight` did to the training losses, said the same way on both pages; `None`
/// without it (and for older results).
pub fn class_weight_phrase(results: &ExperimentResults) -> Option<String> {
    results.class_weight.as_ref().map(|c| match c.as_str() {
        "balanced" => "balanced (--class-weight balanced): each training text's loss weighed n / (k · count of its class), counted on each split's training part".to_string(),
        file => format!("from {file} (--class-weight): each training text's loss weighed by its class's weight"),
    })
}

/// What `--adversarial` did, said the same way on both pages; `None` without it (and for
/// older results).
pub fn adversarial_phrase(results: &ExperimentResults) -> Option<String> {
    let a = results.config.as_ref()?.adversarial?;
    Some(format!(
        "--adversarial {} (weight {}): each batch also trained on its texts with their word vectors moved by {} in L2 norm per text, the way that raises the loss most (Miyato et al. 2017)",
        a.epsilon, a.weight, a.epsilon
    ))
}

/// What `--mask-padding` and `--bucket-by-length` did to the networks' padding, said the same
/// way on both pages; `None` without either (and for older results).
pub fn padding_phrase(results: &ExperimentResults) -> Option<String> {
    let c = results.config.as_ref()?;
    let parts: Vec<&str> = [
        (c.mask_padding, "masked (--mask-padding): recurrent layers skip padded steps"),
        (
            c.bucket_by_length,
            "bucketed (--bucket-by-length): batches of texts of similar length, each cut to its real tokens",
        ),
    ]
    .into_iter()
    .filter_map(|(on, phrase)| on.then_some(phrase))
    .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The caveat on the pretrained-against-scratch comparison when its two sides differ in
/// channels as well as in their start; `None` when they differ only in their start.
pub fn scratch_channels_note(results: &ExperimentResults) -> Option<&'static str> {
    (results.multichannel && results.init_from.is_some()).then_some(
        "The pretrained runs are multichannel (a static copy of the vectors beside the trained one) and their twins from scratch have one channel: each Δ is pretraining and the static channel together.",
    )
}

/// The pretrained-against-scratch table's column headers for the scratch and pretrained sides:
/// with their channels when [`scratch_channels_note`] applies.
pub fn scratch_columns(results: &ExperimentResults) -> (&'static str, &'static str) {
    match scratch_channels_note(results) {
        Some(_) => ("from scratch (one channel)", "pretrained (multichannel)"),
        None => ("from scratch", "pretrained"),
    }
}

/// Whether any schedule started from pretrained levels.
pub fn has_pretrained(results: &ExperimentResults) -> bool {
    results.schedules.iter().any(|s| s.pretrained)
}

/// The language-model stage of `s`, mean over splits at each epoch: (epoch, loss,
/// val_perplexity, where every split has one).
pub fn mean_lm_curve(s: &ScheduleResult) -> Vec<(usize, f64, Option<f64>)> {
    let Some(first) = s.language_model.first() else { return Vec::new() };
    (0..first.len())
        .map(|i| {
            let points: Vec<_> = s.language_model.iter().filter_map(|c| c.get(i)).collect();
            let n = points.len().max(1) as f64;
            let loss = points.iter().map(|p| p.loss).sum::<f64>() / n;
            let perplexities: Option<Vec<f64>> = points.iter().map(|p| p.val_perplexity).collect();
            (first[i].epoch, loss, perplexities.map(|v| v.iter().sum::<f64>() / n))
        })
        .collect()
}

/// Mean validation accuracy over splits at each epoch of the schedule (splits share stages and
/// epochs, so they line up), with the stage of each point.
pub fn mean_curve(s: &ScheduleResult) -> Vec<(usize, f64)> {
    let Some(first) = s.curves.first() else { return Vec::new() };
    (0..first.len())
        .filter_map(|i| {
            let vals: Vec<f64> = s.curves.iter().filter_map(|c| c.get(i).and_then(|p| p.val_accuracy)).collect();
            (!vals.is_empty()).then(|| (first[i].stage, vals.iter().sum::<f64>() / vals.len() as f64))
        })
        .collect()
}

/// Why `s` is not compared at the experiment's budget, when it is not: "ran 3 epochs against a
/// budget of 2: …".
pub fn budget_warning(s: &ScheduleResult) -> Option<String> {
    let budget = s.budget?;
    (s.epochs != budget).then(|| {
        let why = s.budget_note.as_deref().unwrap_or("its stages take a different number of epochs");
        format!("ran {} epochs against a budget of {budget}: {why}; not an equal-budget comparison", s.epochs)
    })
}

/// The layers the probes cover (from the first schedule that has probes; all share a model).
pub fn probed_layers(results: &ExperimentResults) -> Vec<String> {
    results
        .schedules
        .iter()
        .find(|sc| !sc.probes.is_empty())
        .map(|sc| sc.probes.iter().map(|p| p.layer.clone()).collect())
        .unwrap_or_default()
}

/// "seed 0", or "3 seeds (0, 1, 2)".
pub(crate) fn seeds_phrase(r: &ExperimentResults) -> String {
    match r.seed_list().as_slice() {
        [one] => format!("seed {one}"),
        many => format!("{} seeds ({})", many.len(), many.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")),
    }
}
