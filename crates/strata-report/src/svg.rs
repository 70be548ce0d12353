//! Small SVG charts, written by hand so the page needs nothing from outside.

use std::fmt::Write;

pub const COLORS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

use crate::escape_html as esc;

/// A y-range that holds `values` with a little margin, rounded to 0.05.
fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    (((lo - 0.02) * 20.0).floor() / 20.0, ((hi + 0.02) * 20.0).ceil() / 20.0)
}

fn axes(s: &mut String, w: f64, h: f64, (lo, hi): (f64, f64), label: &str) {
    let _ = write!(s, r#"<line x1="50" y1="10" x2="50" y2="{}" stroke="black"/>"#, h - 30.0);
    let _ = write!(s, r#"<line x1="50" y1="{0}" x2="{1}" y2="{0}" stroke="black"/>"#, h - 30.0, w - 10.0);
    for i in 0..=4 {
        let v = lo + (hi - lo) * i as f64 / 4.0;
        let y = h - 30.0 - (h - 40.0) * i as f64 / 4.0;
        let _ = write!(
            s,
            r##"<text x="45" y="{:.1}" font-size="11" text-anchor="end">{v:.2}</text><line x1="50" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/>"##,
            y + 4.0,
            w - 10.0
        );
    }
    let _ = write!(
        s,
        r#"<text x="12" y="{:.1}" font-size="11" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"#,
        h / 2.0,
        h / 2.0,
        esc(label)
    );
}

/// Bars with ± error whiskers: `(label, value, error)`.
pub fn bars(items: &[(String, f64, f64)], label: &str) -> String {
    let (w, h) = (120.0 + 110.0 * items.len() as f64, 260.0);
    let range = y_range(items.iter().flat_map(|(_, v, e)| [v - e, v + e]));
    let y = |v: f64| h - 30.0 - (h - 40.0) * (v - range.0) / (range.1 - range.0);
    let mut s = format!(
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="{}">"#,
        esc(label)
    );
    axes(&mut s, w, h, range, label);
    for (i, (name, v, e)) in items.iter().enumerate() {
        let x = 70.0 + 110.0 * i as f64;
        let _ = write!(
            s,
            r#"<rect x="{x}" y="{:.1}" width="70" height="{:.1}" fill="{}"/>"#,
            y(*v),
            (h - 30.0 - y(*v)).max(0.0),
            COLORS[i % COLORS.len()]
        );
        let _ = write!(
            s,
            r#"<line x1="{0}" y1="{1:.1}" x2="{0}" y2="{2:.1}" stroke="black"/>"#,
            x + 35.0,
            y(v - e),
            y(v + e)
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" font-size="11" text-anchor="middle">{v:.3}</text>"#,
            x + 35.0,
            y(v + e) - 4.0
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>"#,
            x + 35.0,
            h - 12.0,
            esc(name)
        );
    }
    s.push_str("</svg>");
    s
}

/// Lines over epochs: `(name, points (stage, value))`; a dot marks each stage's first epoch.
pub fn curves(series: &[(String, Vec<(usize, f64)>)], label: &str) -> String {
    let n = series.iter().map(|(_, p)| p.len()).max().unwrap_or(1).max(2);
    let (w, h) = (560.0, 280.0);
    let range = y_range(series.iter().flat_map(|(_, p)| p.iter().map(|(_, v)| *v)));
    let x = |i: usize| 50.0 + (w - 180.0) * i as f64 / (n - 1) as f64;
    let y = |v: f64| h - 30.0 - (h - 40.0) * (v - range.0) / (range.1 - range.0);
    let mut s = format!(
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="{}">"#,
        esc(label)
    );
    axes(&mut s, w - 120.0, h, range, label);
    for i in 0..n {
        let _ =
            write!(s, r#"<text x="{:.1}" y="{}" font-size="10" text-anchor="middle">{}</text>"#, x(i), h - 15.0, i + 1);
    }
    for (si, (name, pts)) in series.iter().enumerate() {
        let color = COLORS[si % COLORS.len()];
        let path: Vec<String> = pts.iter().enumerate().map(|(i, (_, v))| format!("{:.1},{:.1}", x(i), y(*v))).collect();
        let _ = write!(s, r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#, path.join(" "));
        for (i, (stage, v)) in pts.iter().enumerate() {
            if i == 0 || pts[i - 1].0 != *stage {
                let _ = write!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{color}"><title>{} stage {stage}</title></circle>"#,
                    x(i),
                    y(*v),
                    esc(name)
                );
            }
        }
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="12" height="12" fill="{color}"/><text x="{}" y="{}" font-size="11">{}</text>"#,
            w - 115.0,
            14 + 18 * si,
            w - 98.0,
            24 + 18 * si,
            esc(name)
        );
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle">epoch (dots: a stage starts)</text>"#,
        (w - 120.0) / 2.0,
        h - 1.0
    );
    s.push_str("</svg>");
    s
}

/// Grouped bars: for each group (layer), one bar per series (schedule).
pub fn grouped(groups: &[String], series: &[(String, Vec<f64>)], label: &str) -> String {
    let k = series.len().max(1) as f64;
    let gw = 24.0 * k + 30.0;
    let (w, h) = (180.0 + gw * groups.len() as f64, 280.0);
    let range = y_range(series.iter().flat_map(|(_, v)| v.iter().copied()));
    let y = |v: f64| h - 30.0 - (h - 40.0) * (v - range.0) / (range.1 - range.0);
    let mut s = format!(
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="{}">"#,
        esc(label)
    );
    axes(&mut s, w - 120.0, h, range, label);
    for (gi, g) in groups.iter().enumerate() {
        let x0 = 65.0 + gw * gi as f64;
        for (si, (_, vals)) in series.iter().enumerate() {
            if let Some(&v) = vals.get(gi) {
                let _ = write!(
                    s,
                    r#"<rect x="{:.1}" y="{:.1}" width="20" height="{:.1}" fill="{}"><title>{v:.4}</title></rect>"#,
                    x0 + 24.0 * si as f64,
                    y(v),
                    (h - 30.0 - y(v)).max(0.0),
                    COLORS[si % COLORS.len()]
                );
            }
        }
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle">{}</text>"#,
            x0 + 12.0 * k,
            h - 12.0,
            esc(g)
        );
    }
    for (si, (name, _)) in series.iter().enumerate() {
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}" font-size="11">{}</text>"#,
            w - 115.0,
            14 + 18 * si,
            COLORS[si % COLORS.len()],
            w - 98.0,
            24 + 18 * si,
            esc(name)
        );
    }
    s.push_str("</svg>");
    s
}
