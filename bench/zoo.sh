#!/usr/bin/env bash
# The model zoo's accuracy runs (issue 4), each with the CLI on ../shared/data, next to the
# published figures in README.md. Usage: bash bench/zoo.sh [RUN...] [--out DIR]
# RUN: kim-mr kim-subj kim-sst2 kim-sst1 bilstm-sst2 han-imdb (default: all), 2 threads.
#
# kim-cnn follows Kim (2014) CNN-rand where our flags allow: 300-dim random embeddings
# uniform in ±0.25 (the named model's default), widths 3/4/5 × 100 maps, ReLU, max over time,
# dropout 0.5, mini-batches of 50, early stopping on a dev set (SST's own; 10% of the training
# part for MR and Subj, as Kim did). Optimiser: Adam (lr 3e-4, Keras's other defaults) instead
# of Adadelta, and no max-norm constraint. bilstm: Bidirectional(LSTM(64)) on 300-dim
# embeddings, Adam 3e-4. Both stop after 2 epochs without a lower val_loss and keep the best.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
out=$here/runs/zoo
runs=()
while [ $# -gt 0 ]; do
  case "$1" in --out) out=$2; shift 2 ;; *) runs+=("$1"); shift ;; esac
done
[ ${#runs[@]} -eq 0 ] && runs=(kim-mr kim-subj kim-sst2 kim-sst1 bilstm-sst2 han-imdb)
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
strata="${STRATA_BIN:-$here/target/release/strata} --threads 2"
mkdir -p "$out"
kim=(--model kim-cnn --embedding-dim 300 --batch-size 50 --num-words 20000 --maxlen 60 --lr 0.0003 --epochs 12 --early-stopping 2)

cv() { # name data flags...
  local name=$1 file=$2; shift 2
  local t0=$SECONDS
  $strata cv --data "$file" --folds 10 --validation-split 0.1 --json "$@" > "$out/$name.json"
  python3 -c 'import json,sys; r=json.load(sys.stdin); print("%-12s 10-fold mean %.4f ± %.4f  (%s s)" % (sys.argv[1], r["mean_accuracy"], r["std_accuracy"], sys.argv[2]))' \
    "$name" $((SECONDS - t0)) < "$out/$name.json"
}

split() { # name folder flags...  (train on train.tsv, validate on dev.tsv if present, score test.tsv)
  local name=$1 dir=$2; shift 2
  local t0=$SECONDS val=(--validation-split 0.1)
  [ -f "$dir/dev.tsv" ] && val=(--validation-data "$dir/dev.tsv")
  $strata train --data "$dir/train.tsv" "${val[@]}" --out "$out/$name" --no-probes "$@" > "$out/$name.log" 2>&1
  $strata test --model "$out/$name" --data "$dir/test.tsv" --json > "$out/$name.test.json"
  python3 -c 'import json,sys; r=json.load(sys.stdin); print("%-12s test accuracy %.4f  macro F1 %.4f  (%s s)" % (sys.argv[1], r["accuracy"], r["macro_f1"], sys.argv[2]))' \
    "$name" $((SECONDS - t0)) < "$out/$name.test.json"
}

for r in "${runs[@]}"; do
  case "$r" in
    kim-mr) cv kim-mr "$data/mr/all.tsv" "${kim[@]}" ;;
    kim-subj) cv kim-subj "$data/subj/all.tsv" "${kim[@]}" ;;
    kim-sst2) split kim-sst2 "$data/sst2" "${kim[@]}" ;;
    kim-sst1) split kim-sst1 "$data/sst1" "${kim[@]}" ;;
    bilstm-sst2) split bilstm-sst2 "$data/sst2" --model bilstm --embedding-dim 300 --num-words 20000 --maxlen 60 --lr 0.0003 --epochs 10 --early-stopping 2 ;;
    han-imdb) split han-imdb "$data/imdb" --model han --maxlen 30 --max-sentences 15 --epochs 8 --early-stopping 1 ;;
    *) echo "unknown run '$r' (use kim-mr kim-subj kim-sst2 kim-sst1 bilstm-sst2 han-imdb)" >&2; exit 2 ;;
  esac
done
