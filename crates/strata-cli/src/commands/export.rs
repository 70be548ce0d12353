//! `strata export`: a trained model as an ONNX file (`--onnx`), or the ids that file reads for
//! some texts (`--ids`), since the tokenizer stays outside the graph. The graphs are
//! strata-onnx's; this file reads the flags, loads the model and writes the file.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use strata_data::ReadOptions;
use strata_model::atomic::write_atomic;
use strata_model::classifier::load;

use crate::args::ExportCmd;
use crate::output_file::write_results;
use crate::stdout::Out;

pub fn run(a: ExportCmd) -> Result<()> {
    let model = load(&a.model)?;
    if matches!(model, strata_model::Classifier::Ensemble(_)) {
        bail!("{}: {}", a.model.display(), strata_onnx::ExportError::Ensemble);
    }
    if a.onnx {
        let out = a.out.as_deref().context("--onnx needs --out FILE.onnx (hint: name the file to write)")?;
        refuse_foreign_file(out)?;
        let bytes = strata_onnx::export_bytes(&model).map_err(|e| anyhow!("{}: {e}", a.model.display()))?;
        write_atomic(out, &bytes)?;
        eprintln!("wrote {} ({} bytes, ONNX opset {})", out.display(), bytes.len(), strata_onnx::OPSET);
        return Ok(());
    }
    let read = ReadOptions { format: a.format.map(Into::into), text_col: a.text_col.clone(), ..ReadOptions::default() };
    let texts = super::predict::read_texts(a.input.as_deref(), &read)?;
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let lines = strata_onnx::input_ids(&model, &texts)
        .into_iter()
        .map(|ids| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(" "));
    match &a.out {
        Some(path) => {
            let body: String = lines.map(|l| l + "\n").collect();
            write_results(path, a.input.as_deref(), body.as_bytes())
        }
        None => {
            let mut out = Out::new();
            for line in lines {
                out.line(&line)?;
            }
            Ok(out.flush()?)
        }
    }
}

/// strata replaces only what it wrote: an existing file at `out` must be an ONNX file of
/// strata's (a folder or anything else is the user's).
fn refuse_foreign_file(out: &Path) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    let ours = std::fs::read(out).is_ok_and(|bytes| strata_onnx::written_by_strata(&bytes));
    if !ours {
        bail!(
            "{}: exists and is not an ONNX file strata wrote; it is left as it is (hint: name a new file, or move this one away)",
            out.display()
        );
    }
    Ok(())
}
