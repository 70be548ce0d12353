//! Reports of an experiment: `report.md` for people who read text, and `report/index.html`, a
//! single self-contained page (inline CSS and SVG, no scripts or fonts fetched) with the
//! accuracy of each schedule, a fold-by-fold comparison with end-to-end, time per schedule and
//! per stage, learning curves by stage, and probe accuracy by layer.

#![forbid(unsafe_code)]

mod html;
mod markdown;
pub mod results;
mod svg;

pub use html::html;
pub use markdown::markdown;

use crate::results::{ExperimentResults, ScheduleResult};

/// Text made safe inside HTML and SVG (element content and quoted attributes): every page
/// strata writes escapes through here.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Accuracy differences from the end-to-end schedule on the same splits.
pub struct Paired {
    pub diffs: Vec<f64>,
    pub mean: f64,
    pub wins: usize,
    pub ties: usize,
    pub losses: usize,
}

/// `s` against the `end-to-end` schedule of the same results, split by split.
pub fn paired(results: &ExperimentResults, s: &ScheduleResult) -> Option<Paired> {
    let base = results.schedules.iter().find(|b| b.name == "end-to-end")?;
    let diffs: Vec<f64> = s.split_accuracy.iter().zip(&base.split_accuracy).map(|(a, b)| a - b).collect();
    let mean = diffs.iter().sum::<f64>() / diffs.len().max(1) as f64;
    let count = |f: fn(f64) -> bool| diffs.iter().filter(|&&d| f(d)).count();
    Some(Paired {
        mean,
        wins: count(|d| d > 1e-12),
        ties: count(|d| d.abs() <= 1e-12),
        losses: count(|d| d < -1e-12),
        diffs,
    })
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

/// The layers the probes cover (from the first schedule that has probes; all share a model).
pub fn probed_layers(results: &ExperimentResults) -> Vec<String> {
    results
        .schedules
        .iter()
        .find(|sc| !sc.probes.is_empty())
        .map(|sc| sc.probes.iter().map(|p| p.layer.clone()).collect())
        .unwrap_or_default()
}
