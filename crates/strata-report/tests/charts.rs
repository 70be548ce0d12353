//! The charts tell the truth (issue 11 point 14): a tick label is the value at its tick, bar
//! axes start at 0, every bar is drawn, and schedule colours do not read as good or bad.

use strata_report::charts::{bars, curves, grouped, tick_label, PALETTE};

/// `(value, y)` of every y-axis tick label (right-aligned numbers) in `svg`.
fn y_ticks(svg: &str) -> Vec<(f64, f64)> {
    svg.split("<text ")
        .skip(1)
        .filter(|t| t.contains("text-anchor=\"end\""))
        .filter_map(|t| {
            let y: f64 = t.split("y=\"").nth(1)?.split('"').next()?.parse().ok()?;
            let body = t.split('>').nth(1)?.split('<').next()?.trim();
            Some((body.parse().ok()?, y))
        })
        .collect()
}

/// Widths of the coloured rectangles (bars and legend swatches; not backgrounds or frames).
fn rect_widths(svg: &str) -> Vec<f64> {
    let palette: Vec<String> = PALETTE.iter().map(|c| format!("fill=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2)).collect();
    svg.split("<rect ")
        .skip(1)
        .filter(|r| palette.iter().any(|p| r.split('>').next().unwrap_or("").contains(p.as_str())))
        .filter_map(|r| r.split("width=\"").nth(1)?.split('"').next()?.parse().ok())
        .collect()
}

#[test]
fn tick_labels_are_the_values_at_their_ticks() {
    // issue 11: a tick labelled 0.49 stood at 0.4875
    let series = vec![("a".to_string(), vec![(1, 0.47), (1, 0.49), (2, 0.5), (2, 0.52)])];
    let svg = curves(&series, "validation accuracy");
    let ticks = y_ticks(&svg);
    assert!(ticks.len() >= 3, "{ticks:?}");
    let ((v0, y0), (v1, y1)) = (ticks[0], ticks[ticks.len() - 1]);
    for &(v, y) in &ticks {
        let expected = y0 + (y1 - y0) * (v - v0) / (v1 - v0);
        assert!((y - expected).abs() <= 1.0, "tick {v} drawn at {y}, its value is at {expected}: {ticks:?}");
        assert_eq!(tick_label(v), format!("{}", v), "round tick {v}");
        assert!(((v * 1000.0).round() - v * 1000.0).abs() < 1e-6, "tick {v} is not a round value");
    }
    assert!(svg.contains("axis from 0.45"), "a value axis that does not start at 0 says so");
}

#[test]
fn tick_label_says_the_value_exactly() {
    assert_eq!(tick_label(0.45), "0.45");
    assert_eq!(tick_label(0.4875), "0.4875");
    assert_eq!(tick_label(0.1 + 0.2), "0.3");
    assert_eq!(tick_label(1.0), "1");
}

#[test]
fn bar_axes_start_at_zero_and_every_bar_is_drawn() {
    for n in [1, 4] {
        let items: Vec<(String, f64, f64)> = (0..n).map(|i| (format!("s{i}"), 0.80 + 0.01 * i as f64, 0.02)).collect();
        let svg = bars(&items, "test accuracy");
        let ticks = y_ticks(&svg);
        let lowest = ticks.iter().map(|t| t.0).fold(f64::INFINITY, f64::min);
        assert_eq!(lowest, 0.0, "bars of 0.80 on a cut axis would look 4× their difference: {ticks:?}");
        let widths = rect_widths(&svg);
        assert_eq!(widths.len(), n, "one bar per schedule");
        assert!(widths.iter().all(|&w| w > 10.0), "{widths:?}");
    }
    let groups = vec!["embedding".to_string(), "lstm_0".into(), "lstm_1".into()];
    let series: Vec<(String, Vec<f64>)> = (0..4).map(|s| (format!("s{s}"), vec![0.7, 0.8, 0.9])).collect();
    let svg = grouped(&groups, &series, "probe accuracy");
    let widths = rect_widths(&svg);
    // 12 bars and 4 legend swatches
    assert_eq!(widths.len(), 16);
    assert!(widths.iter().all(|&w| w > 0.0), "{widths:?}");
    assert_eq!(y_ticks(&svg).iter().map(|t| t.0).fold(f64::INFINITY, f64::min), 0.0);
}

#[test]
fn a_series_without_probes_takes_no_bar_and_the_others_keep_their_colours() {
    // issue 13: the linear baseline (first row) has no levels to probe
    let groups = vec!["embedding".to_string(), "lstm_0".into()];
    let mut series: Vec<(String, Vec<f64>)> = vec![("linear (baseline)".into(), Vec::new())];
    series.extend((1..3).map(|s| (format!("s{s}"), vec![0.7, 0.8])));
    let svg = grouped(&groups, &series, "probe accuracy");
    // 4 bars and 2 legend swatches, none of them for the baseline
    assert_eq!(rect_widths(&svg).len(), 6, "{svg}");
    assert!(!svg.contains("linear (baseline)"), "no legend entry for a series with no bars");
    let fill = |i: usize| format!("fill=\"#{:02X}{:02X}{:02X}\"", PALETTE[i].0, PALETTE[i].1, PALETTE[i].2);
    assert!(!svg.contains(&fill(0)), "the baseline's colour is drawn");
    assert!(svg.contains(&fill(1)) && svg.contains(&fill(2)), "s1 and s2 keep their summary colours");
    // bars of equal width for the two schedules shown, as wide as two series would be
    let two = grouped(&groups, &series[1..], "probe accuracy");
    assert_eq!(rect_widths(&svg), rect_widths(&two));
}

#[test]
fn a_series_without_points_is_not_in_the_curves_legend_and_the_others_keep_their_colours() {
    let series = vec![
        ("linear (baseline)".to_string(), Vec::new()),
        ("s1".to_string(), vec![(1, 0.6), (1, 0.7)]),
        ("s2".to_string(), vec![(1, 0.5), (2, 0.8)]),
    ];
    let svg = curves(&series, "validation accuracy");
    assert!(!svg.contains("linear (baseline)"), "no legend entry for a series not drawn");
    assert!(svg.contains("\ns1\n") && svg.contains("\ns2\n"), "the drawn series are named: {svg}");
    let fill = |i: usize| format!("fill=\"#{:02X}{:02X}{:02X}\"", PALETTE[i].0, PALETTE[i].1, PALETTE[i].2);
    assert!(!svg.contains(&fill(0)), "the baseline's colour is drawn");
    assert!(svg.contains(&fill(1)) && svg.contains(&fill(2)), "s1 and s2 keep their summary colours");
}

#[test]
fn schedule_colours_are_neither_red_nor_green() {
    for c in PALETTE {
        let (r, g, b) = (c.0 as f64 / 255.0, c.1 as f64 / 255.0, c.2 as f64 / 255.0);
        let (max, min) = (r.max(g).max(b), r.min(g).min(b));
        if max - min < 0.15 {
            continue; // grey
        }
        let hue = if max == r {
            60.0 * ((g - b) / (max - min)).rem_euclid(6.0)
        } else if max == g {
            60.0 * ((b - r) / (max - min) + 2.0)
        } else {
            60.0 * ((r - g) / (max - min) + 4.0)
        };
        assert!((20.0..=340.0).contains(&hue), "{c:?} reads as red (bad)");
        assert!(!(80.0..=160.0).contains(&hue), "{c:?} reads as green (good)");
    }
}
