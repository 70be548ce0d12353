//! The multi-label figures of an experiment (issue 15 point 2, `experiment --multi-label`):
//! every model (the linear baseline first, then each schedule) scored on the same splits with
//! micro F1 (the headline), macro F1, Hamming loss, subset accuracy and precision at 1, per
//! split and as mean ± std, and each row paired with the baseline on micro F1 split by split:
//! wins/ties/losses, the mean ± std of the difference, and the exact two-sided sign test on the
//! wins and losses. It lives in results.json as `multi_label`, and this module writes it as a
//! section of report.md and of the HTML page. With it, a schedule's `split_accuracy` holds its
//! micro F1 per split, so the report's other tables (summary, per split, against the baseline)
//! compare the headline figure; `crate::score_name` says so in their headers.

use std::fmt::Write as _;

use maud::{html as page, Markup};
use serde::{Deserialize, Serialize};

/// Every model's multi-label figures, on the test part of every split and seed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MultiLabelTable {
    /// How many labels the data has (one sigmoid each).
    pub labels: usize,
    /// How each label's decision threshold was chosen ("tuned on the validation part", or
    /// "fixed at 0.4 (--threshold)").
    pub thresholds: String,
    /// A name per split (the columns of `per_split`), as the experiment's `split_names`.
    pub split_names: Vec<String>,
    pub rows: Vec<MultiLabelRow>,
}

/// The figures a split reports, each in [0, 1].
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct MultiLabelFigures {
    pub micro_f1: f64,
    pub macro_f1: f64,
    pub hamming_loss: f64,
    pub subset_accuracy: f64,
    pub precision_at_1: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MultiLabelRow {
    /// The schedule's name (`linear (baseline)`, `end-to-end`, …).
    pub model: String,
    /// Whether this row is the baseline every other row is paired with.
    pub baseline: bool,
    /// One entry per split and seed, in `split_names` order.
    pub per_split: Vec<MultiLabelFigures>,
    pub mean: MultiLabelFigures,
    /// Population standard deviation over the splits.
    pub std: MultiLabelFigures,
    /// Micro F1 against the baseline split by split; `None` on the baseline row, or without one.
    pub vs_baseline: Option<MicroF1VsBaseline>,
}

/// This row's micro F1 minus the baseline's, split by split.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MicroF1VsBaseline {
    pub differences: Vec<f64>,
    pub mean: f64,
    /// Population standard deviation of the differences.
    pub std: f64,
    pub wins: usize,
    pub ties: usize,
    pub losses: usize,
    /// Exact two-sided sign test of the wins against the losses (ties left out).
    pub sign_test_p: f64,
}

/// Mean and population standard deviation.
fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    (mean, (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt())
}

impl MultiLabelRow {
    /// The row of `model` from its figures per split, paired with the baseline's per-split
    /// figures `baseline` when it is not the baseline itself; `sign_test` gives the two-sided
    /// p of (wins, losses).
    pub fn new(
        model: &str,
        per_split: Vec<MultiLabelFigures>,
        baseline: Option<&[MultiLabelFigures]>,
        is_baseline: bool,
        sign_test: impl Fn(usize, usize) -> f64,
    ) -> MultiLabelRow {
        let each = |f: fn(&MultiLabelFigures) -> f64| mean_std(&per_split.iter().map(f).collect::<Vec<_>>());
        let [micro, macro_, hamming, subset, p1] = [
            each(|m| m.micro_f1),
            each(|m| m.macro_f1),
            each(|m| m.hamming_loss),
            each(|m| m.subset_accuracy),
            each(|m| m.precision_at_1),
        ];
        let figures = |pick: fn((f64, f64)) -> f64| MultiLabelFigures {
            micro_f1: pick(micro),
            macro_f1: pick(macro_),
            hamming_loss: pick(hamming),
            subset_accuracy: pick(subset),
            precision_at_1: pick(p1),
        };
        let vs_baseline = baseline.filter(|_| !is_baseline).map(|base| {
            let differences: Vec<f64> = per_split.iter().zip(base).map(|(a, b)| a.micro_f1 - b.micro_f1).collect();
            let (mean, std) = mean_std(&differences);
            let count = |f: fn(f64) -> bool| differences.iter().filter(|&&d| f(d)).count();
            let (wins, ties, losses) = (count(|d| d > 1e-12), count(|d| d.abs() <= 1e-12), count(|d| d < -1e-12));
            MicroF1VsBaseline { sign_test_p: sign_test(wins, losses), differences, mean, std, wins, ties, losses }
        });
        MultiLabelRow {
            model: model.to_string(),
            baseline: is_baseline,
            mean: figures(|(m, _)| m),
            std: figures(|(_, s)| s),
            per_split,
            vs_baseline,
        }
    }
}

fn versus(v: &Option<MicroF1VsBaseline>) -> String {
    match v {
        Some(v) => format!(
            "{:+.4} ± {:.4} ({}/{}/{}, sign p = {})",
            v.mean,
            v.std,
            v.wins,
            v.ties,
            v.losses,
            p_value(v.sign_test_p)
        ),
        None => "—".into(),
    }
}

/// A p-value as the tables write it: below 0.001 in scientific notation ("0.000" would read
/// as impossible).
fn p_value(p: f64) -> String {
    if p < 1e-3 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

fn pm(mean: f64, std: f64) -> String {
    format!("{mean:.4} ± {std:.4}")
}

fn intro(t: &MultiLabelTable) -> String {
    format!(
        "Every model trained on the same splits and seeds, one sigmoid per label ({} labels), each label's \
threshold {}. Mean ± std over {} test scores; vs baseline is micro F1 minus the baseline's on the same split \
(mean ± std, wins/ties/losses, exact two-sided sign test: with fewer than 6 splits no outcome reaches p < 0.05).",
        t.labels,
        t.thresholds,
        t.split_names.len()
    )
}

/// The section of report.md.
pub fn markdown(t: &MultiLabelTable) -> String {
    let mut s = format!("\n## Multi-label figures\n\n{}\n\n", intro(t));
    s.push_str("| model | micro F1 | macro F1 | Hamming loss | subset accuracy | P@1 | vs baseline (micro F1) |\n");
    s.push_str("|---|---|---|---|---|---|---|\n");
    for r in &t.rows {
        let (m, d) = (&r.mean, &r.std);
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.model,
            pm(m.micro_f1, d.micro_f1),
            pm(m.macro_f1, d.macro_f1),
            format_args!("{:.5} ± {:.5}", m.hamming_loss, d.hamming_loss),
            pm(m.subset_accuracy, d.subset_accuracy),
            pm(m.precision_at_1, d.precision_at_1),
            versus(&r.vs_baseline)
        );
    }
    s.push_str("\n### Per split (micro F1 / macro F1 / Hamming loss / subset accuracy / P@1)\n\n| model |");
    t.split_names.iter().for_each(|n| {
        let _ = write!(s, " {n} |");
    });
    s.push_str("\n|---|");
    t.split_names.iter().for_each(|_| s.push_str("---|"));
    s.push('\n');
    for r in &t.rows {
        let _ = write!(s, "| {} |", r.model);
        r.per_split.iter().for_each(|f| {
            let _ = write!(s, " {} |", split_cell(f));
        });
        s.push('\n');
    }
    s
}

fn split_cell(f: &MultiLabelFigures) -> String {
    format!(
        "{:.4} / {:.4} / {:.5} / {:.4} / {:.4}",
        f.micro_f1, f.macro_f1, f.hamming_loss, f.subset_accuracy, f.precision_at_1
    )
}

/// The section of the HTML page.
pub fn html(t: &MultiLabelTable) -> Markup {
    page! {
        h2 id="multi-label" { "Multi-label figures" }
        p { (intro(t)) }
        table id="multi-label-table" {
            tr {
                th { "model" } th { "micro F1" } th { "macro F1" } th { "Hamming loss" } th { "subset accuracy" }
                th { "P@1" } th { "vs baseline (micro F1)" }
            }
            @for r in &t.rows {
                tr {
                    td { (r.model) }
                    td { (pm(r.mean.micro_f1, r.std.micro_f1)) } td { (pm(r.mean.macro_f1, r.std.macro_f1)) }
                    td { (format!("{:.5} ± {:.5}", r.mean.hamming_loss, r.std.hamming_loss)) }
                    td { (pm(r.mean.subset_accuracy, r.std.subset_accuracy)) }
                    td { (pm(r.mean.precision_at_1, r.std.precision_at_1)) } td { (versus(&r.vs_baseline)) }
                }
            }
        }
        h3 { "Per split (micro F1 / macro F1 / Hamming loss / subset accuracy / P@1)" }
        table id="multi-label-splits" {
            tr { th { "model" } @for n in &t.split_names { th { (n) } } }
            @for r in &t.rows {
                tr { td { (r.model) } @for f in &r.per_split { td { (split_cell(f)) } } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micro(values: &[f64]) -> Vec<MultiLabelFigures> {
        values.iter().map(|&m| MultiLabelFigures { micro_f1: m, hamming_loss: 0.01, ..Default::default() }).collect()
    }

    #[test]
    fn a_row_is_paired_with_the_baseline_split_by_split_on_micro_f1() {
        let base = micro(&[0.80, 0.70, 0.60]);
        let sign = |w: usize, l: usize| (w * 10 + l) as f64; // records what it was asked
        let row = MultiLabelRow::new("seed", micro(&[0.85, 0.70, 0.50]), Some(&base), false, sign);
        let v = row.vs_baseline.as_ref().unwrap();
        assert_eq!((v.wins, v.ties, v.losses), (1, 1, 1));
        assert_eq!(v.sign_test_p, 11.0);
        assert!((v.mean - (-0.05 / 3.0)).abs() < 1e-12, "{}", v.mean);
        assert!((row.mean.micro_f1 - 2.05 / 3.0).abs() < 1e-12);
        assert!(row.std.micro_f1 > 0.0 && row.std.hamming_loss.abs() < 1e-15);
        let itself = MultiLabelRow::new("linear (baseline)", base.clone(), Some(&base), true, sign);
        assert!(itself.vs_baseline.is_none() && itself.baseline);
    }

    #[test]
    fn every_row_and_split_is_written_and_a_tiny_p_is_not_zero() {
        let base = micro(&[0.75, 0.5]);
        let t = MultiLabelTable {
            labels: 3,
            thresholds: "tuned on the validation part".into(),
            split_names: vec!["fold 1".into(), "fold 2".into()],
            rows: vec![
                MultiLabelRow::new("linear (baseline)", base.clone(), Some(&base), true, |_, _| 1.0),
                MultiLabelRow::new("end-to-end", micro(&[1.0, 0.75]), Some(&base), false, |_, _| 2e-5),
            ],
        };
        let md = markdown(&t);
        assert!(md.contains("| linear (baseline) | 0.6250 ± 0.1250 |"), "{md}");
        assert!(md.contains("| +0.2500 ± 0.0000 (2/0/0, sign p = 2.0e-5) |"), "{md}");
        assert!(md.contains("| end-to-end | 1.0000 / 0.0000 / 0.01000 / 0.0000 / 0.0000 |"), "{md}");
        let page = html(&t).into_string();
        assert!(page.contains("<td>end-to-end</td>") && page.contains("sign p = 2.0e-5"), "{page}");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<MultiLabelTable>(&json).unwrap(), t);
    }
}
