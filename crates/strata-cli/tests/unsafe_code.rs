//! Where unsafe code may live (issue 11, point 23): every `unsafe fn` says in a `# Safety`
//! section what its caller must guarantee, and every crate without unsafe code says
//! `#![forbid(unsafe_code)]`, so that the compiler keeps it that way.

use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The crates of the workspace, each with the source files of its library or binary.
fn crate_sources() -> Vec<(String, Vec<PathBuf>)> {
    let mut crates: Vec<(String, Vec<PathBuf>)> = std::fs::read_dir(crates_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").exists())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), rust_files(&p.join("src"))))
        .collect();
    crates.sort();
    crates
}

/// Lines that are code, not comments (a `//` line, or the doc lines above an item).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//"))
}

#[test]
fn every_unsafe_fn_has_a_safety_section() {
    let mut missing = Vec::new();
    for (_, files) in crate_sources() {
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in code_lines(&text) {
                if !line.contains("unsafe fn ") {
                    continue;
                }
                // the doc comment above the item, through its attributes
                let docs: Vec<&str> = lines[..i]
                    .iter()
                    .rev()
                    .map(|l| l.trim_start())
                    .take_while(|l| l.starts_with("///") || l.starts_with("#["))
                    .collect();
                if !docs.iter().any(|l| l.trim_end() == "/// # Safety") {
                    missing.push(format!("{}:{}", file.display(), i + 1));
                }
            }
        }
    }
    assert!(missing.is_empty(), "unsafe fn without a `# Safety` section: {missing:?}");
}

#[test]
fn crates_without_unsafe_code_forbid_it() {
    let mut checked = 0;
    for (name, files) in crate_sources() {
        let uses_unsafe = files.iter().any(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let found = code_lines(&text).any(|(_, l)| l.contains("unsafe ") || l.contains("unsafe{"));
            found
        });
        if uses_unsafe {
            continue;
        }
        let root = files.iter().find(|f| f.ends_with("src/lib.rs") || f.ends_with("src/main.rs"));
        let root = root.unwrap_or_else(|| panic!("{name} has neither src/lib.rs nor src/main.rs"));
        let text = std::fs::read_to_string(root).unwrap();
        assert!(
            text.lines().any(|l| l.trim() == "#![forbid(unsafe_code)]"),
            "{} lacks #![forbid(unsafe_code)]",
            root.display()
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} crates checked");
}
