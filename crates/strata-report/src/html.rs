//! `report/index.html`: one self-contained page with tables and inline SVG plots.

use std::fmt::Write;

use crate::results::ExperimentResults;

use crate::{mean_curve, paired, probed_layers, svg};

use crate::escape_html as esc;

pub fn html(r: &ExperimentResults) -> String {
    let mut s = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>strata experiment</title><style>\
         body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}\
         table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}\
         th:first-child,td:first-child,#summary td:nth-child(2),#time-table td:nth-child(2){text-align:left}th{background:#f4f4f4}.pos{color:#1a7f37}.neg{color:#c62828}\
         svg.chart{display:block;margin:1em 0;background:#fff}</style></head><body>",
    );
    let _ = write!(
        s,
        "<h1>Experiment: end-to-end or hierarchical?</h1><p>Data <code>{}</code>, model <code>{}</code> ({} levels), {}, seed {}, {} threads.</p>",
        esc(&r.data),
        esc(&r.model),
        r.layers,
        esc(&r.protocol),
        r.seed,
        r.threads
    );
    s.push_str("<h2 id=\"accuracy\">Accuracy</h2><table id=\"summary\"><tr><th>schedule</th><th>stages</th><th>epochs</th><th>accuracy</th><th>± std</th><th>Δ vs end-to-end</th><th>wins/ties/losses</th><th>train time (s)</th></tr>");
    for sc in &r.schedules {
        let (d, wtl) = match paired(r, sc) {
            Some(p) if sc.name != "end-to-end" => {
                let class = if p.mean > 0.0 { "pos" } else { "neg" };
                (
                    format!("<span class=\"{class}\">{:+.4}</span>", p.mean),
                    format!("{}/{}/{}", p.wins, p.ties, p.losses),
                )
            }
            _ => ("—".into(), "—".into()),
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{d}</td><td>{wtl}</td><td>{:.0}</td></tr>",
            esc(&sc.name),
            esc(&sc.stages.join(" → ")),
            sc.epochs,
            sc.mean_accuracy,
            sc.std_accuracy,
            sc.seconds
        );
    }
    s.push_str("</table>");
    let bars: Vec<(String, f64, f64)> =
        r.schedules.iter().map(|sc| (sc.name.clone(), sc.mean_accuracy, sc.std_accuracy)).collect();
    s.push_str(&svg::bars(&bars, "test accuracy (mean ± std)"));

    s.push_str(
        "<h2 id=\"paired\">Split by split, against end-to-end</h2><table id=\"paired-table\"><tr><th>schedule</th>",
    );
    let n = r.schedules.first().map_or(0, |x| x.split_accuracy.len());
    (1..=n).for_each(|i| {
        let _ = write!(s, "<th>{i}</th>");
    });
    s.push_str("</tr>");
    for sc in &r.schedules {
        let _ = write!(s, "<tr><td>{}</td>", esc(&sc.name));
        let p = paired(r, sc).filter(|_| sc.name != "end-to-end");
        for (i, a) in sc.split_accuracy.iter().enumerate() {
            match &p {
                Some(p) => {
                    let d = p.diffs[i];
                    let class = if d > 0.0 {
                        "pos"
                    } else if d < 0.0 {
                        "neg"
                    } else {
                        ""
                    };
                    let _ = write!(s, "<td>{a:.4} <span class=\"{class}\">({d:+.3})</span></td>");
                }
                None => {
                    let _ = write!(s, "<td>{a:.4}</td>");
                }
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>");

    s.push_str("<h2 id=\"time\">Time</h2><table id=\"time-table\"><tr><th>schedule</th><th>stage</th><th>seconds per epoch</th></tr>");
    for sc in &r.schedules {
        for st in &sc.stage_times {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{} {}</td><td>{:.2}</td></tr>",
                esc(&sc.name),
                st.stage,
                esc(&st.name),
                st.seconds_per_epoch
            );
        }
    }
    s.push_str("</table><p>A stage whose lower layers are frozen runs no backward through them, so its epochs are shorter.</p>");

    s.push_str("<h2 id=\"curves\">Learning curves by stage</h2><p>Validation accuracy after each epoch, mean over splits; a dot marks the first epoch of a stage.</p>");
    let series: Vec<(String, Vec<(usize, f64)>)> =
        r.schedules.iter().map(|sc| (sc.name.clone(), mean_curve(sc))).collect();
    s.push_str(&svg::curves(&series, "validation accuracy"));

    if r.schedules.iter().any(|sc| !sc.probes.is_empty()) {
        s.push_str("<h2 id=\"probes\">What each layer has learned</h2><p>Validation accuracy of a logistic-regression probe on each layer's pooled output (mean embedding; each LSTM's last state), after training.</p>");
        let layers = probed_layers(r);
        let series: Vec<(String, Vec<f64>)> = r
            .schedules
            .iter()
            .map(|sc| (sc.name.clone(), sc.probes.iter().map(|p| p.val_accuracy).collect()))
            .collect();
        s.push_str(&svg::grouped(&layers, &series, "probe accuracy"));
        s.push_str("<table id=\"probe-table\"><tr><th>schedule</th>");
        layers.iter().for_each(|l| {
            let _ = write!(s, "<th>{}</th>", esc(l));
        });
        s.push_str("</tr>");
        for (name, vals) in &series {
            let _ = write!(s, "<tr><td>{}</td>", esc(name));
            vals.iter().for_each(|v| {
                let _ = write!(s, "<td>{v:.4}</td>");
            });
            s.push_str("</tr>");
        }
        s.push_str("</table>");
    }
    s.push_str("<p>Made by strata from results.json.</p></body></html>\n");
    s
}
