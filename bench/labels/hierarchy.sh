#!/usr/bin/env bash
# Issue 15 points 3 and 4: label trees and out-of-scope rejection on 20news_bydate and clinc150.
# For each data set and model (linear, seed, kim-cnn): train on train.tsv (clinc150: validation
# on dev.tsv; 20news: a 10 % stratified hold-out) with --label-path-sep / --taxonomy, then score
# the test set flat and top-down (two decodings of the same model's probabilities, so the
# McNemar count is exactly paired), and per-level where a build offers it (its own model, same
# seed, paired by example). On clinc150 also the out-of-scope threshold: tuned on dev.tsv +
# oos_dev.tsv (max in-scope accuracy + oos recall), then in-scope accuracy on test.tsv and oos
# recall on oos_test.tsv side by side (Larson et al. 2019).
#
# Usage: bash bench/labels/hierarchy.sh [--sets 20news_bydate,clinc150] [--models linear,seed,kim-cnn]
# Environment: STRATA_DATA (../shared/data), OUT (runs/labels-bench), THREADS (2), SEED (1).
# Prints a markdown table (and writes OUT/table.md). Timings are not reported, so no lock.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
out=${OUT:-$here/runs/labels-bench}
threads=${THREADS:-2}
seed=${SEED:-1}
sets=20news_bydate,clinc150
models=linear,seed,kim-cnn
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

# what each run is given: short enough for two cores (say so in the README)
flags() { # set model
  case $1/$2 in
    20news_bydate/linear) echo "--model linear --epochs 25 --word-ngrams 1" ;;
    clinc150/linear) echo "--model linear --epochs 25" ;;
    20news_bydate/seed) echo "--model seed --maxlen 150 --epochs 4 --num-words 30000" ;;
    clinc150/seed) echo "--model seed --maxlen 24 --epochs 12" ;;
    20news_bydate/kim-cnn) echo "--model kim-cnn --maxlen 200 --epochs 4 --num-words 30000" ;;
    clinc150/kim-cnn) echo "--model kim-cnn --maxlen 24 --epochs 12" ;;
  esac
}
hierarchies=$("$strata" train --help | grep -q "possible values: .*per-level" && echo "flat per-level" || echo "flat")

for set in ${sets//,/ }; do
  d=$data/$set
  [ -f "$d/train.tsv" ] || { echo "skip $set: no $d/train.tsv" >&2; continue; }
  if [ -f "$d/dev.tsv" ]; then val=(--validation-data "$d/dev.tsv"); else val=(--validation-split 0.1); fi
  for model in ${models//,/ }; do
    for h in $hierarchies; do
      run=$out/$set/$model/$h
      # top-down is a decoding of the flat model's probabilities: trained once, scored both ways
      log=$run.log
      mkdir -p "$(dirname "$run")"
      echo "== $set $model $h" >&2
      # shellcheck disable=SC2046
      "$strata" train --data "$d/train.tsv" "${val[@]}" --out "$run" --overwrite -q \
        --label-path-sep / --taxonomy "$d/taxonomy.tsv" --hierarchy "$h" \
        --seed "$seed" --threads "$threads" $(flags "$set" "$model") >"$log" 2>&1
      "$strata" test --model "$run" --data "$d/test.tsv" --json --predictions "$run/test_predictions.jsonl" >"$run/test.json"
      if [ -f "$d/oos_dev.tsv" ]; then
        "$strata" test --model "$run" --data "$d/dev.tsv" --oos "$d/oos_dev.tsv" --reject-tune --json >"$run/oos_dev.json"
        p=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["out_of_scope"]["reject_below"])' "$run/oos_dev.json")
        "$strata" test --model "$run" --data "$d/test.tsv" --oos "$d/oos_test.tsv" --reject-below "$p" --json >"$run/oos_test.json"
      fi
      rm -f "$run/model/model.safetensors.tmp"
    done
  done
done
python3 "$here/bench/labels/summarize.py" "$out" | tee "$out/table.md"
