//! The parameters each model has and the space it is searched over by default. A model's
//! parameters are its training flags (`strata train --help`); its default space is the part of
//! them that usually matters, around the values it trains with when a flag is left out:
//!
//! - linear (fastText's supervised model): fastText's `-autotune` ranges — `lr` log-uniform in
//!   [0.01, 5], `dim`, `word-ngrams` 1–5, `min-count`, `minn`/`maxn` (character n-grams on or
//!   off together), `buckets` — and epochs 4–100 as successive halving's resource.
//! - networks: `lr` log-uniform from a quarter to 4× the recipe's, `batch-size`, `maxlen`,
//!   `units` from half to twice the recipe's, `embedding-dim` half or the recipe's; epochs up to
//!   twice the recipe's (its early stopping, if any, still applies).

use strata_model::zoo::Recipe;

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
                values("dim", &[25, 50, 100, 200]),
                values("word-ngrams", &[1, 2, 3, 4, 5]),
                values("min-count", &[1, 2, 3, 5]),
                values("minn", &[0, 2, 3]),
                values("maxn", &[0, 4, 5, 6]),
                values("buckets", &[100_000, 1_000_000, 2_000_000]),
            ],
            // fastText's 1–100 epochs, but starting at 4 (rungs 4, 11, 33, 100): trained for
            // one epoch, over which its rate decays to 0, a linear model ranks by its rate alone
            // (MR: every lr < 0.1 gave val_loss 0.6931, chance)
            epochs: EpochRange { min: 2, max: 100 },
            zero_together: vec![["minn".into(), "maxn".into()]],
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
            Space { params, epochs: EpochRange { min: 1, max: 2 * recipe.epochs }, zero_together: Vec::new() }
        }
    }
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
        assert_eq!(rungs, [4, 11, 33, 100], "the linear model's rungs");
        assert_eq!(linear.param("minn").unwrap().domain, Domain::Values(vec![0.0, 2.0, 3.0]), "0 is char n-grams off");
    }
}
