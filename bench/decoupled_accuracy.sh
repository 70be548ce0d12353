#!/usr/bin/env bash
# Issue 16 point 5's accuracy: `decoupled` (levels pipelined over 2 level workers) against
# `layerwise` and `end-to-end`, with the linear baseline beside them, on MR and Subj by 10-fold
# cross-validation, for seed-stacked --layers 3 and han — one `strata experiment` each, so every
# schedule trains on the same folds, seed and budget (the epochs layerwise gives one level).
# The flags are bench/decoupled_timing.sh's. Prints, per data set and model, each schedule's
# mean ± std and its per-fold difference from layerwise (mean ± std, wins/ties/losses); the
# experiments (results.json, report.md, report/index.html) stay in OUT. An experiment that fails
# stops the script (set -e) before the table; the ones done stay in OUT.
#
# Usage: bash bench/decoupled_accuracy.sh [OUT]   (default runs/decoupled-accuracy; THREADS=2,
# SETS="mr subj", MODELS="seed-stacked han"; about 15 min on 2 cores)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
strata=${STRATA:-$here/target/release/strata}
data=${STRATA_DATA:-$here/../shared/data}
out=${1:-$here/runs/decoupled-accuracy}
threads=${THREADS:-2}
[ -x "$strata" ] || { echo "error: $strata not found (hint: cargo build --release -p strata-cli)" >&2; exit 2; }

declare -A flags=(
  [seed-stacked]="--model seed-stacked --layers 3 --maxlen 60 --epochs 6"
  [han]="--model han --max-sentences 3 --epochs 8 --early-stopping 0"
)
for set in ${SETS:-mr subj}; do
  [ -f "$data/$set/all.tsv" ] || { echo "skipped $set: no $data/$set/all.tsv"; continue; }
  for model in ${MODELS:-seed-stacked han}; do
    # shellcheck disable=SC2086
    /usr/bin/time -f "$set $model: %e s wall" "$strata" --threads "$threads" experiment \
      --data "$data/$set/all.tsv" --folds 10 --seed 1 --finetune-epochs 0 ${flags[$model]} \
      --schedules end-to-end,layerwise,decoupled --level-workers 2 --no-probes \
      --out "$out/$set-$model" --overwrite -q > /dev/null
  done
done

# shellcheck disable=SC2086
python3 - "$out" ${SETS:-mr subj} -- ${MODELS:-seed-stacked han} <<'EOF'
import json, pathlib, statistics, sys
print("| data | model | schedule | 10-fold accuracy | − layerwise, per fold | W/T/L | training s |")
print("|---|---|---|---|---|---|---|")
args = sys.argv[2:]
sets, models = args[:args.index("--")], args[args.index("--") + 1:]
for set_, model in ((s, m) for s in sets for m in models):
    res = pathlib.Path(sys.argv[1]) / f"{set_}-{model}" / "results.json"
    if not res.exists():
        continue
    r = json.loads(res.read_text())
    rows = {s["name"]: s for s in r["schedules"]}
    lw = rows["layerwise"]["split_accuracy"]
    for s in r["schedules"]:
        acc = s["split_accuracy"]
        d = [a - b for a, b in zip(acc, lw)]
        w, t, l = sum(x > 0 for x in d), sum(x == 0 for x in d), sum(x < 0 for x in d)
        diff = "—" if s["name"] == "layerwise" else f"{100 * statistics.mean(d):+.2f} ± {100 * statistics.stdev(d):.2f}"
        wtl = "—" if s["name"] == "layerwise" else f"{w}/{t}/{l}"
        print(f"| {set_} | {model} | {s['name']} | "
              f"{s['mean_accuracy']:.4f} ± {s['std_accuracy']:.4f} | {diff} | {wtl} | {s['seconds']:.0f} |")
EOF
