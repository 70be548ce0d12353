#!/usr/bin/env bash
# Speed and memory of the seed models, strata against its peers, measured in one run.
#
# Same synthetic data as ../shared/bench/peers (8192 sequences of 100 ids, batch 32, Adam,
# 3 epochs, first epoch excluded, all 100 steps computed as Keras does), 2 threads.
# Runs strata and each peer alternately, ROUNDS times, and prints the medians and the ratios.
#
# Usage: bash bench/speed.sh [ROUNDS]        (default 1; the README's table used 3)
# Needs the peers' venv: py=$(bash ../shared/bench/peers/setup.sh)  (about 7 GiB, once)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
peers=${STRATA_PEERS:-$here/../shared/bench/peers}
rounds=${1:-1}
py=$(bash "$peers/setup.sh" 2>/dev/null | tail -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --manifest-path "$here/Cargo.toml" -p strata-train --example seed_speed
"$py" "$here/bench/make_synthetic.py" "$work" 8192 >/dev/null
results=$work/results.jsonl
for round in $(seq "$rounds"); do
  for model in e2e stacked; do
    "$here/target/release/examples/seed_speed" "$work/train.txt" "$work/heldout.txt" --model "$model" --epochs 3 --threads 2 | tee -a "$results"
    "$py" "$peers/keras_seed.py" --keras legacy --model "$model" --json --epochs 3 --threads 2 2>/dev/null | grep '^{' | tee -a "$results"
    "$py" "$peers/torch_seed.py" --model "$model" --json --epochs 3 --threads 2 2>/dev/null | grep '^{' | tee -a "$results"
  done
done
"$py" "$here/bench/ratios.py" "$results"
