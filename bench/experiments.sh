#!/usr/bin/env bash
# The issue-3 experiment on real data: four schedules on the seed's stacked model, same folds,
# seed and 4-epoch budget; MR and Subj by 10-fold cross-validation, SST-2 on its standard
# train/dev/test split. Writes runs/experiments/{mr,subj,sst2}/ (results.json, report.md,
# report/index.html). Usage: bash bench/experiments.sh [OUT]   (2 threads; ~20 min here)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
out=${1:-$here/runs/experiments}
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
strata=${STRATA_BIN:-$here/target/release/strata}
common=(--model seed-stacked --epochs 4 --finetune-epochs 1 --maxlen 60 --seed 1)
"$strata" --threads 2 experiment --data "$data/mr/all.tsv" --folds 10 "${common[@]}" --out "$out/mr"
"$strata" --threads 2 experiment --data "$data/subj/all.tsv" --folds 10 "${common[@]}" --out "$out/subj"
"$strata" --threads 2 experiment --train "$data/sst2/train.tsv" --dev "$data/sst2/dev.tsv" --test "$data/sst2/test.tsv" "${common[@]}" --out "$out/sst2"
