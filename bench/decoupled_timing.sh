#!/usr/bin/env bash
# Wall time of the schedules issue 16 point 5 compares: `decoupled` with its levels in lock-step
# (--level-workers 1) and pipelined over two level groups (--level-workers 2), against
# `layerwise` and `end-to-end`, for seed-stacked --layers 3 and han, on one fold's worth of
# training: `strata train` on all of a data set with 10% held out (a 10-fold fold trains on 90%).
# Each run is timed alone under `flock $LOCK` (LOCK=FILE, a shared
# machine's lock; unlocked by default); runs go round-robin REPEAT times (default 1) so a load
# that comes and goes falls on every schedule alike. Prints one row per run (wall and user-CPU
# seconds, and the load average as it started: on a busy machine the user time is the steadier
# figure) and, per data set and model, each schedule's best time and layerwise's time over it.
# Layerwise runs twice, on THREADS threads and on one: "×N" is the speed-up over layerwise on the
# same THREADS cores, "×N on 1" over layerwise on one worker (the sequential baseline of
# Belilovsky et al.'s speed-up in the number of workers). Both are printed; bench/README.md gives
# both for issue 16's bar, and why seed-stacked cannot pass the second. With THREADS=1 the two
# layerwise runs are one.
#
# Usage: bash bench/decoupled_timing.sh [mr] [subj]      (default: both; THREADS=2, REPEAT=1)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
strata=${STRATA:-$here/target/release/strata}
lock=${LOCK:-}
threads=${THREADS:-2}
repeat=${REPEAT:-1}
sets=("${@:-mr subj}")
work=$(mktemp -d /tmp/strata-decoupled-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# the flags of the 10-fold runs in bench/README.md ("Huge files and levels at once")
declare -A flags=(
  [seed-stacked]="--model seed-stacked --layers 3 --maxlen 60 --epochs 6 --finetune-epochs 0"
  [han]="--model han --max-sentences 3 --epochs 8 --early-stopping 0 --finetune-epochs 0"
)
runs=("end-to-end 1 $threads" "layerwise 1 $threads" "decoupled 1 $threads" "decoupled 2 $threads")
[ "$threads" = 1 ] || runs+=("layerwise 1 1")

echo "$(nproc) cores, --threads $threads; load: $(cut -d' ' -f1-3 /proc/loadavg); lock: ${lock:-none}"
printf '%-5s %-13s %-11s %-8s %-8s %8s %8s %8s %6s\n' data model schedule workers threads wall_s val_acc user_s load
for set in ${sets[*]}; do
  data=$here/../shared/data/$set/all.tsv
  [ -f "$data" ] || { echo "skipped $set: no $data"; continue; }
  for model in seed-stacked han; do
    for _ in $(seq "$repeat"); do
      for r in "${runs[@]}"; do
        read -r schedule workers t <<< "$r"
        out=$work/$set-$model-$schedule-$workers-$t
        rm -rf "$out"
        # shellcheck disable=SC2086
        cmd=("$strata" --threads "$t" train --data "$data" --out "$out" ${flags[$model]} --seed 1
             --schedule "$schedule" --level-workers "$workers" --validation-split 0.1 --no-probes -q)
        # timed (and the load read) once the lock is held, so waiting for it is not counted
        # shellcheck disable=SC2016
        timed=(sh -c 'cut -d" " -f1 /proc/loadavg > "$0/load"; exec /usr/bin/time -f "%e %U" -o "$0/time" "$@"'
               "$work" "${cmd[@]}")
        if [ -n "$lock" ]; then flock "$lock" "${timed[@]}" > /dev/null; else "${timed[@]}" > /dev/null; fi
        read -r wall user < <(tail -1 "$work/time")
        load=$(cat "$work/load")
        acc=$(python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['val_accuracy'], 4))" "$out/metrics.json")
        printf '%-5s %-13s %-11s %-8s %-8s %8.1f %8s %8s %6s\n' "$set" "$model" "$schedule" "$workers" "$t" "$wall" "$acc" \
          "$user" "$load" | tee -a "$work/rows"
      done
    done
    awk -v s="$set" -v m="$model" -v T="$threads" '$1 == s && $2 == m {
        k = $3 " x" $4 " t" $5; if (!(k in best) || $6 < best[k]) best[k] = $6; if (!(k in cpu) || $8 < cpu[k]) cpu[k] = $8 }
      END { lw = best["layerwise x1 t" T]; lc = cpu["layerwise x1 t" T]; l1 = best["layerwise x1 t1"];
        line = s " " m ":";
        for (k in best) line = line sprintf("  %s %.1f s (layerwise / it x%.2f, on 1 x%.2f; user x%.2f)", k, best[k], lw / best[k], l1 / best[k], lc / cpu[k]);
        print line }' "$work/rows"
  done
done
