//! `strata ensemble`: several trained model folders made into one ensemble folder that votes
//! softly (`strata_model::ensemble`), with its weights as given, equal, or chosen on a
//! validation file; the folder loads wherever a model loads (predict, test, explain, serve).

use anyhow::{bail, Result};
use strata_data::read_examples;
use strata_model::classifier::load;
use strata_model::ensemble::tune::tune_weights;
use strata_model::ensemble::Ensemble;
use strata_model::folder::resolve;
use strata_model::Classifier;
use strata_workflow::model_card::{line_count, model_card, CardFacts, DataFile};
use strata_workflow::pipeline::label_indices;

use crate::args_ensemble::EnsembleCmd;

pub fn run(a: EnsembleCmd) -> Result<()> {
    let out = a.out.canonicalize().ok();
    let mut members = Vec::with_capacity(a.members.len());
    for dir in &a.members {
        if out.is_some() && resolve(dir).canonicalize().ok() == out {
            bail!("{}: --out is a member's folder (hint: write the ensemble to a new folder)", a.out.display());
        }
        members.push((dir.display().to_string(), load(dir)?));
    }
    let mut ensemble = Ensemble::new(members, a.weights.as_deref())?;
    let mut data = Vec::new();
    if let Some(path) = &a.tune_weights_on {
        let examples = read_examples(path, &a.read.options())?;
        let y = label_indices(&examples, &ensemble.labels, &path.display().to_string())?;
        let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
        let tuned = tune_weights(&ensemble.member_probabilities(&texts), &y);
        ensemble.set_weights(&tuned.weights)?;
        println!(
            "tuned weights on {} ({} texts, {} grid points, step {:.2}): {}  accuracy {:.4} (equal weights {:.4})",
            path.display(),
            texts.len(),
            tuned.points,
            tuned.step,
            weights_text(&tuned.weights),
            tuned.accuracy,
            tuned.equal_accuracy
        );
        data.push(DataFile {
            role: "weight tuning".into(),
            path: path.clone(),
            lines: line_count(&std::fs::read(path)?),
        });
    }
    let summary: Vec<String> =
        ensemble.members.iter().map(|m| format!("{} ({}) {:.4}", m.source, m.model.architecture(), m.weight)).collect();
    let model = Classifier::Ensemble(ensemble);
    let facts = CardFacts {
        command: super::experiment::command_line(),
        data,
        model_dir: a.out.clone(),
        ..CardFacts::default()
    };
    model.save_with_card(&a.out, &model_card(&model, &facts))?;
    println!("wrote an ensemble of {} members to {}: {}", summary.len(), a.out.display(), summary.join(", "));
    Ok(())
}

/// Weights as `--weights` takes them: `0.65,0.35`.
fn weights_text(w: &[f32]) -> String {
    w.iter().map(|w| format!("{w:.2}")).collect::<Vec<_>>().join(",")
}
