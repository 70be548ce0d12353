//! The invariants ARCHITECTURE.md states, checked: the crates depend on each other only
//! downwards in the order of the data flow, the server and the report never depend on the
//! trainer, and within each crate no two modules import each other in a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom to top. A crate may depend only on crates before it.
const CRATES: [&str; 10] = [
    "strata-nn",
    "strata-text",
    "strata-data",
    "strata-model",
    "strata-train",
    "strata-report",
    "strata-workflow",
    "strata-serve",
    "strata-onnx",
    "strata-cli",
];

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The workspace crates `name` depends on, under `[dependencies]` only (tests may use more).
fn dependencies(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(crates_dir().join(name).join("Cargo.toml")).unwrap();
    let mut in_deps = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
        } else if in_deps && line.starts_with("strata-") {
            out.push(line.split(['.', ' ', '=']).next().unwrap().to_string());
        }
    }
    out
}

#[test]
fn crates_depend_only_downwards_and_serving_never_needs_the_trainer() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(crates_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("strata-"))
        .collect();
    assert_eq!(on_disk, CRATES.iter().map(|s| s.to_string()).collect(), "ARCHITECTURE.md lists every crate");
    for (i, name) in CRATES.iter().enumerate() {
        for dep in dependencies(name) {
            let j = CRATES.iter().position(|c| *c == dep).unwrap_or_else(|| panic!("{name}: unknown crate {dep}"));
            assert!(j < i, "{name} depends on {dep}, which is above it");
        }
    }
    for name in ["strata-serve", "strata-report", "strata-model"] {
        let deps = dependencies(name);
        for trainer in ["strata-train", "strata-workflow"] {
            assert!(!deps.iter().any(|d| d == trainer), "{name} must not depend on {trainer}");
        }
    }
}

/// Top-level modules of a crate's `src` (a folder module is one node) and the modules each
/// names through `crate::…` outside comments and unit tests.
fn module_imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    let mut files = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let node = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if node == "lib" || node == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // the code's imports: not its comments, nor its unit tests (which may use anything)
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let text: String = code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        let edges: &mut BTreeSet<String> = graph.entry(node.clone()).or_default();
        for (at, _) in text.match_indices("crate::") {
            if text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue; // e.g. `strata_model::…`
            }
            let rest = &text[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let path_continues = rest[name.len()..].starts_with("::");
            if !name.is_empty() && name != node && path_continues {
                edges.insert(name);
            } else if rest.starts_with('{') {
                let group: String = rest.chars().skip(1).take_while(|c| *c != '}').collect();
                for part in group.split(',') {
                    let m = part.trim().split("::").next().unwrap_or("").to_string();
                    if !m.is_empty() && m != node && part.contains("::") {
                        edges.insert(m);
                    }
                }
            }
        }
    }
    graph
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(1) => {
                let start = path.iter().position(|p| p == n).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            Some(_) => return None,
            None => {}
        }
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    graph.keys().find_map(|n| visit(n, graph, &mut state, &mut Vec::new()))
}

#[test]
fn no_module_imports_another_that_imports_it_back() {
    for name in CRATES {
        let graph = module_imports(&crates_dir().join(name).join("src"));
        if let Some(cycle) = find_cycle(&graph) {
            panic!("{name}: modules import each other in a cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["c".to_string()])),
        ("c".to_string(), BTreeSet::from(["a".to_string()])),
    ]
    .into();
    assert_eq!(find_cycle(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}
