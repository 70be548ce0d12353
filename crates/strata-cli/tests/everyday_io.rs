//! The everyday input and output of the `strata` binary (issue 11): predict answers every input
//! line in place, readers refuse what would silently become a wrong class (a BOM, a header row,
//! an empty or NUL label, a second fastText label), a closed or full stdout ends cleanly, and
//! `test --predictions` writes each row's answer. Each test works in a fresh temporary folder.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Self {
        Case { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
        cmd.current_dir(self.dir.path()).args(args);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        let path = self.write(".stdin", stdin);
        self.cmd(args).stdin(std::fs::File::open(path).unwrap()).output().unwrap()
    }

    /// Trains a small model on `corpus` into `run/` (two epochs, tiny layers).
    fn trained(&self) -> &Self {
        self.write("train.tsv", corpus(120).as_bytes());
        let o = self.run(&small_train("train.tsv"));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        self
    }
}

/// A small learnable corpus: label 1 iff the sentence contains a "good" word.
fn corpus(n: usize) -> String {
    let good = ["great", "fine", "lovely", "superb"];
    let bad = ["awful", "poor", "dull", "weak"];
    (0..n)
        .map(|i| {
            let label = i % 2;
            let word = if label == 1 { good[i % 4] } else { bad[(i / 2) % 4] };
            format!("{label}\tthe movie was {word} and the plot {}\n", ["long", "short", "new"][i % 3])
        })
        .collect()
}

fn small_train(data: &str) -> Vec<&str> {
    let mut args = vec!["train", "--data", data, "--out", "run", "--epochs", "2", "--maxlen", "12"];
    args.extend(["--num-words", "100", "--units", "8", "--embedding-dim", "8", "--threads", "2"]);
    args
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Exit code 2 and one stderr line, `error: …`, holding every needle and a hint; no panic.
fn assert_one_error_line(o: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: ") && err.contains("hint"), "{err}");
    for n in needles {
        assert!(err.contains(n), "'{n}' not in: {err}");
    }
}

#[test]
fn issue_11_1_predict_answers_every_input_line_in_place() {
    let c = Case::new();
    c.trained();
    let alone = stdout(&c.run_with_stdin(&["predict", "--model", "run", "-"], b"good film\nbad film\n"));
    let alone: Vec<&str> = alone.lines().collect();
    let out = stdout(&c.run_with_stdin(&["predict", "--model", "run", "-"], b"good film\n\n  \nbad film\n"));
    assert_eq!(out.lines().collect::<Vec<_>>(), [alone[0], "", "", alone[1]], "{out:?}");
    assert_eq!(stdout(&c.run_with_stdin(&["predict", "--model", "run", "-"], b"\n")), "\n");

    let json = stdout(&c.run_with_stdin(&["predict", "--model", "run", "--json"], b"good film\n\n"));
    let rows: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2, "{json}");
    assert!(rows[0]["label"].is_string() && rows[0]["score"].is_number(), "{json}");
    assert!(rows[1]["label"].is_null() && rows[1]["score"].is_null() && rows[1]["text"] == "", "{json}");

    // CSV and JSONL input by extension, the text named by --text-col; the answers are the same
    c.write("in.csv", b"id,body\n1,good film\n2,\"bad, film\"\n");
    let csv = stdout(&c.run(&["predict", "--model", "run", "in.csv", "--text-col", "body"]));
    c.write("in.jsonl", b"{\"body\": \"good film\"}\n\n{\"body\": \"bad, film\"}\n");
    let jsonl = stdout(&c.run(&["predict", "--model", "run", "in.jsonl", "--text-col", "body"]));
    let csv: Vec<&str> = csv.lines().collect();
    assert_eq!(csv.len(), 2);
    assert_eq!(jsonl.lines().collect::<Vec<_>>(), [csv[0], "", csv[1]]);
    assert_eq!(csv[0], alone[0]);

    // --output FILE: the format from --output-format, else from the extension
    c.write("in.txt", b"good film\n\nbad film\n");
    let quiet = c.run(&["predict", "--model", "run", "in.txt", "--output", "out.jsonl"]);
    assert_eq!(stdout(&quiet), "");
    let written = std::fs::read_to_string(c.path("out.jsonl")).unwrap();
    assert_eq!(written, json_lines_of(&c, "in.txt"));
    stdout(&c.run(&["predict", "--model", "run", "in.txt", "-o", "out.tsv"]));
    let tsv = std::fs::read_to_string(c.path("out.tsv")).unwrap();
    assert_eq!(tsv.lines().collect::<Vec<_>>(), [alone[0], "", alone[1]]);
    stdout(&c.run(&["predict", "--model", "run", "in.txt", "-o", "out.txt", "--output-format", "fasttext"]));
    let ft = std::fs::read_to_string(c.path("out.txt")).unwrap();
    let ft: Vec<&str> = ft.lines().collect();
    assert_eq!(ft.len(), 3, "{ft:?}");
    let (label, score) = alone[0].split_once('\t').unwrap();
    assert_eq!(ft[0], format!("__label__{label} {score}"));
    assert_eq!(ft[1], "");

    // never over the input
    let o = c.run(&["predict", "--model", "run", "in.txt", "-o", "./in.txt"]);
    assert_one_error_line(&o, &["in.txt", "is the input file"]);
    assert_eq!(std::fs::read(c.path("in.txt")).unwrap(), b"good film\n\nbad film\n");
}

fn json_lines_of(c: &Case, input: &str) -> String {
    stdout(&c.run(&["predict", "--model", "run", input, "--json"]))
}

#[test]
fn issue_11_2_a_bom_is_dropped_and_utf16_is_named() {
    let c = Case::new();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(corpus(60).as_bytes());
    c.write("bom.tsv", &bom);
    stdout(&c.run(&small_train("bom.tsv")));
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(c.path("run/model/config.json")).unwrap()).unwrap();
    let cfg = cfg.to_string();
    assert!(!cfg.contains("\\ufeff") && !cfg.contains('\u{feff}'), "a BOM in a label: {cfg}");
    assert_eq!(c.run(&["test", "--model", "run", "--data", "bom.tsv"]).status.code(), Some(0));

    let utf16: Vec<u8> = format!("\u{feff}{}", corpus(10)).encode_utf16().flat_map(u16::to_le_bytes).collect();
    c.write("wide.tsv", &utf16);
    let o = c.run(&small_train("wide.tsv"));
    assert_one_error_line(&o, &["wide.tsv", "UTF-16", "iconv -f utf-16"]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("cp1252"));
}

#[test]
fn issue_11_3_and_23_labels_that_would_become_wrong_classes_are_errors_naming_the_line() {
    let c = Case::new();
    let body = corpus(20);
    let cases: [(&str, String, &[&str]); 4] = [
        ("header.tsv", format!("label\ttext\n{body}"), &["header.tsv:1:", "header row"]),
        ("empty.tsv", format!("{body}\tno label here\n"), &["empty.tsv:21:", "empty label"]),
        ("nul.tsv", format!("{body}1\0\tnul\n"), &["nul.tsv:21:", "NUL"]),
        ("two.txt", "__label__1 good\n__label__0 __label__1 both\n".into(), &["two.txt:2:", "multi-label"]),
    ];
    for (name, content, needles) in cases {
        c.write(name, content.as_bytes());
        assert_one_error_line(&c.run(&small_train(name)), needles);
    }
}

/// Runs `args` with stdout a pipe whose reading end is closed before strata writes.
fn with_stdout_closed(c: &Case, args: &[&str]) -> Output {
    let mut child = c.cmd(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let mut err = Vec::new();
    child.stderr.take().unwrap().read_to_end(&mut err).unwrap();
    Output { status: child.wait().unwrap(), stdout: Vec::new(), stderr: err }
}

#[test]
fn issue_11_4_a_closed_pipe_ends_quietly_and_a_full_disk_is_one_error_line() {
    let c = Case::new();
    c.trained();
    let many: String = (0..20_000).map(|i| if i % 2 == 0 { "good film\n" } else { "bad film\n" }).collect();
    c.write("many.txt", many.as_bytes());
    // predict writes through its buffer; explain through println!; test through its report
    let commands: [&[&str]; 3] = [
        &["predict", "--model", "run", "many.txt"],
        &["explain", "--model", "run", "the movie was great"],
        &["test", "--model", "run", "--data", "train.tsv"],
    ];
    for args in commands {
        let o = with_stdout_closed(&c, args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!((o.status.code(), err.as_ref()), (Some(0), ""), "{args:?}");
    }
    // `| head -1`: the reader goes away after one line, in the middle of the output
    let mut child = c.cmd(commands[0]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut first = [0u8; 16];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!((o.status.code(), String::from_utf8_lossy(&o.stderr).as_ref()), (Some(0), ""));

    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full on this system");
        return;
    };
    for args in commands {
        let o = c.cmd(args).stdout(full.try_clone().unwrap()).output().unwrap();
        assert_one_error_line(&o, &["cannot write to stdout", "No space left on device"]);
    }
}

#[test]
fn issue_11_10_test_writes_each_rows_answer() {
    let c = Case::new();
    c.trained();
    let r = stdout(&c.run(&["test", "--model", "run", "--data", "train.tsv", "--json", "--predictions", "rows.tsv"]));
    let accuracy = serde_json::from_str::<serde_json::Value>(&r).unwrap()["accuracy"].as_f64().unwrap();
    let tsv = std::fs::read_to_string(c.path("rows.tsv")).unwrap();
    let mut rows = tsv.lines();
    assert_eq!(rows.next(), Some("line\ttext\tgold\tpredicted\tprobability"));
    let rows: Vec<Vec<&str>> = rows.map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 120);
    let source = corpus(120);
    for (row, (i, src)) in rows.iter().zip(source.lines().enumerate()) {
        assert_eq!(row[0], (i + 1).to_string());
        assert_eq!(format!("{}\t{}", row[2], row[1]), src);
        assert!(row[3] == "0" || row[3] == "1", "{row:?}");
        let p: f64 = row[4].parse().unwrap();
        assert!((0.5..=1.0).contains(&p), "the predicted label is the more probable one: {row:?}");
    }
    let right = rows.iter().filter(|r| r[2] == r[3]).count() as f64 / rows.len() as f64;
    assert!((right - accuracy).abs() < 1e-9, "{right} vs {accuracy}");

    stdout(&c.run(&["test", "--model", "run", "--data", "train.tsv", "--predictions", "rows.jsonl"]));
    let jsonl = std::fs::read_to_string(c.path("rows.jsonl")).unwrap();
    let json: Vec<serde_json::Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(json.len(), 120);
    let o = c.run(&["test", "--model", "run", "--data", "train.tsv", "--predictions", "train.tsv"]);
    assert_one_error_line(&o, &["train.tsv", "is the input file"]);
    assert_eq!(std::fs::read_to_string(c.path("train.tsv")).unwrap(), source);
    for (j, row) in json.iter().zip(&rows) {
        assert_eq!(
            (j["line"].to_string(), j["text"].as_str(), j["gold"].as_str()),
            (row[0].into(), Some(row[1]), Some(row[2]))
        );
        assert_eq!(j["predicted"].as_str(), Some(row[3]));
        assert_eq!(format!("{:.4}", j["probability"].as_f64().unwrap()), row[4]);
    }
}

/// Review of issue 11, point 4: stderr is a stream too. Progress that cannot be written (stderr
/// on a full disk) is dropped, not a panic that loses the run; completions follow stdout's rules.
#[test]
fn issue_11_4_a_full_stderr_loses_no_run_and_completions_obey_stdout_rules() {
    let c = Case::new();
    let o = with_stdout_closed(&c, &["completions", "bash"]);
    assert_eq!((o.status.code(), String::from_utf8_lossy(&o.stderr).as_ref()), (Some(0), ""));
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full on this system");
        return;
    };
    let o = c.cmd(&["completions", "bash"]).stdout(full.try_clone().unwrap()).output().unwrap();
    assert_one_error_line(&o, &["cannot write to stdout", "No space left on device"]);
    c.write("train.tsv", corpus(120).as_bytes());
    let o = c.cmd(&small_train("train.tsv")).stderr(full).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "the run goes on without its progress lines");
    assert!(c.path("run/model/model.safetensors").is_file());
}

/// Review of issue 11, point 23: `--threads` is bounded like the other sizes.
#[test]
fn issue_11_23_threads_beyond_any_machine_are_one_error_line() {
    let c = Case::new();
    let o = c.run(&["--threads", "200000", "demo", "--size", "10"]);
    assert_one_error_line(&o, &["--threads 200000", "1024"]);
    assert_one_error_line(&c.run(&["--threads", "0", "demo"]), &["--threads must be at least 1"]);
}
