//! The label-tree comparison of an experiment (issue 15 point 3, `experiment --hierarchies`):
//! for every model of the experiment, flat, per-level heads and top-down decoding scored on the
//! same test texts — accuracy per level, leaf micro/macro F1, hierarchical P/R/F1 — and each
//! row's paired difference against the same model's flat row. It lives in results.json as
//! `hierarchy`, and this module writes it as a section of report.md and of the HTML page.

use std::fmt::Write as _;

use maud::{html as page, Markup};
use serde::{Deserialize, Serialize};

/// Every model's rows, scored on the test parts of every split and seed put together.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HierarchyTable {
    /// The separator of the label paths (`/`).
    pub separator: String,
    /// How many levels the tree has (the last is the leaf).
    pub depth: usize,
    /// How many test texts each row is scored on (every split's test part, every seed).
    pub test_texts: usize,
    pub rows: Vec<HierarchyRow>,
    /// Ways asked for that a model cannot take, each with why (the linear model's per-level).
    #[serde(default)]
    pub refused: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HierarchyRow {
    /// The schedule the row is a way of (`linear baseline`, `end-to-end`, …).
    pub model: String,
    /// `flat`, `per-level` or `top-down`.
    pub hierarchy: String,
    /// Accuracy at each level, the top first and the leaf last.
    pub level_accuracy: Vec<f64>,
    pub leaf_micro_f1: f64,
    pub leaf_macro_f1: f64,
    pub h_precision: f64,
    pub h_recall: f64,
    pub h_f1: f64,
    /// This row against the same model's flat row on the same texts; `None` on the flat row.
    pub vs_flat: Option<VsFlat>,
}

/// A paired difference of leaf accuracy (this way − flat) with McNemar's exact test.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct VsFlat {
    pub difference: f64,
    /// Texts right under flat only, and under this way only.
    pub only_flat: usize,
    pub only_this: usize,
    pub p_value: f64,
}

/// `acc_l1 … acc_leaf` for a tree of `depth` levels.
fn level_names(depth: usize) -> Vec<String> {
    (0..depth).map(|l| if l + 1 == depth { "acc_leaf".to_string() } else { format!("acc_l{}", l + 1) }).collect()
}

fn versus(v: &Option<VsFlat>) -> String {
    match v {
        // a p below 0.001 in scientific notation: "0.000" would read as impossible
        Some(v) if v.p_value < 1e-3 => {
            format!("{:+.4} ({}/{}, p = {:.1e})", v.difference, v.only_flat, v.only_this, v.p_value)
        }
        Some(v) => format!("{:+.4} ({}/{}, p = {:.3})", v.difference, v.only_flat, v.only_this, v.p_value),
        None => "—".into(),
    }
}

const INTRO: &str = "Each model trained on the same splits, seeds and budget; flat and top-down decode the same \
flat model, per-level trains it again with one extra head per upper level. Scores pool every split's test \
texts; vs flat is the leaf-accuracy difference on the same texts (right under flat only / under this way only, \
McNemar exact p).";

/// The section of report.md.
pub fn markdown(t: &HierarchyTable) -> String {
    let mut s = format!("\n## Label hierarchy: flat, per-level, top-down\n\n{INTRO} {} test texts.\n\n", t.test_texts);
    s.push_str("| model | hierarchy |");
    level_names(t.depth).iter().for_each(|n| {
        let _ = write!(s, " {n} |");
    });
    s.push_str(" leaf micro F1 | leaf macro F1 | hP | hR | hF1 | vs flat |\n|---|---|");
    (0..t.depth + 6).for_each(|_| s.push_str("---|"));
    s.push('\n');
    for r in &t.rows {
        let _ = write!(s, "| {} | {} |", r.model, r.hierarchy);
        r.level_accuracy.iter().for_each(|a| {
            let _ = write!(s, " {a:.4} |");
        });
        let _ = writeln!(
            s,
            " {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {} |",
            r.leaf_micro_f1,
            r.leaf_macro_f1,
            r.h_precision,
            r.h_recall,
            r.h_f1,
            versus(&r.vs_flat)
        );
    }
    for why in &t.refused {
        let _ = writeln!(s, "\nNot run: {why}");
    }
    s
}

/// The section of the HTML page.
pub fn html(t: &HierarchyTable) -> Markup {
    page! {
        h2 id="hierarchy" { "Label hierarchy: flat, per-level, top-down" }
        p { (INTRO) " " (t.test_texts) " test texts." }
        table id="hierarchy-table" {
            tr {
                th { "model" } th { "hierarchy" }
                @for n in level_names(t.depth) { th { (n) } }
                th { "leaf micro F1" } th { "leaf macro F1" } th { "hP" } th { "hR" } th { "hF1" } th { "vs flat" }
            }
            @for r in &t.rows {
                tr {
                    td { (r.model) } td { (r.hierarchy) }
                    @for a in &r.level_accuracy { td { (format!("{a:.4}")) } }
                    td { (format!("{:.4}", r.leaf_micro_f1)) } td { (format!("{:.4}", r.leaf_macro_f1)) }
                    td { (format!("{:.4}", r.h_precision)) } td { (format!("{:.4}", r.h_recall)) }
                    td { (format!("{:.4}", r.h_f1)) } td { (versus(&r.vs_flat)) }
                }
            }
        }
        @for why in &t.refused { p class="note" { "Not run: " (why) } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(hierarchy: &str, vs_flat: Option<VsFlat>) -> HierarchyRow {
        HierarchyRow {
            model: "end-to-end".into(),
            hierarchy: hierarchy.into(),
            level_accuracy: vec![0.9, 0.8],
            leaf_micro_f1: 0.8,
            leaf_macro_f1: 0.75,
            h_precision: 0.85,
            h_recall: 0.85,
            h_f1: 0.85,
            vs_flat,
        }
    }

    #[test]
    fn every_row_and_refusal_is_written_and_a_tiny_p_is_not_zero() {
        let t = HierarchyTable {
            separator: "/".into(),
            depth: 2,
            test_texts: 10,
            rows: vec![
                row("flat", None),
                row("top-down", Some(VsFlat { difference: -0.05, only_flat: 60, only_this: 10, p_value: 3e-10 })),
            ],
            refused: vec!["linear (baseline), per-level: why".into()],
        };
        let md = markdown(&t);
        assert!(
            md.contains("| end-to-end | flat | 0.9000 | 0.8000 | 0.8000 | 0.7500 | 0.8500 | 0.8500 | 0.8500 | — |"),
            "{md}"
        );
        assert!(md.contains("| -0.0500 (60/10, p = 3.0e-10) |"), "{md}");
        assert!(md.contains("Not run: linear (baseline), per-level: why"), "{md}");
        let page = html(&t).into_string();
        assert!(page.contains("<td>top-down</td>") && page.contains("p = 3.0e-10"), "{page}");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<HierarchyTable>(&json).unwrap(), t);
    }
}
