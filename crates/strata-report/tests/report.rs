//! The report pages from `results.json` (issue 11 points 9 and 14): an over-budget schedule
//! says so in its row, split columns are named, the configuration is on the page, paired wins
//! count every (split, seed), values are escaped, and results written before these fields
//! still render; with a baseline (issue 13), it is the first row everywhere and every other row
//! is paired with it and told plainly whether it beats it by 2 points.

use strata_report::results::{ClassCount, ExperimentResults, LayerProbe, LmPoint, RunConfig, ScheduleResult};
use strata_report::{html, markdown, paired, paired_with_baseline, paired_with_scratch};

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
        pretrained: false,
        scratch: None,
        probes_before: Vec::new(),
        language_model: Vec::new(),
        baseline: false,
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
            mask_padding: false,
            bucket_by_length: false,
            adversarial: None,
        }),
        init_from: None,
        multichannel: false,
        sparse_embedding_updates: false,
        class_weight: None,
        hierarchy: None,
        multi_label: None,
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
    // issue 12: nothing pretrained in an old run, and no section that says otherwise
    assert!(r.init_from.is_none());
    assert!(r.schedules.iter().all(|s| !s.pretrained && s.scratch.is_none() && s.probes_before.is_empty()));
    assert!(!page.contains("Pretrained against from scratch") && !markdown(&r).contains("before and after"));
}

fn probes(layers: &[(&str, f64)]) -> Vec<LayerProbe> {
    layers.iter().map(|(l, a)| LayerProbe { layer: l.to_string(), val_accuracy: *a, per_split: vec![*a] }).collect()
}

/// `results()` with --init-from: layerwise from scratch and pretrained, and ulmfit paired with
/// gradual-unfreeze from scratch.
fn pretrained_results() -> ExperimentResults {
    let mut r = results();
    r.init_from = Some("runs/pre<1>".into());
    let mut lw = schedule("layerwise", &[0.70, 0.60, 0.50, 0.80], 2, Some(2), None);
    lw.probes = probes(&[("embedding", 0.61), ("lstm_0", 0.70)]);
    let mut pre = schedule("layerwise (pretrained)", &[0.75, 0.60, 0.45, 0.90], 2, Some(2), None);
    (pre.pretrained, pre.scratch) = (true, Some("layerwise".into()));
    pre.probes = probes(&[("embedding", 0.66), ("lstm_0", 0.81)]);
    pre.probes_before = probes(&[("embedding", 0.58), ("lstm_0", 0.52)]);
    let gu = schedule("gradual-unfreeze", &[0.6, 0.6, 0.6, 0.6], 2, Some(2), None);
    let mut ulm = schedule("ulmfit", &[0.7, 0.6, 0.7, 0.7], 2, Some(2), None);
    (ulm.pretrained, ulm.scratch) = (true, Some("gradual-unfreeze".into()));
    let lm = |e: usize, loss: f64, ppl: f64| LmPoint { epoch: e, loss, val_perplexity: Some(ppl), seconds: 1.0 };
    ulm.language_model = vec![vec![lm(1, 5.0, 200.0), lm(2, 4.0, 100.0)], vec![lm(1, 6.0, 300.0), lm(2, 5.0, 150.0)]];
    r.schedules = vec![r.schedules[0].clone(), lw, pre, gu, ulm];
    r
}

#[test]
fn a_pretrained_schedule_is_paired_with_its_scratch_twin_split_by_split() {
    let r = pretrained_results();
    let (base, p) = paired_with_scratch(&r, &r.schedules[2]).unwrap();
    assert_eq!(base.name, "layerwise");
    let want = [0.05, 0.0, -0.05, 0.10];
    assert!(p.diffs.iter().zip(want).all(|(d, w)| (d - w).abs() < 1e-9), "{:?}", p.diffs);
    assert_eq!((p.wins, p.ties, p.losses), (2, 1, 1));
    assert!((p.mean - 0.025).abs() < 1e-9);
    assert!(paired_with_scratch(&r, &r.schedules[1]).is_none(), "a scratch row has no twin");
    let (base, _) = paired_with_scratch(&r, &r.schedules[4]).unwrap();
    assert_eq!(base.name, "gradual-unfreeze", "ulmfit against the same stages from scratch");

    let md = markdown(&r);
    assert!(md.contains("## Pretrained against from scratch\n\nLevels from `runs/pre<1>`"), "{md}");
    let line = md.lines().find(|l| l.starts_with("| layerwise (pretrained) | layerwise: ")).unwrap();
    assert!(line.contains("| +0.0250 ± 0.0559 | 2/1/1 |"), "{line}");
    let line = md.lines().find(|l| l.starts_with("| layerwise (pretrained) | 0.5800 → 0.6600 |")).unwrap();
    assert!(line.ends_with(" 0.5200 → 0.8100 |"), "before → after probes: {line}");
    assert!(md.contains("| ulmfit | 1 | 5.5000 | 250.00 |\n| ulmfit | 2 | 4.5000 | 125.00 |"), "{md}");

    let page = html(&r);
    assert!(page.contains("<code>runs/pre&lt;1&gt;</code>"), "escaped");
    let table = page.split("id=\"pretrained-table\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert_eq!(table.matches("<tr>").count(), 3, "header, layerwise (pretrained), ulmfit: {table}");
    assert!(table.contains("+0.0250") && table.contains("2/1/1"), "{table}");
    let probes = page.split("id=\"probes-before-after-table\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(probes.contains("0.5200 → 0.8100 (<span class=\"pos\">+0.2900</span>)"), "{probes}");
    assert!(page.contains("id=\"language-model-table\""));
}

#[test]
fn a_multichannel_experiment_says_so_and_labels_the_pretrained_comparison() {
    // fix-round point 4: the flag only in the command line, and a two-channel pretrained run
    // set beside a one-channel scratch twin without a word
    let mut r = pretrained_results();
    r.multichannel = true;
    let md = markdown(&r);
    let header = md.split("| schedule |").next().unwrap();
    assert!(header.contains("Embedding: multichannel (--multichannel)"), "{header}");
    assert!(header.contains("twins from scratch have the trained channel alone"), "{header}");
    let section = md.split("## Pretrained against from scratch").nth(1).unwrap();
    assert!(section.contains("each Δ is pretraining and the static channel together"), "{section}");
    assert!(section.contains("| schedule | from scratch (one channel) | pretrained (multichannel) |"), "{section}");
    assert!(md.split("## Configuration").nth(1).unwrap().contains(", multichannel;"), "{md}");
    let page = html(&r);
    assert!(page.contains("<p id=\"multichannel\">Embedding: multichannel (--multichannel)"), "{page}");
    let table = page.split("id=\"pretrained-table\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(table.contains("<th>pretrained (multichannel)</th>"), "{table}");
    assert!(page.contains("the static channel together"));
    let config = page.split("id=\"config\"").nth(1).unwrap();
    assert!(config.contains("<th>embedding</th><td>multichannel (--multichannel)"), "{config}");
    // without --init-from every network has both channels, and there is no pair to label
    let mut plain = results();
    plain.multichannel = true;
    let md = markdown(&plain);
    assert!(md.contains("Embedding: multichannel (--multichannel): every network reads a static copy"), "{md}");
    // one channel: the pages as before
    let one = pretrained_results();
    assert!(!markdown(&one).contains("multichannel") && !html(&one).contains("multichannel"));
}

#[test]
fn results_with_the_pretrained_fields_read_back_and_old_ones_default_them() {
    let r = pretrained_results();
    let back: ExperimentResults = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
    // a results.json written before issue 12: the new fields absent
    let mut old = serde_json::to_value(results()).unwrap();
    old.as_object_mut().unwrap().remove("init_from");
    for s in old["schedules"].as_array_mut().unwrap() {
        for f in ["pretrained", "scratch", "probes_before", "language_model"] {
            s.as_object_mut().unwrap().remove(f);
        }
    }
    let old: ExperimentResults = serde_json::from_value(old).expect("reads without the issue-12 fields");
    assert_eq!(old, results());
}

/// `results()` with the linear baseline first and deep-supervision after the two schedules:
/// end-to-end beats it by 1.5 points (not enough), layerwise by 4, deep-supervision not at all.
fn baseline_results() -> ExperimentResults {
    let mut r = results();
    let mut base = schedule("linear (baseline)", &[0.80, 0.68, 0.58, 0.88], 25, None, None);
    base.stages = vec!["linear: dim 100, word n-grams ≤ 2, lr 1".into()];
    (base.baseline, base.seconds) = (true, 0.25);
    let ds = schedule("deep-supervision", &[0.70, 0.60, 0.50, 0.80], 2, Some(2), None);
    r.schedules = vec![base, r.schedules[0].clone(), r.schedules[1].clone(), ds];
    r
}

#[test]
fn every_row_is_paired_with_the_baseline_split_by_split() {
    let r = baseline_results();
    assert!(paired_with_baseline(&r, &r.schedules[0]).is_none(), "the baseline is not compared with itself");
    assert!(paired_with_baseline(&results(), &results().schedules[0]).is_none(), "no baseline, no pairing");
    // end-to-end − baseline, by hand: 0.80−0.80, 0.70−0.68, 0.60−0.58, 0.90−0.88
    let p = paired_with_baseline(&r, &r.schedules[1]).unwrap();
    let want = [0.0, 0.02, 0.02, 0.02];
    assert!(p.diffs.iter().zip(want).all(|(d, w)| (d - w).abs() < 1e-9), "{:?}", p.diffs);
    assert!((p.mean - 0.015).abs() < 1e-9, "{}", p.mean);
    assert_eq!((p.wins, p.ties, p.losses), (3, 1, 0));
    // population std of 0, .02, .02, .02 around .015
    let std = ((0.015f64.powi(2) + 3.0 * 0.005f64.powi(2)) / 4.0).sqrt();
    assert!((p.std - std).abs() < 1e-9, "{} vs {std}", p.std);

    let md = markdown(&r);
    let mut table = md.lines().skip_while(|l| !l.starts_with("| schedule |"));
    let header = table.next().unwrap();
    assert!(header.contains("| vs linear (baseline) (mean Δ ± std, W/T/L) | train time |"), "{header}");
    let first = table.nth(1).unwrap();
    assert!(first.starts_with("| linear (baseline) | linear: dim 100"), "the baseline is the first row: {first}");
    assert!(first.ends_with("| — | 0.25 s |"), "its time, to the hundredth below a second: {first}");
    let e2e = md.lines().find(|l| l.starts_with("| end-to-end |")).unwrap();
    assert!(e2e.contains("| +0.0150 ± 0.0087 (3/1/0) | 1 s |"), "{e2e}");

    let page = html(&r);
    let summary = page.split("id=\"summary\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(summary.contains("<th>Δ vs baseline</th>"), "{summary}");
    let rows: Vec<&str> = summary.split("<tr>").skip(2).collect();
    assert!(rows[0].contains("linear (baseline)"), "the baseline is the first row: {}", rows[0]);
    assert!(rows[0].contains("<td>0.25</td>"), "its time: {}", rows[0]);
    assert!(rows[1].contains("+0.0150</span> ± 0.0087</td><td>3/1/0</td>"), "{}", rows[1]);
    // its own 25 epochs would squeeze the schedules' curves: not drawn, and said so
    assert!(page.contains("The baseline (linear (baseline)) runs its own 25 epochs and is not drawn."));
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 2, "bars and curves (no probes here)");
}

#[test]
fn the_report_says_plainly_which_schedules_beat_the_baseline_by_two_points() {
    let r = baseline_results();
    let md = markdown(&r);
    let intro = "Against the baseline (linear (baseline): 0.7350 ± 0.0000, trained in 0.25 s over every split), \
                 a schedule helps only if it beats it by at least 2 points of accuracy";
    assert!(md.contains(intro), "{md}");
    for line in [
        "- end-to-end does not beat it by 2 points: +1.50 points (wins/ties/losses 3/1/0), in 1 s against its 0.25 s.",
        "- layerwise beats it by 4.00 points (wins/ties/losses 3/0/1), in 1 s against its 0.25 s.",
        "- deep-supervision does not beat it by 2 points: it is 8.50 points below it (wins/ties/losses 0/0/4), in 1 s against its 0.25 s.",
    ] {
        assert!(md.lines().any(|l| l == line), "{line}\n{md}");
    }
    // under the table, before the next section
    let (table_end, sentence) = (md.find("\n\n## Accuracy per split").unwrap(), md.find("- layerwise beats").unwrap());
    assert!(sentence < table_end);

    let page = html(&r);
    let list = page.split("id=\"against-baseline\"").nth(1).unwrap().split("</ul>").next().unwrap();
    assert_eq!(list.matches("<li").count(), 3, "one sentence per schedule: {list}");
    assert!(list.contains("<li class=\"pos\">layerwise beats it by 4.00 points"), "{list}");
    assert!(list.contains("<li class=\"neg\">end-to-end does not beat it by 2 points"), "{list}");
}

#[test]
fn without_a_baseline_the_report_and_results_are_as_before() {
    let r = results();
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("\"baseline\""), "no baseline field written: {json}");
    let md = markdown(&r);
    let header = "| schedule | stages | epochs | accuracy (mean ± std) | vs end-to-end (mean Δ ± std, W/T/L over splits × seeds) | train time |\n|---|---|---|---|---|---|\n";
    assert!(md.contains(header), "{md}");
    assert!(md.contains("\n| end-to-end | all layers | 2 | 0.7500 ± 0.0000 | — | 1 s |\n"), "{md}");
    assert!(!md.contains("Against the baseline"));
    let page = html(&r);
    assert!(!page.contains("vs baseline") && !page.contains("against-baseline"));

    // the baseline row reads back, and the field defaults to false in older results
    let with = baseline_results();
    let back: ExperimentResults = serde_json::from_str(&serde_json::to_string(&with).unwrap()).unwrap();
    assert_eq!(back, with);
    assert_eq!(serde_json::to_value(&with).unwrap()["schedules"][0]["baseline"], true);
}

#[test]
fn a_baseline_without_probes_is_left_out_of_the_probe_tables() {
    let mut r = baseline_results();
    for sc in r.schedules.iter_mut().skip(1) {
        sc.probes = probes(&[("embedding", 0.61), ("lstm_0", 0.70)]);
    }
    let md = markdown(&r);
    let probes_md = md.split("## Linear probes").nth(1).unwrap().split("\n\n## ").next().unwrap();
    assert!(!probes_md.contains("linear (baseline)"), "{probes_md}");
    assert_eq!(probes_md.matches("| 0.6100 | 0.7000 |").count(), 3, "{probes_md}");
    let page = html(&r);
    let table = page.split("id=\"probe-table\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(!table.contains("linear (baseline)"), "{table}");
    assert_eq!(table.matches("<tr>").count(), 4, "header and three schedules: {table}");
}

#[test]
fn the_padding_flags_are_named_on_both_pages_and_in_results() {
    // issue 14 points 1-2: --mask-padding and --bucket-by-length are named where the
    // configuration is, and results without them (older ones too) read and render as before
    let mut r = results();
    let config = r.config.as_mut().unwrap();
    (config.mask_padding, config.bucket_by_length) = (true, true);
    let md = markdown(&r);
    let header = md.split("| schedule |").next().unwrap();
    assert!(header.contains("Padding: masked (--mask-padding)"), "{header}");
    assert!(header.contains("bucketed (--bucket-by-length)"), "{header}");
    assert!(md.split("## Configuration").nth(1).unwrap().contains(", --mask-padding, --bucket-by-length;"), "{md}");
    let page = html(&r);
    assert!(page.contains("<p id=\"padding\">Padding: masked (--mask-padding)"), "{page}");
    let table = page.split("id=\"config\"").nth(1).unwrap();
    assert!(table.contains("<th>padding</th><td>masked (--mask-padding)"), "{table}");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["config"]["mask_padding"], true);
    assert_eq!(json["config"]["bucket_by_length"], true);
    let back: ExperimentResults = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
    // one flag alone names only itself
    let config = r.config.as_mut().unwrap();
    config.mask_padding = false;
    let md = markdown(&r);
    assert!(md.contains("Padding: bucketed") && !md.contains("--mask-padding"), "{md}");
    // without them: nothing said, nothing written
    let plain = results();
    assert!(!markdown(&plain).contains("Padding") && !html(&plain).contains("id=\"padding\""));
    let json = serde_json::to_value(&plain).unwrap();
    assert!(json["config"].get("mask_padding").is_none() && json["config"].get("bucket_by_length").is_none());
}
