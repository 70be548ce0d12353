//! Explanations of a linear model are exact: the logit of class c is `Σ_rows w_c·x_row / n +
//! b`-free, so each word's contribution is the sum over the rows it starts (the word, its
//! n-grams, its character n-grams) of `w_c·x_row / n` — no occlusion, no gradients.

use crate::explain::Explanation;
use crate::linear::LinearModel;

/// The predicted class's contribution of every word of `text` (`occlusion` and
/// `gradient_x_input` both carry the exact contribution to the predicted class's logit).
pub fn explain(model: &LinearModel, text: &str) -> Option<Explanation> {
    let _ = (model, text);
    todo!("linear: explain")
}
