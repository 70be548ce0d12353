//! `strata test` on a multi-label model: the labels read as `train --multi-label` reads them
//! (`--label-sep` for a TSV/CSV column), every label predicted at or above its threshold, and
//! the multi-label figures — micro/macro F1, Hamming loss, subset accuracy, P@k/R@k — on
//! stdout (or as one JSON object with `--json`); `--predictions` writes each row's true and
//! predicted label sets.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::Result;
use serde_json::json;
use strata_data::{read_multi_examples, MultiReadOptions};
use strata_model::classifier::Classifier;
use strata_model::multi_label::{metrics::evaluate, predicted};
use strata_workflow::multi_label::label_sets;

use crate::args::TestCmd;
use crate::commands::test::Speed;
use crate::output_file::write_results;
use crate::stdout::Out;

pub fn run(a: &TestCmd, model: &Classifier) -> Result<()> {
    let thresholds = model.thresholds().unwrap_or_default();
    let read = MultiReadOptions { read: a.read.options(), label_sep: a.label_sep.clone() };
    let examples = read_multi_examples(&a.data, &read)?;
    let labels = model.labels();
    let truth = label_sets(&examples, labels, &a.data.display().to_string())?;
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let started = Instant::now();
    let predictions = model.predict(&texts);
    let speed = Speed::of(texts.len(), started.elapsed().as_secs_f64());
    let probs: Vec<Vec<f32>> = predictions.into_iter().map(|p| p.probs).collect();
    let m = evaluate(&probs, &truth, thresholds);
    if let Some(path) = &a.predictions {
        let jsonl = matches!(
            path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(),
            Some("jsonl" | "ndjson" | "json")
        );
        let mut s = if jsonl { String::new() } else { "line\ttext\tgold\tpredicted\n".to_string() };
        for (e, p) in examples.iter().zip(&probs) {
            let guess: Vec<&str> = predicted(p, thresholds).into_iter().map(|c| labels.label(c)).collect();
            if jsonl {
                let _ =
                    writeln!(s, "{}", json!({"line": e.line, "text": e.text, "gold": e.labels, "predicted": guess}));
            } else {
                let text = e.text.replace(['\t', '\n', '\r'], " ");
                let _ = writeln!(s, "{}\t{text}\t{}\t{}", e.line, e.labels.join(","), guess.join(","));
            }
        }
        write_results(path, Some(&a.data), s.as_bytes())?;
    }
    let text = if a.json {
        let mut v = serde_json::to_value(&m)?;
        v["label_structure"] = "multi".into();
        v["predict_seconds"] = speed.seconds.into();
        v["texts_per_second"] = speed.texts_per_second.into();
        v.to_string()
    } else {
        let mut s = String::new();
        let _ = writeln!(s, "examples         {}", m.texts);
        let _ = writeln!(s, "labels           {} (one threshold each, from config.json)", labels.len());
        for (name, v) in [
            ("micro f1", m.micro_f1),
            ("macro f1", m.macro_f1),
            ("hamming loss", m.hamming_loss),
            ("subset accuracy", m.subset_accuracy),
            ("P@1", m.precision_at_1),
            ("R@1", m.recall_at_1),
            ("P@3", m.precision_at_3),
            ("R@3", m.recall_at_3),
        ] {
            let _ = writeln!(s, "{name:<16} {v:.4}");
        }
        s + &speed.line()
    };
    let mut out = Out::new();
    out.line(text.trim_end_matches('\n'))?;
    Ok(out.flush()?)
}
