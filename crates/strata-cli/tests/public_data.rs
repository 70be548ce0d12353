//! The data script a user lays out the public data sets with (`bench/data/get_public_data.sh`):
//! its checksums match the local copy in `../shared/data`, it notices a changed file, and its
//! converter turns the sources (the `original/` copies kept beside the local data) into the
//! same bytes. Nothing is downloaded: without the local copy the tests say so and skip.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("STRATA_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")));
    if dir.join("mr/all.tsv").exists() {
        return Some(dir);
    }
    eprintln!("skipped: the public data is not at {} (set STRATA_DATA to run this test)", dir.display());
    None
}

fn script(args: &[&str]) -> std::process::Output {
    Command::new("bash").arg(repo().join("bench/data/get_public_data.sh")).args(args).output().unwrap()
}

#[test]
fn the_checksums_match_the_local_copy() {
    let Some(data) = data_dir() else { return };
    let o = script(&["verify", data.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("verified 27 files"), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn a_changed_file_fails_the_check() {
    let Some(data) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("mr")).unwrap();
    let mut bytes = std::fs::read(data.join("mr/all.tsv")).unwrap();
    bytes[0] ^= 1; // a label flipped from 0 to 1
    std::fs::write(tmp.path().join("mr/all.tsv"), bytes).unwrap();
    let o = script(&["verify", tmp.path().to_str().unwrap(), "mr"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("error: "), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn the_converter_turns_the_sources_into_the_same_bytes() {
    let Some(data) = data_dir() else { return };
    if Command::new("python3").arg("--version").output().map_or(true, |o| !o.status.success()) {
        eprintln!("skipped: no python3 to run bench/data/convert_public_data.py");
        return;
    }
    // The sources as `download` lays them out, linked from the byte-for-byte copies in original/.
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("sources");
    let links: &[(&str, &[&str])] = &[
        ("harvardnlp", &["mr/original/rt-polarity.all", "subj/original/subj.all"]),
        (
            "chnsenticorp",
            &["chnsenticorp/original/train.tsv", "chnsenticorp/original/dev.tsv", "chnsenticorp/original/test.tsv"],
        ),
        ("waimai_10k", &["waimai_10k/original/waimai_10k.csv"]),
        ("clinc150", &["clinc150/original/data_full.json", "clinc150/original/domains.json"]),
    ];
    let sst = ["binary", "fine"].iter().flat_map(|k| ["train", "dev", "test"].map(|s| format!("stsa.{k}.{s}")));
    for name in sst {
        let set = if name.contains("binary") { "sst2" } else { "sst1" };
        std::fs::create_dir_all(src.join("harvardnlp")).unwrap();
        std::os::unix::fs::symlink(data.join(set).join("original").join(&name), src.join("harvardnlp").join(&name))
            .unwrap();
    }
    for (dir, files) in links {
        std::fs::create_dir_all(src.join(dir)).unwrap();
        for f in *files {
            let from = data.join(f);
            std::os::unix::fs::symlink(&from, src.join(dir).join(from.file_name().unwrap())).unwrap();
        }
    }
    let out = tmp.path().join("data");
    let sets = ["mr", "subj", "sst2", "sst1", "chnsenticorp", "waimai_10k", "clinc150"];
    let mut args = vec!["convert", src.to_str().unwrap(), out.to_str().unwrap()];
    args.extend(sets);
    let o = script(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut args = vec!["verify", out.to_str().unwrap()];
    args.extend(sets);
    let o = script(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("verified 19 files"), "{}", String::from_utf8_lossy(&o.stdout));
}
