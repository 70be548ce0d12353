#!/usr/bin/env bash
# Sharded prediction over a huge file (issue 16, point 4): lines/s of one `strata predict`
# against N shards run side by side (`--shard-index I --shard-count N`, as N ranks, array tasks
# or pods would), and a check that the shards' outputs, concatenated, are the single output.
#
# The input is MR's sentences (../shared/data/mr beside the checkout, or DATA=FILE.tsv) repeated to SIZE_MB
# megabytes (default 1024) under /tmp; it is deleted at the end, with everything else the script
# wrote. The model is a linear one (--model linear) trained on the same data: a neural model
# predicts a few thousand lines a second, which would make a 1 GB file an hour's run.
# The timed runs hold `flock $LOCK` when LOCK names a lock file (a shared machine's), else run as is.
#
# Usage: bash bench/shard_predict.sh [N ...]     (default: 2)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
strata=${STRATA:-$here/target/release/strata}
data=${DATA:-$here/../shared/data/mr/all.tsv}
size_mb=${SIZE_MB:-1024}
lock=${LOCK:-}
locked() { if [ -n "$lock" ]; then flock "$lock" "$@"; else "$@"; fi; }
counts=("${@:-2}")
work=$(mktemp -d /tmp/strata-shard-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$strata" train --data "$data" --model linear --out "$work/run" --threads 2 --seed 1 -q
cut -f2- "$data" > "$work/in.txt"
while [ "$(stat -c %s "$work/in.txt")" -lt $((size_mb * 1024 * 1024)) ]; do
  cat "$work/in.txt" "$work/in.txt" > "$work/twice.txt" && mv "$work/twice.txt" "$work/in.txt"
done
truncate -s $((size_mb * 1024 * 1024)) "$work/in.txt"   # cuts a line: the last one has no newline
lines=$(( $(wc -l < "$work/in.txt") + 1 ))
echo "input: $(stat -c %s "$work/in.txt") bytes, $lines lines; $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"

elapsed() { # seconds COMMAND...: runs it, prints its wall time
  local t0 t1; t0=$(date +%s.%N); "$@"; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l
}
peak() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }

single() { "$strata" predict --model "$work/run" "$work/in.txt" -o "$work/single.tsv" -q; }
shards() { # N: all N shards side by side
  local n=$1 pids=()
  for ((i = 0; i < n; i++)); do
    "$strata" predict --model "$work/run" "$work/in.txt" -o "$work/sharded.tsv" --shard-index "$i" --shard-count "$n" -q &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
}

t1=$(locked bash -c "$(declare -f elapsed single); strata='$strata' work='$work' elapsed single")
printf 'single process: %6.1f s  %9.0f lines/s\n' "$t1" "$(echo "$lines / $t1" | bc -l)"
for n in "${counts[@]}"; do
  tn=$(locked bash -c "$(declare -f elapsed shards); strata='$strata' work='$work' elapsed shards $n")
  cat "$work"/sharded.tsv.shard-* | cmp - "$work/single.tsv"
  printf '%2d shards:       %6.1f s  %9.0f lines/s  x%.2f  (outputs concatenate to the single one)\n' \
    "$n" "$tn" "$(echo "$lines / $tn" | bc -l)" "$(echo "$t1 / $tn" | bc -l)"
  rm -f "$work"/sharded.tsv.shard-*
done
kb=$(peak "$strata" predict --model "$work/run" "$work/in.txt" -o "$work/single.tsv" -q)
kb2=$(peak "$strata" predict --model "$work/run" "$work/in.txt" -o "$work/sharded.tsv" --shard-index 0 --shard-count 2 -q)
echo "peak memory: single $((kb / 1024)) MiB, one of 2 shards $((kb2 / 1024)) MiB"
