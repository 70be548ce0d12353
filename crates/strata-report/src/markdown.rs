//! `report.md`: the experiment's tables in Markdown.

use std::fmt::Write;

use crate::results::ExperimentResults;

use crate::{budget_warning, paired, probed_layers, seeds_phrase};

pub fn markdown(r: &ExperimentResults) -> String {
    let mut s = format!(
        "# Experiment: {} on {}\n\nModel `{}` ({} levels), {}, {}, {} threads.\n\n",
        r.schedules.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
        r.data,
        r.model,
        r.layers,
        r.protocol,
        seeds_phrase(r),
        r.threads
    );
    s.push_str("| schedule | stages | epochs | accuracy (mean ± std) | vs end-to-end (mean Δ ± std, W/T/L over splits × seeds) | train time |\n|---|---|---|---|---|---|\n");
    for sc in &r.schedules {
        let vs = match paired(r, sc) {
            Some(p) => format!("{:+.4} ± {:.4} ({}/{}/{})", p.mean, p.std, p.wins, p.ties, p.losses),
            None => "—".into(),
        };
        let epochs = match budget_warning(sc) {
            Some(w) => format!("{} ⚠ {w}", sc.epochs),
            None => sc.epochs.to_string(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.4} ± {:.4} | {} | {:.0} s |",
            sc.name,
            sc.stages.join(" → "),
            epochs,
            sc.mean_accuracy,
            sc.std_accuracy,
            vs,
            sc.seconds
        );
    }
    s.push_str("\n## Accuracy per split\n\n| schedule |");
    let names = r.split_column_names();
    let n = names.len();
    names.iter().for_each(|name| {
        let _ = write!(s, " {name} |");
    });
    s.push_str("\n|---|");
    (0..n).for_each(|_| s.push_str("---|"));
    s.push('\n');
    for sc in &r.schedules {
        let _ = write!(s, "| {} |", sc.name);
        sc.split_accuracy.iter().for_each(|a| {
            let _ = write!(s, " {a:.4} |");
        });
        s.push('\n');
    }
    s.push_str("\n## Seconds per epoch, by stage\n\n| schedule | stage | s/epoch |\n|---|---|---|\n");
    for sc in &r.schedules {
        for st in &sc.stage_times {
            let _ = writeln!(s, "| {} | {} {} | {:.2} |", sc.name, st.stage, st.name, st.seconds_per_epoch);
        }
    }
    if r.schedules.iter().any(|sc| !sc.probes.is_empty()) {
        s.push_str("\n## Linear probes (validation accuracy of a logistic regression on each layer, after training)\n\n| schedule |");
        let layers = probed_layers(r);
        layers.iter().for_each(|l| {
            let _ = write!(s, " {l} |");
        });
        s.push_str("\n|---|");
        layers.iter().for_each(|_| s.push_str("---|"));
        s.push('\n');
        for sc in &r.schedules {
            let _ = write!(s, "| {} |", sc.name);
            sc.probes.iter().for_each(|p| {
                let _ = write!(s, " {:.4} |", p.val_accuracy);
            });
            s.push('\n');
        }
    }
    if let Some(c) = &r.config {
        let classes: Vec<String> = c.examples_per_class.iter().map(|k| format!("{}: {}", k.label, k.count)).collect();
        let _ = write!(
            s,
            "\n## Configuration\n\n```\n{}\n```\n\nstrata {}, {}; epoch budget {}, batch size {}, {} lr {}, \
             maxlen {}, num_words {}, validation split {}, repeats {}; examples per class: {}.\n",
            c.command,
            c.strata_version,
            c.date,
            c.epochs,
            c.batch_size,
            c.optimizer,
            c.lr,
            c.maxlen,
            c.num_words,
            c.validation_split,
            c.repeats,
            classes.join(", ")
        );
    }
    s
}
