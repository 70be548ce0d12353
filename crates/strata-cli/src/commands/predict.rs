//! `strata predict`: one prediction per input line, `label<TAB>probability` (or JSON lines).

use std::io::Read;

use anyhow::{Context, Result};
use strata_data::read_texts;
use strata_train::folder::load;
use strata_train::pipeline::predict;

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
    for (text, p) in texts.iter().zip(predict(&saved, &refs)) {
        let label = saved.labels.label(p.class);
        let score = p.probs[p.class];
        if a.json {
            println!("{}", serde_json::json!({"text": text, "label": label, "score": score}));
        } else {
            println!("{label}\t{score:.4}");
        }
    }
    Ok(())
}
