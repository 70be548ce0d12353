//! The linear model's memory bound on a draw: its input matrix is `dim × (words + buckets)`
//! floats, so a space that reaches fastText's good region (`dim` near 500) and its `buckets`
//! (up to 10 M) would otherwise draw trials of tens of GB. A draw over the bound keeps its
//! `dim` and takes fewer buckets (hashed n-grams share rows a little more); only when the
//! fewest buckets still do not fit does `dim` come down. Every value stays in its domain.
//!
//! The guard holds the search's draws and steps, not the defaults' trial: trial 1 is what
//! `strata train` trains with the same flags (`--dim 600` and the default 2 M buckets are
//! 4.8 GB), so it trains as given, and the CLI says beforehand what it needs ([`MemoryGuard::bytes_of`]).

use super::space::{Assignment, Domain, Param};

/// The bound tune's linear space has by default: 2 GiB of input matrix (its gradient overlay
/// and the output matrix are small beside it), a few trials' worth on a laptop.
pub const LINEAR_MAX_BYTES: f64 = 2.0 * 1024.0 * 1024.0 * 1024.0;

/// `dim × (vocabulary + buckets) × 4 bytes ≤ max_bytes`.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryGuard {
    pub max_bytes: f64,
    /// Rows besides the buckets: the vocabulary, or an estimate above it.
    pub vocabulary: f64,
    /// The `dim` and `buckets` of a trial that does not search them (their flags' values).
    pub dim: f64,
    pub buckets: f64,
}

impl MemoryGuard {
    /// Bytes of the input matrix at `dim` and `buckets`.
    pub fn bytes(&self, dim: f64, buckets: f64) -> f64 {
        dim * (self.vocabulary + buckets) * 4.0
    }

    /// Bytes of the input matrix of `a`: its `dim` and `buckets` where it has them, else the
    /// flags' values.
    pub fn bytes_of(&self, a: &Assignment) -> f64 {
        self.bytes(a.get("dim").unwrap_or(self.dim), a.get("buckets").unwrap_or(self.buckets))
    }

    /// `values` brought under the bound: fewer buckets first, then a smaller `dim`. `values`
    /// names its parameters (a whole draw, or only some, as `tune`'s check of the space's corners
    /// has); `dim` or `buckets` missing from it is the flags' value, and a value moves only
    /// within its parameter's domain in `params`.
    pub fn fit(&self, params: &[Param], values: &mut [(String, f64)]) {
        let at = |values: &[(String, f64)], name: &str| values.iter().position(|(n, _)| n == name);
        let domain = |name: &str| params.iter().find(|p| p.name == name).map(|p| &p.domain);
        let (dim_at, buckets_at) = (at(values, "dim"), at(values, "buckets"));
        let dim = dim_at.map_or(self.dim, |i| values[i].1);
        if let (Some(i), Some(d)) = (buckets_at, domain("buckets")) {
            if self.bytes(dim, values[i].1) > self.max_bytes {
                let cap = self.max_bytes / (4.0 * dim) - self.vocabulary;
                values[i].1 = largest_within(d, cap);
            }
        }
        let buckets = buckets_at.map_or(self.buckets, |i| values[i].1);
        if let (Some(i), Some(d)) = (dim_at, domain("dim")) {
            if self.bytes(values[i].1, buckets) > self.max_bytes {
                let cap = self.max_bytes / (4.0 * (self.vocabulary + buckets));
                values[i].1 = largest_within(d, cap);
            }
        }
    }
}

/// The largest whole value of `domain` not above `cap`, or its least value when none is.
fn largest_within(domain: &Domain, cap: f64) -> f64 {
    match domain {
        Domain::LogUniform { lo, hi } | Domain::Uniform { lo, hi } => cap.min(*hi).floor().max(*lo),
        Domain::Values(values) => {
            let least = values.iter().copied().fold(f64::INFINITY, f64::min);
            values.iter().copied().filter(|&v| v <= cap).fold(least, f64::max)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(buckets: Domain) -> Vec<Param> {
        vec![
            Param { name: "dim".into(), domain: Domain::LogUniform { lo: 10.0, hi: 1000.0 }, integer: true },
            Param { name: "buckets".into(), domain: buckets, integer: true },
        ]
    }

    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

    #[test]
    fn a_draw_over_the_bound_takes_fewer_buckets_then_a_smaller_dim() {
        let guard = MemoryGuard { max_bytes: 2.0 * GIB, vocabulary: 20_000.0, dim: 100.0, buckets: 2e6 };
        let range = Domain::LogUniform { lo: 10_000.0, hi: 10_000_000.0 };
        // dim 500 at 10 M buckets is 20 GB: the buckets come down to what fits, dim stays
        let mut v = vec![("dim".to_string(), 500.0), ("buckets".to_string(), 1e7)];
        guard.fit(&params(range.clone()), &mut v);
        assert_eq!(v[0].1, 500.0);
        assert!(guard.bytes(v[0].1, v[1].1) <= 2.0 * GIB && v[1].1 > 1e6, "{v:?}");
        assert!(guard.bytes(v[0].1, v[1].1 + 1.0) > 2.0 * GIB, "the most buckets that fit: {v:?}");
        // within the bound: untouched
        let mut small = vec![("dim".to_string(), 100.0), ("buckets".to_string(), 2e6)];
        guard.fit(&params(range), &mut small);
        assert_eq!(small, [("dim".to_string(), 100.0), ("buckets".to_string(), 2e6)]);
        // the fewest listed buckets still too many: dim comes down, both stay in their domains
        let tight = MemoryGuard { max_bytes: 0.1 * GIB, ..guard };
        let listed = Domain::Values(vec![1e6, 2e6]);
        let mut v = vec![("dim".to_string(), 1000.0), ("buckets".to_string(), 2e6)];
        tight.fit(&params(listed.clone()), &mut v);
        assert_eq!(v[1].1, 1e6);
        assert!(tight.bytes(v[0].1, v[1].1) <= 0.1 * GIB && v[0].1 >= 10.0 && v[0].1.fract() == 0.0, "{v:?}");
        assert!(listed.contains(v[1].1));
        // a --buckets flag (not searched) bounds the dim alone
        let mut only_dim = vec![("dim".to_string(), 1000.0)];
        tight.fit(&params(Domain::Values(vec![1e6]))[..1], &mut only_dim);
        assert!(tight.bytes(only_dim[0].1, tight.buckets) <= 0.1 * GIB, "{only_dim:?}");
    }

    #[test]
    fn an_assignments_bytes_take_the_flags_values_for_what_it_does_not_search() {
        let guard = MemoryGuard { max_bytes: 2.0 * GIB, vocabulary: 1000.0, dim: 600.0, buckets: 2e6 };
        let searched = Assignment { values: vec![("dim".into(), 10.0), ("buckets".into(), 1e4)], epochs: 1 };
        assert_eq!(guard.bytes_of(&searched), 10.0 * 11_000.0 * 4.0);
        let neither = Assignment { values: vec![("lr".into(), 1.0)], epochs: 25 };
        assert_eq!(guard.bytes_of(&neither), 600.0 * 2_001_000.0 * 4.0);
    }
}
