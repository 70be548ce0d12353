//! `strata tune`'s flags as a search space: which model family the command tunes, which
//! parameters its flags already fix, the default space with `--space` over it, the defaults'
//! trial, and a trial's values written back into `TrainArgs` (and checked as `strata train`
//! checks them) — the one place that knows each parameter's flag.

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use strata_model::linear::dictionary::EOS;
use strata_model::linear::features::words_of;
use strata_model::zoo;
use strata_train::history::thousands;
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

/// Whether the command's model's promotions keep `lr × epochs` (`defaults::ridge`).
pub(super) fn ridge(t: &TrainArgs) -> bool {
    defaults::ridge(family(t))
}

/// Makes the linear space to the training texts (`defaults::fit_to_data`): their words as the
/// model's tokenizer splits them (lower-cased or not, filtered, as training will), and their
/// distinct ones and `</s>` as the vocabulary — the dictionary before `--min-count`, so an
/// estimate from above; a `--dim` or `--buckets` given is what the memory guard counts a trial
/// to have. `from_space_file` names the tables `--space` wrote (their ranges are kept).
pub(super) fn fit_to_data<'e>(
    space: &mut Space,
    base: &TrainSettings,
    from_space_file: &[String],
    texts: impl Iterator<Item = &'e str>,
) {
    if base.linear.is_none() {
        return;
    }
    let (mut words, mut tokens) = (std::collections::HashSet::new(), 0);
    let texts: Vec<&str> = texts.collect();
    // a chunk at a time: the split words of a large corpus (IMDB's 6 M) need not all be held
    for chunk in texts.chunks(4096) {
        for text in words_of(&base.text.tokenizer, chunk) {
            tokens += text.len();
            words.extend(text);
        }
    }
    let vocabulary = words.len() + usize::from(!words.contains(EOS));
    defaults::fit_to_data(space, tokens, vocabulary, from_space_file);
    guard_takes_the_flags(space, base);
}

/// The memory guard counts a trial that does not search `dim` or `buckets` at the flags'
/// values (`--dim 600`), from the check of the space's corners on.
pub(super) fn guard_takes_the_flags(space: &mut Space, base: &TrainSettings) {
    if let (Some(guard), Some(linear)) = (space.memory.as_mut(), base.linear.as_ref()) {
        guard.dim = linear.config.dim as f64;
        guard.buckets = linear.config.buckets as f64;
    }
}

/// The model's default space without the fixed flags, `--space` over it; and the tables the
/// `--space` file wrote.
pub(super) fn search_space(a: &TuneCmd, base: &TrainSettings) -> Result<(Space, Vec<String>)> {
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
    let mut from_space_file = Vec::new();
    if let Some(path) = &a.space {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow!("{}: cannot read: {e} (hint: check the path)", path.display()))?;
        let model = model_flag(t);
        let file = path.display().to_string();
        let cx = Context { file: &file, model: &model, known: &known, fixed: &fixed };
        from_space_file = space_file::apply(&mut space, &text, &cx)?;
    }
    if space.is_empty() {
        bail!(
            "nothing to search: every parameter of {} is fixed on the command line or in --space (hint: leave out a flag such as --lr, or list values in --space)",
            model_flag(t)
        );
    }
    Ok((space, from_space_file))
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

/// What tune says before trial 1 when the defaults' input matrix is above the memory guard:
/// trial 1 is what `strata train` trains with the same flags, so it trains as given (the guard
/// holds the search's draws), and the user hears first what it needs. With both `--dim` and
/// `--buckets` given the guard has nothing to shrink, and every trial needs as much. `None`
/// when it fits or the model has no guard.
pub(super) fn defaults_over_guard(space: &Space, first: &Assignment) -> Option<String> {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    let guard = space.memory.as_ref()?;
    let bytes = guard.bytes_of(first);
    if bytes <= guard.max_bytes {
        return None;
    }
    let (dim, buckets) = (first.get("dim").unwrap_or(guard.dim), first.get("buckets").unwrap_or(guard.buckets));
    let then = if space.param("dim").is_some() || space.param("buckets").is_some() {
        "it trains as given (--dim or --buckets make it smaller)"
    } else {
        "with --dim and --buckets given it has nothing to shrink, and every trial needs as much"
    };
    Some(format!(
        "Trial 1 (the defaults, as strata train trains them) needs about {:.1} GiB of weights (dim {} × {} words and buckets × 4 bytes), above the {} GiB that bounds the search's draws: {then}",
        bytes / GIB,
        show(dim),
        thousands((guard.vocabulary + buckets) as u64),
        show(guard.max_bytes / GIB)
    ))
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
                    // what the search would train for this corner: the memory guard brings a
                    // corner over it down (`--dim 600` and 10 M buckets train with fewer)
                    if let Some(guard) = &space.memory {
                        guard.fit(&space.params, &mut values);
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

    #[derive(Parser)]
    struct WrapTune {
        #[command(flatten)]
        tune: TuneCmd,
    }

    /// `strata tune --data d.tsv --out o ARGS`, its base settings and its space fitted to
    /// `texts`, as `tune::run` makes them.
    fn fitted(args: &[&str], texts: &[&str]) -> (TuneCmd, TrainSettings, Space) {
        let a = WrapTune::parse_from(["x", "--data", "d.tsv", "--out", "o"].iter().chain(args)).tune;
        let base = a.train.settings(0.1).unwrap();
        let (mut space, from_space_file) = search_space(&a, &base).unwrap();
        fit_to_data(&mut space, &base, &from_space_file, texts.iter().copied());
        (a, base, space)
    }

    /// Review of the tune steps: trial 1 trains the defaults as `strata train` would, even over
    /// the memory guard (`--dim 600` × 2 M buckets is 4.8 GB), and tune says so first.
    #[test]
    fn a_defaults_trial_over_the_memory_guard_is_said_before_it_runs() {
        let (a, base, space) = fitted(&["--model", "linear", "--dim", "600"], &["a b c"]);
        let first = defaults_trial(&a.train, &base, &space).expect("trial 1 is kept");
        let line = defaults_over_guard(&space, &first).expect("4.8 GB is over 2 GiB");
        assert!(line.starts_with("Trial 1 (the defaults, as strata train trains them) needs about 4.5 GiB"), "{line}");
        assert!(line.contains("dim 600 × 2,000,004 words and buckets") && line.contains("above the 2 GiB"), "{line}");
        assert!(line.ends_with("it trains as given (--dim or --buckets make it smaller)"), "{line}");
        // both given: no draw is smaller, and the line says so
        let (a, base, space) = fitted(&["--model", "linear", "--dim", "600", "--buckets", "2000000"], &["a b c"]);
        let line = defaults_over_guard(&space, &defaults_trial(&a.train, &base, &space).unwrap()).unwrap();
        assert!(line.ends_with("nothing to shrink, and every trial needs as much"), "{line}");
        // the default dim 100 is 0.8 GB: nothing to say; a network has no guard
        let (a, base, space) = fitted(&["--model", "linear"], &["a b c"]);
        assert_eq!(defaults_over_guard(&space, &defaults_trial(&a.train, &base, &space).unwrap()), None);
        let (a, base, space) = fitted(&["--model", "kim-cnn"], &["a b c"]);
        assert_eq!(defaults_over_guard(&space, &defaults_trial(&a.train, &base, &space).unwrap()), None);
    }

    /// The check of the space's corners sees what the search would train: `--dim 600` with
    /// the default buckets range (up to 10 M, 6 G parameters as written) is brought under the
    /// memory guard as every draw is, not refused for passing the parameter limit.
    #[test]
    fn the_corners_check_counts_a_dim_flag_under_the_memory_guard() {
        let a = WrapTune::parse_from(["x", "--data", "d.tsv", "--out", "o", "--model", "linear", "--dim", "600"]).tune;
        let base = a.train.settings(0.1).unwrap();
        let (mut space, _) = search_space(&a, &base).unwrap();
        let epochs = strata_workflow::tune::Hyperband::new(space.epochs, a.eta).rung_epochs();
        guard_takes_the_flags(&mut space, &base);
        check_space(&a.train, &space, epochs, 0.1, None).expect("the guard's corners fit");
        // without the guard the 10 M-bucket corner is over the parameter limit
        space.memory = None;
        let e = check_space(&a.train, &space, epochs, 0.1, None).unwrap_err().to_string();
        assert!(e.contains("buckets = 10000000"), "{e}");
    }

    /// Review of the tune steps: the vocabulary estimate counts words as the tokenizer will
    /// (with `--no-lower`, "Word" and "word" are two), and `</s>`, so it is one from above.
    #[test]
    fn the_vocabulary_estimate_counts_words_as_the_tokenizer_splits_them() {
        let texts = ["Word word WORD, word.", "other"];
        let vocabulary = |args: &[&str]| fitted(args, &texts).2.memory.unwrap().vocabulary;
        assert_eq!(vocabulary(&["--model", "linear"]), 3.0, "word, other, </s>");
        assert_eq!(vocabulary(&["--model", "linear", "--no-lower"]), 5.0, "Word, word, WORD, other, </s>");
    }

    /// Review of the tune steps: a `--space` buckets range equal to the default is the user's
    /// and is kept, not cut to 10 per training token like the default.
    #[test]
    fn a_space_file_buckets_range_equal_to_the_default_is_kept() {
        let file = std::env::temp_dir().join(format!("strata-tune-buckets-{}.toml", std::process::id()));
        std::fs::write(&file, "[buckets]\nlog_uniform = [10000, 10000000]\n").unwrap();
        let (_, _, space) = fitted(&["--model", "linear", "--space", file.to_str().unwrap()], &["a b c"]);
        std::fs::remove_file(&file).unwrap();
        assert_eq!(space.param("buckets").unwrap().domain, defaults::LINEAR_BUCKETS);
        let (_, _, space) = fitted(&["--model", "linear"], &["a b c"]);
        let cut = strata_workflow::tune::Domain::LogUniform { lo: 10_000.0, hi: 2e6 };
        assert_eq!(space.param("buckets").unwrap().domain, cut, "the default is cut");
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
