//! What shape a model's labels have, written in `config.json` as `label_structure` so that a
//! folder says how to read its outputs (issue 15): one label per text (every model before
//! it), several per text with a threshold each, or paths in a tree. Old folders, which have no
//! such field, read as `Single`.

use serde::{Deserialize, Serialize};

/// `{"kind": "single"}`, `{"kind": "multi", "thresholds": [...]}` or
/// `{"kind": "tree", "separator": "/"}` in `config.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LabelStructure {
    /// One label per text; `id2label` holds the classes.
    #[default]
    Single,
    /// Any number of labels per text, one sigmoid each; label `i` is predicted when its
    /// probability is at least `thresholds[i]` (one per entry of `id2label`).
    Multi { thresholds: Vec<f32> },
    /// Labels are paths (`comp/comp.graphics`) split on `separator`; `id2label` holds the leaves.
    /// `decoding` (`flat` or `top-down`) is how a leaf is chosen from the leaf probabilities.
    Tree {
        separator: String,
        #[serde(default)]
        decoding: crate::tree_decode::TreeDecoding,
    },
}

impl LabelStructure {
    /// `single`, `multi` or `tree`: the word reports and model cards use.
    pub fn kind(&self) -> &'static str {
        match self {
            LabelStructure::Single => "single",
            LabelStructure::Multi { .. } => "multi",
            LabelStructure::Tree { .. } => "tree",
        }
    }

    /// One label per text (what a folder without the field means).
    pub fn is_single(&self) -> bool {
        matches!(self, LabelStructure::Single)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_the_tagged_form() {
        let multi = LabelStructure::Multi { thresholds: vec![0.5, 0.25] };
        let json = serde_json::to_string(&multi).unwrap();
        assert_eq!(json, r#"{"kind":"multi","thresholds":[0.5,0.25]}"#);
        assert_eq!(serde_json::from_str::<LabelStructure>(&json).unwrap(), multi);
        assert_eq!(serde_json::from_str::<LabelStructure>(r#"{"kind":"single"}"#).unwrap(), LabelStructure::Single);
        assert!(serde_json::from_str::<LabelStructure>(r#"{"kind":"forest"}"#).is_err());
        let tree = LabelStructure::Tree { separator: "/".into(), decoding: crate::tree_decode::TreeDecoding::TopDown };
        let json = serde_json::to_string(&tree).unwrap();
        assert_eq!(json, r#"{"kind":"tree","separator":"/","decoding":"top-down"}"#);
        assert_eq!(serde_json::from_str::<LabelStructure>(&json).unwrap(), tree);
    }
}
