//! `report.md`: the experiment's tables in Markdown.

use std::fmt::Write;

use crate::results::ExperimentResults;

use crate::{paired, probed_layers};

pub fn markdown(r: &ExperimentResults) -> String {
    let mut s = format!(
        "# Experiment: {} on {}\n\nModel `{}` ({} levels), {}, seed {}, {} threads.\n\n",
        r.schedules.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
        r.data,
        r.model,
        r.layers,
        r.protocol,
        r.seed,
        r.threads
    );
    s.push_str("| schedule | stages | epochs | accuracy (mean ± std) | vs end-to-end (mean Δ, W/T/L) | train time |\n|---|---|---|---|---|---|\n");
    for sc in &r.schedules {
        let vs = match paired(r, sc) {
            Some(p) if sc.name != "end-to-end" => format!("{:+.4} ({}/{}/{})", p.mean, p.wins, p.ties, p.losses),
            _ => "—".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.4} ± {:.4} | {} | {:.0} s |",
            sc.name,
            sc.stages.join(" → "),
            sc.epochs,
            sc.mean_accuracy,
            sc.std_accuracy,
            vs,
            sc.seconds
        );
    }
    s.push_str("\n## Accuracy per split\n\n| schedule |");
    let n = r.schedules.first().map_or(0, |s| s.split_accuracy.len());
    (1..=n).for_each(|i| {
        let _ = write!(s, " {i} |");
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
    s
}
