//! A trained tree model's answers (issue 15 point 3): its tree and decoding read from its
//! label structure, and its predictions' classes decoded as it says. In a module of its own,
//! above the classifier, so that `tree_decode` (which the label structure names) needs
//! nothing of the models: predict, test and serve all decode through here.

use strata_data::LabelTree;

use crate::tree_decode::TreeDecoding;

/// A tree model's tree and decoding (its `LabelStructure::Tree`); `None` for any other model.
pub fn tree_of(model: &crate::Classifier) -> Option<(LabelTree, TreeDecoding)> {
    match model.structure() {
        crate::label_structure::LabelStructure::Tree { separator, decoding } => {
            LabelTree::of_leaves(model.labels(), separator).map(|t| (t, *decoding))
        }
        _ => None,
    }
}

/// Each prediction's class as the model's label structure picks it: top-down for a tree model
/// trained with top-down decoding, the argmax (as predicted) otherwise. predict, test and
/// serve all decode through here, so they give the same answer.
pub fn decode_predictions(model: &crate::Classifier, predictions: &mut [crate::infer::Prediction]) {
    if let Some((tree, decoding)) = tree_of(model) {
        predictions.iter_mut().for_each(|p| p.class = decoding.decode(&p.probs, &tree));
    }
}
