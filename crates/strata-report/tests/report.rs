//! The report pages from `results.json` (issue 11 points 9 and 14): an over-budget schedule
//! says so in its row, split columns are named, the configuration is on the page, paired wins
//! count every (split, seed), values are escaped, and results written before these fields
//! still render.

use strata_report::results::{ClassCount, ExperimentResults, RunConfig, ScheduleResult};
use strata_report::{html, markdown, paired};

fn schedule(name: &str, acc: &[f64], epochs: usize, budget: Option<usize>, note: Option<&str>) -> ScheduleResult {
    ScheduleResult {
        name: name.into(),
        stages: vec!["all layers".into()],
        epochs,
        split_accuracy: acc.to_vec(),
        mean_accuracy: acc.iter().sum::<f64>() / acc.len() as f64,
        std_accuracy: 0.0,
        seconds: 1.0,
        stage_times: Vec::new(),
        probes: Vec::new(),
        curves: Vec::new(),
        budget,
        budget_note: note.map(String::from),
    }
}

fn results() -> ExperimentResults {
    ExperimentResults {
        data: "data/a\"b<c>.tsv".into(),
        protocol: "2-fold cross-validation".into(),
        model: "seed-stacked".into(),
        layers: 2,
        seed: 7,
        threads: 2,
        schedules: vec![
            schedule("end-to-end", &[0.80, 0.70, 0.60, 0.90], 2, Some(2), None),
            schedule(
                "layerwise",
                &[0.85, 0.70, 0.55, 1.0],
                3,
                Some(2),
                Some("its 3 stages need at least one epoch each"),
            ),
        ],
        seeds: vec![7, 8],
        split_names: vec![
            "fold 1, seed 7".into(),
            "fold 2, seed 7".into(),
            "fold 1, seed 8".into(),
            "fold 2, seed 8".into(),
        ],
        config: Some(RunConfig {
            command: "strata experiment --data 'data/a\"b<c>.tsv' --repeats 2".into(),
            strata_version: "0.1.0".into(),
            date: "2026-11-29T06:00:00Z".into(),
            epochs: 2,
            batch_size: 32,
            optimizer: "adam".into(),
            lr: 0.001,
            maxlen: 12,
            num_words: 100,
            validation_split: 0.1,
            repeats: 2,
            examples_per_class: vec![
                ClassCount { label: "neg".into(), count: 60 },
                ClassCount { label: "pos".into(), count: 40 },
            ],
        }),
    }
}

#[test]
fn a_schedule_over_its_budget_says_so_and_why_in_its_row() {
    let r = results();
    let page = html(&r);
    let row = page.split("<tr>").find(|row| row.contains("layerwise")).unwrap();
    assert!(row.contains("ran 3 epochs against a budget of 2: its 3 stages need at least one epoch each"), "{row}");
    assert!(row.contains("not an equal-budget comparison"), "{row}");
    let md = markdown(&r);
    let line = md.lines().find(|l| l.starts_with("| layerwise |")).unwrap();
    assert!(line.contains("ran 3 epochs against a budget of 2"), "{line}");
    let e2e = page.split("<tr>").find(|row| row.contains("end-to-end</td>")).unwrap();
    assert!(!e2e.contains("budget"), "end-to-end used its budget: {e2e}");
}

#[test]
fn paired_wins_count_every_split_and_seed() {
    let r = results();
    let p = paired(&r, &r.schedules[1]).unwrap();
    assert_eq!((p.wins, p.ties, p.losses), (2, 1, 1));
    assert!((p.mean - 0.025).abs() < 1e-12);
    // differences 0.05, 0, -0.05, 0.1 around 0.025: population std
    let std = ((0.025f64.powi(2) * 2.0 + 0.075f64.powi(2) * 2.0) / 4.0).sqrt();
    assert!((p.std - std).abs() < 1e-12, "{} vs {std}", p.std);
    assert!(paired(&r, &r.schedules[0]).is_none(), "end-to-end is not compared with itself");
    assert!(html(&r).contains("2/1/1"));
    assert!(markdown(&r).contains("+0.0250 ± 0.0559 (2/1/1)"), "{}", markdown(&r));
}

#[test]
fn split_columns_are_named() {
    let page = html(&results());
    let table = page.split("id=\"paired-table\"").nth(1).unwrap().split("</table>").next().unwrap();
    for name in ["fold 1, seed 7", "fold 2, seed 8"] {
        assert!(table.contains(&format!("<th>{name}</th>")), "{table}");
    }
    assert!(markdown(&results()).contains("| fold 2, seed 8 |"));
}

#[test]
fn the_page_holds_the_configuration_that_reproduces_it() {
    let page = html(&results());
    let config = page.split("id=\"config\"").nth(1).expect("a configuration table");
    for (key, value) in [
        ("batch size", "32"),
        ("learning rate", "0.001"),
        ("maxlen", "12"),
        ("num_words", "100"),
        ("validation split", "0.1"),
        ("examples per class", "neg: 60, pos: 40"),
        ("strata version", "0.1.0"),
        ("date (UTC)", "2026-11-29T06:00:00Z"),
        ("seeds", "7, 8 (2 repeats)"),
    ] {
        assert!(config.contains(&format!("<th>{key}</th><td>{value}</td>")), "{key}: {config}");
    }
    assert!(
        config.contains("strata experiment --data &apos;data/a&quot;b&lt;c&gt;.tsv&apos; --repeats 2")
            || config.contains("strata experiment --data 'data/a&quot;b&lt;c&gt;.tsv' --repeats 2")
    );
    assert!(markdown(&results()).contains("lr 0.001,"));
}

#[test]
fn every_value_is_escaped() {
    let page = html(&results());
    assert!(!page.contains("a\"b<c>"), "a raw name in the page");
    assert!(page.contains("data/a&quot;b&lt;c&gt;.tsv"));
    assert_eq!(strata_report::escape_html("a\"<b>&"), "a&quot;&lt;b&gt;&amp;");
}

#[test]
fn results_written_before_issue_11_still_render() {
    let text = include_str!("fixtures/results-before-issue-11.json");
    let r: ExperimentResults = serde_json::from_str(text).expect("old results.json reads");
    assert!(r.config.is_none() && r.seeds.is_empty() && r.split_names.is_empty());
    let page = html(&r);
    assert!(page.contains("<th>fold 1</th><th>fold 2</th>"), "old k-fold results get fold columns");
    assert!(page.contains("did not record its configuration"));
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 3);
    assert!(!page.contains("against a budget"), "no budget recorded, no warning");
    assert!(markdown(&r).contains("| fold 1 | fold 2 |"));
}
