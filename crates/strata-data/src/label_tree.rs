//! Labels written as paths in a tree (`comp/comp.graphics`, issue 15 point 3): which node each
//! leaf label has at every level, so that a flat leaf classifier can be decoded top-down and
//! scored per level, and the checks that a data file's label paths agree with a taxonomy file
//! (`parent<TAB>child-path` lines, as `taxonomy.tsv` of 20news_bydate and clinc150 has them).
//!
//! Every leaf must have the same depth: the per-level scores and the top-down rule read one
//! node per level. A label that is not a path of that depth, or not in the taxonomy, is an
//! error naming the data file's line.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use crate::error::DataError;
use crate::labels::LabelMap;
use crate::readers::Example;

/// The levels of a tree of leaf labels: `nodes[l]` are the distinct path prefixes of depth
/// `l + 1` (sorted), and `ancestor[l][leaf]` the index in `nodes[l]` of the leaf's ancestor at
/// level `l` (the last level is the leaf itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelTree {
    pub separator: String,
    pub nodes: Vec<Vec<String>>,
    pub ancestor: Vec<Vec<usize>>,
}

impl LabelTree {
    /// The tree of `labels` (the leaves, in the model's class order) split on `separator`.
    /// `None` when the labels do not all have the same depth (of at least one level).
    pub fn of_leaves(labels: &LabelMap, separator: &str) -> Option<LabelTree> {
        let parts: Vec<Vec<&str>> = labels.labels().iter().map(|l| l.split(separator).collect()).collect();
        let depth = parts.first()?.len();
        if separator.is_empty() || parts.iter().any(|p| p.len() != depth || p.iter().any(|s| s.is_empty())) {
            return None;
        }
        let mut nodes = Vec::with_capacity(depth);
        let mut ancestor = Vec::with_capacity(depth);
        for level in 0..depth {
            let prefixes: Vec<String> = parts.iter().map(|p| p[..=level].join(separator)).collect();
            let sorted: Vec<String> = prefixes.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect();
            let index: HashMap<&str, usize> = sorted.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
            ancestor.push(prefixes.iter().map(|p| index[p.as_str()]).collect());
            nodes.push(sorted);
        }
        Some(LabelTree { separator: separator.to_string(), nodes, ancestor })
    }

    /// Levels, root excluded (2 for `top/group`).
    pub fn depth(&self) -> usize {
        self.nodes.len()
    }

    /// Leaves under the node `node` of level `level`.
    pub fn leaves_under(&self, level: usize, node: usize) -> impl Iterator<Item = usize> + '_ {
        self.ancestor[level].iter().enumerate().filter(move |(_, &a)| a == node).map(|(leaf, _)| leaf)
    }
}

/// What a taxonomy file says: every child path it lists (with its line) and the depth of the
/// deepest.
#[derive(Clone, Debug)]
pub struct Taxonomy {
    pub path: String,
    pub children: HashMap<String, usize>,
    pub depth: usize,
}

/// Reads `parent<TAB>child-path` lines; the child must be the parent's path and one more level.
pub fn read_taxonomy(path: &Path, separator: &str) -> Result<Taxonomy, DataError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        DataError::new(&shown, None, format!("cannot read the taxonomy: {e}"), "give a parent<TAB>child-path file")
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| DataError::new(&shown, None, "the taxonomy is not UTF-8", "save it as UTF-8"))?;
    let mut children = HashMap::new();
    let mut depth = 0;
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = Some(i + 1);
        let hint = format!("write parent<TAB>child-path, e.g. comp<TAB>comp{separator}comp.graphics");
        let Some((parent, child)) = line.split_once('\t') else {
            return Err(DataError::new(&shown, at, "a taxonomy line needs a tab between parent and child", hint));
        };
        let (parent, child) = (parent.trim(), child.trim());
        let is_child = child
            .strip_prefix(parent)
            .and_then(|rest| rest.strip_prefix(separator))
            .is_some_and(|last| !last.is_empty() && !last.contains(separator));
        if parent.is_empty() || !is_child {
            let message = format!("'{child}' is not a child path of '{parent}' split on '{separator}'");
            return Err(DataError::new(&shown, at, message, hint));
        }
        depth = depth.max(child.split(separator).count());
        children.entry(child.to_string()).or_insert(i + 1);
        // a parent that is itself a path is a node of the taxonomy too
        if parent.contains(separator) {
            children.entry(parent.to_string()).or_insert(i + 1);
        }
    }
    if children.is_empty() {
        return Err(DataError::new(&shown, None, "the taxonomy lists no edge", "write parent<TAB>child-path lines"));
    }
    Ok(Taxonomy { path: shown, children, depth })
}

/// Checks every example's label path: not empty at any level, as deep as the first label,
/// and (with a taxonomy) one of its paths and no deeper than it. `data` names the file.
pub fn check_label_paths(
    examples: &[Example],
    separator: &str,
    taxonomy: Option<&Taxonomy>,
    data: &str,
) -> Result<(), DataError> {
    let Some(first) = examples.first() else { return Ok(()) };
    let depth = first.label.split(separator).count();
    for e in examples {
        let levels: Vec<&str> = e.label.split(separator).collect();
        let at = Some(e.line);
        if let Some(t) = taxonomy {
            if levels.len() > t.depth {
                let message = format!(
                    "label '{}' has {} levels, deeper than the taxonomy {} ({} levels)",
                    e.label,
                    levels.len(),
                    t.path,
                    t.depth
                );
                return Err(DataError::new(data, at, message, "label each text with a leaf path of the taxonomy"));
            }
            if !t.children.contains_key(&e.label) {
                let message = format!("label '{}' is not in the taxonomy {}", e.label, t.path);
                return Err(DataError::new(data, at, message, "add its parent<TAB>path line, or fix the label"));
            }
        }
        if levels.iter().any(|l| l.is_empty()) {
            let message = format!("label '{}' has an empty level when split on '{separator}'", e.label);
            return Err(DataError::new(
                data,
                at,
                message,
                "write labels as top{sep}leaf paths".replace("{sep}", separator),
            ));
        }
        if levels.len() != depth {
            let message = format!(
                "label '{}' has {} levels and the first label '{}' (line {}) has {depth}",
                e.label,
                levels.len(),
                first.label,
                first.line
            );
            return Err(DataError::new(data, at, message, "give every text a leaf path of the same depth"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(label: &str, line: usize) -> Example {
        Example { text: "t".into(), label: label.into(), line }
    }

    #[test]
    fn levels_give_each_leaf_its_ancestors() {
        let labels =
            LabelMap::from_labels(["rec/rec.autos", "comp/comp.graphics", "comp/comp.windows", "alt/alt.atheism"]);
        let tree = LabelTree::of_leaves(&labels, "/").unwrap();
        assert_eq!(tree.depth(), 2);
        assert_eq!(tree.nodes[0], ["alt", "comp", "rec"]);
        // leaves sorted: alt/alt.atheism, comp/comp.graphics, comp/comp.windows, rec/rec.autos
        assert_eq!(tree.ancestor[0], [0, 1, 1, 2]);
        assert_eq!(tree.ancestor[1], [0, 1, 2, 3]);
        assert_eq!(tree.leaves_under(0, 1).collect::<Vec<_>>(), [1, 2]);
        let ragged = LabelMap::from_labels(["a/b", "c"]);
        assert_eq!(LabelTree::of_leaves(&ragged, "/"), None);
    }

    fn taxonomy(text: &str) -> Result<Taxonomy, DataError> {
        // one folder per call: tests run in parallel, and two taxonomies may have one length
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("strata-taxonomy-{}-{call}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("taxonomy.tsv");
        std::fs::write(&path, text).unwrap();
        let t = read_taxonomy(&path, "/");
        std::fs::remove_dir_all(&dir).unwrap();
        t
    }

    #[test]
    fn bad_taxonomy_lines_name_their_line() {
        let e = taxonomy("comp\tcomp/graphics\nrec rec/autos\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("tab"), "{e}");
        let e = taxonomy("comp\tcomp/graphics\ncomp\trec/autos\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("not a child path"), "{e}");
    }

    #[test]
    fn a_label_deeper_than_the_taxonomy_or_not_in_it_names_the_data_line() {
        let t = taxonomy("comp\tcomp/graphics\nrec\trec/autos\n").unwrap();
        let ok = [ex("comp/graphics", 1), ex("rec/autos", 2)];
        assert!(check_label_paths(&ok, "/", Some(&t), "d.tsv").is_ok());
        let deep = [ex("comp/graphics", 1), ex("rec/autos/vw", 7)];
        let e = check_label_paths(&deep, "/", Some(&t), "d.tsv").unwrap_err();
        assert_eq!((e.path.as_str(), e.line), ("d.tsv", Some(7)));
        assert!(e.message.contains("deeper than the taxonomy"), "{e}");
        let unknown = [ex("comp/graphics", 1), ex("sci/space", 3)];
        let e = check_label_paths(&unknown, "/", Some(&t), "d.tsv").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("not in the taxonomy"), "{e}");
    }

    #[test]
    fn without_a_taxonomy_depths_must_agree() {
        let ragged = [ex("comp/graphics", 1), ex("rec", 4)];
        let e = check_label_paths(&ragged, "/", None, "d.tsv").unwrap_err();
        assert_eq!(e.line, Some(4));
        let empty = [ex("comp/graphics", 1), ex("rec/", 5)];
        assert_eq!(check_label_paths(&empty, "/", None, "d.tsv").unwrap_err().line, Some(5));
    }
}
