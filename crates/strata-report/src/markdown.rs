//! `report.md`: the experiment's tables in Markdown.

use std::fmt::Write;

use crate::results::ExperimentResults;

use crate::{
    baseline_intro, baseline_verdicts, budget_warning, has_pretrained, mean_lm_curve, multichannel_phrase,
    padding_phrase, paired, paired_with_baseline, paired_with_scratch, probed_layers, scratch_channels_note,
    scratch_columns, seconds, seeds_phrase,
};

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
    if let Some(phrase) = multichannel_phrase(r) {
        let _ = write!(s, "Embedding: {phrase}.\n\n");
    }
    if let Some(phrase) = padding_phrase(r) {
        let _ = write!(s, "Padding: {phrase}.\n\n");
    }
    if let Some(phrase) = crate::class_weight_phrase(r) {
        let _ = write!(s, "Class weights: {phrase}.\n\n");
    }
    if let Some(phrase) = crate::adversarial_phrase(r) {
        let _ = write!(s, "Adversarial training: {phrase}.\n\n");
    }
    // the baseline column only where there is a baseline: without one, the table is as before
    let has_baseline = r.baseline().is_some();
    let score = crate::score_name(r);
    let _ = write!(s, "| schedule | stages | epochs | {score} (mean ± std) | vs end-to-end (mean Δ ± std, W/T/L over splits × seeds) |");
    if let Some(b) = r.baseline() {
        let _ = write!(s, " vs {} (mean Δ ± std, W/T/L) |", b.name);
    }
    s.push_str(" train time |\n|---|---|---|---|---|");
    if has_baseline {
        s.push_str("---|");
    }
    s.push_str("---|\n");
    let versus = |p: Option<crate::Paired>| match p {
        Some(p) => format!("{:+.4} ± {:.4} ({}/{}/{})", p.mean, p.std, p.wins, p.ties, p.losses),
        None => "—".into(),
    };
    for sc in &r.schedules {
        let epochs = match budget_warning(sc) {
            Some(w) => format!("{} ⚠ {w}", sc.epochs),
            None => sc.epochs.to_string(),
        };
        let _ = write!(
            s,
            "| {} | {} | {} | {:.4} ± {:.4} | {} |",
            sc.name,
            sc.stages.join(" → "),
            epochs,
            sc.mean_accuracy,
            sc.std_accuracy,
            versus(paired(r, sc)),
        );
        if has_baseline {
            let _ = write!(s, " {} |", versus(paired_with_baseline(r, sc)));
        }
        let _ = writeln!(s, " {} s |", seconds(sc.seconds));
    }
    if let Some(intro) = baseline_intro(r) {
        let _ = writeln!(s, "\n{intro}\n");
        for (_, sentence) in baseline_verdicts(r) {
            let _ = writeln!(s, "- {sentence}");
        }
    }
    pretrained(r, &mut s);
    let _ = write!(s, "\n## {} per split\n\n| schedule |", if score == "accuracy" { "Accuracy" } else { score });
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
    if let Some(t) = &r.hierarchy {
        s.push_str(&crate::hierarchy_table::markdown(t));
    }
    if let Some(t) = &r.multi_label {
        s.push_str(&crate::multi_label_table::markdown(t));
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
        // a row without probes (the linear baseline has no levels) is left out
        for sc in r.schedules.iter().filter(|sc| !sc.probes.is_empty()) {
            let _ = write!(s, "| {} |", sc.name);
            sc.probes.iter().for_each(|p| {
                let _ = write!(s, " {:.4} |", p.val_accuracy);
            });
            s.push('\n');
        }
    }
    probes_before_after(r, &mut s);
    language_model(r, &mut s);
    if let Some(c) = &r.config {
        let classes: Vec<String> = c.examples_per_class.iter().map(|k| format!("{}: {}", k.label, k.count)).collect();
        let _ = write!(
            s,
            "\n## Configuration\n\n```\n{}\n```\n\nstrata {}, {}; epoch budget {}, batch size {}, {} lr {}, \
             maxlen {}, num_words {}, validation split {}, repeats {}{}{}{}; examples per class: {}.\n",
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
            if r.multichannel { ", multichannel" } else { "" },
            if c.mask_padding { ", --mask-padding" } else { "" },
            if c.bucket_by_length { ", --bucket-by-length" } else { "" },
            classes.join(", ")
        );
    }
    s
}

/// Each pretrained schedule beside its from-scratch twin: pretrained − scratch per split.
fn pretrained(r: &ExperimentResults, s: &mut String) {
    if !has_pretrained(r) {
        return;
    }
    let from = r.init_from.as_deref().unwrap_or("the --init-from folder");
    let note = scratch_channels_note(r).map_or(String::new(), |n| format!(" {n}"));
    let (scratch, pretrained) = scratch_columns(r);
    let _ = write!(
        s,
        "\n## Pretrained against from scratch\n\nLevels from `{from}`; each pair ran on the same splits and seeds.{note}\n\n\
         | schedule | {scratch} | {pretrained} | Δ pretrained − scratch (mean ± std) | W/T/L |\n|---|---|---|---|---|\n"
    );
    for sc in r.schedules.iter().filter(|sc| sc.pretrained) {
        let pretrained = format!("{:.4} ± {:.4}", sc.mean_accuracy, sc.std_accuracy);
        match paired_with_scratch(r, sc) {
            Some((base, p)) => {
                let _ = writeln!(
                    s,
                    "| {} | {}: {:.4} ± {:.4} | {pretrained} | {:+.4} ± {:.4} | {}/{}/{} |",
                    sc.name, base.name, base.mean_accuracy, base.std_accuracy, p.mean, p.std, p.wins, p.ties, p.losses
                );
            }
            None => {
                let _ = writeln!(s, "| {} | — | {pretrained} | — | — |", sc.name);
            }
        }
    }
}

/// Each level's probe before fine-tuning (the pretrained levels as loaded) and after it.
fn probes_before_after(r: &ExperimentResults, s: &mut String) {
    if r.schedules.iter().all(|sc| sc.probes_before.is_empty()) {
        return;
    }
    s.push_str(
        "\n## Probes before and after fine-tuning\n\nValidation accuracy of a linear probe on each level: \
         before (the pretrained levels as loaded: what pretraining alone makes readable) → after (the final model).\n\n| schedule |",
    );
    let layers: Vec<String> = r
        .schedules
        .iter()
        .find(|sc| !sc.probes_before.is_empty())
        .map(|sc| sc.probes_before.iter().map(|p| p.layer.clone()).collect())
        .unwrap_or_default();
    layers.iter().for_each(|l| {
        let _ = write!(s, " {l} |");
    });
    s.push_str("\n|---|");
    layers.iter().for_each(|_| s.push_str("---|"));
    s.push('\n');
    for sc in r.schedules.iter().filter(|sc| !sc.probes_before.is_empty()) {
        let _ = write!(s, "| {} |", sc.name);
        for (i, before) in sc.probes_before.iter().enumerate() {
            match sc.probes.get(i) {
                Some(after) => {
                    let _ = write!(s, " {:.4} → {:.4} |", before.val_accuracy, after.val_accuracy);
                }
                None => {
                    let _ = write!(s, " {:.4} → — |", before.val_accuracy);
                }
            }
        }
        s.push('\n');
    }
}

/// ulmfit's language-model stage: loss and validation perplexity per epoch, mean over splits.
fn language_model(r: &ExperimentResults, s: &mut String) {
    if r.schedules.iter().all(|sc| sc.language_model.is_empty()) {
        return;
    }
    s.push_str("\n## Language-model fine-tuning on the training texts (mean over splits)\n\n| schedule | epoch | loss | val_perplexity |\n|---|---|---|---|\n");
    for sc in &r.schedules {
        for (epoch, loss, ppl) in mean_lm_curve(sc) {
            let ppl = ppl.map_or("—".to_string(), |p| format!("{p:.2}"));
            let _ = writeln!(s, "| {} | {epoch} | {loss:.4} | {ppl} |", sc.name);
        }
    }
}
