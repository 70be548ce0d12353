#!/usr/bin/env bash
# 10-fold cross-validation of the seed model on MR (Pang & Lee 2005), as in Kim (2014).
# Usage: bash bench/mr_cv.sh [EPOCHS] [SEED]     (default 2 epochs, chosen on validation; seed 1; 2 threads)
# Prints per-fold accuracy on stderr and the JSON report on stdout; records the wall time.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}/mr/all.tsv
epochs=${1:-2}
seed=${2:-1}
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
start=$(date +%s)
"$here/target/release/strata" --threads 2 cv --data "$data" --folds 10 --epochs "$epochs" --seed "$seed" --json
echo "wall seconds: $(( $(date +%s) - start )) (epochs $epochs, seed $seed, 2 threads, $(date -u +%Y-%m-%d))" >&2
