//! What the CLI does with label trees and out-of-scope rejection (issue 15 points 3 and 4):
//! checks a training file's label paths into the model's `LabelStructure::Tree`, decodes a tree
//! model's predictions as it says, and prints the per-level, hierarchical and out-of-scope
//! scores that `train` and `test` show.

use std::fmt::Write as _;

use anyhow::Result;
use strata_data::{check_label_paths, read_taxonomy, Example, LabelMap, LabelTree};
use strata_model::hierarchical_metrics::{compare_decodings, DecodingComparison, HierarchicalScores};
use strata_model::infer::Prediction;
use strata_model::label_structure::LabelStructure;
use strata_model::reject::OosScores;
use strata_model::tree_decode::TreeDecoding;
use strata_model::Classifier;

use strata_workflow::hierarchies::Way;
use strata_workflow::pipeline::TrainSettings;

use crate::args_tree::TreeArgs;

/// The tree structure `--label-path-sep` asks for, after checking every file's label paths
/// (`files`: each file's examples and its name); `None` without the flag.
pub fn structure(args: &TreeArgs, files: &[(&[Example], String)], labels: &LabelMap) -> Result<Option<LabelStructure>> {
    let Some(sep) = args.label_path_sep.clone() else { return Ok(None) };
    if sep.is_empty() {
        anyhow::bail!("--label-path-sep is empty (hint: give the separator of the label paths, e.g. /)");
    }
    let taxonomy = args.taxonomy.as_deref().map(|t| read_taxonomy(t, &sep)).transpose()?;
    for (examples, path) in files {
        check_label_paths(examples, &sep, taxonomy.as_ref(), path)?;
    }
    if LabelTree::of_leaves(labels, &sep).is_none() {
        anyhow::bail!("the labels are not paths of one depth split on '{sep}' (hint: check --label-path-sep)");
    }
    let decoding = args.hierarchy.map(Into::into).unwrap_or_default();
    Ok(Some(LabelStructure::Tree { separator: sep, decoding }))
}

/// The tree and the ways `experiment --label-path-sep [--hierarchies …]` compares (all three
/// when none is named), after checking the training part's label paths (`train`: the first
/// file's examples, named `name`; the other files' labels are all among its labels); `None`
/// without the flag.
pub fn experiment_tree(
    args: &crate::args_tree::ExperimentTreeArgs,
    train: &[Example],
    name: &str,
    labels: &LabelMap,
) -> Result<Option<(LabelTree, Vec<Way>)>> {
    let tree_args = TreeArgs {
        label_path_sep: args.label_path_sep.clone(),
        taxonomy: args.taxonomy.clone(),
        hierarchy: None,
        reject_below: None,
    };
    let Some(LabelStructure::Tree { separator, .. }) = structure(&tree_args, &[(train, name.to_string())], labels)?
    else {
        return Ok(None);
    };
    let tree = LabelTree::of_leaves(labels, &separator).ok_or_else(|| {
        anyhow::anyhow!("the labels are not paths of one depth split on '{separator}' (hint: check --label-path-sep)")
    })?;
    let mut ways: Vec<Way> = args
        .hierarchies
        .iter()
        .map(|h| match h {
            crate::choices::Hierarchy::Flat => Way::Flat,
            crate::choices::Hierarchy::PerLevel => Way::PerLevel,
            crate::choices::Hierarchy::TopDown => Way::TopDown,
        })
        .collect();
    if ways.is_empty() {
        ways = vec![Way::Flat, Way::PerLevel, Way::TopDown];
    }
    ways.sort();
    ways.dedup();
    Ok(Some((tree, ways)))
}

/// `s` with the per-level heads `--hierarchy per-level` asks for (each upper level's node of
/// every class); unchanged otherwise.
pub fn with_level_heads(mut s: TrainSettings, args: &TreeArgs, labels: &LabelMap) -> Result<TrainSettings> {
    if args.hierarchy != Some(crate::choices::Hierarchy::PerLevel) {
        return Ok(s);
    }
    let sep = args.label_path_sep.as_deref().unwrap_or("/");
    let tree = LabelTree::of_leaves(labels, sep).ok_or_else(|| {
        anyhow::anyhow!("the labels are not paths of one depth split on '{sep}' (hint: check --label-path-sep)")
    })?;
    s.level_heads = tree.ancestor[..tree.depth() - 1].to_vec();
    Ok(s)
}

/// A tree model's tree and decoding; `None` for any other model.
pub fn tree_of(model: &Classifier) -> Option<(LabelTree, TreeDecoding)> {
    strata_model::tree_answer::tree_of(model)
}

/// Each prediction's class as the model's tree decoding picks it (its argmax otherwise).
pub fn decode(model: &Classifier, predictions: &mut [Prediction]) {
    strata_model::tree_answer::decode_predictions(model, predictions)
}

/// Flat and top-down scored on the same predictions, for a tree model.
pub fn comparison(model: &Classifier, truth: &[usize], predictions: &[Prediction]) -> Option<DecodingComparison> {
    let (tree, _) = tree_of(model)?;
    let probs: Vec<&[f32]> = predictions.iter().map(|p| p.probs.as_slice()).collect();
    Some(compare_decodings(truth, &probs, &tree))
}

/// The comparison as lines: one row per decoding, then top-down's paired difference.
pub fn comparison_table(c: &DecodingComparison) -> String {
    let mut s = String::new();
    let levels = c.flat.level_accuracy.len();
    let _ = write!(s, "{:<10}", "decoding");
    (0..levels).for_each(|l| {
        let _ = write!(s, " {:>9}", if l + 1 == levels { "acc_leaf".to_string() } else { format!("acc_l{}", l + 1) });
    });
    let _ = writeln!(s, " {:>8} {:>8} {:>7} {:>7} {:>7}", "micro_f1", "macro_f1", "hP", "hR", "hF1");
    let row = |s: &mut String, name: &str, h: &HierarchicalScores| {
        let _ = write!(s, "{name:<10}");
        h.level_accuracy.iter().for_each(|a| {
            let _ = write!(s, " {a:>9.4}");
        });
        let _ = writeln!(
            s,
            " {:>8.4} {:>8.4} {:>7.4} {:>7.4} {:>7.4}",
            h.leaf_micro_f1, h.leaf_macro_f1, h.h_precision, h.h_recall, h.h_f1
        );
    };
    row(&mut s, "flat", &c.flat);
    row(&mut s, "top-down", &c.top_down);
    let m = &c.top_down_vs_flat;
    let _ = writeln!(
        s,
        "top-down vs flat: {:+.4} leaf accuracy ({} right only under flat, {} only under top-down; McNemar exact p = {:.3})",
        m.difference, m.only_a, m.only_b, m.p_value
    );
    s
}

/// `in-scope accuracy … out-of-scope recall …` at one threshold.
pub fn oos_line(s: &OosScores, oos_given: bool) -> String {
    let recall = if oos_given { format!("  out-of-scope recall {:.4}", s.oos_recall) } else { String::new() };
    format!("reject below {:.4}: in-scope accuracy {:.4}{recall}\n", s.reject_below, s.in_scope_accuracy)
}

/// `--reject-below` checked: a probability.
pub fn reject_below(p: Option<f32>) -> anyhow::Result<Option<f32>> {
    match p {
        Some(p) if !(0.0..=1.0).contains(&p) => {
            anyhow::bail!("--reject-below {p} is not a probability (hint: give a value from 0 to 1, e.g. 0.5)")
        }
        other => Ok(other),
    }
}
