//! `strata test`: accuracy, precision, recall, F1 and the confusion matrix of a saved model on
//! a labelled file.

use anyhow::Result;
use strata_data::read_examples;
use strata_model::folder::load;
use strata_model::metrics::report;
use strata_workflow::pipeline::{label_indices, predict};

use crate::args::TestCmd;

pub fn run(a: TestCmd) -> Result<()> {
    let saved = load(&a.model)?;
    let examples = read_examples(&a.data, &a.read.options())?;
    let truth = label_indices(&examples, &saved.labels, &a.data.display().to_string())?;
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let pred: Vec<usize> = predict(&saved, &texts).iter().map(|p| p.class).collect();
    let r = report(&truth, &pred, saved.labels.labels());
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    println!("examples   {}", r.n);
    println!("accuracy   {:.4}", r.accuracy);
    let which =
        if r.labels.len() == 2 { format!(" (positive class '{}')", r.labels[1]) } else { " (macro average)".into() };
    println!("precision  {:.4}{which}", r.precision);
    println!("recall     {:.4}", r.recall);
    println!("f1         {:.4}", r.f1);
    println!("macro f1   {:.4}", r.macro_f1);
    println!("micro f1   {:.4}", r.micro_f1);
    println!();
    println!("{:<12} {:>9} {:>9} {:>9} {:>8}", "class", "precision", "recall", "f1", "support");
    for c in &r.per_class {
        println!("{:<12} {:>9.4} {:>9.4} {:>9.4} {:>8}", c.label, c.precision, c.recall, c.f1, c.support);
    }
    println!();
    println!("confusion matrix (rows: true, columns: predicted)");
    print!("{:<12}", "");
    r.labels.iter().for_each(|l| print!(" {l:>8}"));
    println!();
    for (l, row) in r.labels.iter().zip(&r.confusion) {
        print!("{l:<12}");
        row.iter().for_each(|v| print!(" {v:>8}"));
        println!();
    }
    Ok(())
}
