//! `strata demo` (issue 11, point 12): after the seed LSTM it trains the seed's stacked model
//! end-to-end and layer by layer and compares them, and its closing sentences follow from the
//! numbers it printed — a short run that learns little is not said to get everything right.

use std::process::Command;

fn demo(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_strata")).args(["--threads", "2", "demo"]).args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// The row of a table whose first column is `name`, as numbers.
fn row(out: &str, name: &str) -> Vec<f64> {
    let line =
        out.lines().find(|l| l.trim_start().starts_with(name)).unwrap_or_else(|| panic!("no row {name}:\n{out}"));
    line[line.find(name).unwrap() + name.len()..]
        .split_whitespace()
        .map_while(|w| w.trim_end_matches(',').parse().ok())
        .collect()
}

#[test]
fn a_short_demo_compares_the_schedules_and_says_only_what_its_numbers_show() {
    let out = demo(&["--size", "1000", "--epochs", "2"]);
    // the project's question: both schedules, accuracy, time and a probe per level
    assert!(out.contains("End-to-end or layer by layer?"), "{out}");
    for name in ["end-to-end", "layerwise"] {
        let r = row(&out, name);
        assert_eq!(r.len(), 4, "{name}: all, plain, negated, seconds:\n{out}");
        let line = out.lines().find(|l| l.trim_start().starts_with(name)).unwrap();
        for level in ["embedding", "lstm_0", "lstm_1"] {
            assert!(line.contains(level), "{line}");
        }
    }
    // the closing sentences quote the table's numbers, and claim nothing the numbers deny
    let lstm = row(&out, "seed LSTM");
    assert!(out.contains(&format!("{:.3} negated", lstm[2])) || out.contains(&format!("({:.3}", lstm[2])), "{out}");
    if lstm[2] < 0.9 {
        assert!(!out.contains("The LSTM gets both right"), "{out}");
    }
    let (e2e, lw) = (row(&out, "end-to-end")[0], row(&out, "layerwise")[0]);
    assert!(out.contains(&format!("{lw:.3}")) && out.contains(&format!("{e2e:.3}")), "{out}");
}

#[test]
fn the_demo_is_reproducible() {
    let (a, b) = (demo(&["--size", "400", "--epochs", "1"]), demo(&["--size", "400", "--epochs", "1"]));
    for name in ["bag of words (logistic reg.)", "seed LSTM", "end-to-end", "layerwise"] {
        assert_eq!(row(&a, name)[..3], row(&b, name)[..3], "{name}");
    }
}
