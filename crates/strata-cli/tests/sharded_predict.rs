//! Issue 16, point 4: `predict --shard-index I --shard-count N` (or the launcher's environment)
//! predicts the lines that start in the I-th byte range of the input, and the shards' outputs,
//! concatenated in name order, are the single-process output byte for byte — for many N, lines
//! crossing range boundaries, shards left empty, CRLF, a byte-order mark and a last line without
//! a newline; a rerun of one shard replaces only its file.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{assert_ok, assert_user_error, corpus, Case};

const LAUNCHER_VARS: [&str; 9] = [
    "OMPI_COMM_WORLD_RANK",
    "OMPI_COMM_WORLD_SIZE",
    "PMI_RANK",
    "PMI_SIZE",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_COUNT",
    "JOB_COMPLETION_INDEX",
    "STRATA_UNUSED",
];

/// `strata ARGS` in the case's folder with no launcher variables but `vars`.
fn run(c: &Case, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.current_dir(c.dir.path()).args(args);
    for v in LAUNCHER_VARS {
        cmd.env_remove(v);
    }
    cmd.envs(vars.iter().copied()).output().unwrap()
}

fn train_linear(c: &Case) {
    c.write("train.tsv", corpus(200).as_bytes());
    let args = ["train", "--data", "train.tsv", "--out", "run", "--model", "linear", "--dim", "8", "--buckets", "2000"];
    assert_ok(&run(c, &[&args[..], &["--epochs", "3", "--threads", "1", "--seed", "1", "-q"]].concat(), &[]));
}

/// Lines of every kind: a byte-order mark, CRLF, blanks, one long line that crosses many byte
/// ranges, non-ASCII text, and a last line without a newline.
fn awkward_input() -> Vec<u8> {
    let mut s = String::from("\u{feff}a great movie\r\nawful plot\n\n   \nlovely and superb\r\n");
    s += &"the movie was really dull and poor ".repeat(40);
    s += "\nfine\nwöw — naïve café\n";
    for i in 0..30 {
        s += if i % 3 == 0 { "weak plot\r\n" } else { "it was great\n" };
    }
    s += "last line, no newline: superb";
    s.into_bytes()
}

/// The shard files of `out` in `dir`, in name order, concatenated.
fn concatenated_shards(dir: &Path, out: &str, count: u64) -> Vec<u8> {
    let prefix = format!("{out}.shard-");
    let suffix = format!("-of-{count:05}");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(&prefix) && n.ends_with(&suffix))
        .collect();
    names.sort();
    assert_eq!(names.len() as u64, count, "{names:?}");
    names.iter().flat_map(|n| std::fs::read(dir.join(n)).unwrap()).collect()
}

#[test]
fn shards_concatenate_to_the_single_process_output_for_many_counts() {
    let c = Case::new();
    train_linear(&c);
    for (input, bytes, extra) in [
        ("in.txt", awkward_input(), &[][..]),
        ("in.jsonl", b"{\"text\": \"great\"}\n\n{\"text\": \"awful film\"}\r\n{\"text\": \"fine\"}".to_vec(), &[][..]),
        ("in.txt", awkward_input(), &["--top-k", "2", "--output-format", "jsonl"][..]),
    ] {
        c.write(input, &bytes);
        let single = run(&c, &[&["predict", "--model", "run", input, "-o", "single"][..], extra].concat(), &[]);
        assert_ok(&single);
        let single = std::fs::read(c.path("single")).unwrap();
        assert_eq!(single.iter().filter(|&&b| b == b'\n').count(), String::from_utf8_lossy(&bytes).lines().count());
        for count in [1u64, 2, 3, 5, 8, 13, 64] {
            let out = format!("sharded{count}");
            for index in 0..count {
                let (i, n) = (index.to_string(), count.to_string());
                let args = ["predict", "--model", "run", input, "-o", &out, "--shard-index", &i, "--shard-count", &n];
                assert_ok(&run(&c, &[&args[..], extra].concat(), &[]));
            }
            let joined = concatenated_shards(c.dir.path(), &out, count);
            assert!(joined == single, "{input} {extra:?}, {count} shards:\n{}", String::from_utf8_lossy(&joined));
        }
    }
}

#[test]
fn the_launchers_environment_picks_the_shard_and_a_rerun_replaces_only_its_file() {
    let c = Case::new();
    train_linear(&c);
    c.write("in.txt", &awkward_input());
    assert_ok(&run(&c, &["predict", "--model", "run", "in.txt", "-o", "single"], &[]));
    let launchers: [&[(&str, &str)]; 3] = [
        &[("OMPI_COMM_WORLD_RANK", "R"), ("OMPI_COMM_WORLD_SIZE", "3")],
        &[("SLURM_ARRAY_TASK_ID", "R"), ("SLURM_ARRAY_TASK_COUNT", "3"), ("SLURM_ARRAY_TASK_MIN", "0")],
        &[("JOB_COMPLETION_INDEX", "R")],
    ];
    for (k, vars) in launchers.iter().enumerate() {
        let out = format!("env{k}");
        for rank in ["0", "1", "2"] {
            let vars: Vec<(&str, &str)> = vars.iter().map(|&(n, v)| (n, if v == "R" { rank } else { v })).collect();
            let count: &[&str] = if k == 2 { &["--shard-count", "3"] } else { &[] };
            let o = run(&c, &[&["predict", "--model", "run", "in.txt", "-o", &out][..], count].concat(), &vars);
            assert_ok(&o);
            assert!(
                String::from_utf8_lossy(&o.stderr).contains(&format!("shard {rank} of 3 (index from {}", vars[0].0))
            );
        }
        assert_eq!(concatenated_shards(c.dir.path(), &out, 3), std::fs::read(c.path("single")).unwrap());
    }
    // a rerun of shard 1 rewrites its file and touches no other
    let marker = b"left alone\n";
    std::fs::write(c.path("env0.shard-00000-of-00003"), marker).unwrap();
    std::fs::write(c.path("env0.shard-00001-of-00003"), marker).unwrap();
    let before: Vec<_> = std::fs::read_dir(c.dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    let vars = [("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "3")];
    assert_ok(&run(&c, &["predict", "--model", "run", "in.txt", "-o", "env0"], &vars));
    let after: Vec<_> = std::fs::read_dir(c.dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(before.len(), after.len(), "{after:?}");
    assert_eq!(std::fs::read(c.path("env0.shard-00000-of-00003")).unwrap(), marker);
    assert_eq!(
        std::fs::read(c.path("env0.shard-00001-of-00003")).unwrap(),
        std::fs::read(c.path("env1.shard-00001-of-00003")).unwrap()
    );
}

#[test]
fn impossible_shards_are_one_line_errors() {
    let c = Case::new();
    train_linear(&c);
    c.write("in.txt", &awkward_input());
    c.write("in.csv", b"id,text\n1,\"good\nfilm\"\n");
    c.write("bad.jsonl", b"{\"text\": \"great\"}\n{\"text\": \"fine\"}\n{\"text\": \"good\"}\n{oops\n");
    fn p<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        [&["predict", "--model", "run"][..], extra].concat()
    }
    type Refusal<'a> = (Vec<&'a str>, &'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Refusal; 8] = [
        (
            p(&["in.txt", "-o", "o", "--shard-index", "4", "--shard-count", "4"]),
            &[],
            &["shard index 4", "not below the shard count 4", "0 to 3"],
        ),
        (p(&["in.txt", "-o", "o", "--shard-index", "0", "--shard-count", "0"]), &[], &["shard count", "is 0"]),
        (p(&["in.txt", "-o", "o", "--shard-count", "2"]), &[], &["needs a shard index"]),
        (p(&["in.txt", "-o", "o"]), &[("JOB_COMPLETION_INDEX", "1")], &["from JOB_COMPLETION_INDEX", "--shard-count"]),
        (p(&["in.txt", "--shard-index", "0", "--shard-count", "2"]), &[], &["needs --output"]),
        (p(&["-", "-o", "o", "--shard-index", "0", "--shard-count", "2"]), &[], &["stdin cannot be cut"]),
        (
            p(&["in.csv", "-o", "o", "--shard-index", "0", "--shard-count", "2"]),
            &[],
            &["in.csv", "CSV file cannot be cut", "JSONL"],
        ),
        (p(&["bad.jsonl", "-o", "o", "--shard-index", "1", "--shard-count", "2"]), &[], &["bad.jsonl:4:"]),
    ];
    for (args, vars, needles) in cases {
        assert_user_error(&run(&c, &args, vars), needles);
    }
    assert!(!c.path("o").exists() && !c.path("o.shard-00000-of-00002").exists());
}
