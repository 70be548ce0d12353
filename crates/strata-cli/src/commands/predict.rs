//! `strata predict`: one answer per input line, always — a blank line gets a blank answer, as in
//! fastText — as `label<TAB>score` lines, JSON lines, or fastText `__label__` lines, on stdout or
//! into a file written atomically.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::json;
use strata_data::{parse_inputs, read_inputs, ReadOptions};
use strata_model::classifier::{load, Classifier};
use strata_model::infer::Prediction;

use crate::args::PredictCmd;
use crate::choices::PredictionFormat;
use crate::output_file::write_results;
use crate::stdout::Out;

/// The texts of `input` (a file in any input format), or of stdin when it is absent or `-`.
pub(crate) fn read_texts(input: Option<&Path>, read: &ReadOptions) -> Result<Vec<String>> {
    Ok(match input {
        Some(p) if p.as_os_str() != "-" => read_inputs(p, read)?,
        _ => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).context("reading stdin")?;
            parse_inputs(&buf, Path::new("<stdin>"), read)?
        }
    })
}

pub fn run(a: PredictCmd) -> Result<()> {
    if a.top_k == 0 {
        bail!("--top-k must be at least 1 (hint: 1 prints the best label)");
    }
    let model = load(&a.model)?;
    let read = ReadOptions { format: a.format.map(Into::into), text_col: a.text_col.clone(), ..ReadOptions::default() };
    let shard = crate::shard_choice::shard_choice(a.shard_index, a.shard_count, |k| std::env::var(k).ok())?;
    let (texts, output) = match &shard {
        None => (read_texts(a.input.as_deref(), &read)?, a.output.clone()),
        Some(choice) => {
            let (texts, out) =
                super::predict_shard::shard_texts(a.input.as_deref(), a.output.as_deref(), &read, choice)?;
            (texts, Some(out))
        }
    };
    let format = output_format(&a);
    // the model's own threshold (train --reject-below) unless one is given here
    let reject_below =
        strata_model::stored_reject::effective(crate::tree_report::reject_below(a.reject_below)?, &a.model)?;
    let lines = answers(&model, &texts).map(|(text, p)| match p {
        // out of scope: the reserved answer alone, with the best label's probability
        Some(p) if strata_model::reject::accept(p.class, p.probs[p.class], reject_below).is_none() => {
            rejected(text, p.probs[p.class], format)
        }
        p => render(&model, text, p.as_ref(), a.top_k, format),
    });
    match &output {
        Some(path) => {
            let body: String = lines.map(|l| l + "\n").collect();
            write_results(path, a.input.as_deref(), body.as_bytes())?;
        }
        None => {
            let mut out = Out::new();
            for line in lines {
                out.line(&line)?;
            }
            out.flush()?;
        }
    }
    Ok(())
}

/// `--output-format`, else `--json`, else the extension of `--output`, else TSV.
fn output_format(a: &PredictCmd) -> PredictionFormat {
    if let Some(f) = a.output_format {
        return f;
    }
    let ext = a.output.as_deref().and_then(|p| p.extension()).and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        _ if a.json => PredictionFormat::Jsonl,
        Some("jsonl" | "ndjson" | "json") => PredictionFormat::Jsonl,
        _ => PredictionFormat::Tsv,
    }
}

/// Each text with its prediction, `None` for a blank one; the model sees only the others.
fn answers<'a>(model: &Classifier, texts: &'a [String]) -> impl Iterator<Item = (&'a str, Option<Prediction>)> {
    let blank = |t: &str| t.trim().is_empty();
    let asked: Vec<&str> = texts.iter().map(String::as_str).filter(|t| !blank(t)).collect();
    let mut predictions = if asked.is_empty() { Vec::new() } else { model.predict(&asked) };
    crate::tree_report::decode(model, &mut predictions);
    let mut predictions = predictions.into_iter();
    texts.iter().map(move |t| (t.as_str(), if blank(t) { None } else { predictions.next() }))
}

/// One output line for a text rejected as out of scope: `__none__` and the top probability.
fn rejected(text: &str, score: f32, format: PredictionFormat) -> String {
    let none = strata_model::reject::NONE_LABEL;
    match format {
        PredictionFormat::Tsv => format!("{none}\t{score:.4}"),
        PredictionFormat::Fasttext => format!("__label__{none} {score:.4}"),
        PredictionFormat::Jsonl => json!({"text": text, "label": none, "score": score}).to_string(),
    }
}

/// One output line: the `top_k` best labels and scores of `p`, or the blank answer.
fn render(model: &Classifier, text: &str, p: Option<&Prediction>, top_k: usize, format: PredictionFormat) -> String {
    let thresholds = model.thresholds();
    let order = p.map(|p| strata_model::multi_label::shown(p, thresholds, top_k)).unwrap_or_default();
    let scored = || order.iter().map(|&c| (model.labels().label(c), p.map_or(0.0, |p| p.probs[c])));
    match format {
        PredictionFormat::Tsv => scored().map(|(l, s)| format!("{l}\t{s:.4}")).collect::<Vec<_>>().join("\t"),
        PredictionFormat::Fasttext => {
            scored().map(|(l, s)| format!("__label__{l} {s:.4}")).collect::<Vec<_>>().join(" ")
        }
        PredictionFormat::Jsonl if thresholds.is_some() => {
            // a multi-label model's answer is a set: every label above its threshold
            let shown: Vec<_> = scored().map(|(l, s)| json!({"label": l, "score": s})).collect();
            json!({"text": text, "labels": p.map(|_| shown)}).to_string()
        }
        PredictionFormat::Jsonl if top_k == 1 => {
            let best = p.map(|p| (model.labels().label(p.class), p.probs[p.class]));
            json!({"text": text, "label": best.map(|b| b.0), "score": best.map(|b| b.1)}).to_string()
        }
        PredictionFormat::Jsonl => {
            let best: Vec<_> = scored().map(|(l, s)| json!({"label": l, "score": s})).collect();
            json!({"text": text, "top_k": best}).to_string()
        }
    }
}
