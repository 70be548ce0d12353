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
use strata_model::classifier::load;
use strata_model::infer::Prediction;
use strata_model::metrics::{report, Report};
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
    let predictions = model.predict(&texts);
    let speed = Speed::of(texts.len(), started.elapsed().as_secs_f64());
    let pred: Vec<usize> = predictions.iter().map(|p| p.class).collect();
    let r = report(&truth, &pred, labels.labels());
    if let Some(path) = &a.predictions {
        write_results(path, Some(&a.data), per_row(path, &examples, &predictions, labels.labels()).as_bytes())?;
    }
    let text = if a.json {
        let mut v = serde_json::to_value(&r)?;
        v["predict_seconds"] = speed.seconds.into();
        v["texts_per_second"] = speed.texts_per_second.into();
        v.to_string()
    } else {
        table(&r) + &speed.line()
    };
    let mut out = Out::new();
    out.line(text.trim_end_matches('\n'))?;
    Ok(out.flush()?)
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
