//! `strata explain`: which words decided a prediction, by occlusion — each token in turn is
//! replaced by the OOV token (or removed, for a vocabulary without one) and the change in the
//! predicted class's probability is its saliency. Positive: the word pushed towards the
//! prediction.

use anyhow::{bail, Result};
use strata_train::folder::{load, write_atomic};
use strata_train::pipeline::predict_ids;

use crate::args::ExplainCmd;

pub fn run(a: ExplainCmd) -> Result<()> {
    let saved = load(&a.model)?;
    let tokens = saved.tokenizer.token_ids(&a.text);
    let oov = saved.tokenizer.config.oov_token.as_ref().and_then(|t| saved.tokenizer.word_index().get(t)).copied();
    if tokens.iter().all(|(_, id)| id.is_none() || *id == oov) {
        bail!(
            "no token of the text is in the model's vocabulary (hint: explain a text in the training data's language)"
        );
    }
    let ids: Vec<u32> = tokens.iter().filter_map(|(_, id)| *id).collect();
    // the text, then one copy per kept token with that token occluded
    let mut variants = vec![ids.clone()];
    let mut positions = Vec::new();
    for (k, (_, id)) in tokens.iter().enumerate() {
        if id.is_some() {
            let pos = tokens[..k].iter().filter(|(_, i)| i.is_some()).count();
            let mut v = ids.clone();
            match oov {
                Some(o) => v[pos] = o,
                None => {
                    v.remove(pos);
                }
            }
            variants.push(v);
            positions.push(k);
        }
    }
    let preds = predict_ids(&saved, &variants);
    let class = preds[0].class;
    let base = preds[0].probs[class];
    let mut saliency = vec![None; tokens.len()];
    for (v, &k) in preds[1..].iter().zip(&positions) {
        saliency[k] = Some(base - v.probs[class]);
    }
    let label = saved.labels.label(class);
    let rows: Vec<serde_json::Value> = tokens
        .iter()
        .zip(&saliency)
        .map(
            |((t, id), s)| serde_json::json!({"token": t, "in_vocabulary": id.is_some() && *id != oov, "occlusion": s}),
        )
        .collect();
    let report = serde_json::json!({"text": a.text, "label": label, "score": base, "tokens": rows});
    if let Some(path) = &a.html {
        write_atomic(path, page(&report).as_bytes())?;
    }
    if a.json {
        println!("{report}");
        return Ok(());
    }
    println!("{label}\t{base:.4}");
    for ((t, _), s) in tokens.iter().zip(&saliency) {
        match s {
            Some(v) => println!("{v:+.4}\t{t}"),
            None => println!("     —\t{t}\t(dropped: not in the vocabulary)"),
        }
    }
    Ok(())
}

/// The explanation as a small self-contained page: each token shaded by its saliency.
fn page(r: &serde_json::Value) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let max = r["tokens"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["occlusion"].as_f64())
        .fold(1e-9f64, |m, v| m.max(v.abs()));
    let mut spans = String::new();
    for t in r["tokens"].as_array().into_iter().flatten() {
        let s = t["occlusion"].as_f64().unwrap_or(0.0) / max;
        let color = if s >= 0.0 { format!("rgba(46,125,50,{:.2})", s) } else { format!("rgba(198,40,40,{:.2})", -s) };
        spans.push_str(&format!(
            "<span title=\"{:+.4}\" style=\"background:{color};padding:2px 3px;margin:1px;border-radius:3px\">{}</span> ",
            t["occlusion"].as_f64().unwrap_or(0.0),
            esc(t["token"].as_str().unwrap_or(""))
        ));
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>strata explain</title></head><body style=\"font-family:system-ui,sans-serif;margin:2em\"><h1>{} <small>{:.3}</small></h1><p style=\"font-size:1.3em;line-height:2\">{spans}</p><p>Green: the word pushed towards this label (occlusion lowers the score); red: against.</p></body></html>\n",
        esc(r["label"].as_str().unwrap_or("")),
        r["score"].as_f64().unwrap_or(0.0)
    )
}
