#!/usr/bin/env bash
# Speed and memory of every named model, strata against tf-keras and PyTorch, in one run
# (issue 14 point 3): e2e, stacked (the seed's), gru, bilstm, kim-cnn, han.
#
# Each model trains with its own recipe (zoo.rs; bench/peers/recipes.py mirrors it and
# bench/ratios.py flags any difference) on synthetic ids all three generate identically
# (bench/peers/recipes.py; han reads 15 sentences x 30 words). 2 threads, 3 epochs with the
# first excluded, all steps computed (no masking). Inference: batch 256 over the training set, and
# one text at a time over 300 texts. Per round, every model runs strata, tf-keras, PyTorch in turn;
# ratios.py prints the medians over ROUNDS rounds and the ratios against the issue's bars.
#
# Sizes are cut to fit a 3-round run in about 25 minutes on a 2-core machine: N texts per model
# (below) are sized so that tf-keras, the slowest peer, spends ~5 s per epoch; every
# implementation trains on the same N. Samples/s do not depend on N (Adam and the per-step
# costs are per batch), so the README's earlier 8192-text figures stay comparable.
# Override: N_E2E=8192 ... (N_<MODEL> with - as _), EPOCHS=3, MODELS="e2e gru", INFER1=300.
#
# Run it on a quiet machine: PyTorch's OpenMP threads spin-wait, so when other processes take a
# core its training collapses (×20 slower seen on a shared 2-core machine); the peers record the
# CPU other processes used meanwhile and ratios.py names every row where that passed 0.25 core.
# SPEED_LOCK=FILE: hold `flock FILE` for each model's round (the three runs of one model), so
# that timed runs of other people on a shared machine do not overlap ours.
# If crates/strata-nn/examples/fma_peak.rs exists, its FMA-peak probe runs once per round and
# ratios.py prints the seed model's achieved GFLOP/s against it.
#
# Usage: bash bench/speed.sh [ROUNDS]        (default 1; the README's table uses 3)
# Needs the peers' venv: py=$(bash ../shared/bench/peers/setup.sh)  (about 7 GiB, once)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
peers=${STRATA_PEERS:-$here/../shared/bench/peers}
rounds=${1:-1}
epochs=${EPOCHS:-3}
infer1=${INFER1:-300}
models=${MODELS:-e2e stacked gru bilstm kim-cnn han}
declare -A default_n=([e2e]=4096 [stacked]=4096 [gru]=4096 [bilstm]=2048 [kim-cnn]=4096 [han]=1536)
py=$(bash "$peers/setup.sh" 2>/dev/null | tail -n 1)
target=${CARGO_TARGET_DIR:-$here/target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --manifest-path "$here/Cargo.toml" -p strata-train --example model_speed
probe=""
if [ -f "$here/crates/strata-nn/examples/fma_peak.rs" ]; then
  cargo build --release --quiet --manifest-path "$here/Cargo.toml" -p strata-nn --example fma_peak
  probe=$target/release/examples/fma_peak
fi

n_for() { local var="N_${1//-/_}"; var=${var^^}; echo "${!var:-${default_n[$1]}}"; }
for model in $models; do
  "$py" "$here/bench/make_synthetic.py" "$work/$model" "$(n_for "$model")" --model "$model" --heldout 1024 >/dev/null
done

if [ -n "${SPEED_LOCK:-}" ]; then exec 9>"$SPEED_LOCK"; fi
lock() { if [ -n "${SPEED_LOCK:-}" ]; then flock 9; fi; }
unlock() { if [ -n "${SPEED_LOCK:-}" ]; then flock -u 9; fi; }

results=$work/results.jsonl
for round in $(seq "$rounds"); do
  if [ -n "$probe" ]; then
    lock; "$probe" | grep '^{' | tee -a "$results"; unlock
  fi
  for model in $models; do
    n=$(n_for "$model")
    common=(--model "$model" --epochs "$epochs" --threads 2 --infer1 "$infer1")
    lock
    echo "round $round/$rounds: $model (n $n)" >&2
    "$target/release/examples/model_speed" "$work/$model/train.txt" "$work/$model/heldout.txt" "${common[@]}" | tee -a "$results"
    "$py" "$here/bench/peers/keras_models.py" "${common[@]}" --n "$n" --heldout 1024 --json 2>/dev/null | grep '^{' | tee -a "$results"
    "$py" "$here/bench/peers/torch_models.py" "${common[@]}" --n "$n" --heldout 1024 --json 2>/dev/null | grep '^{' | tee -a "$results"
    unlock
  done
done
"$py" "$here/bench/ratios.py" "$results"
