#!/usr/bin/env bash
# Issue 16, point 6: data-parallel training over MPI on this machine — 1, 2 and 4 ranks on
# loopback (oversubscribed where the cores run out), the same global batch and the same 4
# chunks a batch (1×4, 2×2, 4×1 ranks × threads), so every run trains the same bits.
# Prints, per rank count: samples/s, bytes each rank sends per step, share of the training
# time spent in the all-gather (including waiting for the slowest rank), and wall seconds.
#
#   bash bench/mpi/run.sh                       # MR (all.tsv), seed model, 1 epoch, batch 32
#   BATCH=256 EPOCHS=1 bash bench/mpi/run.sh    # a larger global batch: less traffic per sample
#   DATA=other.tsv MODEL=kim-cnn bash bench/mpi/run.sh
#
# Needs a build with the feature (cargo build --release -p strata-cli --features mpi) and
# OpenMPI (apt-get install openmpi-bin libopenmpi-dev). Timed runs take a shared CPU lock
# (LOCK=FILE, flock) when one is named, so they do not overlap other measurements.
set -euo pipefail
cd "$(dirname "$0")/../.."
STRATA=${STRATA:-${CARGO_TARGET_DIR:-target}/release/strata}
DATA=${DATA:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/data/mr/all.tsv}
MODEL=${MODEL:-seed}
BATCH=${BATCH:-32}
EPOCHS=${EPOCHS:-1}
CHUNKS=${CHUNKS:-4}
LOCK=${LOCK:-}
[ -x "$STRATA" ] || { echo "error: $STRATA not found (hint: cargo build --release -p strata-cli --features mpi)" >&2; exit 2; }
[ -f "$DATA" ] || { echo "error: $DATA not found (hint: DATA=FILE.tsv)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "error: mpirun not found (hint: apt-get install openmpi-bin libopenmpi-dev)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# loopback only: shared memory between ranks of one machine, TCP on lo for the rest
export OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
# a rank waiting in the all-gather gives its core back (ranks here outnumber the cores)
export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}
locked() { if [ -e "$LOCK" ]; then flock "$LOCK" "$@"; else "$@"; fi; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%s\n' "data $(basename "$(dirname "$DATA")")/$(basename "$DATA"), model $MODEL, batch $BATCH, $EPOCHS epoch(s), $CHUNKS chunks a batch, $(nproc) cores"
printf '%-6s %-8s %12s %16s %10s %8s  %s\n' ranks threads samples/s bytes/step/rank comm% wall_s sha256
for ranks in 1 2 4; do
    threads=$(( CHUNKS / ranks > 0 ? CHUNKS / ranks : 1 ))
    start=$(date +%s.%N)
    locked mpirun --oversubscribe --bind-to none -n "$ranks" "$STRATA" --threads "$threads" train \
        --data "$DATA" --model "$MODEL" --epochs "$EPOCHS" --batch-size "$BATCH" \
        --validation-split 0.1 --no-probes --out "$work/n$ranks" 2> "$work/n$ranks.log" > /dev/null \
        || { cat "$work/n$ranks.log" >&2; exit 1; }
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    line=$(grep '^data-parallel:' "$work/n$ranks.log")
    sps=$(sed -E 's/.* ([0-9]+) samples\/s.*/\1/' <<<"$line")
    bytes=$(sed -E 's/.* ([0-9]+) bytes sent per step.*/\1/' <<<"$line")
    comm=$(sed -E 's/.* ([0-9.]+)% of the time.*/\1/' <<<"$line")
    sha=$(sha256sum "$work/n$ranks/model/model.safetensors" | cut -c1-12)
    printf '%-6s %-8s %12s %16s %10s %8.1f  %s\n' "$ranks" "$threads" "$sps" "$bytes" "$comm" "$wall" "$sha"
done
