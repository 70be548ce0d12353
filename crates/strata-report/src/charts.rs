//! The report's charts, drawn by plotters' SVG backend so that axes, ticks and legends come from
//! a charting library rather than from hand-placed coordinates.
//!
//! Three rules keep them honest: a tick label is the exact value at its tick (`0.45`, never
//! `0.49` for 0.4875), bar axes start at 0 (a bar's length is its value), and a schedule's
//! colour is only its identity — the palette (Okabe & Ito's, without its red and green) has no
//! colour that reads as good or bad.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Colours for schedules, in the order the schedules come: blue, orange, sky blue, reddish
/// purple, yellow, grey.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xF0, 0xE4, 0x42),
    RGBColor(0x66, 0x66, 0x66),
];

pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The colour as CSS (`#0072b2`), for the swatches in the page's tables.
pub fn css_color(i: usize) -> String {
    let RGBColor(r, g, b) = color(i);
    format!("#{r:02x}{g:02x}{b:02x}")
}

const FONT: (&str, u32) = ("sans-serif", 13);

/// Width kept right of a plot for its legend, so that no legend hides a line or a bar.
const LEGEND: u32 = 170;

/// A tick value written with the fewest decimals (at most 6) that say it exactly: `0.45`,
/// `0.5`, `1`, `0.025`.
pub fn tick_label(v: f64) -> String {
    for d in 0..=6 {
        let scale = 10f64.powi(d);
        if ((v * scale).round() / scale - v).abs() <= 1e-9 * v.abs().max(1.0) {
            return format!("{:.*}", d as usize, v);
        }
    }
    format!("{v:.6}")
}

fn finite(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// Plotters writes `<svg width=… height=… viewBox=… xmlns=…>`; the page styles and names its
/// charts, so the root element gets a class and an accessible name.
fn named(svg: String, label: &str) -> String {
    let label = crate::escape_html(label);
    svg.replacen("<svg ", &format!("<svg class=\"chart\" role=\"img\" aria-label=\"{label}\" "), 1)
}

/// Category `i` of a bar chart spans `i..i+1` on the x axis; its name is written under its
/// middle (plotters' own labels sit at round numbers, not at categories).
fn category_names(chart: &mut ChartContext<SVGBackend, Cartesian2d<RangedCoordf64, RangedCoordf64>>, names: &[&str]) {
    let below = TextStyle::from(FONT.into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    for (i, name) in names.iter().enumerate() {
        let text = EmptyElement::at((i as f64 + 0.5, 0.0)) + Text::new(name.to_string(), (0, 8), below.clone());
        chart.draw_series(std::iter::once(text)).expect("SVG into a String");
    }
}

/// A swatch and a name per series, top to bottom, in the area right of a plot (so that no
/// legend hides a line or a bar); each series is `(its place among the schedules, name)`, its
/// place giving its colour.
fn legend<'a>(area: &DrawingArea<SVGBackend, plotters::coord::Shift>, names: impl Iterator<Item = (usize, &'a str)>) {
    for (row, (i, name)) in names.enumerate() {
        let y = 16 + 20 * row as i32;
        area.draw(&Rectangle::new([(4, y), (16, y + 12)], color(i).filled())).expect("SVG into a String");
        area.draw(&Text::new(name.to_string(), (22, y), FONT)).expect("SVG into a String");
    }
}

/// A chart of `names.len()` categories side by side (each 1 wide, named below) on a y axis from
/// 0 to 1 with ticks every 0.1: what bars and grouped bars share.
fn category_chart<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    names: &[&str],
    label: &str,
) -> ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>> {
    let n = names.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..n as f64, 0f64..1f64)
        .expect("SVG into a String");
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(label)
        .y_labels(11)
        .y_label_formatter(&|v| tick_label(*v))
        .label_style(FONT)
        .draw()
        .expect("SVG into a String");
    category_names(&mut chart, names);
    chart
}

/// Bars with ± whiskers, one per `(name, value, error)`, on an axis from 0 to 1.
pub fn bars(items: &[(String, f64, f64)], label: &str) -> String {
    let n = items.len().max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, ((160 + 120 * n) as u32, 300)).into_drawing_area();
        root.fill(&WHITE).expect("SVG into a String");
        let names: Vec<&str> = items.iter().map(|it| it.0.as_str()).collect();
        let mut chart = category_chart(&root, &names, label);
        for (i, (_, v, e)) in items.iter().enumerate() {
            let (x, v, e) = (i as f64, finite(*v).clamp(0.0, 1.0), finite(*e).abs());
            let bar = Rectangle::new([(x + 0.15, 0.0), (x + 0.85, v)], color(i).filled());
            let whisker =
                PathElement::new([(x + 0.5, (v - e).max(0.0)), (x + 0.5, (v + e).min(1.0))], BLACK.stroke_width(2));
            let above = TextStyle::from(FONT.into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
            let text = EmptyElement::at((x + 0.5, (v + e).min(1.0))) + Text::new(format!("{v:.3}"), (0, -4), above);
            chart.draw_series(std::iter::once(bar)).expect("SVG into a String");
            chart.draw_series(std::iter::once(whisker)).expect("SVG into a String");
            chart.draw_series(std::iter::once(text)).expect("SVG into a String");
        }
        root.present().expect("SVG into a String");
    }
    named(svg, label)
}

/// A lower and upper bound for lines, with a margin, on multiples of 0.05 and inside [0, 1].
fn line_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let lo = ((lo - 0.02) * 20.0).floor() / 20.0;
    let hi = ((hi + 0.02) * 20.0).ceil() / 20.0;
    (lo.max(0.0), hi.min(1.0).max(lo + 0.05))
}

/// Lines over epochs, one per `(name, points (stage, value))`; a dot marks each stage's first
/// epoch. The value axis is cut to the data, and says so in its title. A series without points
/// is not drawn nor named; the others keep the colour of their place in `series`.
pub fn curves(series: &[(String, Vec<(usize, f64)>)], label: &str) -> String {
    let n = series.iter().map(|(_, p)| p.len()).max().unwrap_or(1).max(2);
    let (lo, hi) = line_range(series.iter().flat_map(|(_, p)| p.iter().map(|(_, v)| *v)));
    let desc = if lo > 0.0 { format!("{label} (axis from {})", tick_label(lo)) } else { label.to_string() };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720 + LEGEND, 320)).into_drawing_area();
        root.fill(&WHITE).expect("SVG into a String");
        let (plot, legend_area) = root.split_horizontally(720);
        // a series without points (the baseline, whose epochs are its own) takes no legend entry
        let drawn = series.iter().enumerate().filter(|(_, (_, p))| !p.is_empty());
        legend(&legend_area, drawn.map(|(i, (name, _))| (i, name.as_str())));
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(1f64..n as f64, lo..hi)
            .expect("SVG into a String");
        chart
            .configure_mesh()
            .x_desc("epoch (dots: a stage starts)")
            .y_desc(desc)
            .x_labels(n.min(20))
            .x_max_light_lines(0)
            .x_label_formatter(&|v| tick_label(*v))
            .y_label_formatter(&|v| tick_label(*v))
            .label_style(FONT)
            .draw()
            .expect("SVG into a String");
        for (si, (_, pts)) in series.iter().enumerate() {
            let c = color(si);
            let xy = |i: usize, v: f64| ((i + 1) as f64, finite(v).clamp(lo, hi));
            chart
                .draw_series(LineSeries::new(pts.iter().enumerate().map(|(i, (_, v))| xy(i, *v)), c.stroke_width(2)))
                .expect("SVG into a String");
            let starts = pts
                .iter()
                .enumerate()
                .filter(|(i, (stage, _))| *i == 0 || pts[i - 1].0 != *stage)
                .map(|(i, (_, v))| Circle::new(xy(i, *v), 4, c.filled()));
            chart.draw_series(starts).expect("SVG into a String");
        }
        root.present().expect("SVG into a String");
    }
    named(svg, label)
}

/// Grouped bars on an axis from 0 to 1: for each group (layer), one bar per series (schedule).
/// A series without values (a model without levels, like the linear baseline) takes no place
/// and no legend entry; the others keep the colour of their place in `series`.
pub fn grouped(groups: &[String], series: &[(String, Vec<f64>)], label: &str) -> String {
    let shown: Vec<(usize, &(String, Vec<f64>))> = series.iter().enumerate().filter(|(_, s)| !s.1.is_empty()).collect();
    let (n, k) = (groups.len().max(1), shown.len().max(1));
    let mut svg = String::new();
    {
        let w = (80 + n * (26 * k + 40)).max(300) as u32;
        let root = SVGBackend::with_string(&mut svg, (w + LEGEND, 320)).into_drawing_area();
        root.fill(&WHITE).expect("SVG into a String");
        let (plot, legend_area) = root.split_horizontally(w);
        legend(&legend_area, shown.iter().map(|(i, (name, _))| (*i, name.as_str())));
        let names: Vec<&str> = groups.iter().map(String::as_str).collect();
        let mut chart = category_chart(&plot, &names, label);
        // each group spans 1 on the x axis: k bars side by side in its middle 80 %
        let bw = 0.8 / k as f64;
        for (slot, (si, (_, vals))) in shown.iter().enumerate() {
            let c = color(*si);
            let bars = vals.iter().enumerate().map(move |(gi, v)| {
                let x = gi as f64 + 0.1 + bw * slot as f64;
                Rectangle::new([(x, 0.0), (x + bw * 0.9, finite(*v).clamp(0.0, 1.0))], c.filled())
            });
            chart.draw_series(bars).expect("SVG into a String");
        }
        root.present().expect("SVG into a String");
    }
    named(svg, label)
}
