//! `--space FILE.toml`: a user's search space, one table per parameter, each replacing that
//! parameter's default domain (the others keep theirs):
//!
//! ```toml
//! [lr]
//! log_uniform = [0.05, 2.0]   # or uniform = [lo, hi]
//! [word-ngrams]
//! values = [1, 2, 3]
//! [epochs]                    # successive halving's resource
//! max = 50                    # and/or min = 1
//! ```
//!
//! A parameter the model does not have, one its flag already fixes on the command line, an
//! empty list or a backwards range is a `FILE:LINE: … (hint: …)` error.

use strata_data::DataError;
use toml::{Table, Value};

use super::defaults::Known;
use super::space::{Domain, Param, Space};

/// What the file is checked against: the model's parameters and the flags given.
pub struct Context<'a> {
    /// The file's name as errors show it.
    pub file: &'a str,
    /// The model as errors name it (`--model linear`, `--model-file m.toml`).
    pub model: &'a str,
    pub known: &'a [Known],
    /// Parameters whose flag is on the command line (they stay as given).
    pub fixed: &'a [&'a str],
}

/// `space` with the file's tables in place of its defaults; returns the tables' names (the
/// parameters, and `epochs`, that the file wrote).
pub fn apply(space: &mut Space, text: &str, cx: &Context) -> Result<Vec<String>, DataError> {
    let table: Table = text.parse().map_err(|e: toml::de::Error| {
        let line = strata_model::toml_lines::error_line(text, &e);
        DataError::new(cx.file, Some(line), e.message().to_string(), "see `strata tune --help` for the file's form")
    })?;
    for (name, value) in &table {
        let line = line_of(text, name);
        let fail = |message: String, hint: &str| DataError::new(cx.file, Some(line), message, hint);
        let Some(known) = cx.known.iter().find(|k| k.name == name) else {
            let names: Vec<&str> = cx.known.iter().map(|k| k.name).collect();
            return Err(fail(
                format!("'{name}' is not a parameter of {}", cx.model),
                &format!("its parameters: {}", names.join(", ")),
            ));
        };
        if cx.fixed.contains(&name.as_str()) {
            let message = format!("{name} is searched here and fixed by --{name} on the command line");
            return Err(fail(message, &format!("leave out --{name}, or its table here")));
        }
        let Value::Table(entries) = value else {
            return Err(fail(
                format!("{name} must be a table"),
                &format!("write [{name}] and values = [...] under it"),
            ));
        };
        if name == "epochs" {
            epochs(space, entries).map_err(|(m, h)| fail(m, h))?;
            continue;
        }
        let param = domain(name, known.integer, entries).map_err(|(m, h)| fail(m, h))?;
        match space.params.iter_mut().find(|p| p.name == *name) {
            Some(p) => *p = param,
            None => space.params.push(param),
        }
    }
    Ok(table.keys().cloned().collect())
}

type Problem = (String, &'static str);

/// `[epochs]`: `min` and/or `max`.
fn epochs(space: &mut Space, entries: &Table) -> Result<(), Problem> {
    const HINT: &str = "e.g. [epochs] with max = 50 (and min = 1)";
    for (key, value) in entries {
        let n = match value {
            Value::Integer(n) if *n >= 1 => *n as usize,
            _ => return Err((format!("epochs.{key} must be a whole number of at least 1"), HINT)),
        };
        match key.as_str() {
            "min" => space.epochs.min = n,
            "max" => space.epochs.max = n,
            _ => return Err((format!("epochs has no '{key}'; it takes min and max"), HINT)),
        }
    }
    if entries.contains_key("max") && !entries.contains_key("min") {
        space.epochs.min = space.epochs.min.min(space.epochs.max);
    }
    if space.epochs.min > space.epochs.max {
        let (min, max) = (space.epochs.min, space.epochs.max);
        return Err((format!("epochs: min {min} is more than max {max}"), HINT));
    }
    Ok(())
}

/// One parameter's table: exactly one of `values`, `log_uniform`, `uniform`.
fn domain(name: &str, integer: bool, entries: &Table) -> Result<Param, Problem> {
    const HINT: &str = "give one of values = [a, b, …], log_uniform = [lo, hi] or uniform = [lo, hi]";
    let mut keys = entries.iter();
    let (Some((key, value)), None) = (keys.next(), keys.next()) else {
        return Err((format!("{name} must have exactly one of values, log_uniform, uniform"), HINT));
    };
    let numbers = numbers(value).ok_or_else(|| (format!("{name}.{key} must be a list of numbers"), HINT))?;
    if let Some(bad) = numbers.iter().find(|v| !v.is_finite() || **v < 0.0 || (integer && v.fract() != 0.0)) {
        let kind = if integer { "a whole number" } else { "a number" };
        return Err((format!("{name}: {bad} is not {kind} of at least 0"), HINT));
    }
    let range = |lo_min: f64| -> Result<(f64, f64), Problem> {
        match numbers[..] {
            [lo, hi] if lo <= hi && lo > lo_min => Ok((lo, hi)),
            [lo, hi] if lo <= hi => Err((format!("{name}.{key} must start above {lo_min}"), HINT)),
            _ => Err((format!("{name}.{key} must be [lo, hi] with lo ≤ hi"), HINT)),
        }
    };
    let domain = match key.as_str() {
        "values" if numbers.is_empty() => return Err((format!("{name} has no values"), "give at least one value")),
        "values" => Domain::Values(numbers.clone()),
        "log_uniform" => range(0.0).map(|(lo, hi)| Domain::LogUniform { lo, hi })?,
        "uniform" => range(f64::NEG_INFINITY).map(|(lo, hi)| Domain::Uniform { lo, hi })?,
        other => return Err((format!("{name} has no '{other}'"), HINT)),
    };
    Ok(Param { name: name.into(), domain, integer })
}

/// A TOML array of numbers, integers or floats.
fn numbers(value: &Value) -> Option<Vec<f64>> {
    let Value::Array(items) = value else { return None };
    items
        .iter()
        .map(|v| match v {
            Value::Integer(n) => Some(*n as f64),
            Value::Float(x) => Some(*x),
            _ => None,
        })
        .collect()
}

/// The 1-based line where `name`'s table or first dotted key is (1 if not found).
fn line_of(text: &str, name: &str) -> usize {
    let starts = [format!("[{name}]"), format!("[\"{name}\"]"), format!("{name}."), format!("\"{name}\"")];
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            starts.iter().any(|s| l.starts_with(s.as_str()))
                || l.strip_prefix(name).is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tune::defaults::{default_space, parameters, Family};
    use crate::tune::space::EpochRange;
    use strata_model::zoo::SEED_RECIPE;

    fn applied(text: &str, fixed: &[&str]) -> Result<Space, String> {
        let mut space = default_space(Family::Linear, &SEED_RECIPE, 1.0);
        let known = parameters(Family::Linear);
        let cx = Context { file: "space.toml", model: "--model linear", known: &known, fixed };
        apply(&mut space, text, &cx).map(|_| space).map_err(|e| e.to_string())
    }

    #[test]
    fn a_table_replaces_its_parameter_and_keeps_the_others() {
        let s =
            applied("[lr]\nlog_uniform = [0.05, 2.0]\n[word-ngrams]\nvalues = [1, 2, 3]\n[epochs]\nmax = 50\n", &[])
                .unwrap();
        assert_eq!(s.param("lr").unwrap().domain, Domain::LogUniform { lo: 0.05, hi: 2.0 });
        assert_eq!(s.param("word-ngrams").unwrap().domain, Domain::Values(vec![1.0, 2.0, 3.0]));
        assert_eq!(s.epochs, EpochRange { min: 1, max: 50 });
        assert!(s.param("dim").is_some());
    }

    #[test]
    fn mistakes_name_the_line_and_hint() {
        let e = applied("[lr]\nvalues = [0.1]\n\n[units]\nvalues = [8]\n", &[]).unwrap_err();
        assert!(e.starts_with("space.toml:4: 'units' is not a parameter of --model linear"), "{e}");
        assert!(e.contains("(hint: its parameters: lr, epochs, dim, word-ngrams"), "{e}");
        let e = applied("[dim]\nvalues = []\n", &[]).unwrap_err();
        assert!(e.starts_with("space.toml:1: dim has no values"), "{e}");
        let e = applied("[lr]\nlog_uniform = [2.0, 0.1]\n", &[]).unwrap_err();
        assert!(e.starts_with("space.toml:1: lr.log_uniform must be [lo, hi]"), "{e}");
        let e = applied("[word-ngrams]\nvalues = [1.5]\n", &[]).unwrap_err();
        assert!(e.contains("1.5 is not a whole number"), "{e}");
        let e = applied("\n[lr]\nvalues = [1.0]\n", &["lr"]).unwrap_err();
        assert!(e.starts_with("space.toml:2: lr is searched here and fixed by --lr"), "{e}");
        let e = applied("[epochs]\nmin = 9\nmax = 3\n", &[]).unwrap_err();
        assert!(e.contains("min 9 is more than max 3"), "{e}");
        let e = applied("[lr\n", &[]).unwrap_err();
        assert!(e.starts_with("space.toml:1: "), "{e}");
    }
}
