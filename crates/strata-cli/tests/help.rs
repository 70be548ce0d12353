//! `strata --help` is the manual most people read: these tests walk clap's whole command tree,
//! so a flag added later without help text, outside the headings, or with a closed set of values
//! that `--help` does not list, fails here rather than in a user's terminal.

#[allow(dead_code)]
#[path = "../src/args.rs"]
mod args;
#[path = "../src/args_ensemble.rs"]
mod args_ensemble;
#[path = "../src/args_import_keras.rs"]
mod args_import_keras;
#[allow(dead_code)]
#[path = "../src/args_linear.rs"]
mod args_linear;
#[allow(dead_code)]
#[path = "../src/args_nbsvm.rs"]
mod args_nbsvm;
#[allow(dead_code)]
#[path = "../src/args_train.rs"]
mod args_train;
#[path = "../src/args_tree.rs"]
mod args_tree;
#[path = "../src/args_tune.rs"]
mod args_tune;
#[allow(dead_code)]
#[path = "../src/choices.rs"]
mod choices;

use clap::{Command, CommandFactory};

/// The headings `--help` groups flags under (issue 11, point 10), plus the server's own.
const HEADINGS: [&str; 10] =
    ["Data", "Text", "Model", "Linear model", "NBSVM model", "Training", "Schedule", "Tuning", "Output", "Server"];

/// Every command of the tree with its path (`strata train`, …), built so globals are
/// propagated to the subcommands.
fn commands() -> Vec<(String, Command)> {
    fn walk(path: String, cmd: &Command, out: &mut Vec<(String, Command)>) {
        for sub in cmd.get_subcommands() {
            walk(format!("{path} {}", sub.get_name()), sub, out);
        }
        out.push((path, cmd.clone()));
    }
    let mut cli = args::Cli::command();
    cli.build();
    let mut out = Vec::new();
    walk("strata".into(), &cli, &mut out);
    out
}

/// clap's own `--help`, `--version` and the `help` verb.
fn is_builtin(path: &str, arg: &clap::Arg) -> bool {
    matches!(arg.get_id().as_str(), "help" | "version") || path.ends_with(" help") || path.contains(" help ")
}

#[test]
fn every_flag_of_every_command_has_help_text_under_a_heading() {
    let mut missing = Vec::new();
    let mut checked = 0;
    for (path, cmd) in commands() {
        for arg in cmd.get_arguments().filter(|a| !is_builtin(&path, a)) {
            checked += 1;
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            if help.trim().is_empty() {
                missing.push(format!("{path} {}: no help text", arg.get_id()));
            }
            match arg.get_help_heading() {
                Some(h) if HEADINGS.contains(&h) => {}
                other => missing.push(format!("{path} {}: heading {other:?}", arg.get_id())),
            }
        }
        if cmd.get_name() != "strata" && !path.contains(" help") {
            let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
            if about.trim().is_empty() {
                missing.push(format!("{path}: no description"));
            }
        }
    }
    assert!(checked > 80, "walked only {checked} flags: is the tree being walked?");
    assert!(missing.is_empty(), "flags without help text or a heading:\n{}", missing.join("\n"));
}

#[test]
fn every_closed_set_lists_its_possible_values_in_help() {
    let mut with_values = 0;
    for (path, mut cmd) in commands() {
        let long = cmd.render_long_help().to_string();
        let short = cmd.render_help().to_string();
        for arg in cmd.get_arguments().filter(|a| !is_builtin(&path, a) && a.get_action().takes_values()) {
            let values: Vec<String> = arg.get_possible_values().iter().map(|v| v.get_name().to_string()).collect();
            if values.is_empty() {
                continue;
            }
            with_values += 1;
            let listed = format!("[possible values: {}]", values.join(", "));
            assert!(long.contains(&listed), "{path} --help does not show {listed} for {}:\n{long}", arg.get_id());
            assert!(short.contains(&listed), "{path} -h does not show {listed} for {}", arg.get_id());
        }
    }
    // --format, --tokenizer, --padding, --truncating, --model, --optimizer, --schedule,
    // --monitor in train, cv and experiment, and more
    assert!(with_values >= 20, "only {with_values} flags with a closed set of values");
}

#[test]
fn closed_sets_are_value_enums_with_the_libraries_names() {
    let train = commands().into_iter().find(|(p, _)| p == "strata train").expect("train").1;
    let values = |id: &str| -> Vec<String> {
        let arg = train.get_arguments().find(|a| a.get_id() == id).unwrap_or_else(|| panic!("no --{id}"));
        arg.get_possible_values().iter().map(|v| v.get_name().to_string()).collect()
    };
    assert_eq!(values("model")[..values("model").len() - 2], strata_model::zoo::NAMED_MODELS);
    assert_eq!(values("model")[values("model").len() - 2..], ["linear", "nbsvm"]);
    assert_eq!(values("schedule"), strata_train::schedule::SCHEDULES);
    assert_eq!(values("format"), ["tsv", "csv", "jsonl", "fasttext"]);
    assert_eq!(values("padding"), ["pre", "post"]);
    assert_eq!(values("truncating"), ["pre", "post"]);
    assert_eq!(values("tokenizer"), ["word", "char", "jieba"]);
    assert_eq!(values("optimizer"), ["adam", "sgd", "adadelta"]);
    assert_eq!(values("monitor"), ["val_loss", "val_accuracy"]);
}

#[test]
fn train_help_groups_flags_under_the_headings() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_strata")).args(["train", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for h in ["Data:", "Text:", "Model:", "Training:", "Schedule:", "Output:"] {
        assert!(help.lines().any(|l| l == h), "no heading {h} in train --help:\n{help}");
    }
    // a flag sits under its heading: the lines from "Training:" to the next heading
    let section = |h: &str| -> String {
        let is_heading = |l: &&str| l.ends_with(':') && l.starts_with(|c: char| c.is_ascii_uppercase());
        let lines: Vec<&str> = help.lines().skip_while(|l| *l != h).skip(1).collect();
        lines.iter().take_while(|l| !is_heading(l)).copied().collect::<Vec<_>>().join("\n")
    };
    assert!(section("Training:").contains("--epochs <EPOCHS>"));
    assert!(section("Text:").contains("--padding <PADDING>"));
    assert!(section("Model:").contains("--model <MODEL>"));
    assert!(section("Schedule:").contains("--schedule <SCHEDULE>"));
    assert!(section("Output:").contains("-o, --out <OUT>"));
}
