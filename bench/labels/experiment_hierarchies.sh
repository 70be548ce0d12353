#!/usr/bin/env bash
# Issue 15 point 3 through `strata experiment --hierarchies flat,per-level,top-down`: on
# 20news_bydate and clinc150, the seed model and kim-cnn (end-to-end) and the linear baseline,
# each way on the same split, seed and budget, every row paired with its model's flat row on
# the same test texts (McNemar). clinc150: train/dev/test; 20news: train (10 % held out for
# validation)/test. The linear baseline runs in the seed experiment only (it is the same model
# on the same split in both; kim-cnn's experiment has --baseline none).
#
# Usage: bash bench/labels/experiment_hierarchies.sh [--sets 20news_bydate,clinc150] [--models seed,kim-cnn]
# Environment: STRATA_DATA (../shared/data), OUT (runs/hierarchies-bench), THREADS (2), SEED (1).
# Each experiment runs in the background of the caller's choosing; logs are OUT/SET-MODEL.log.
# Prints a markdown table of every results.json found (OUT/table.md). No timings: no lock.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
out=${OUT:-$here/runs/hierarchies-bench}
threads=${THREADS:-2}
seed=${SEED:-1}
sets=20news_bydate,clinc150
models=seed,kim-cnn
while [ $# -gt 0 ]; do
  case $1 in
    --sets) sets=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    *) echo "error: unknown flag '$1' (hint: --sets, --models)" >&2; exit 2 ;;
  esac
done
strata=${STRATA:-$here/target/release/strata}
[ -x "$strata" ] || (cd "$here" && cargo build --release -q -p strata-cli)
mkdir -p "$out"

# the budgets of bench/labels/hierarchy.sh, so the two tables can be read side by side
flags() { # set model
  case $1/$2 in
    20news_bydate/seed) echo "--model seed --maxlen 150 --epochs 4 --num-words 30000 --word-ngrams 1" ;;
    clinc150/seed) echo "--model seed --maxlen 24 --epochs 12" ;;
    20news_bydate/kim-cnn) echo "--model kim-cnn --maxlen 200 --epochs 4 --num-words 30000 --baseline none" ;;
    clinc150/kim-cnn) echo "--model kim-cnn --maxlen 24 --epochs 12 --baseline none" ;;
  esac
}

for set in ${sets//,/ }; do
  d=$data/$set
  [ -f "$d/train.tsv" ] || { echo "skip $set: no $d/train.tsv" >&2; continue; }
  if [ -f "$d/dev.tsv" ]; then split=(--train "$d/train.tsv" --dev "$d/dev.tsv" --test "$d/test.tsv");
  else split=(--train "$d/train.tsv" --test "$d/test.tsv" --validation-split 0.1); fi
  for model in ${models//,/ }; do
    run=$out/$set-$model
    echo "== $set $model" >&2
    # shellcheck disable=SC2046
    "$strata" --threads "$threads" experiment "${split[@]}" --out "$run" --overwrite --json \
      --label-path-sep / --taxonomy "$d/taxonomy.tsv" --hierarchies flat,per-level,top-down \
      --schedules end-to-end --no-probes --seed "$seed" $(flags "$set" "$model") >"$run.json" 2>"$run.log"
  done
done

python3 - "$out" <<'PY' | tee "$out/table.md"
import json, pathlib, sys
print("| data | model | hierarchy | top acc | leaf acc | leaf micro F1 | leaf macro F1 | hF1 | vs flat (leaf acc) | flat-only / this-only, McNemar p |")
print("|---|---|---|---|---|---|---|---|---|---|")
for f in sorted(pathlib.Path(sys.argv[1]).glob("*/results.json")):
    r = json.loads(f.read_text())
    data = f.parent.name.rsplit("-", 1)[0] if not f.parent.name.endswith("kim-cnn") else f.parent.name[: -len("-kim-cnn")]
    for w in r["hierarchy"]["rows"]:
        model = "linear" if w["model"].startswith("linear") else r["model"]
        v = w["vs_flat"]
        vs = "—" if v is None else f"{v['difference']:+.4f}"
        mc = "—" if v is None else f"{v['only_flat']} / {v['only_this']}, p={v['p_value']:.3f}"
        la = w["level_accuracy"]
        print(f"| {data} | {model} | {w['hierarchy']} | {la[0]:.4f} | {la[-1]:.4f} | {w['leaf_micro_f1']:.4f} | {w['leaf_macro_f1']:.4f} | {w['h_f1']:.4f} | {vs} | {mc} |")
    for why in r["hierarchy"]["refused"]:
        print(f"<!-- {data}: not run: {why} -->")
PY
