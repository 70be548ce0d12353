//! `strata tune`'s flags as a search space: which model family the command tunes, which
//! parameters its flags already fix, the default space with `--space` over it, the defaults'
//! trial, and a trial's values written back into `TrainArgs` (and checked as `strata train`
//! checks them) — the one place that knows each parameter's flag.

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use strata_model::zoo;
use strata_workflow::pipeline::TrainSettings;
use strata_workflow::tune::defaults::{self, Family, Known};
use strata_workflow::tune::space::show;
use strata_workflow::tune::space_file::{self, Context};
use strata_workflow::tune::{Assignment, EpochRange, Space};

use crate::args_train::TrainArgs;
use crate::args_tune::TuneCmd;
use crate::choices;
/// The model as its flag names it: `--model NAME`, or `--model-file PATH`.
pub(super) fn model_flag(t: &TrainArgs) -> String {
    match &t.model_file {
        Some(path) => format!("--model-file {}", path.display()),
        None => format!("--model {}", t.model.name()),
    }
}

/// Which family the command tunes.
fn family(t: &TrainArgs) -> Family<'static> {
    match (t.model_file.is_some(), t.model) {
        (true, _) => Family::ModelFile,
        (false, choices::Model::Linear) => Family::Linear,
        (false, m) => Family::Named(m.name()),
    }
}

/// The parameters whose flag is on the command line (or that another flag fixes: the vectors
/// of `--embeddings` and the folder of `--init-from` set the embedding's length, and
/// `--init-from` the vocabulary): they are not searched.
fn fixed(t: &TrainArgs) -> Vec<&'static str> {
    let l = &t.linear;
    let embedding_fixed = t.embeddings.is_some() || t.init_from.is_some();
    let given = [
        ("lr", t.lr.is_some()),
        ("epochs", t.epochs.is_some()),
        ("batch-size", t.batch_size.is_some()),
        ("maxlen", t.maxlen.is_some()),
        ("embedding-dim", t.embedding_dim.is_some() || embedding_fixed),
        ("num-words", t.text.num_words.is_some() || t.init_from.is_some()),
        ("embedding-init", t.embedding_init.is_some()),
        ("max-norm", t.max_norm.is_some()),
        ("units", t.units.is_some()),
        ("layers", t.layers.is_some()),
        ("max-sentences", t.max_sentences.is_some()),
        ("dim", l.dim.is_some()),
        ("word-ngrams", l.word_ngrams.is_some()),
        ("min-count", l.min_count.is_some()),
        ("minn", l.minn.is_some()),
        ("maxn", l.maxn.is_some()),
        ("buckets", l.buckets.is_some()),
    ];
    given.into_iter().filter(|&(_, g)| g).map(|(n, _)| n).collect()
}

/// The share of new configurations drawn around the incumbent for the command's model.
pub(super) fn local_share(t: &TrainArgs) -> f64 {
    defaults::local_share(family(t))
}

/// Makes the linear space to the training texts (`defaults::fit_to_data`): their whitespace
/// tokens, and their distinct lower-cased ones as the vocabulary, an estimate from above
/// (strata's tokenizer splits no further than whitespace, and its filters and `--min-count`
/// only drop words); a `--dim` or `--buckets` given is what the memory guard counts a trial to
/// have.
pub(super) fn fit_to_data<'e>(space: &mut Space, base: &TrainSettings, texts: impl Iterator<Item = &'e str>) {
    let Some(linear) = base.linear.as_ref() else { return };
    let (mut words, mut tokens) = (std::collections::HashSet::new(), 0);
    for text in texts {
        for w in text.split_whitespace() {
            tokens += 1;
            if !words.contains(w) {
                words.insert(w.to_lowercase());
            }
        }
    }
    defaults::fit_to_data(space, tokens, words.len());
    if let Some(guard) = space.memory.as_mut() {
        guard.dim = linear.config.dim as f64;
        guard.buckets = linear.config.buckets as f64;
    }
}

/// The model's default space without the fixed flags, `--space` over it.
pub(super) fn search_space(a: &TuneCmd, base: &TrainSettings) -> Result<Space> {
    let t = &a.train;
    let family = family(t);
    let recipe = if t.model_file.is_some() { zoo::SEED_RECIPE } else { zoo::recipe(t.model.name()) };
    let mut space = defaults::default_space(family, &recipe, f64::from(base.fit.optimizer.lr()));
    let fixed = fixed(t);
    space.params.retain(|p| !fixed.contains(&p.name.as_str()));
    if let Some(e) = t.epochs {
        space.epochs = EpochRange { min: e, max: e };
    }
    let known: Vec<Known> = defaults::parameters(family);
    if let Some(path) = &a.space {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow!("{}: cannot read: {e} (hint: check the path)", path.display()))?;
        let model = model_flag(t);
        let file = path.display().to_string();
        let cx = Context { file: &file, model: &model, known: &known, fixed: &fixed };
        space_file::apply(&mut space, &text, &cx)?;
    }
    if space.is_empty() {
        bail!(
            "nothing to search: every parameter of {} is fixed on the command line or in --space (hint: leave out a flag such as --lr, or list values in --space)",
            model_flag(t)
        );
    }
    Ok(space)
}

/// The model as `strata train` trains it with the same flags, as the first trial: each
/// searched parameter at the value it has when its flag is left out. `None` when one of those
/// values lies outside the space (a `--space` file that excludes it) or has no number (no
/// `--max-norm` is the default).
pub(super) fn defaults_trial(t: &TrainArgs, base: &TrainSettings, space: &Space) -> Option<Assignment> {
    let linear = base.linear.as_ref();
    let named = t.model_file.is_none().then(|| t.model.name());
    let value = |name: &str| -> Option<f64> {
        let n = |v: usize| Some(v as f64);
        match name {
            "lr" => Some(short(linear.map_or(base.fit.optimizer.lr(), |l| l.lr))),
            "batch-size" => n(base.fit.batch_size),
            "maxlen" => n(base.text.pad.maxlen),
            "embedding-dim" => n(base.model.embedding_dim),
            "num-words" => base.text.tokenizer.num_words.map(|v| v as f64),
            "embedding-init" => Some(short(base.model.embedding_init)),
            "units" => named.map(|name| defaults::recipe_units(name) as f64),
            "layers" => named.map(|name| if name == "seed-stacked" { 2.0 } else { 1.0 }),
            "max-sentences" => n(15),
            "dim" => linear.map(|l| l.config.dim as f64),
            "word-ngrams" => linear.map(|l| l.config.word_ngrams as f64),
            "min-count" => linear.map(|l| l.config.min_count as f64),
            "minn" => linear.map(|l| l.config.minn as f64),
            "maxn" => linear.map(|l| l.config.maxn as f64),
            "buckets" => linear.map(|l| l.config.buckets as f64),
            _ => None,
        }
    };
    let epochs = base.fit.epochs;
    if !(space.epochs.min..=space.epochs.max).contains(&epochs) {
        return None;
    }
    let values: Option<Vec<(String, f64)>> = space
        .params
        .iter()
        .map(|p| value(&p.name).filter(|v| p.domain.contains(*v)).map(|v| (p.name.clone(), v)))
        .collect();
    Some(Assignment { values: values?, epochs })
}

/// An f32 as the f64 of its shortest decimal (`0.001`, not `0.0010000000474974513`).
fn short(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::from(v))
}

/// `t` with the trial's values in place of their flags.
pub(super) fn with_values(t: &TrainArgs, a: &Assignment) -> Result<TrainArgs> {
    let mut t = t.clone();
    t.epochs = Some(a.epochs);
    for (name, v) in &a.values {
        set(&mut t, name, *v)?;
    }
    Ok(t)
}

/// Sets the flag `name` to `v` (a whole number for the integer flags: the space draws them so).
fn set(t: &mut TrainArgs, name: &str, v: f64) -> Result<()> {
    let n = v.round().max(0.0) as usize;
    let l = &mut t.linear;
    match name {
        "lr" => t.lr = Some(v as f32),
        "epochs" => t.epochs = Some(n),
        "batch-size" => t.batch_size = Some(n),
        "maxlen" => t.maxlen = Some(n),
        "embedding-dim" => t.embedding_dim = Some(n),
        "num-words" => t.text.num_words = Some(n),
        "embedding-init" => t.embedding_init = Some(v as f32),
        "max-norm" => t.max_norm = Some(v as f32),
        "units" => t.units = Some(n),
        "layers" => t.layers = Some(n),
        "max-sentences" => t.max_sentences = Some(n),
        "dim" => l.dim = Some(n),
        "word-ngrams" => l.word_ngrams = Some(n),
        "min-count" => l.min_count = Some(n as u64),
        "minn" => l.minn = Some(n),
        "maxn" => l.maxn = Some(n),
        "buckets" => l.buckets = Some(n),
        other => bail!("'{other}' is not a training flag tune can set (hint: see strata tune --help)"),
    }
    Ok(())
}

/// Before any data is read: every end of every parameter's range, at both ends of the epochs
/// trials run (`epochs`: Hyperband's first rung to the most), make settings `strata train`
/// accepts (e.g. `[word-ngrams] values = [0]` is refused here, not after minutes of trials).
/// Parameters that are zero together (`minn`/`maxn`) are checked in every pair of their ends
/// the search can draw; one that is only ever 0 with a partner above 0 is refused.
pub(super) fn check_space(
    t: &TrainArgs,
    space: &Space,
    epochs: EpochRange,
    split: f64,
    file: Option<&Path>,
) -> Result<()> {
    let source = file.map_or_else(|| "the default search space".to_string(), |p| p.display().to_string());
    let partner = |name: &str| {
        space.zero_together.iter().find_map(|[a, b]| match name {
            n if n == a => space.param(b),
            n if n == b => space.param(a),
            _ => None,
        })
    };
    for epochs in [epochs.min, epochs.max] {
        for param in &space.params {
            let others = partner(&param.name)
                .map_or(vec![None], |q| q.domain.corners().into_iter().map(|v| Some((q, v))).collect());
            for v in param.domain.corners() {
                for other in &others {
                    let mut values = vec![(param.name.clone(), v)];
                    if let Some((q, w)) = other {
                        // the search sets both to 0 when it draws only one at 0 (`Space::sample`),
                        // but a partner never above 0 would make this one's other values
                        // unreachable: those pairs are checked as written, and refused
                        let can_both_be_set =
                            [&param.domain, &q.domain].iter().all(|d| d.corners().iter().any(|&x| x != 0.0));
                        let mismatched = (v == 0.0) != (*w == 0.0);
                        let (v, w) = if can_both_be_set && mismatched { (0.0, 0.0) } else { (v, *w) };
                        values[0].1 = v;
                        values.push((q.name.clone(), w));
                    }
                    let shown: Vec<String> = values.iter().map(|(n, v)| format!("{n} = {}", show(*v))).collect();
                    let a = Assignment { values, epochs };
                    with_values(t, &a)?
                        .settings(split)
                        .map_err(|e| anyhow!("{source}: {} with {epochs} epochs: {e}", shown.join(", ")))?;
                }
            }
        }
        let a = Assignment { values: Vec::new(), epochs };
        with_values(t, &a)?.settings(split).map_err(|e| anyhow!("{source}: epochs = {epochs}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        train: TrainArgs,
    }

    /// Every parameter any model declares is a flag tune can set.
    #[test]
    fn every_declared_parameter_is_a_settable_flag() {
        let mut t = Wrap::parse_from(["x"]).train;
        let families = zoo::NAMED_MODELS.iter().map(|&n| Family::Named(n)).chain([Family::Linear, Family::ModelFile]);
        for family in families {
            for k in defaults::parameters(family) {
                set(&mut t, k.name, 2.0).unwrap_or_else(|e| panic!("{}: {e}", k.name));
            }
        }
        assert!(set(&mut t, "dropout", 0.5).is_err());
        // and, set, it counts as given
        assert!(fixed(&t).len() >= 17, "{:?}", fixed(&t));
    }
}
