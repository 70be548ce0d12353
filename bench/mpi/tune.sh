#!/usr/bin/env bash
# Issue 16, point 3: `strata tune` with its trials dealt to MPI ranks — trials/s for one process
# and for 2 ranks on loopback, on the same trials: the same command line, tune's default 4
# trials at a time (AT_ONCE=K to pass --trials-at-once K to every row). Rows:
#   1 rank, --threads 1 (each wave's trials one after the other)
#   2 ranks, --threads 1 (each wave dealt to the ranks: the same trials as the row above)
#   1 rank, --threads 2 (both cores on each trial: the same search, other numbers, as a
#   trial's numbers depend on its thread count)
# Every row prints trials/s and epochs/s (the epochs its trials trained, a second), the wall
# seconds, the best validation accuracy and a hash of trials.csv without its seconds column
# (rows 1 and 2 must match).
#
#   bash bench/mpi/tune.sh                       # MR (all.tsv), --model linear, 12 trials
#   TRIALS=48 FLAGS= DATA=other.tsv bash bench/mpi/tune.sh   # the whole default space
#
# Needs a build with the feature (cargo build --release -p strata-cli --features mpi) and
# OpenMPI. The runs hold a shared CPU lock (LOCK=FILE, flock) when one is named.
set -euo pipefail
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/../.."
STRATA=${STRATA:-${CARGO_TARGET_DIR:-target}/release/strata}
DATA=${DATA:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/data/mr/all.tsv}
MODEL=${MODEL:-linear}
TRIALS=${TRIALS:-12}
# fixed, not searched: small tables keep a trial to seconds (the default space reaches 2 GiB)
FLAGS=${FLAGS:---dim 50 --buckets 100000}
SEED=${SEED:-1}
LOCK=${LOCK:-}
AT_ONCE=${AT_ONCE:-}
[ -x "$STRATA" ] || { echo "error: $STRATA not found (hint: cargo build --release -p strata-cli --features mpi)" >&2; exit 2; }
[ -f "$DATA" ] || { echo "error: $DATA not found (hint: DATA=FILE.tsv)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "error: mpirun not found (hint: apt-get install openmpi-bin libopenmpi-dev)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}
# the three rows under one hold of the lock, so that they see the same machine
if [ -e "$LOCK" ] && [ -z "${TUNE_SH_LOCKED:-}" ]; then
    TUNE_SH_LOCKED=1 exec flock "$LOCK" bash "$self" "$@"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%s\n' "data $(basename "$(dirname "$DATA")")/$(basename "$DATA"), --model $MODEL $FLAGS, $TRIALS trials, seed $SEED, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-6s %-8s %-15s %10s %9s %8s %9s  %s\n' ranks threads trials-at-once trials/s epochs/s wall_s best_acc trials.csv
at_once=${AT_ONCE:-default}
for row in "1 1" "2 1" "1 2"; do
    read -r ranks threads <<<"$row"
    out="$work/n$ranks-t$threads"
    start=$(date +%s.%N)
    mpirun --oversubscribe --bind-to none -n "$ranks" "$STRATA" --threads "$threads" tune \
        --data "$DATA" --model "$MODEL" --max-trials "$TRIALS" --budget 3600 --seed "$SEED" $FLAGS \
        ${AT_ONCE:+--trials-at-once "$AT_ONCE"} --json --out "$out" > "$out.json" 2> "$out.log" \
        || { cat "$out.log" >&2; exit 1; }
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    seconds=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$out.json")
    best=$(python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["best"]["val_accuracy"])' "$out.json")
    col=$(head -1 "$out/trials.csv" | tr ',' '\n' | grep -n '^seconds$' | cut -d: -f1)
    hash=$(cut -d, -f"$col" --complement "$out/trials.csv" | sha256sum | cut -c1-12)
    rate=$(echo "scale=3; $TRIALS / $seconds" | bc)
    ecol=$(head -1 "$out/trials.csv" | tr ',' '\n' | grep -n '^epochs_trained$' | cut -d: -f1)
    epochs=$(tail -n +2 "$out/trials.csv" | cut -d, -f"$ecol" | paste -sd+ | bc)
    erate=$(echo "scale=2; $epochs / $seconds" | bc)
    printf '%-6s %-8s %-15s %10s %9s %8.1f %9s  %s\n' "$ranks" "$threads" "$at_once" "$rate" "$erate" "$wall" "$best" "$hash"
done
