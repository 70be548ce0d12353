//! `strata experiment`: every schedule on the same model, data, splits, seed and epoch budget;
//! writes results.json, report.md and a self-contained report/index.html.

use anyhow::{bail, Result};
use strata_data::{read_examples, stratified_split};
use strata_model::folder::write_atomic;
use strata_workflow::experiment::{run, Experiment};
use strata_workflow::pipeline::{label_indices, Probes};
use strata_workflow::splits::{kfold_splits, Split};

use crate::args::ExperimentCmd;
use crate::progress::EpochPrinter;

pub fn run_cmd(a: ExperimentCmd) -> Result<()> {
    let read = a.read.options();
    let (examples, labels, y, splits, protocol, data_name) = match (&a.data, &a.train_file, &a.dev, &a.test) {
        (Some(data), None, None, None) => {
            if a.folds < 2 {
                bail!("--folds must be at least 2 (hint: Kim 2014 uses 10)");
            }
            let (examples, labels, y) = super::labelled(data, &read)?;
            let splits = kfold_splits(&y, a.folds, a.validation_split, a.train.seed);
            (examples, labels, y, splits, format!("{}-fold cross-validation", a.folds), data.display().to_string())
        }
        (None, Some(tr), Some(dev), Some(test)) => {
            let (mut examples, labels, mut y) = super::labelled(tr, &read)?;
            super::warn_if_sorted_by_label(tr, &y);
            let n_train = examples.len();
            let mut sizes = Vec::new();
            for path in [dev, test] {
                let more = read_examples(path, &read)?;
                y.extend(label_indices(&more, &labels, &path.display().to_string())?);
                sizes.push(more.len());
                examples.extend(more);
            }
            let n_dev = sizes[0];
            let split = Split {
                train: (0..n_train).collect(),
                val: (n_train..n_train + n_dev).collect(),
                test: (n_train + n_dev..y.len()).collect(),
            };
            (examples, labels, y, vec![split], "train/dev/test".to_string(), tr.display().to_string())
        }
        (None, Some(tr), None, Some(test)) => {
            // no dev split (IMDB): hold out --validation-split of train, stratified and seeded
            if a.validation_split <= 0.0 {
                bail!("without --dev, --validation-split must hold out some training data (hint: 0.1)");
            }
            let (mut examples, labels, mut y) = super::labelled(tr, &read)?;
            let n_train = examples.len();
            let more = read_examples(test, &read)?;
            y.extend(label_indices(&more, &labels, &test.display().to_string())?);
            examples.extend(more);
            let (train, val) = stratified_split(&(0..n_train).collect::<Vec<_>>(), &y, a.validation_split, a.train.seed);
            let split = Split { train, val, test: (n_train..y.len()).collect() };
            let protocol = format!("train ({} held out for validation)/test", a.validation_split);
            (examples, labels, y, vec![split], protocol, tr.display().to_string())
        }
        _ => bail!(
            "give either --data FILE with --folds K, or --train and --test, with --dev if the data has one (hint: SST-2 has a standard split)"
        ),
    };
    let mut schedules = Vec::new();
    for name in &a.schedules {
        let mut s = a.train.settings_for(0.0, Some(name.name()))?;
        s.probes = Probes::Final;
        schedules.push((name.name().to_string(), s));
    }
    let mut printer = EpochPrinter::new();
    let mut on_done = |name: &str, split: usize, acc: f64| {
        crate::progress::note(format_args!("{name}: split {split}/{} test accuracy {acc:.4}", splits.len()));
    };
    let experiment = Experiment {
        examples: &examples,
        labels: &labels,
        y: &y,
        splits: &splits,
        schedules: &schedules,
        data: data_name,
        protocol,
    };
    let results = run(&experiment, &mut printer, &mut on_done)?;
    let json = serde_json::to_string_pretty(&results)?;
    write_atomic(&a.out.join("results.json"), json.as_bytes())?;
    write_atomic(&a.out.join("report.md"), strata_report::markdown(&results).as_bytes())?;
    write_atomic(&a.out.join("report/index.html"), strata_report::html(&results).as_bytes())?;
    if a.json {
        println!("{json}");
    } else {
        print!("{}", strata_report::markdown(&results));
        println!("\nreport: {}", a.out.join("report/index.html").display());
    }
    Ok(())
}
