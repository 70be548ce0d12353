//! The README's examples run as written (issue 11). Every `sh` block marked
//! `<!-- readme-test: NAME -->` is run line by line, unchanged, with `strata` on the PATH, in a
//! temporary folder laid out like a checkout beside `../shared/data` — small generated files
//! stand in for the public data sets, so the test needs no download — and every flag the README
//! passes to a `strata` verb must be one that verb's `--help` lists.

use std::path::Path;
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap()
}

/// The `sh` blocks of the README, each with the name of its `readme-test` marker, if any.
fn sh_blocks(text: &str) -> Vec<(Option<String>, Vec<String>)> {
    let mut blocks = Vec::new();
    let (mut marker, mut current): (Option<String>, Option<Vec<String>>) = (None, None);
    for line in text.lines() {
        if let Some(lines) = current.as_mut() {
            if line.starts_with("```") {
                blocks.push((marker.take(), current.take().unwrap()));
            } else {
                lines.push(line.to_string());
            }
        } else if let Some(name) = line.strip_prefix("<!-- readme-test: ").and_then(|l| l.strip_suffix(" -->")) {
            marker = Some(name.to_string());
        } else if line == "```sh" {
            current = Some(Vec::new());
        } else if !line.trim().is_empty() {
            marker = None;
        }
    }
    blocks
}

/// The TOML block that declares `[[stage]]` tables: the README's `stages.toml`.
fn stages_toml(text: &str) -> String {
    let start = text.find("```toml\n[[stage]]").expect("the README shows a schedule file") + "```toml\n".len();
    text[start..start + text[start..].find("```").unwrap()].to_string()
}

/// `n` short reviews of two classes with word-order-free cues, as `(label, text)`.
fn reviews(n: usize, offset: usize) -> Vec<(usize, String)> {
    let cue = [["dull", "awful", "clumsy"], ["wonderful", "clever", "gripping"]];
    let filler = ["the", "film", "plot", "was", "acting", "a", "really", "and", "script"];
    (0..n)
        .map(|i| {
            let (label, k) = (i % 2, i + offset);
            let mut words: Vec<&str> = (0..(3 + k % 6)).map(|j| filler[(k * 7 + j * 3) % filler.len()]).collect();
            words.insert(k % words.len(), cue[label][(k / 2) % 3]);
            (label, words.join(" "))
        })
        .collect()
}

fn write_tsv(path: &Path, rows: &[(usize, String)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, rows.iter().map(|(l, t)| format!("{l}\t{t}\n")).collect::<String>()).unwrap();
}

fn write_csv(path: &Path, rows: &[(usize, String)]) {
    let body: String = rows.iter().map(|(l, t)| format!("\"{t}\",{}\n", ["neg", "pos"][*l])).collect();
    std::fs::write(path, format!("review,sentiment\n{body}")).unwrap();
}

#[test]
fn the_marked_examples_run_as_written() {
    let text = readme();
    let tmp = tempfile::tempdir().unwrap();
    let (work, data, bin) = (tmp.path().join("strata"), tmp.path().join("shared/data"), tmp.path().join("bin"));
    for dir in [&work, &bin] {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_strata"), bin.join("strata")).unwrap();
    write_tsv(&data.join("mr/all.tsv"), &reviews(200, 0));
    for (split, n, offset) in [("train", 200, 1000), ("dev", 40, 2000), ("test", 40, 3000)] {
        write_tsv(&data.join(format!("sst2/{split}.tsv")), &reviews(n, offset));
    }
    write_csv(&work.join("reviews.csv"), &reviews(120, 4000));
    write_csv(&work.join("heldout.csv"), &reviews(30, 5000));
    std::fs::write(work.join("stages.toml"), stages_toml(&text)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());

    let marked: Vec<_> = sh_blocks(&text).into_iter().filter_map(|(m, lines)| m.map(|m| (m, lines))).collect();
    let names: Vec<&str> = marked.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(names, ["quick-start", "commands", "schedules"], "the README's marked blocks");
    let mut failed = Vec::new();
    for (name, lines) in &marked {
        for line in lines.iter().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
            let o = Command::new("bash")
                .args(["-o", "pipefail", "-c", line])
                .current_dir(&work)
                .env("PATH", &path)
                .output()
                .unwrap();
            if !o.status.success() {
                failed.push(format!("[{name}] {line}\n    {}", String::from_utf8_lossy(&o.stderr).trim()));
            }
        }
    }
    assert!(failed.is_empty(), "README examples that fail as written:\n{}", failed.join("\n"));
    assert!(work.join("explain.html").exists() && work.join("runs/exp/results.json").exists());
}

#[test]
fn every_flag_the_readme_passes_is_in_the_help() {
    let mut missing = Vec::new();
    for (_, lines) in sh_blocks(&readme()) {
        for line in lines {
            let words: Vec<&str> = line.split_whitespace().take_while(|w| !w.starts_with('#')).collect();
            let Some(at) = words.iter().position(|w| *w == "strata") else { continue };
            let Some(verb) = words[at + 1..].iter().find(|w| !w.starts_with('-')) else { continue };
            let help = Command::new(env!("CARGO_BIN_EXE_strata")).args([verb, "--help"]).output().unwrap();
            let help = String::from_utf8_lossy(&help.stdout).to_string();
            for flag in words[at + 1..].iter().filter(|w| w.starts_with("--")) {
                let flag = flag.split('=').next().unwrap();
                if !help.contains(&format!("{flag} ")) && !help.contains(&format!("{flag}\n")) {
                    missing.push(format!("strata {verb} {flag}   (in: {line})"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "flags the README uses that --help does not list:\n{}", missing.join("\n"));
}
