//! Which shard of a huge input this process predicts (`predict --shard-index/--shard-count`):
//! the flags, else what the launcher already told the process — the MPI rank and size
//! (Open MPI's `OMPI_COMM_WORLD_RANK/SIZE`, MPICH's and Intel MPI's `PMI_RANK/SIZE`), a Slurm job
//! array's task (`SLURM_ARRAY_TASK_ID` counted from `SLURM_ARRAY_TASK_MIN`, of
//! `SLURM_ARRAY_TASK_COUNT`), or a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` (whose count
//! only the job spec knows: `--shard-count`). So any batch scheduler scales predict without a
//! wrapper script; a flag always wins over the environment.

use anyhow::{bail, Result};
use strata_data::Shard;

/// A shard, and where its index and count came from (a flag or a variable), for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardChoice {
    pub shard: Shard,
    pub index_from: String,
    pub count_from: String,
}

/// One launcher's variables: the index, the count (if it sets one) and the first index (Slurm's
/// array may start at any number).
struct Launcher {
    index: &'static str,
    count: Option<&'static str>,
    first: Option<&'static str>,
}

const LAUNCHERS: [Launcher; 4] = [
    Launcher { index: "OMPI_COMM_WORLD_RANK", count: Some("OMPI_COMM_WORLD_SIZE"), first: None },
    Launcher { index: "PMI_RANK", count: Some("PMI_SIZE"), first: None },
    Launcher {
        index: "SLURM_ARRAY_TASK_ID",
        count: Some("SLURM_ARRAY_TASK_COUNT"),
        first: Some("SLURM_ARRAY_TASK_MIN"),
    },
    Launcher { index: "JOB_COMPLETION_INDEX", count: None, first: None },
];

/// The shard the flags and the environment (`env`, a variable's value by name) ask for; `None`
/// when neither asks for one (the whole input).
pub fn shard_choice(
    flag_index: Option<u64>,
    flag_count: Option<u64>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<ShardChoice>> {
    let number = |name: &str| -> Result<Option<u64>> {
        match env(name) {
            None => Ok(None),
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) => Ok(Some(n)),
                Err(_) => bail!(
                    "{name} is '{v}', not a whole number (hint: give --shard-index and --shard-count to say which shard this is)"
                ),
            },
        }
    };
    let mut env_index = None;
    let mut env_count = None;
    for l in &LAUNCHERS {
        if let Some(i) = number(l.index)? {
            let first = match l.first {
                Some(f) => number(f)?.unwrap_or(0),
                None => 0,
            };
            if i < first {
                bail!(
                    "{} is {i}, below {} = {first} (hint: give --shard-index and --shard-count)",
                    l.index,
                    l.first.unwrap_or("")
                );
            }
            env_index = Some((i - first, l.index.to_string()));
            env_count = match l.count {
                Some(c) => number(c)?.map(|n| (n, c.to_string())),
                None => None,
            };
            break;
        }
    }
    let index = flag_index.map(|i| (i, "--shard-index".to_string())).or(env_index);
    let count = flag_count.map(|n| (n, "--shard-count".to_string())).or(env_count);
    let ((index, index_from), (count, count_from)) = match (index, count) {
        (None, None) => return Ok(None),
        (Some(i), Some(n)) => (i, n),
        (None, Some((n, from))) => bail!(
            "{from} {n} needs a shard index (hint: give --shard-index, or run under mpirun, a Slurm job array or a Kubernetes Indexed Job)"
        ),
        (Some((i, from)), None) => {
            bail!("shard index {i} (from {from}) needs a shard count (hint: give --shard-count, the number of shards)")
        }
    };
    if count == 0 {
        bail!("the shard count (from {count_from}) is 0 (hint: give --shard-count 1 or more)");
    }
    if index >= count {
        bail!(
            "shard index {index} (from {index_from}) is not below the shard count {count} (from {count_from}) (hint: shards are numbered 0 to {})",
            count - 1
        );
    }
    Ok(Some(ShardChoice { shard: Shard { index, count }, index_from, count_from }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    fn shard(c: Option<ShardChoice>) -> Option<(u64, u64)> {
        c.map(|c| (c.shard.index, c.shard.count))
    }

    #[test]
    fn each_launcher_names_the_shard_and_flags_win() {
        assert_eq!(shard(shard_choice(None, None, with(&[])).unwrap()), None);
        let ompi = [("OMPI_COMM_WORLD_RANK", "2"), ("OMPI_COMM_WORLD_SIZE", "4")];
        assert_eq!(shard(shard_choice(None, None, with(&ompi)).unwrap()), Some((2, 4)));
        assert_eq!(shard(shard_choice(Some(1), None, with(&ompi)).unwrap()), Some((1, 4)));
        assert_eq!(shard(shard_choice(Some(0), Some(1), with(&ompi)).unwrap()), Some((0, 1)));
        let pmi = [("PMI_RANK", "0"), ("PMI_SIZE", "3")];
        assert_eq!(shard(shard_choice(None, None, with(&pmi)).unwrap()), Some((0, 3)));
        let slurm = [("SLURM_ARRAY_TASK_ID", "7"), ("SLURM_ARRAY_TASK_MIN", "5"), ("SLURM_ARRAY_TASK_COUNT", "3")];
        let c = shard_choice(None, None, with(&slurm)).unwrap().unwrap();
        assert_eq!((c.shard.index, c.shard.count, c.index_from.as_str()), (2, 3, "SLURM_ARRAY_TASK_ID"));
        let k8s = [("JOB_COMPLETION_INDEX", "5")];
        let c = shard_choice(None, Some(8), with(&k8s)).unwrap().unwrap();
        assert_eq!((c.shard.index, c.shard.count, c.count_from.as_str()), (5, 8, "--shard-count"));
    }

    #[test]
    fn impossible_shards_are_one_sentence_with_a_hint() {
        let err = |i, n, vars: &[(&str, &str)]| shard_choice(i, n, with(vars)).unwrap_err().to_string();
        assert!(
            err(Some(8), Some(8), &[]).contains("shard index 8 (from --shard-index) is not below the shard count 8")
        );
        assert!(err(Some(0), Some(0), &[]).contains("is 0 (hint"));
        assert!(err(None, Some(3), &[]).contains("--shard-count 3 needs a shard index"));
        assert!(err(Some(1), None, &[]).contains("needs a shard count"));
        assert!(err(None, None, &[("JOB_COMPLETION_INDEX", "5")]).contains("from JOB_COMPLETION_INDEX"));
        assert!(err(None, None, &[("PMI_RANK", "x"), ("PMI_SIZE", "2")]).contains("PMI_RANK is 'x'"));
        let slurm = [("SLURM_ARRAY_TASK_ID", "9"), ("SLURM_ARRAY_TASK_COUNT", "3")];
        assert!(err(None, None, &slurm).contains("not below the shard count 3 (from SLURM_ARRAY_TASK_COUNT)"));
    }
}
