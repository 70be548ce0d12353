//! `report/index.html`: one self-contained page with tables, inline SVG charts and the
//! configuration that reproduces it. maud builds the page, so every value is escaped as HTML
//! by the template, not by hand.

use maud::{html as page, Markup, PreEscaped, DOCTYPE};

use crate::charts::{self, css_color};
use crate::results::{ExperimentResults, RunConfig};
use crate::{
    baseline_intro, baseline_verdicts, beats_baseline, budget_warning, has_pretrained, mean_curve, mean_lm_curve,
    multichannel_phrase, padding_phrase, paired, paired_with_baseline, paired_with_scratch, probed_layers,
    scratch_channels_note, scratch_columns, seconds, seeds_phrase,
};
use crate::{curve_score_name, score_name};

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}\
th:first-child,td:first-child,#summary td:nth-child(2),#time-table td:nth-child(2),#config td{text-align:left}\
th{background:#f4f4f4}.pos{color:#1a7f37}.neg{color:#b3261e}.note{color:#8a4b00;font-size:.9em}\
.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.4em;vertical-align:baseline}\
svg.chart{display:block;margin:1em 0;background:#fff}code{background:#f4f4f4;padding:0 .2em}\
#config code.command{display:block;white-space:pre-wrap;word-break:break-all}";

pub fn html(r: &ExperimentResults) -> String {
    page! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "strata experiment: " (r.data) }
                style { (PreEscaped(CSS)) }
            }
            body {
                h1 { "Experiment: end-to-end or hierarchical?" }
                p {
                    "Data " code { (r.data) } ", model " code { (r.model) } " (" (r.layers) " levels), "
                    (r.protocol) ", " (seeds_phrase(r)) ", " (r.threads) " threads."
                }
                @if let Some(phrase) = multichannel_phrase(r) { p id="multichannel" { "Embedding: " (phrase) "." } }
                @if let Some(phrase) = crate::class_weight_phrase(r) { p id="class-weight" { "Class weights: " (phrase) "." } }
                @if let Some(phrase) = padding_phrase(r) { p id="padding" { "Padding: " (phrase) "." } }
                @if let Some(phrase) = crate::adversarial_phrase(r) { p id="adversarial" { "Adversarial training: " (phrase) "." } }
                (summary(r))
                (PreEscaped(charts::bars(&accuracy_bars(r), &format!("test {} (mean ± std)", score_name(r)))))
                (pretrained(r))
                (paired_table(r))
                (time_table(r))
                @if let Some(t) = &r.hierarchy { (crate::hierarchy_table::html(t)) }
                @if let Some(t) = &r.multi_label { (crate::multi_label_table::html(t)) }
                h2 id="curves" { "Learning curves by stage" }
                p { "Validation " (curve_score_name(r)) " after each epoch, mean over splits and seeds; a dot marks the first epoch of a stage."
                    @if let Some(b) = r.baseline() { " The baseline (" (b.name) ") runs its own " (b.epochs) " epochs and is not drawn." } }
                (PreEscaped(charts::curves(&curve_series(r), &format!("validation {}", curve_score_name(r)))))
                (probes(r))
                (probes_before_after(r))
                (language_model(r))
                (config(r))
                p { "Made by strata from results.json; " code { "strata report RUN" } " makes it again." }
            }
        }
    }
    .into_string()
        + "\n"
}

fn accuracy_bars(r: &ExperimentResults) -> Vec<(String, f64, f64)> {
    r.schedules.iter().map(|sc| (sc.name.clone(), sc.mean_accuracy, sc.std_accuracy)).collect()
}

/// Each schedule's mean curve; the baseline's is left empty (not drawn) so that its own epochs
/// (25 by default) do not squeeze the schedules' few onto a corner of the axis.
fn curve_series(r: &ExperimentResults) -> Vec<(String, Vec<(usize, f64)>)> {
    let curve = |sc: &crate::results::ScheduleResult| if sc.baseline { Vec::new() } else { mean_curve(sc) };
    r.schedules.iter().map(|sc| (sc.name.clone(), curve(sc))).collect()
}

fn signed(d: f64) -> Markup {
    let class = if d > 0.0 {
        "pos"
    } else if d < 0.0 {
        "neg"
    } else {
        ""
    };
    page! { span class=(class) { (format!("{d:+.4}")) } }
}

fn summary(r: &ExperimentResults) -> Markup {
    let pairs = r.schedules.first().map_or(0, |s| s.split_accuracy.len());
    let base = r.baseline();
    page! {
        h2 id="accuracy" { (if score_name(r) == "accuracy" { "Accuracy" } else { score_name(r) }) }
        p { "Mean ± standard deviation over " (pairs) " test scores (every split under every seed). "
            "Δ is the mean ± standard deviation of the difference from end-to-end on the same split and seed; "
            "wins/ties/losses count those pairs."
            @if let Some(b) = base { " The first row, " (b.name) ", is the baseline every other row is also paired with." } }
        table id="summary" {
            tr { th { "schedule" } th { "stages" } th { "epochs" } th { (score_name(r)) } th { "± std" }
                 th { "Δ vs end-to-end" } th { "wins/ties/losses" }
                 @if base.is_some() { th { "Δ vs baseline" } th { "wins/ties/losses vs baseline" } }
                 th { "train time (s)" } }
            @for (i, sc) in r.schedules.iter().enumerate() {
                tr {
                    td { span.swatch style={ "background:" (css_color(i)) } {} (sc.name) }
                    td {
                        (sc.stages.join(" → "))
                        @if let Some(w) = budget_warning(sc) { br; span.note { "⚠ " (w) } }
                    }
                    td { (sc.epochs) @if let Some(b) = sc.budget.filter(|&b| b != sc.epochs) { " of " (b) " ⚠" } }
                    td { (format!("{:.4}", sc.mean_accuracy)) }
                    td { (format!("{:.4}", sc.std_accuracy)) }
                    (paired_cells(paired(r, sc)))
                    @if base.is_some() { (paired_cells(paired_with_baseline(r, sc))) }
                    td { (seconds(sc.seconds)) }
                }
            }
        }
        (against_baseline(r))
    }
}

/// Two cells: the mean ± std of a paired difference, and its wins/ties/losses (dashes without).
fn paired_cells(p: Option<crate::Paired>) -> Markup {
    page! {
        @match p {
            Some(p) => {
                td { (signed(p.mean)) " ± " (format!("{:.4}", p.std)) }
                td { (p.wins) "/" (p.ties) "/" (p.losses) }
            }
            None => { td { "—" } td { "—" } }
        }
    }
}

/// Whether each schedule beats the baseline by the margin, one plain sentence each.
fn against_baseline(r: &ExperimentResults) -> Markup {
    let Some(intro) = baseline_intro(r) else { return page! {} };
    page! {
        p { (intro) }
        ul id="against-baseline" {
            @for (sc, sentence) in baseline_verdicts(r) {
                @let beats = paired_with_baseline(r, sc).is_some_and(|p| beats_baseline(&p));
                li class=(if beats { "pos" } else { "neg" }) { (sentence) }
            }
        }
    }
}

fn paired_table(r: &ExperimentResults) -> Markup {
    page! {
        h2 id="paired" { "Split by split, against end-to-end" }
        p { "Test " (score_name(r)) " of each run; in brackets, the difference from end-to-end on the same split and seed." }
        table id="paired-table" {
            tr { th { "schedule" } @for name in r.split_column_names() { th { (name) } } }
            @for sc in &r.schedules {
                @let p = paired(r, sc);
                tr {
                    td { (sc.name) }
                    @for (i, a) in sc.split_accuracy.iter().enumerate() {
                        td {
                            (format!("{a:.4}"))
                            @if let Some(d) = p.as_ref().and_then(|p| p.diffs.get(i)) { " (" (signed(*d)) ")" }
                        }
                    }
                }
            }
        }
    }
}

fn time_table(r: &ExperimentResults) -> Markup {
    page! {
        h2 id="time" { "Time" }
        table id="time-table" {
            tr { th { "schedule" } th { "stage" } th { "seconds per epoch" } }
            @for sc in &r.schedules {
                @for st in &sc.stage_times {
                    tr { td { (sc.name) } td { (st.stage) " " (st.name) } td { (format!("{:.2}", st.seconds_per_epoch)) } }
                }
            }
        }
        p { "A stage whose lower layers are frozen runs no backward through them, so its epochs are shorter." }
    }
}

fn probes(r: &ExperimentResults) -> Markup {
    if r.schedules.iter().all(|sc| sc.probes.is_empty()) {
        return page! {};
    }
    let layers = probed_layers(r);
    // every schedule keeps its place (and so its colour); a row without probes (the linear
    // baseline has no levels) is drawn as no bars and left out of the table
    let series: Vec<(String, Vec<f64>)> =
        r.schedules.iter().map(|sc| (sc.name.clone(), sc.probes.iter().map(|p| p.val_accuracy).collect())).collect();
    page! {
        h2 id="probes" { "What each layer has learned" }
        p { "Validation accuracy of a logistic-regression probe on each layer's pooled output (mean embedding; each LSTM's last state), after training." }
        (PreEscaped(charts::grouped(&layers, &series, "probe accuracy")))
        table id="probe-table" {
            tr { th { "schedule" } @for l in &layers { th { (l) } } }
            @for (name, vals) in series.iter().filter(|(_, vals)| !vals.is_empty()) {
                tr { td { (name) } @for v in vals { td { (format!("{v:.4}")) } } }
            }
        }
    }
}

fn pretrained(r: &ExperimentResults) -> Markup {
    if !has_pretrained(r) {
        return page! {};
    }
    page! {
        h2 id="pretrained" { "Pretrained against from scratch" }
        p { "Levels from " code { (r.init_from.as_deref().unwrap_or("the --init-from folder")) }
            "; each pretrained schedule ran on the same splits and seeds as its from-scratch twin. "
            "Δ is pretrained − scratch, mean ± standard deviation over those pairs."
            @if let Some(note) = scratch_channels_note(r) { " " (note) } }
        @let (scratch, pretrained) = scratch_columns(r);
        table id="pretrained-table" {
            tr { th { "schedule" } th { (scratch) } th { (pretrained) } th { "Δ pretrained − scratch" } th { "wins/ties/losses" } }
            @for sc in r.schedules.iter().filter(|sc| sc.pretrained) {
                tr {
                    td { (sc.name) }
                    @match paired_with_scratch(r, sc) {
                        Some((base, p)) => {
                            td { (base.name) ": " (format!("{:.4} ± {:.4}", base.mean_accuracy, base.std_accuracy)) }
                            td { (format!("{:.4} ± {:.4}", sc.mean_accuracy, sc.std_accuracy)) }
                            td { (signed(p.mean)) " ± " (format!("{:.4}", p.std)) }
                            td { (p.wins) "/" (p.ties) "/" (p.losses) }
                        }
                        None => {
                            td { "—" }
                            td { (format!("{:.4} ± {:.4}", sc.mean_accuracy, sc.std_accuracy)) }
                            td { "—" } td { "—" }
                        }
                    }
                }
            }
        }
    }
}

fn probes_before_after(r: &ExperimentResults) -> Markup {
    let Some(first) = r.schedules.iter().find(|sc| !sc.probes_before.is_empty()) else { return page! {} };
    page! {
        h2 id="probes-before-after" { "Each level before and after fine-tuning" }
        p { "Validation accuracy of a linear probe on each level: before fine-tuning (the pretrained levels as loaded: "
            "what pretraining alone makes linearly readable) → after (the final model)." }
        table id="probes-before-after-table" {
            tr { th { "schedule" } @for p in &first.probes_before { th { (p.layer) } } }
            @for sc in r.schedules.iter().filter(|sc| !sc.probes_before.is_empty()) {
                tr {
                    td { (sc.name) }
                    @for (i, before) in sc.probes_before.iter().enumerate() {
                        td {
                            (format!("{:.4}", before.val_accuracy)) " → "
                            @match sc.probes.get(i) {
                                Some(after) => { (format!("{:.4}", after.val_accuracy)) " (" (signed(after.val_accuracy - before.val_accuracy)) ")" }
                                None => { "—" }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn language_model(r: &ExperimentResults) -> Markup {
    if r.schedules.iter().all(|sc| sc.language_model.is_empty()) {
        return page! {};
    }
    page! {
        h2 id="language-model" { "Language-model fine-tuning" }
        p { "The pretrained language model fine-tuned on each split's training texts before the classifier: "
            "loss and validation perplexity per epoch, mean over splits." }
        table id="language-model-table" {
            tr { th { "schedule" } th { "epoch" } th { "loss" } th { "val_perplexity" } }
            @for sc in &r.schedules {
                @for (epoch, loss, ppl) in mean_lm_curve(sc) {
                    tr { td { (sc.name) } td { (epoch) } td { (format!("{loss:.4}")) } td { (ppl.map_or("—".to_string(), |p| format!("{p:.2}"))) } }
                }
            }
        }
    }
}

fn config(r: &ExperimentResults) -> Markup {
    page! {
        h2 id="configuration" { "Configuration" }
        @match &r.config {
            Some(c) => { (config_table(r, c)) }
            None => {
                p.note { "This experiment was run by a strata that did not record its configuration; "
                    "only what results.json holds is known: data " code { (r.data) } ", model " code { (r.model) }
                    ", " (r.protocol) ", " (seeds_phrase(r)) "." }
            }
        }
    }
}

fn config_table(r: &ExperimentResults, c: &RunConfig) -> Markup {
    let classes: Vec<String> = c.examples_per_class.iter().map(|k| format!("{}: {}", k.label, k.count)).collect();
    let seeds: Vec<String> = r.seed_list().iter().map(|s| s.to_string()).collect();
    page! {
        table id="config" {
            tr { th { "command" } td { code.command { (c.command) } } }
            tr { th { "strata version" } td { (c.strata_version) } }
            tr { th { "date (UTC)" } td { (c.date) } }
            tr { th { "data" } td { code { (r.data) } } }
            tr { th { "protocol" } td { (r.protocol) } }
            tr { th { "examples per class" } td { (classes.join(", ")) } }
            tr { th { "model" } td { (r.model) " (" (r.layers) " levels)" } }
            tr { th { "epoch budget" } td { (c.epochs) } }
            tr { th { "batch size" } td { (c.batch_size) } }
            tr { th { "optimizer" } td { (c.optimizer) } }
            tr { th { "learning rate" } td { (c.lr) } }
            tr { th { "maxlen" } td { (c.maxlen) } }
            tr { th { "num_words" } td { (c.num_words) } }
            tr { th { "validation split" } td { (c.validation_split) } }
            tr { th { "seeds" } td { (seeds.join(", ")) " (" (c.repeats) " repeats)" } }
            tr { th { "threads" } td { (r.threads) } }
            @if let Some(dir) = &r.init_from { tr { th { "init from" } td { code { (dir) } } } }
            @if let Some(phrase) = multichannel_phrase(r) { tr { th { "embedding" } td { (phrase) } } }
            @if let Some(phrase) = padding_phrase(r) { tr { th { "padding" } td { (phrase) } } }
            @if let Some(phrase) = crate::adversarial_phrase(r) { tr { th { "adversarial" } td { (phrase) } } }
        }
    }
}
