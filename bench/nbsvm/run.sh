#!/usr/bin/env bash
# NBSVM (issue 12's anchor; Wang & Manning 2012, NB-LR) beside fastText on the same splits, with
# paired differences and each step's wall time:
#
#   mr    10-fold CV of mr/all.tsv; fastText on the folds `strata cv --folds-out` wrote
#   sst2  train on sst2/train.tsv (dev.tsv only validates), scored once on test.tsv
#   imdb  train on all 25,000 reviews of imdb_full/train.tsv, scored on its 25,000 test.tsv
#
# NBSVM runs with its defaults (chosen on dev parts by bench/nbsvm/dev.sh, never on a test
# split); fastText with issue 12's settings (bench/pretrain/fasttext_folds.py).
# Usage: bash bench/nbsvm/run.sh mr|sst2|imdb
# Environment: STRATA_DATA (../shared/data), THREADS (2), NBSVM_FLAGS (more flags for strata),
# STRATA_PEERS_PY (the peers' venv python, with fasttext), STRATA_RUNS (runs/).
# Writes runs/nbsvm-bench/SET/: each step's JSON and log, steps.tsv, table.txt (also printed).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
runs=${STRATA_RUNS:-$here/runs}
set=${1:?usage: run.sh mr|sst2|imdb}
case $set in mr | sst2 | imdb) ;; *) echo "error: unknown data set '$set' (hint: mr, sst2 or imdb)" >&2; exit 2 ;; esac
out=$runs/nbsvm-bench/$set
py=${STRATA_PEERS_PY:-$HOME/.cache/strata-peers/venv/bin/python}
cargo build --release --quiet --manifest-path "$here/Cargo.toml" -p strata-cli
strata=("$here/target/release/strata" --threads "${THREADS:-2}")
read -r -a flags <<< "${NBSVM_FLAGS:-}"
mkdir -p "$out"
: > "$out/steps.tsv"

source "$here/bench/steps.sh"  # step NAME CMD...

if [ "$set" = mr ]; then
  all=$data/mr/all.tsv
  step nbsvm "${strata[@]}" cv --model nbsvm --data "$all" --folds-out "$out/folds.tsv" --json "${flags[@]}"
  step fasttext "$py" "$here/bench/pretrain/fasttext_folds.py" --data "$all" --folds "$out/folds.tsv"
else
  if [ "$set" = sst2 ]; then
    train=$data/sst2/train.tsv test=$data/sst2/test.tsv
    where=(--validation-data "$data/sst2/dev.tsv")
  else
    train=$data/imdb_full/train.tsv test=$data/imdb_full/test.tsv
    where=(--validation-split 0)
  fi
  step nbsvm-train "${strata[@]}" train --model nbsvm --data "$train" "${where[@]}" --out "$out/nbsvm" --overwrite --json "${flags[@]}"
  step nbsvm "${strata[@]}" test --model "$out/nbsvm" --data "$test" --json --predictions "$out/nbsvm.pred.jsonl"
  step fasttext "$py" "$here/bench/pretrain/fasttext_folds.py" --train "$train" --test "$test" --predictions "$out/fasttext.pred.jsonl"
fi
python3 "$here/bench/nbsvm/table.py" "$set" "$out" | tee "$out/table.txt"
