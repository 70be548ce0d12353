//! `strata explain`: which words decided a prediction, by occlusion (see
//! `strata_model::explain`), as text, JSON or a page with each word shaded.

use anyhow::{bail, Result};
use strata_model::explain::{occlusion, Explanation};
use strata_model::folder::{load, write_atomic};

use crate::args::ExplainCmd;

pub fn run(a: ExplainCmd) -> Result<()> {
    let saved = load(&a.model)?;
    let Some(ex) = occlusion(&saved, &a.text) else {
        bail!(
            "no token of the text is in the model's vocabulary (hint: explain a text in the training data's language)"
        );
    };
    if let Some(path) = &a.html {
        write_atomic(path, page(&ex).as_bytes())?;
    }
    if a.json {
        let mut v = serde_json::to_value(&ex)?;
        v["text"] = a.text.clone().into();
        println!("{v}");
        return Ok(());
    }
    println!("{}\t{:.4}", ex.label, ex.score);
    let attention = ex.tokens.iter().any(|t| t.attention.is_some());
    println!("occlusion\tgrad×input\t{}token", if attention { "attention\t" } else { "" });
    let fmt = |v: Option<f32>| v.map_or("      —".to_string(), |v| format!("{v:+.4}"));
    let mut sentence = None;
    for t in &ex.tokens {
        if t.sentence.is_some() && t.sentence != sentence {
            sentence = t.sentence;
            let s = sentence.unwrap_or(0);
            let weight = ex.sentence_attention.get(s).copied().unwrap_or(0.0);
            println!("-- sentence {} (attention {weight:.4})", s + 1);
        }
        let note = if t.occlusion.is_none() { "\t(dropped: not in the vocabulary)" } else { "" };
        let att = if attention {
            format!("{}\t\t", t.attention.map_or("      —".to_string(), |v| format!("{v:.4}")))
        } else {
            String::new()
        };
        println!("{}\t\t{}\t\t{att}{}{note}", fmt(t.occlusion), fmt(t.gradient_x_input), t.token);
    }
    Ok(())
}

/// The explanation as a small self-contained page: each token shaded by its saliency.
fn page(ex: &Explanation) -> String {
    let esc = strata_report::escape_html;
    let max = ex.tokens.iter().filter_map(|t| t.occlusion).fold(1e-9f32, |m, v| m.max(v.abs()));
    let mut spans = String::new();
    for t in &ex.tokens {
        let v = t.occlusion.unwrap_or(0.0);
        let s = v / max;
        let color = if s >= 0.0 { format!("rgba(46,125,50,{s:.2})") } else { format!("rgba(198,40,40,{:.2})", -s) };
        spans.push_str(&format!(
            "<span title=\"{v:+.4}\" style=\"background:{color};padding:2px 3px;margin:1px;border-radius:3px\">{}</span> ",
            esc(&t.token)
        ));
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>strata explain</title></head><body style=\"font-family:system-ui,sans-serif;margin:2em\"><h1>{} <small>{:.3}</small></h1><p style=\"font-size:1.3em;line-height:2\">{spans}</p><p>Green: the word pushed towards this label (occluding it lowers the score); red: against.</p></body></html>\n",
        esc(&ex.label),
        ex.score
    )
}
