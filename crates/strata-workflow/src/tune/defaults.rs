//! The parameters each model has and the space it is searched over by default. A model's
//! parameters are its training flags (`strata train --help`); its default space is the part of
//! them that usually matters, around the values it trains with when a flag is left out:
//!
//! - linear (fastText's supervised model): fastText's `-autotune` ranges — `lr` log-uniform in
//!   [0.01, 5], `dim` log-uniform in [10, 1000], `word-ngrams` 1–5, `min-count`, `minn`/`maxn`
//!   (character n-grams on or off together), `buckets` log-uniform in [10 k, 10 M] (cut to 10
//!   per training token, never below 2 M, once the data is read: [`fit_to_data`]) — with the
//!   memory guard ([`MemoryGuard`]: at most 2 GiB of input matrix, on every trial but the
//!   defaults'), and epochs 1–100, as
//!   fastText's. Two thirds of its new configurations are steps around the incumbent ([`local_share`]).
//! - networks: `lr` log-uniform from a quarter to 4× the recipe's, `batch-size`, `maxlen`,
//!   `units` from half to twice the recipe's, `embedding-dim` half or the recipe's; epochs up to
//!   twice the recipe's (its early stopping, if any, still applies).

use strata_model::zoo::Recipe;

use super::memory_guard::{MemoryGuard, LINEAR_MAX_BYTES};
use super::space::{Domain, EpochRange, Param, Space};

/// Which kind of model is tuned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family<'a> {
    /// `--model linear`.
    Linear,
    /// A named network (`--model seed`, `kim-cnn`, …).
    Named(&'a str),
    /// A network declared in `--model-file` (it has no `--units` or `--layers`).
    ModelFile,
}

/// A parameter a model has: its flag's name, and whether it takes whole numbers only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Known {
    pub name: &'static str,
    pub integer: bool,
}

const fn int(name: &'static str) -> Known {
    Known { name, integer: true }
}

const fn real(name: &'static str) -> Known {
    Known { name, integer: false }
}

const LINEAR: [Known; 8] = [
    real("lr"),
    int("epochs"),
    int("dim"),
    int("word-ngrams"),
    int("min-count"),
    int("minn"),
    int("maxn"),
    int("buckets"),
];

const NETWORK: [Known; 8] = [
    real("lr"),
    int("epochs"),
    int("batch-size"),
    int("maxlen"),
    int("embedding-dim"),
    int("num-words"),
    real("embedding-init"),
    real("max-norm"),
];

/// Every parameter `family` has, in the order trials.csv lists them.
pub fn parameters(family: Family) -> Vec<Known> {
    match family {
        Family::Linear => LINEAR.to_vec(),
        Family::ModelFile => NETWORK.to_vec(),
        Family::Named(name) => {
            let mut v = NETWORK.to_vec();
            v.push(int("units"));
            if !matches!(name, "kim-cnn" | "han") {
                v.push(int("layers"));
            }
            if name == "han" {
                v.push(int("max-sentences"));
            }
            v
        }
    }
}

/// The units a named model has when `--units` is left out (zoo::named_layers).
pub fn recipe_units(name: &str) -> usize {
    match name {
        "kim-cnn" => 100,
        "han" => 50,
        _ => 64,
    }
}

/// The space `family` is searched over when no `--space` file says otherwise. `recipe` and
/// `lr` (the starting rate of the command's optimizer) are a network's; the linear model's come
/// from fastText's autotune.
pub fn default_space(family: Family, recipe: &Recipe, lr: f64) -> Space {
    let values = |name: &str, v: &[usize]| {
        let mut v: Vec<f64> = v.iter().map(|&x| x as f64).collect();
        v.dedup();
        Param { name: name.into(), domain: Domain::Values(v), integer: true }
    };
    // a network's sizes around its recipe's: halves of small ones are at least 1
    let around = |name: &str, v: &[usize]| values(name, &v.iter().map(|&x| x.max(1)).collect::<Vec<_>>());
    match family {
        Family::Linear => Space {
            params: vec![
                Param { name: "lr".into(), domain: Domain::LogUniform { lo: 0.01, hi: 5.0 }, integer: false },
                // fastText's autotune searches 1–1000; below 10 a text has too few coordinates
                Param { name: "dim".into(), domain: Domain::LogUniform { lo: 10.0, hi: 1000.0 }, integer: true },
                values("word-ngrams", &[1, 2, 3, 4, 5]),
                values("min-count", &[1, 2, 3, 5]),
                values("minn", &[0, 2, 3]),
                values("maxn", &[0, 4, 5, 6]),
                Param { name: "buckets".into(), domain: LINEAR_BUCKETS, integer: true },
            ],
            // fastText's 1–100. Its best SST-2 configuration trains 2 epochs at lr 1.46; trained
            // for one, a linear model ranks by its rate alone (its rate decays to 0 over the
            // epochs), so Hyperband's 1-epoch rung is a coarse screen, and the steps around
            // the incumbent, which move epochs and rate together, do the fine work.
            epochs: EpochRange { min: 1, max: 100 },
            zero_together: vec![["minn".into(), "maxn".into()]],
            // the CLI sets the vocabulary and the values of flags given once it has read the data
            memory: Some(MemoryGuard { max_bytes: LINEAR_MAX_BYTES, vocabulary: 0.0, dim: 100.0, buckets: 2e6 }),
        },
        Family::Named(_) | Family::ModelFile => {
            let (b, m, e) = (recipe.batch_size, recipe.maxlen, recipe.embedding_dim);
            let mut params = vec![
                Param { name: "lr".into(), domain: Domain::LogUniform { lo: lr / 4.0, hi: lr * 4.0 }, integer: false },
                around("batch-size", &[b / 2, b, 2 * b]),
                around("maxlen", &[m / 2, m, 2 * m]),
                around("embedding-dim", &[e / 2, e]),
            ];
            if let Family::Named(name) = family {
                let u = recipe_units(name);
                params.push(around("units", &[u / 2, u, 2 * u]));
            }
            Space {
                params,
                epochs: EpochRange { min: 1, max: 2 * recipe.epochs },
                zero_together: Vec::new(),
                memory: None,
            }
        }
    }
}

/// The linear model's `buckets` before the data is read: fastText's autotune range.
pub const LINEAR_BUCKETS: Domain = Domain::LogUniform { lo: 10_000.0, hi: 10_000_000.0 };

/// Buckets per training token above which the default space searches no more (at least
/// strata's default 2 M, so the defaults' trial stays in the space).
pub const BUCKETS_PER_TOKEN: f64 = 10.0;

/// The linear space made to the training texts once they are read: the memory guard learns
/// the `vocabulary`, and the default `buckets` range stops at [`BUCKETS_PER_TOKEN`] per
/// training token (at least 2 M, at most 10 M). The texts hold at most `tokens ×
/// (word-ngrams − 1)` word n-grams and fewer distinct character n-grams than that, so beyond
/// 10 per token more buckets barely lower the collisions, while every trial pays to
/// initialise every bucket's row: on SST-2 (130 k tokens) trials with 2–10 M buckets took 215
/// of a 300-s budget's 295 s and never ranked first. A range a `--space` file wrote (its
/// tables are `from_space_file`) is kept as written, even one equal to the default.
pub fn fit_to_data(space: &mut Space, tokens: usize, vocabulary: usize, from_space_file: &[String]) {
    if let Some(guard) = space.memory.as_mut() {
        guard.vocabulary = vocabulary as f64;
    }
    if from_space_file.iter().any(|name| name == "buckets") {
        return;
    }
    if let Some(p) = space.params.iter_mut().find(|p| p.name == "buckets" && p.domain == LINEAR_BUCKETS) {
        let Domain::LogUniform { lo, hi } = LINEAR_BUCKETS else { unreachable!("a range") };
        p.domain = Domain::LogUniform { lo, hi: (BUCKETS_PER_TOKEN * tokens as f64).round().clamp(2e6, hi) };
    }
}

/// The share of `family`'s new configurations drawn around the incumbent (the rest are
/// Hyperband's random draws). The linear model: two thirds, BOHB's split between model-based and
/// random configurations (Falkner et al. 2018) — a trial takes a second or two, so a 300-s
/// budget gives the incumbent a hundred steps, as fastText's autotune takes. Networks: none — a
/// trial takes tens of seconds, a budget sees a dozen or two, too few for an incumbent to
/// mean much (BOHB waits for more observations than parameters before it uses its model), and
/// plain Hyperband keeps their measured results.
pub fn local_share(family: Family) -> f64 {
    match family {
        Family::Linear => 2.0 / 3.0,
        Family::Named(_) | Family::ModelFile => 0.0,
    }
}

/// Whether `family`'s promotions keep `lr × epochs` rather than the rate ([`super::ridge`]):
/// the linear model, whose rate decays to 0 over its epochs. A network's rate (Adam's, by
/// default) does not decay with the epochs asked for: its promotions keep the values, and its
/// trial sequence for a seed.
pub fn ridge(family: Family) -> bool {
    family == Family::Linear
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_model::zoo::{recipe, NAMED_MODELS};

    #[test]
    fn every_default_space_searches_only_parameters_its_model_has() {
        let families = NAMED_MODELS.iter().map(|&n| Family::Named(n)).chain([Family::Linear, Family::ModelFile]);
        for family in families {
            let known = parameters(family);
            let space = default_space(family, &recipe("kim-cnn"), 1e-3);
            assert!(!space.is_empty());
            for p in &space.params {
                let k = known.iter().find(|k| k.name == p.name).unwrap_or_else(|| panic!("{family:?} {}", p.name));
                assert_eq!(k.integer, p.integer, "{}", p.name);
            }
        }
        let kim = default_space(Family::Named("kim-cnn"), &recipe("kim-cnn"), 3e-4);
        assert_eq!(kim.epochs, EpochRange { min: 1, max: 24 });
        assert_eq!(kim.param("units").unwrap().domain, Domain::Values(vec![50.0, 100.0, 200.0]));
        let linear = default_space(Family::Linear, &recipe("seed"), 1.0);
        let rungs = crate::tune::Hyperband::new(linear.epochs, 3).bracket(0).rungs;
        assert_eq!(rungs, [1, 4, 11, 33, 100], "the linear model's rungs");
        assert_eq!(linear.param("minn").unwrap().domain, Domain::Values(vec![0.0, 2.0, 3.0]), "0 is char n-grams off");
    }

    /// Issue 13: the linear space holds fastText's good SST-2 region (2 epochs, lr 1.46, dim
    /// 500, char 3–6-grams, 346 k buckets), and no draw needs more than 2 GiB of weights.
    #[test]
    fn the_linear_space_holds_fasttexts_best_and_its_draws_fit_in_memory() {
        let mut linear = default_space(Family::Linear, &recipe("seed"), 1.0);
        let fasttext =
            [("lr", 1.46), ("dim", 500.0), ("word-ngrams", 5.0), ("minn", 3.0), ("maxn", 6.0), ("buckets", 346_000.0)];
        for (name, v) in fasttext {
            assert!(linear.param(name).unwrap().domain.contains(v), "{name} = {v}");
        }
        assert!(linear.param("dim").unwrap().domain.contains(1000.0));
        assert_eq!(linear.epochs, EpochRange { min: 1, max: 100 });
        assert_eq!((local_share(Family::Linear), local_share(Family::Named("kim-cnn"))), (2.0 / 3.0, 0.0));
        let guard = linear.memory.as_mut().expect("the linear space has a memory guard");
        guard.vocabulary = 100_000.0;
        let (guard, mut rng) = (guard.clone(), strata_nn::Rng::new(2));
        let mut biggest: f64 = 0.0;
        for _ in 0..2000 {
            let a = crate::tune::Assignment { values: linear.sample(&mut rng), epochs: 1 };
            let bytes = guard.bytes(a.get("dim").unwrap(), a.get("buckets").unwrap());
            assert!(bytes <= LINEAR_MAX_BYTES, "{}: {bytes} bytes", a.describe());
            biggest = biggest.max(bytes);
        }
        assert!(biggest > 0.9 * LINEAR_MAX_BYTES, "the guard binds only at its bound: {biggest}");
    }

    #[test]
    fn the_buckets_stop_at_ten_per_training_token_but_never_below_the_default() {
        let buckets = |tokens: usize| {
            let mut linear = default_space(Family::Linear, &recipe("seed"), 1.0);
            fit_to_data(&mut linear, tokens, 15_000, &[]);
            assert_eq!(linear.memory.as_ref().unwrap().vocabulary, 15_000.0);
            linear.param("buckets").unwrap().domain.clone()
        };
        assert_eq!(buckets(130_000), Domain::LogUniform { lo: 10_000.0, hi: 2e6 }, "SST-2: the default 2 M");
        assert_eq!(buckets(500_000), Domain::LogUniform { lo: 10_000.0, hi: 5e6 });
        assert_eq!(buckets(6_000_000), LINEAR_BUCKETS, "IMDB: fastText's 10 M");
        // a --space range stays as written
        let mut linear = default_space(Family::Linear, &recipe("seed"), 1.0);
        linear.params.iter_mut().find(|p| p.name == "buckets").unwrap().domain = Domain::Values(vec![5e6]);
        fit_to_data(&mut linear, 1000, 10, &["buckets".to_string()]);
        assert_eq!(linear.param("buckets").unwrap().domain, Domain::Values(vec![5e6]));
    }

    /// Review of the tune steps: a `--space` range that happens to equal the default is the
    /// user's, and is not cut to the data.
    #[test]
    fn a_space_file_range_equal_to_the_default_is_kept() {
        let mut linear = default_space(Family::Linear, &recipe("seed"), 1.0);
        let from_file = ["lr".to_string(), "buckets".to_string()];
        fit_to_data(&mut linear, 1000, 10, &from_file);
        assert_eq!(linear.param("buckets").unwrap().domain, LINEAR_BUCKETS);
        fit_to_data(&mut linear, 1000, 10, &from_file[..1]);
        assert_eq!(linear.param("buckets").unwrap().domain, Domain::LogUniform { lo: 10_000.0, hi: 2e6 });
    }
}
