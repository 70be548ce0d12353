//! Runs dealt to the ranks of an MPI job (`mpirun -n N strata cv|experiment`), and their
//! results gathered back so that every rank holds all of them, as one process would have.
//!
//! Results travel as their fields' bits (no decimal round trip: serde_json's default parser may
//! miss an f64's last bit), so the gathered figures are the very numbers the ranks computed and
//! `results.json` matches a single process's.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use strata_train::ranks::World;

/// Every rank's `mine`, in rank order, each value exactly as its rank had it: the JSON tree
/// of each, its floats written as their bits.
pub(crate) fn gather_exact<T: Serialize + DeserializeOwned>(world: &dyn World, mine: &[T]) -> Vec<T> {
    let tree = serde_json::to_value(mine).map(floats_as_bits).expect("results serialize");
    let all = world.all_gather(tree.to_string().as_bytes());
    all.iter()
        .flat_map(|bytes| {
            let tree: Value = serde_json::from_slice(bytes).expect("a rank's results are JSON");
            serde_json::from_value::<Vec<T>>(bits_as_floats(tree)).expect("a rank's results read back")
        })
        .collect()
}

/// The marker of a float written as its bits (`"f64:3fb999999999999a"`).
const BITS: &str = "f64:";

fn floats_as_bits(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => Value::String(format!("{BITS}{:016x}", n.as_f64().unwrap_or(0.0).to_bits())),
        Value::Array(a) => Value::Array(a.into_iter().map(floats_as_bits).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, floats_as_bits(v))).collect()),
        // a string that looks like a marker is escaped by one more marker
        Value::String(s) if s.starts_with(BITS) => Value::String(format!("{BITS}{s}")),
        other => other,
    }
}

fn bits_as_floats(v: Value) -> Value {
    match v {
        Value::String(s) => match s.strip_prefix(BITS) {
            Some(rest) if rest.starts_with(BITS) => Value::String(rest.to_string()),
            Some(hex) => u64::from_str_radix(hex, 16)
                .ok()
                .and_then(|b| serde_json::Number::from_f64(f64::from_bits(b)))
                .map_or(Value::Null, Value::Number),
            None => Value::String(s),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(bits_as_floats).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, bits_as_floats(v))).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A world of one rank that hands back what it is given.
    struct Alone;

    impl World for Alone {
        fn rank(&self) -> usize {
            0
        }
        fn size(&self) -> usize {
            1
        }
        fn all_gather(&self, mine: &[u8]) -> Vec<Vec<u8>> {
            vec![mine.to_vec()]
        }
        fn abort(&self, code: i32) -> ! {
            panic!("aborted with {code}")
        }
    }

    #[test]
    fn gathered_values_keep_every_bit_of_their_floats() {
        // values whose shortest decimal a best-effort parser may read one bit off
        let mut rng = xorshift(7);
        let floats: Vec<f64> = (0..2000).map(|_| f64::from_bits(rng())).filter(|x| x.is_finite()).collect();
        let mine = vec![(floats.clone(), "f64:looks like a marker".to_string(), 3usize)];
        let back: Vec<(Vec<f64>, String, usize)> = gather_exact(&Alone, &mine);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back[0].0), bits(&floats));
        assert_eq!((&back[0].1[..], back[0].2), ("f64:looks like a marker", 3));
    }

    /// xorshift64: random bit patterns, every exponent included.
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }
}
