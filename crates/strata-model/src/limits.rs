//! The sizes strata refuses before it allocates anything, stated once.
//!
//! A model is sized by numbers a user or a file supplies (`--maxlen`, `--units`, `--layers`, a
//! `config.json`'s `maxlen` or sentence count). Unchecked, a typo such as `--units 1000000000`
//! or a damaged `maxlen` of 10¹² overflows `usize` or asks the allocator for terabytes, and the
//! process aborts without a word. These limits sit far above any model strata is meant for (the
//! seed model has 1.3 M parameters and 100 ids per text; fastText's 2 M words × 300 dimensions
//! is 0.6 G parameters), so no one meets them by accident; anything past them is refused with
//! the flag to change. Every product is computed with checked arithmetic.

use crate::error::ModelError;
use crate::model::ModelConfig;

/// Ids per text (`maxlen`, times the sentence count of a hierarchical model).
pub const MAX_IDS_PER_TEXT: usize = 1_000_000;
/// Layers in a model's body: also the bound on `config.json`'s old `layers` count.
pub const MAX_LAYERS: usize = 1024;
/// Parameters in a model (2³¹, 8 GiB of `f32`; training holds four such buffers).
pub const MAX_PARAMS: usize = 1 << 31;
/// Values in the widest activation of one training batch: batch × ids per text × the widest
/// layer (2³², 16 GiB of `f32`).
pub const MAX_BATCH_VALUES: usize = 1 << 32;

/// Runs of every schedule under seeds `--seed` … (`experiment --repeats`): each seed's splits
/// are built before training starts, so a typo such as 100000000 would abort on allocation.
pub const MAX_REPEATS: usize = 1000;

/// `maxlen × sentences`, or `None` if it overflows or passes [`MAX_IDS_PER_TEXT`].
pub fn ids_per_text(maxlen: usize, sentences: Option<usize>) -> Option<usize> {
    maxlen.checked_mul(sentences.unwrap_or(1)).filter(|&n| n <= MAX_IDS_PER_TEXT)
}

fn too_big(flag: &'static str, problem: String, hint: &'static str) -> ModelError {
    ModelError::Flag { flag, problem, hint: Some(hint) }
}

/// `--layers` before any list is built (a list of 10¹⁸ layers is itself the abort).
pub fn check_layers(layers: Option<usize>) -> Result<(), ModelError> {
    match layers {
        Some(n) if n > MAX_LAYERS => Err(too_big(
            "--layers",
            format!("{n} is more than strata's limit of {MAX_LAYERS} layers"),
            "stacks deeper than a few layers rarely help; try 2 or 3",
        )),
        _ => Ok(()),
    }
}

/// A model about to be trained with `maxlen` ids per sentence (per text for a flat model) and
/// batches of `batch_size` texts: its ids per text, parameters and widest batch activation
/// against the limits. A layer list that does not fit is left to [`ModelConfig::validate`],
/// which names the layer.
pub fn check_training(config: &ModelConfig, maxlen: usize, batch_size: usize) -> Result<(), ModelError> {
    let sentences = config.sentences();
    let Some(ids) = ids_per_text(maxlen, sentences) else {
        let what = match sentences {
            Some(s) => format!("{maxlen} × {s} sentences (--max-sentences) is"),
            None => format!("{maxlen} is"),
        };
        return Err(too_big(
            "--maxlen",
            format!("{what} more than strata's limit of {MAX_IDS_PER_TEXT} ids per text"),
            "texts are cut to --maxlen ids; a few hundred to a few thousand is usual",
        ));
    };
    if config.layers.len() > MAX_LAYERS {
        return check_layers(Some(config.layers.len()));
    }
    let Ok(placed) = config.placed() else { return Ok(()) };
    let embedding = config.vocab_size.checked_mul(config.embedding_dim).filter(|&n| n <= MAX_PARAMS);
    if embedding.is_none() {
        return Err(too_big(
            "--num-words",
            format!(
                "{} × --embedding-dim {} is more than strata's limit of {MAX_PARAMS} parameters",
                config.vocab_size, config.embedding_dim
            ),
            "lower --num-words or --embedding-dim (2 M words × 300 fits)",
        ));
    }
    if config.param_count().is_none_or(|n| n > MAX_PARAMS) {
        let (flag, hint) = if config.architecture == "custom" {
            ("--model-file", "lower the widths of its layers")
        } else {
            ("--units", "lower --units, --layers or --embedding-dim")
        };
        return Err(too_big(
            flag,
            format!("makes a model of more than strata's limit of {MAX_PARAMS} parameters"),
            hint,
        ));
    }
    let widest = placed.iter().map(|p| p.output.width.max(p.input.width)).max().unwrap_or(0).max(config.embedding_dim);
    if batch_size.checked_mul(ids).and_then(|n| n.checked_mul(widest)).is_none_or(|n| n > MAX_BATCH_VALUES) {
        return Err(too_big(
            "--batch-size",
            format!(
                "{batch_size} × {ids} ids per text × width {widest} is more than strata's limit of \
                 {MAX_BATCH_VALUES} values in one batch's activations"
            ),
            "lower --batch-size or --maxlen",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_per_text_refuses_what_wraps() {
        assert_eq!(ids_per_text(40, Some(15)), Some(600));
        assert_eq!(ids_per_text(MAX_IDS_PER_TEXT, None), Some(MAX_IDS_PER_TEXT));
        assert_eq!(ids_per_text(MAX_IDS_PER_TEXT + 1, None), None);
        // 2^32 × 2^32 wraps to 0 in unchecked arithmetic
        assert_eq!(ids_per_text(1 << 32, Some(1 << 32)), None);
    }

    #[test]
    fn the_seed_model_is_far_inside_every_limit() {
        check_training(&ModelConfig::seed(10_000), 100, 32).unwrap();
        check_training(&ModelConfig::seed(2_000_000), 2_500, 256).unwrap();
    }
}
