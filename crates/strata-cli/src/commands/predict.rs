//! `strata predict`: one prediction per input line, `label<TAB>probability` (or JSON lines).

use std::io::Read;

use anyhow::{Context, Result};
use strata_data::read_texts;
use strata_model::folder::load;
use strata_workflow::pipeline::predict;

use crate::args::PredictCmd;

pub fn run(a: PredictCmd) -> Result<()> {
    let saved = load(&a.model)?;
    let texts: Vec<String> = match a.input.as_deref() {
        Some(p) if p.as_os_str() != "-" => read_texts(p)?,
        _ => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).context("reading stdin")?;
            let s = String::from_utf8(buf).map_err(|e| {
                anyhow::anyhow!(
                    "<stdin>: not valid UTF-8 at byte {} (hint: convert the input to UTF-8)",
                    e.utf8_error().valid_up_to()
                )
            })?;
            s.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect()
        }
    };
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    if a.top_k == 0 {
        anyhow::bail!("--top-k must be at least 1 (hint: 1 prints the best label)");
    }
    for (text, p) in texts.iter().zip(predict(&saved, &refs)) {
        let order = p.top_k(a.top_k);
        if a.json {
            let best: Vec<_> = order
                .iter()
                .map(|&c| serde_json::json!({"label": saved.labels.label(c), "score": p.probs[c]}))
                .collect();
            if a.top_k == 1 {
                println!(
                    "{}",
                    serde_json::json!({"text": text, "label": saved.labels.label(p.class), "score": p.probs[p.class]})
                );
            } else {
                println!("{}", serde_json::json!({"text": text, "top_k": best}));
            }
        } else {
            let cols: Vec<String> =
                order.iter().map(|&c| format!("{}\t{:.4}", saved.labels.label(c), p.probs[c])).collect();
            println!("{}", cols.join("\t"));
        }
    }
    Ok(())
}
