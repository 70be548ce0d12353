//! `strata tune` (issue 13): a short search on a few hundred lines beats chance and leaves
//! trials.csv, the best model and best.json; `--max-trials` repeats exactly; `--space` and the
//! flags given shape the space; bad input is one `error:` line with a hint and exit code 2.

mod common;

use common::{assert_user_error, corpus, stderr, Case};

/// A case with a 400-line learnable corpus in `c.tsv`.
fn case() -> Case {
    let c = Case::new();
    c.write("c.tsv", corpus(400).as_bytes());
    c
}

const TINY: &[&str] = &["--maxlen", "12", "--num-words", "100", "--threads", "2"];

fn tune(c: &Case, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["tune", "--data", "c.tsv"];
    args.extend_from_slice(TINY);
    args.extend_from_slice(extra);
    c.run(&args)
}

fn best(c: &Case, out: &str) -> serde_json::Value {
    serde_json::from_str(&c.read(&format!("{out}/best.json"))).unwrap()
}

/// trials.csv without its seconds column (the one thing the clock decides).
fn trials_without_seconds(c: &Case, out: &str) -> Vec<String> {
    let text = c.read(&format!("{out}/trials.csv"));
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let seconds = header.iter().position(|h| *h == "seconds").unwrap();
    text.lines()
        .map(|l| l.split(',').enumerate().filter(|(i, _)| *i != seconds).map(|(_, f)| f).collect::<Vec<_>>().join(","))
        .collect()
}

/// The CI check the issue names: a 10-second tune on a few hundred lines beats chance.
#[test]
fn a_ten_second_tune_beats_chance_and_writes_its_run_folder() {
    let c = case();
    let o = tune(&c, &["--budget", "10", "--out", "o"]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let b = best(&c, "o");
    let accuracy = b["best"]["val_accuracy"].as_f64().unwrap();
    assert!(accuracy > 0.75, "best val_accuracy {accuracy} (chance is 0.5)");
    let trials = b["trials"].as_u64().unwrap() as usize;
    assert!(trials >= 3, "{trials} trials in 10 s");
    assert!(b["seconds"].as_f64().unwrap() <= 12.0, "{b}");
    // one stderr line and one trials.csv row per trial
    assert_eq!(err.lines().filter(|l| l.starts_with("trial ")).count(), trials, "{err}");
    let csv = c.read("o/trials.csv");
    assert_eq!(csv.lines().count(), trials + 1);
    assert!(csv.starts_with("trial,bracket,rung,config,epochs,lr,"), "{csv}");
    // trial 1 is the model as `strata train` trains it: the seed's recipe, outside the brackets
    let first = csv.lines().nth(1).unwrap();
    assert!(first.starts_with("1,0,0,1,10,0.001,32,128,64,"), "{first}");
    // the best model is a model folder `strata test` reads, and scores as the search said
    assert!(c.path("o/model/config.json").is_file());
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("Mattered most: "), "{stdout}");
    assert!(stdout.contains("Repeat it (with your other flags): strata train --model seed --epochs "), "{stdout}");
    assert!(b["importance"].as_array().is_some_and(|v| !v.is_empty()), "{b}");
}

#[test]
fn max_trials_gives_the_same_trials_and_model_on_every_run() {
    let c = case();
    for out in ["a", "b"] {
        let o = tune(&c, &["--budget", "600", "--max-trials", "5", "--epochs", "2", "--out", out]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(trials_without_seconds(&c, "a"), trials_without_seconds(&c, "b"));
    assert_eq!(trials_without_seconds(&c, "a").len(), 6);
    let tensors = |out: &str| std::fs::read(c.path(&format!("{out}/model/model.safetensors"))).unwrap();
    assert_eq!(tensors("a"), tensors("b"));
    assert_eq!(best(&c, "a")["stopped"], "max-trials");
    // another seed draws other configurations
    let o = tune(&c, &["--budget", "600", "--max-trials", "5", "--epochs", "2", "--seed", "9", "--out", "s9"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(trials_without_seconds(&c, "a"), trials_without_seconds(&c, "s9"));
}

#[test]
fn the_space_file_and_the_flags_given_shape_the_search() {
    let c = case();
    c.write("space.toml", b"[lr]\nvalues = [0.003]\n[epochs]\nmax = 3\n[batch-size]\nuniform = [8, 64]\n");
    let o = tune(&c, &["--max-trials", "6", "--units", "8", "--space", "space.toml", "--out", "o"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = c.read("o/trials.csv");
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert!(!header.contains(&"units"), "--units 8 is fixed, not searched: {header:?}");
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for row in csv.lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f[col("lr")], "0.003", "{row}");
        assert!(f[col("epochs")].parse::<usize>().unwrap() <= 3, "{row}");
        let b: usize = f[col("batch-size")].parse().unwrap();
        assert!((8..=64).contains(&b), "{row}");
    }
}

#[test]
fn an_earlier_run_is_replaced_only_with_overwrite_and_a_users_folder_never() {
    let c = case();
    let args = ["--max-trials", "1", "--epochs", "1", "--out", "o"];
    assert!(tune(&c, &args).status.success());
    assert_user_error(&tune(&c, &args), &["--overwrite"]);
    let again: Vec<&str> = args.iter().copied().chain(["--overwrite"]).collect();
    let o = tune(&c, &again);
    assert!(o.status.success(), "{}", stderr(&o));
    c.write("mine/notes.txt", b"mine");
    let o = tune(&c, &["--max-trials", "1", "--epochs", "1", "--out", "mine", "--overwrite"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(c.read("mine/notes.txt"), "mine");
}

#[test]
fn json_prints_best_json() {
    let c = case();
    let o = tune(&c, &["--max-trials", "2", "--epochs", "1", "--out", "o", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let printed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(printed, best(&c, "o"));
    assert_eq!(printed["best"]["epochs"], 1);
}

#[test]
fn bad_input_is_one_line_with_a_hint_and_exit_2() {
    let c = case();
    let bad = |extra: &[&str], needles: &[&str]| {
        let args: Vec<&str> = extra.iter().copied().chain(["--out", "o"]).collect();
        assert_user_error(&tune(&c, &args), needles);
        assert!(!c.path("o").exists(), "a refused run wrote its folder");
    };
    bad(&["--budget", "0"], &["--budget must be a positive number"]);
    bad(&["--budget=-5"], &["--budget must be a positive number"]);
    bad(&["--budget", "nan"], &["--budget must be a positive number"]);
    bad(&["--budget", "1e12"], &["at most a year"]);
    bad(&["--max-trials", "0"], &["--max-trials must be at least 1"]);
    bad(&["--eta", "1"], &["--eta must be at least 2"]);
    bad(&["--validation-split", "0"], &["--validation-split must be in (0, 1)", "--validation-data"]);
    // every parameter fixed on the command line: nothing to search
    let all = ["--lr", "0.01", "--batch-size", "8", "--embedding-dim", "8", "--units", "8", "--epochs", "2"];
    bad(&all, &["nothing to search", "--space"]);
    c.write("unknown.toml", b"[lr]\nvalues = [0.01]\n\n[word-ngrams]\nvalues = [1, 2]\n");
    bad(
        &["--space", "unknown.toml"],
        &["unknown.toml:4: 'word-ngrams' is not a parameter of --model seed", "its parameters: lr, epochs, batch-size"],
    );
    c.write("empty.toml", b"[units]\nvalues = []\n");
    bad(&["--space", "empty.toml"], &["empty.toml:1: units has no values"]);
    c.write("twice.toml", b"[lr]\nvalues = [0.01]\n");
    bad(&["--space", "twice.toml", "--lr", "0.1"], &["twice.toml:1: lr is searched here and fixed by --lr"]);
    c.write("zero.toml", b"[units]\nvalues = [0, 8]\n");
    bad(&["--space", "zero.toml"], &["zero.toml: units = 0", "--units must be at least 1"]);
    c.write("linear.toml", b"[units]\nvalues = [8]\n");
    let o = c.run(&["tune", "--data", "c.tsv", "--model", "linear", "--space", "linear.toml", "--out", "o"]);
    assert_user_error(&o, &["linear.toml:1: 'units' is not a parameter of --model linear", "word-ngrams"]);
    c.write("ngrams.toml", b"[word-ngrams]\nvalues = [0, 2]\n");
    let o = c.run(&["tune", "--data", "c.tsv", "--model", "linear", "--space", "ngrams.toml", "--out", "o"]);
    assert_user_error(&o, &["ngrams.toml: word-ngrams = 0", "--word-ngrams must be at least 1"]);
    c.write("chars.toml", b"[minn]\nvalues = [0, 5]\n[maxn]\nvalues = [0, 4]\n");
    let o = c.run(&["tune", "--data", "c.tsv", "--model", "linear", "--space", "chars.toml", "--out", "o"]);
    assert_user_error(&o, &["chars.toml: minn = 5, maxn = 4", "--minn 5 and --maxn 4"]);
    assert!(!c.path("o").exists());
}

/// `--model linear` too: fastText's ranges, its defaults first (25 epochs at lr 1.0).
#[test]
fn a_linear_tune_beats_chance_and_says_what_mattered() {
    let c = case();
    let o =
        c.run(&["tune", "--data", "c.tsv", "--model", "linear", "--buckets", "100000", "--budget", "10", "--out", "o"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let b = best(&c, "o");
    assert!(b["best"]["val_accuracy"].as_f64().unwrap() > 0.75, "{b}");
    let csv = c.read("o/trials.csv");
    let first = csv.lines().nth(1).unwrap();
    assert!(first.starts_with("1,0,0,1,25,1,100,2,1,0,0,"), "{first}");
    assert!(b["trials"].as_u64().unwrap() >= 5, "{b}");
    let header = csv.lines().next().unwrap();
    assert!(header.contains(",word-ngrams,min-count,minn,maxn,"), "{header}");
    assert!(!header.contains("buckets"), "--buckets given: not searched");
    // what mattered is read from the random draws alone (most trials here are steps around
    // the best): an effect from at most those, or, with too few, a line that says so
    let random = b["importance_random_trials"].as_u64().unwrap();
    let draws = csv.lines().skip(1).map(|r| r.split(',').collect::<Vec<_>>());
    let draws = draws.filter(|f| f[1] != "0" && f[2] == "0" && f.last() == Some(&"false"));
    assert_eq!(random, draws.count() as u64, "bracket ≥ 1, rung 0, not cut: {csv}");
    let effects = b["importance"].as_array().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    match effects.is_empty() {
        true => assert!(stdout.contains(&format!("Mattered most: cannot tell from {random} random")), "{stdout}"),
        false => assert!(effects.iter().all(|e| e["trials"].as_u64().unwrap() <= random), "{b}"),
    }
    assert!(c.path("o/model/config.json").is_file());
}

/// Issue 13 review: the first line names the epochs trials run (Hyperband's first rung, 1 for
/// the linear model's 1–100), and a space file that excludes a default says it skips trial 1.
#[test]
fn the_header_names_the_epochs_run_and_a_skipped_defaults_trial_is_said() {
    let c = case();
    c.write("lr.toml", b"[lr]\nvalues = [0.01]\n");
    let o = tune(&c, &["--max-trials", "1", "--epochs", "1", "--space", "lr.toml", "--out", "o"]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("lie outside the search space: no trial of them; trial 1 is Hyperband's"), "{err}");
    let csv = c.read("o/trials.csv");
    assert!(csv.lines().nth(1).unwrap().starts_with("1,1,0,"), "trial 1 is bracket 1's: {csv}");

    let linear = ["--model", "linear", "--buckets", "20000", "--dim", "10", "--max-trials", "1"];
    let o = c.run(&["tune", "--data", "c.tsv", "--out", "l"].iter().copied().chain(linear).collect::<Vec<_>>());
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("Hyperband η=3 over 1–100 epochs"), "{err}");
    // and errors name the epochs that run
    c.write("chars.toml", b"[minn]\nvalues = [0]\n[maxn]\nvalues = [4]\n");
    let args = ["tune", "--data", "c.tsv", "--model", "linear", "--space", "chars.toml", "--out", "x"];
    assert_user_error(&c.run(&args), &["chars.toml: minn = 0, maxn = 4 with 1 epochs", "--minn 0 and --maxn 4"]);
    assert!(!c.path("x").exists());
}

/// Issue 13 point 4: a linear tune draws most of its configurations around the best trial so
/// far (`rung` `local` in trials.csv), and with `--max-trials` its trials are the same on
/// every run.
#[test]
fn a_linear_tune_steps_around_its_best_and_repeats_with_max_trials() {
    let c = case();
    for out in ["a", "b"] {
        let args = ["tune", "--data", "c.tsv", "--model", "linear", "--max-trials", "12", "--seed", "3", "--out", out];
        let o = c.run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (a, b) = (trials_without_seconds(&c, "a"), trials_without_seconds(&c, "b"));
    assert_eq!(a, b);
    let local = a.iter().filter(|row| row.split(',').nth(2) == Some("local")).count();
    assert!(local >= 4, "steps around the incumbent: {a:#?}");
}

/// Issue 13 review: every parameter fixed but the epochs: each rung's epochs train once, and
/// the search ends when the space has nothing new.
#[test]
fn a_single_point_space_trains_each_epochs_once_and_ends() {
    let c = case();
    let fixed = ["--lr", "0.003", "--batch-size", "16", "--embedding-dim", "8", "--units", "8"];
    let args: Vec<&str> = fixed.iter().copied().chain(["--budget", "120", "--out", "o"]).collect();
    let o = tune(&c, &args);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let csv = c.read("o/trials.csv");
    let mut epochs: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').nth(4).unwrap()).collect();
    let n = epochs.len();
    epochs.sort_unstable();
    epochs.dedup();
    assert_eq!(epochs.len(), n, "an assignment trained twice: {csv}");
    assert_eq!(best(&c, "o")["stopped"], "exhausted");
    assert!(String::from_utf8_lossy(&o.stdout).contains("every point of the space was trained"));
}

/// Issue 13 review: a trial the deadline reaches during its last epoch ran every epoch: it is
/// not cut.
#[test]
fn a_trial_that_ran_every_epoch_is_not_cut() {
    let c = case();
    let o = tune(&c, &["--epochs", "1", "--budget", "0.001", "--out", "o"]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("cut by the budget"), "{err}");
    let csv = c.read("o/trials.csv");
    let first = csv.lines().nth(1).unwrap();
    assert!(first.ends_with(",false"), "{csv}");
}

/// Issue 13 review: `--out` says what tune writes, `--budget` what it bounds.
#[test]
fn the_help_says_what_out_gets_and_what_the_budget_bounds() {
    let c = Case::new();
    let help = String::from_utf8_lossy(&c.run(&["tune", "--help"]).stdout).to_string();
    assert!(!help.contains("args, metrics"), "{help}");
    assert!(help.contains("best.json"), "{help}");
    assert!(help.contains("A trial under way") && help.contains("finishes"), "{help}");
}
