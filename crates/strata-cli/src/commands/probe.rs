//! `strata probe`: what each layer of a saved model makes linearly readable, on a labelled file
//! (logistic regression per layer, fitted on a stratified part, scored on the rest). Only a
//! network has levels to probe: a linear model's folder is refused in one line.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use strata_data::{read_examples, stratified_split};
use strata_model::classifier::load;
use strata_model::folder::resolve;
use strata_workflow::pipeline::label_indices;
use strata_workflow::probe::{probe_layers, probe_table};

use crate::args::ProbeCmd;

pub fn run(a: ProbeCmd) -> Result<()> {
    let model = load(&a.model)?;
    if let strata_model::Classifier::Ensemble(e) = &model {
        bail!(
            "{}: an ensemble has no levels of its own to probe (hint: probe a network member's folder, {}/member-K, of {})",
            a.model.display(),
            a.model.display(),
            e.members.iter().map(|m| m.model.architecture()).collect::<Vec<_>>().join(", ")
        );
    }
    if model.architecture() == "nbsvm" {
        bail!(
            "{}: an NBSVM model has no levels to probe: it is one linear layer over n-grams (hint: probe a network's model folder; `strata explain` gives its per-word contributions)",
            a.model.display()
        );
    }
    let Some(saved) = model.network() else {
        bail!(
            "{}: a linear model has no levels to probe: it is one average of word vectors and one \
             linear layer (hint: probe a network's model folder; `strata explain` gives a linear model's \
             per-word contributions)",
            a.model.display()
        );
    };
    let examples = read_examples(&a.data, &a.read.options())?;
    let y = label_indices(&examples, &saved.labels, &a.data.display().to_string())?;
    if !(0.0..1.0).contains(&a.holdout) || a.holdout == 0.0 {
        bail!("--holdout must be in (0, 1) (hint: 0.2 scores the probes on a fifth of the data)");
    }
    let all: Vec<usize> = (0..y.len()).collect();
    let (fit_idx, val_idx) = stratified_split(&all, &y, a.holdout, a.seed);
    let part = |idx: &[usize]| {
        let texts: Vec<&str> = idx.iter().map(|&i| examples[i].text.as_str()).collect();
        let ids = saved.encode(&texts);
        (ids, idx.iter().map(|&i| y[i]).collect::<Vec<_>>())
    };
    let ((ti, ty), (vi, vy)) = (part(&fit_idx), part(&val_idx));
    let probes = probe_layers(&saved.model, (&ti, &ty), (&vi, &vy), saved.encoding().ids_per_text());
    let out = a.out.clone().unwrap_or_else(|| default_out(&a.model, &a.data));
    crate::output_file::write_results(&out, Some(&a.data), serde_json::to_string_pretty(&probes)?.as_bytes())?;
    if a.json {
        println!("{}", serde_json::to_string(&probes)?);
    } else {
        println!("Linear probes on {} ({} fit, {} scored):", a.data.display(), fit_idx.len(), val_idx.len());
        print!("{}", probe_table(&probes));
        println!(
            "(a level is probed on its summary: a recurrent layer's last state, else its last vector output; written to {})",
            out.display()
        );
    }
    Ok(())
}

/// `probes-<data file stem>.json` beside the model folder: not train's `probes.json` (a list
/// per stage, in another form), and one file per data set probed.
fn default_out(model: &Path, data: &Path) -> PathBuf {
    let stem = data.file_stem().map_or_else(|| "data".into(), |s| s.to_string_lossy().into_owned());
    let dir = resolve(model).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    dir.join(format!("probes-{stem}.json"))
}
