#!/usr/bin/env bash
# Issue 12's accuracy runs: the seed model fine-tuned from IMDB-pretrained levels, the same model
# from scratch, and fastText, on the same splits, with paired differences and every step's time.
#
#   mr    10-fold CV of mr/all.tsv; every row on the folds `strata cv --folds-out` wrote
#   sst2  train on sst2/train.tsv (validated on dev.tsv), scored once on test.tsv
#   imdb  train on imdb_full/train.tsv (--maxlen 400, 10% of it held out), scored on test.tsv
#
# The pretrained levels come from `strata pretrain` on imdb_full/unsup.txt and the texts of
# imdb_full/train.tsv, never test.tsv; one folder (runs/pre-imdb) serves all three sets and is
# reused when it exists (delete it to pretrain again; its log is runs/pre-imdb.log).
#
# Usage: bash bench/pretrain/accuracy.sh mr|sst2|imdb [--no-pretrained]
#   --no-pretrained   from scratch and fastText only (no `strata pretrain`)
# Environment: STRATA_DATA (default ../shared/data), THREADS (2), PRETRAIN_EPOCHS (pretrain's
# default when unset), PRETRAIN_FLAGS and PRETRAINED_FLAGS (more flags for `strata pretrain` and
# for the fine-tuning runs, e.g. "--schedule ulmfit"), MODEL_FLAGS (flags for pretrain and for
# both strata rows, e.g. "--model kim-cnn"; the results go to SET-model-kim-cnn/), TRAIN_FLAGS
# (flags for both strata rows only, e.g. "--early-stopping 2"),
# PRETRAINED_NAME (the pretrained folder under runs/, default pre-imdb), STRATA_RUNS (runs/).
# Writes runs/pretrain-bench/SET/: each step's JSON and log, steps.tsv, table.txt (also printed).
# Needs the peers' venv for fastText (STRATA_PEERS_PY, default ~/.cache/strata-peers/venv/bin/python;
# ../shared/bench/peers/setup.sh installs it when missing, about 7 GiB).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
peers=${STRATA_PEERS:-$here/../shared/bench/peers}
runs=${STRATA_RUNS:-$here/runs}
set=${1:?usage: accuracy.sh mr|sst2|imdb [--no-pretrained]}
pretrained=1
[ "${2:-}" = --no-pretrained ] && pretrained=0
case $set in mr | sst2 | imdb) ;; *) echo "error: unknown data set '$set' (hint: mr, sst2 or imdb)" >&2; exit 2 ;; esac
pre=$runs/${PRETRAINED_NAME:-pre-imdb}
variant="${MODEL_FLAGS:-} ${TRAIN_FLAGS:-}"
variant=$(echo "$variant" | sed 's#[^ ]*/##g' | tr -c 'a-z0-9\n' '-' | tr -s '-' | sed 's/^-//; s/-$//')
out=$runs/pretrain-bench/$set${variant:+-$variant}
started=$EPOCHREALTIME

py=${STRATA_PEERS_PY:-$HOME/.cache/strata-peers/venv/bin/python}
"$py" -c 'import fasttext' 2>/dev/null || py=$(bash "$peers/setup.sh" 2>/dev/null | tail -n 1)
cargo build --release --quiet --manifest-path "$here/Cargo.toml" -p strata-cli
strata=("$here/target/release/strata" --threads "${THREADS:-2}")
read -r -a pretrain_flags <<< "${PRETRAIN_FLAGS:-}"
read -r -a pretrained_flags <<< "${PRETRAINED_FLAGS:-}"
read -r -a model_flags <<< "${MODEL_FLAGS:-}"
read -r -a train_flags_both <<< "${TRAIN_FLAGS:-}"
mkdir -p "$out"
: > "$out/steps.tsv"

source "$here/bench/steps.sh"  # step NAME CMD...

if [ $pretrained = 1 ]; then
  if [ -e "$pre" ]; then
    echo "== pretrain: reusing $pre (delete it to pretrain again)" >&2
    printf 'pretrain\treused\t%s\n' "$pre" >> "$out/steps.tsv"
  else
    step pretrain "${strata[@]}" pretrain --data "$data/imdb_full/unsup.txt" --data "$data/imdb_full/train.tsv" \
      --out "$pre" ${PRETRAIN_EPOCHS:+--epochs "$PRETRAIN_EPOCHS"} "${model_flags[@]}" "${pretrain_flags[@]}"
    cat "$out/pretrain.json" "$out/pretrain.log" > "$pre.log"
  fi
fi

if [ "$set" = mr ]; then
  all=$data/mr/all.tsv
  step scratch "${strata[@]}" cv --data "$all" --folds-out "$out/folds.tsv" --json "${model_flags[@]}" "${train_flags_both[@]}"
  step fasttext "$py" "$here/bench/pretrain/fasttext_folds.py" --data "$all" --folds "$out/folds.tsv"
  if [ $pretrained = 1 ]; then
    step pretrained "${strata[@]}" cv --data "$all" --init-from "$pre" --folds-out "$out/folds-pretrained.tsv" --json \
      "${model_flags[@]}" "${train_flags_both[@]}" "${pretrained_flags[@]}"
    cmp -s "$out/folds.tsv" "$out/folds-pretrained.tsv" || { echo "error: the pretrained run's folds differ from scratch's" >&2; exit 1; }
  fi
else
  if [ "$set" = sst2 ]; then
    train=$data/sst2/train.tsv test=$data/sst2/test.tsv
    train_flags=(--validation-data "$data/sst2/dev.tsv")
  else
    train=$data/imdb_full/train.tsv test=$data/imdb_full/test.tsv
    train_flags=(--maxlen 400)
  fi
  rows=(scratch)
  [ $pretrained = 1 ] && rows+=(pretrained)
  for row in "${rows[@]}"; do
    extra=()
    [ "$row" = pretrained ] && extra=(--init-from "$pre" "${pretrained_flags[@]}")
    step "$row-train" "${strata[@]}" train --data "$train" "${train_flags[@]}" --out "$out/$row" --overwrite --json \
      "${model_flags[@]}" "${train_flags_both[@]}" "${extra[@]}"
    step "$row" "${strata[@]}" test --model "$out/$row" --data "$test" --json --predictions "$out/$row.pred.jsonl"
  done
  step fasttext "$py" "$here/bench/pretrain/fasttext_folds.py" --train "$train" --test "$test" --predictions "$out/fasttext.pred.jsonl"
fi

printf 'pipeline\t%s\t%s\n' "$(awk "BEGIN {print $EPOCHREALTIME - $started}")" "bash bench/pretrain/accuracy.sh $*" >> "$out/steps.tsv"
python3 "$here/bench/pretrain/table.py" "$set" "$out" "$pre.log" | tee "$out/table.txt"
