#!/usr/bin/env bash
# Chinese text with the seed model: ChnSentiCorp (its train/dev/test split) and waimai_10k
# (10-fold CV), characters and jieba words. Usage: bash bench/chinese.sh [OUT]  (2 threads)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
out=${1:-$here/runs/chinese}
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
strata=${STRATA_BIN:-$here/target/release/strata}
for tok in char jieba; do
  maxlen=150; [ "$tok" = jieba ] && maxlen=100
  "$strata" --threads 2 experiment --train "$data/chnsenticorp/train.tsv" --dev "$data/chnsenticorp/dev.tsv" \
    --test "$data/chnsenticorp/test.tsv" --schedules end-to-end --tokenizer "$tok" --maxlen "$maxlen" \
    --epochs 6 --early-stopping 2 --seed 1 --out "$out/chnsenticorp-$tok" --json | python3 -c \
    'import json,sys; r=json.load(sys.stdin)["schedules"][0]; print("chnsenticorp", sys.argv[1], "test accuracy", round(r["mean_accuracy"],4), "epochs run", len(r["curves"][0]), "seconds", round(r["seconds"]))' "$tok"
  "$strata" --threads 2 cv --data "$data/waimai_10k/all.tsv" --folds 10 --tokenizer "$tok" --maxlen 60 --epochs 3 \
    --seed 1 --json | python3 -c \
    'import json,sys; r=json.load(sys.stdin); print("waimai_10k", sys.argv[1], "10-fold mean", round(r["mean_accuracy"],4), "std", round(r["std_accuracy"],4), "seconds", round(r["seconds"]))' "$tok"
done
