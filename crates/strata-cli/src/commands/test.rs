//! `strata test`: accuracy, precision, recall, F1 and the confusion matrix of a saved model (a
//! network or a linear model) on a labelled file, the time its predictions took (what the
//! benchmark compares with fastText's `test`), and with `--predictions FILE` each row's answer
//! for error analysis.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use serde_json::json;
use strata_data::{read_examples, Example};
use strata_model::classifier::{load, Classifier};
use strata_model::infer::Prediction;
use strata_model::metrics::{report, Report};
use strata_model::reject::{self, OosScores};
use strata_workflow::pipeline::label_indices;

use crate::args::TestCmd;
use crate::output_file::write_results;
use crate::stdout::Out;

pub fn run(a: TestCmd) -> Result<()> {
    let model = load(&a.model)?;
    if model.thresholds().is_some() {
        return super::test_multi::run(&a, &model);
    }
    if a.label_sep.is_some() {
        anyhow::bail!(
            "--label-sep is for a multi-label model's data (hint: {} has one label a text)",
            a.model.display()
        );
    }
    let examples = read_examples(&a.data, &a.read.options())?;
    let labels = model.labels();
    let truth = label_indices(&examples, labels, &a.data.display().to_string())?;
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let started = Instant::now();
    let mut predictions = model.predict(&texts);
    let speed = Speed::of(texts.len(), started.elapsed().as_secs_f64());
    crate::tree_report::decode(&model, &mut predictions);
    let pred: Vec<usize> = predictions.iter().map(|p| p.class).collect();
    let r = report(&truth, &pred, labels.labels());
    let tree = crate::tree_report::comparison(&model, &truth, &predictions);
    let oos = out_of_scope(&a, &model, &truth, &predictions)?;
    if let Some(path) = &a.predictions {
        write_results(path, Some(&a.data), per_row(path, &examples, &predictions, labels.labels()).as_bytes())?;
    }
    let text = if a.json {
        let mut v = serde_json::to_value(&r)?;
        v["predict_seconds"] = speed.seconds.into();
        v["texts_per_second"] = speed.texts_per_second.into();
        if let Some(c) = &tree {
            v["hierarchy"] = serde_json::to_value(c)?;
        }
        if let Some(o) = &oos {
            v["out_of_scope"] = serde_json::to_value(o)?;
        }
        v.to_string()
    } else {
        let tree = tree.as_ref().map(|c| "\n".to_string() + &crate::tree_report::comparison_table(c));
        let oos = oos.map(|o| "\n".to_string() + &crate::tree_report::oos_line(&o, a.reject.oos.is_some()));
        table(&r) + &tree.unwrap_or_default() + &oos.unwrap_or_default() + &speed.line()
    };
    let mut out = Out::new();
    out.line(text.trim_end_matches('\n'))?;
    Ok(out.flush()?)
}

/// In-scope accuracy (a rejected text counts as wrong) and, with `--oos`, out-of-scope recall
/// at `--reject-below`, or at the threshold `--reject-tune` picks on these files; `None` when
/// no rejection flag is given.
fn out_of_scope(
    a: &TestCmd,
    model: &Classifier,
    truth: &[usize],
    predictions: &[Prediction],
) -> Result<Option<OosScores>> {
    let given = crate::tree_report::reject_below(a.reject.reject_below)?;
    // the model's own threshold (train --reject-below) unless one is given or tuned here
    let p = if a.reject.reject_tune { given } else { strata_model::stored_reject::effective(given, &a.model)? };
    let tuning = a.reject.reject_tune;
    if p.is_none() && !tuning && a.reject.oos.is_none() {
        return Ok(None);
    }
    let top = |p: &Prediction| p.probs[p.class];
    let in_scope: Vec<(f32, bool)> = predictions.iter().zip(truth).map(|(p, &t)| (top(p), p.class == t)).collect();
    let oos_top: Vec<f32> = match &a.reject.oos {
        Some(path) => {
            let texts: Vec<String> = read_examples(path, &a.read.options())?.into_iter().map(|e| e.text).collect();
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            let mut oos = model.predict(&texts);
            crate::tree_report::decode(model, &mut oos);
            oos.iter().map(top).collect()
        }
        None => Vec::new(),
    };
    Ok(Some(if tuning {
        reject::tune(&in_scope, &oos_top)
    } else {
        reject::scores_at(p.unwrap_or(0.0), &in_scope, &oos_top)
    }))
}

/// How long the predictions took, loading and reading excluded: what a throughput comparison
/// with fastText's `test` needs.
pub(crate) struct Speed {
    pub(crate) seconds: f64,
    pub(crate) texts_per_second: f64,
}

impl Speed {
    pub(crate) fn of(texts: usize, seconds: f64) -> Speed {
        // a clock too coarse to see the work still gives a finite rate
        Speed { seconds, texts_per_second: texts as f64 / seconds.max(1e-9) }
    }

    /// `predicted in 0.214 ms (1871660 texts/s)`: a fast model's time in milliseconds.
    pub(crate) fn line(&self) -> String {
        let time = if self.seconds >= 1.0 {
            format!("{:.2} s", self.seconds)
        } else {
            format!("{:.3} ms", self.seconds * 1e3)
        };
        format!("\npredicted in {time} ({:.0} texts/s)\n", self.texts_per_second)
    }
}

/// The human-readable report: the scores, then per class, then the confusion matrix.
fn table(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "examples   {}", r.n);
    let _ = writeln!(s, "accuracy   {:.4}", r.accuracy);
    let which =
        if r.labels.len() == 2 { format!(" (positive class '{}')", r.labels[1]) } else { " (macro average)".into() };
    let _ = writeln!(s, "precision  {:.4}{which}", r.precision);
    let _ = writeln!(s, "recall     {:.4}", r.recall);
    let _ = writeln!(s, "f1         {:.4}", r.f1);
    let _ = writeln!(s, "macro f1   {:.4}", r.macro_f1);
    let _ = writeln!(s, "micro f1   {:.4}", r.micro_f1);
    let _ = writeln!(s);
    let _ = writeln!(s, "{:<12} {:>9} {:>9} {:>9} {:>8}", "class", "precision", "recall", "f1", "support");
    for c in &r.per_class {
        let _ = writeln!(s, "{:<12} {:>9.4} {:>9.4} {:>9.4} {:>8}", c.label, c.precision, c.recall, c.f1, c.support);
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "confusion matrix (rows: true, columns: predicted)");
    let _ = write!(s, "{:<12}", "");
    r.labels.iter().for_each(|l| {
        let _ = write!(s, " {l:>8}");
    });
    let _ = writeln!(s);
    for (l, row) in r.labels.iter().zip(&r.confusion) {
        let _ = write!(s, "{l:<12}");
        row.iter().for_each(|v| {
            let _ = write!(s, " {v:>8}");
        });
        let _ = writeln!(s);
    }
    s
}

/// `--predictions`: one row per example — its line, text, gold label, predicted label and the
/// predicted label's probability — as JSONL for a `.jsonl`/`.ndjson`/`.json` path, else as TSV
/// with a header (tabs and line breaks in the text become spaces, so a row stays one line).
fn per_row(path: &Path, examples: &[Example], predictions: &[Prediction], labels: &[String]) -> String {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let jsonl = matches!(ext.as_deref(), Some("jsonl" | "ndjson" | "json"));
    let mut s = if jsonl { String::new() } else { "line\ttext\tgold\tpredicted\tprobability\n".to_string() };
    for (e, p) in examples.iter().zip(predictions) {
        let predicted = &labels[p.class];
        let prob = p.probs[p.class];
        if jsonl {
            let row =
                json!({"line": e.line, "text": e.text, "gold": e.label, "predicted": predicted, "probability": prob});
            let _ = writeln!(s, "{row}");
        } else {
            let text = e.text.replace(['\t', '\n', '\r'], " ");
            let _ = writeln!(s, "{}\t{text}\t{}\t{predicted}\t{prob:.4}", e.line, e.label);
        }
    }
    s
}
