//! What a search draws from: each parameter's domain (log-uniform, uniform, or a list of
//! values), the epochs range successive halving spends, and one trial's values. Parameters are
//! named by their training flags (`lr`, `word-ngrams`, `batch-size`), so a result reads as the
//! `strata train` command that repeats it.

use strata_nn::Rng;

use super::memory_guard::MemoryGuard;

/// Where one parameter's values come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Domain {
    /// `exp(uniform(ln lo, ln hi))`: for rates and sizes that matter by ratio.
    LogUniform { lo: f64, hi: f64 },
    /// Uniform in `[lo, hi]`.
    Uniform { lo: f64, hi: f64 },
    /// One of these, each as likely.
    Values(Vec<f64>),
}

impl Domain {
    /// The values a check of the space should try: the ends of a range, or every listed value.
    pub fn corners(&self) -> Vec<f64> {
        match self {
            Domain::LogUniform { lo, hi } | Domain::Uniform { lo, hi } => vec![*lo, *hi],
            Domain::Values(v) => v.clone(),
        }
    }

    /// Whether `v` is one of the values this domain draws.
    pub fn contains(&self, v: f64) -> bool {
        match self {
            Domain::LogUniform { lo, hi } | Domain::Uniform { lo, hi } => (*lo..=*hi).contains(&v),
            Domain::Values(values) => values.contains(&v),
        }
    }
}

/// One searched parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The training flag's name without `--` (`lr`, `word-ngrams`).
    pub name: String,
    pub domain: Domain,
    /// Whole numbers only (a drawn value is rounded).
    pub integer: bool,
}

/// The epochs a trial trains: successive halving's resource, from `min` (the first rung of
/// the most aggressive bracket) to `max` (every bracket's last rung). `min == max` is plain
/// random search at that many epochs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochRange {
    pub min: usize,
    pub max: usize,
}

/// Everything a search draws from.
#[derive(Clone, Debug, PartialEq)]
pub struct Space {
    pub params: Vec<Param>,
    pub epochs: EpochRange,
    /// Pairs that are either both non-zero or both zero (fastText's `minn`/`maxn`: character
    /// n-grams are on only when both are set): a draw with exactly one zero sets the other to 0.
    pub zero_together: Vec<[String; 2]>,
    /// The linear model's bound on `dim × (words + buckets)`, held by every draw.
    pub memory: Option<MemoryGuard>,
}

/// One trial's values: every searched parameter, and the epochs it trains.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub values: Vec<(String, f64)>,
    pub epochs: usize,
}

impl Assignment {
    /// The value of `name`, if it is searched.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }

    /// `lr=0.25 dim=100 word-ngrams=2`, the values as they were used.
    pub fn describe(&self) -> String {
        self.values.iter().map(|(n, v)| format!("{n}={}", show(*v))).collect::<Vec<_>>().join(" ")
    }
}

/// A value as written in trials.csv and the trial lines: whole numbers without a point, others
/// in their shortest form (they are drawn with 3 significant digits).
pub fn show(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// `v` rounded to 3 significant digits, so that the value a trial prints is the value it used
/// and `strata train --lr 0.0123` repeats it exactly.
fn three_digits(v: f64) -> f64 {
    // the nearest f64 to the 3-digit decimal, which Display then prints as that decimal
    format!("{v:.2e}").parse().unwrap_or(v)
}

impl Space {
    /// Nothing to search: no parameter, and a single number of epochs.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty() && self.epochs.min == self.epochs.max
    }

    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// One configuration drawn from `rng` (the epochs are the halving's to set).
    pub fn sample(&self, rng: &mut Rng) -> Vec<(String, f64)> {
        let values = self.params.iter().map(|p| (p.name.clone(), draw(&p.domain, p.integer, rng))).collect();
        self.settle(values, None)
    }

    /// `values` made a configuration the space allows: the `zero_together` pairs agree and the
    /// memory guard holds. A random draw (`from` is `None`) with exactly one of a pair at zero
    /// sets both to zero; a step from `from` follows the one that moved — switched on, the
    /// other takes its least non-zero value; switched off, both are off.
    pub fn settle(&self, mut values: Vec<(String, f64)>, from: Option<&Assignment>) -> Vec<(String, f64)> {
        for [a, b] in &self.zero_together {
            let find = |values: &[(String, f64)], n: &str| values.iter().position(|(m, _)| m == n);
            let (Some(i), Some(j)) = (find(&values, a), find(&values, b)) else { continue };
            if (values[i].1 == 0.0) == (values[j].1 == 0.0) {
                continue;
            }
            let (zero, set) = if values[i].1 == 0.0 { (i, j) } else { (j, i) };
            let switched_on = from.is_some_and(|f| f.get(&values[set].0) == Some(0.0));
            let least = self.param(&values[zero].0).and_then(|p| least_non_zero(&p.domain));
            match least.filter(|_| switched_on) {
                Some(v) => values[zero].1 = v,
                None => {
                    values[i].1 = 0.0;
                    values[j].1 = 0.0;
                }
            }
        }
        if let Some(guard) = &self.memory {
            guard.fit(&self.params, &mut values);
        }
        values
    }
}

/// The least value of `domain` above zero, if it has one.
fn least_non_zero(domain: &Domain) -> Option<f64> {
    match domain {
        Domain::Values(values) => values.iter().copied().filter(|&v| v > 0.0).min_by(f64::total_cmp),
        Domain::LogUniform { lo, hi } | Domain::Uniform { lo, hi } => (*hi > 0.0).then(|| lo.max(1.0).min(*hi)),
    }
}

/// One value of `domain`.
fn draw(domain: &Domain, integer: bool, rng: &mut Rng) -> f64 {
    let u = f64::from(rng.uniform(0.0, 1.0));
    let v = match domain {
        Domain::Values(values) => return values[rng.below(values.len())],
        Domain::LogUniform { lo, hi } => (lo.ln() + u * (hi.ln() - lo.ln())).exp().clamp(*lo, *hi),
        Domain::Uniform { lo, hi } => lo + u * (hi - lo),
    };
    round_drawn(v, integer)
}

/// A drawn value as a trial uses it: whole if `integer`, else to 3 significant digits.
pub fn round_drawn(v: f64, integer: bool) -> f64 {
    if integer {
        v.round()
    } else {
        three_digits(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_values_stay_in_their_domain_and_print_as_used() {
        let space = Space {
            params: vec![
                Param { name: "lr".into(), domain: Domain::LogUniform { lo: 0.01, hi: 5.0 }, integer: false },
                Param { name: "dim".into(), domain: Domain::Values(vec![50.0, 100.0]), integer: true },
                Param { name: "units".into(), domain: Domain::LogUniform { lo: 16.0, hi: 256.0 }, integer: true },
            ],
            epochs: EpochRange { min: 1, max: 9 },
            zero_together: Vec::new(),
            memory: None,
        };
        let mut rng = Rng::new(1);
        for _ in 0..200 {
            let a = Assignment { values: space.sample(&mut rng), epochs: 1 };
            let (lr, dim, units) = (a.get("lr").unwrap(), a.get("dim").unwrap(), a.get("units").unwrap());
            assert!((0.00995..=5.0).contains(&lr), "{lr}");
            assert!(dim == 50.0 || dim == 100.0);
            assert!((16.0..=256.0).contains(&units) && units.fract() == 0.0);
            // the printed lr parses back to the value used
            let shown = show(lr);
            assert_eq!(shown.parse::<f64>().unwrap(), lr, "{shown}");
            assert!(shown.trim_start_matches("0.").trim_start_matches('0').len() <= 4, "{shown}");
        }
    }

    #[test]
    fn char_ngram_bounds_are_both_zero_or_both_set() {
        let values = |v: &[f64]| Domain::Values(v.to_vec());
        let space = Space {
            params: vec![
                Param { name: "minn".into(), domain: values(&[0.0, 2.0, 3.0]), integer: true },
                Param { name: "maxn".into(), domain: values(&[0.0, 5.0, 6.0]), integer: true },
            ],
            epochs: EpochRange { min: 1, max: 1 },
            zero_together: vec![["minn".into(), "maxn".into()]],
            memory: None,
        };
        let mut rng = Rng::new(3);
        let mut seen_set = false;
        for _ in 0..100 {
            let a = Assignment { values: space.sample(&mut rng), epochs: 1 };
            let (minn, maxn) = (a.get("minn").unwrap(), a.get("maxn").unwrap());
            assert_eq!(minn == 0.0, maxn == 0.0, "{}", a.describe());
            seen_set |= minn > 0.0;
        }
        assert!(seen_set);
    }

    #[test]
    fn a_step_that_switches_char_ngrams_on_sets_both_and_one_that_switches_off_clears_both() {
        let values = |v: &[f64]| Domain::Values(v.to_vec());
        let space = Space {
            params: vec![
                Param { name: "minn".into(), domain: values(&[0.0, 2.0, 3.0]), integer: true },
                Param { name: "maxn".into(), domain: values(&[0.0, 5.0, 4.0, 6.0]), integer: true },
            ],
            epochs: EpochRange { min: 1, max: 1 },
            zero_together: vec![["minn".into(), "maxn".into()]],
            memory: None,
        };
        let at = |minn: f64, maxn: f64| vec![("minn".to_string(), minn), ("maxn".to_string(), maxn)];
        let off = Assignment { values: at(0.0, 0.0), epochs: 1 };
        let on = Assignment { values: at(3.0, 6.0), epochs: 1 };
        // from off, minn moved to 2: maxn takes its least non-zero value
        assert_eq!(space.settle(at(2.0, 0.0), Some(&off)), at(2.0, 4.0));
        assert_eq!(space.settle(at(0.0, 5.0), Some(&off)), at(2.0, 5.0));
        // from on, maxn moved to 0: both off; a random draw with one at 0: both off
        assert_eq!(space.settle(at(3.0, 0.0), Some(&on)), at(0.0, 0.0));
        assert_eq!(space.settle(at(2.0, 0.0), None), at(0.0, 0.0));
    }
}
