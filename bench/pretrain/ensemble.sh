#!/usr/bin/env bash
# Issue 12's ensemble figures: a pretrained network and a bag-of-n-grams model voting softly
# (`strata ensemble`, the weighted mean of their probabilities; Mesnil et al. 2014), beside each
# member alone and fastText on the same split, with paired differences and wall times.
#
#   sst2  network: kim-cnn from runs/pre-imdb-sg300 with --multichannel, trained on train.tsv
#         (validated on dev.tsv); the weights are tuned on dev.tsv; scored on test.tsv
#   imdb  network: the LSTM-256 + max-pool classifier of bench/README.md footnote ² (runs/t-imdb-256,
#         from runs/pre-imdb-256); equal weights (nothing held out that the network did not see;
#         WEIGHTS=0.6,0.4 sets them); scored on imdb_full/test.tsv
#   mr    10-fold CV: `strata cv --save-models` for the network (kim-cnn, sg300, --multichannel)
#         and the bag-of-n-grams model on identical folds, one ensemble per fold (equal weights or
#         WEIGHTS), tested on that fold's test part (written from --folds-out)
#
# A network folder (for mr, the ten fold folders with net-cv.json) is reused when present; RETRAIN=1 trains it (and for imdb pretrains
# runs/pre-imdb-256 when absent) again. The bag-of-n-grams model is trained every run.
# SCRATCH=1 (mr, imdb): the same vote with the network trained from random weights (no --init-from, one
# channel), the pretrained rows' from-scratch twin that issue 12 point 4 asks beside every row; its
# folders end in -scratch.
#
# Usage: bash bench/pretrain/ensemble.sh sst2|imdb|mr
# Environment: BOW_MODEL (nbsvm; `linear` is fastText's model), BOW_FLAGS (its flags; for linear
# default "--word-ngrams 2 --epochs 25 --lr 1.0", issue 12's fastText settings), WEIGHTS,
# RETRAIN, NET_DIR (the network folder to use), PRETRAINED_SG (runs/pre-imdb-sg300),
# STRATA_DATA (../shared/data), STRATA_RUNS (runs/), THREADS (2), STRATA_PEERS_PY (fastText's python).
# Writes runs/ensemble-bench/SET-BOW_MODEL/: each step's JSON and log, steps.tsv, table.txt (printed).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
runs=${STRATA_RUNS:-$here/runs}
set=${1:?usage: ensemble.sh sst2|imdb|mr}
case $set in mr | sst2 | imdb) ;; *) echo "error: unknown data set '$set' (hint: sst2, imdb or mr)" >&2; exit 2 ;; esac
bow_model=${BOW_MODEL:-nbsvm}
default_bow_flags=""
[ "$bow_model" = linear ] && default_bow_flags="--word-ngrams 2 --epochs 25 --lr 1.0"
read -r -a bow_flags <<< "${BOW_FLAGS-$default_bow_flags}"
sg=${PRETRAINED_SG:-$runs/pre-imdb-sg300}
scratch=${SCRATCH:-0}
[ "$scratch" = 1 ] && [ "$set" = sst2 ] && { echo "error: SCRATCH=1 with sst2 (hint: sst2_best.sh's members are SST-2's ensemble; SCRATCH is for mr and imdb)" >&2; exit 2; }
suffix=$([ "$scratch" = 1 ] && echo -scratch || true)
out=$runs/ensemble-bench/$set-$bow_model$suffix
started=$EPOCHREALTIME
py=${STRATA_PEERS_PY:-$HOME/.cache/strata-peers/venv/bin/python}
cargo build --release --quiet --manifest-path "$here/Cargo.toml" -p strata-cli
strata=("${CARGO_TARGET_DIR:-$here/target}/release/strata" --threads "${THREADS:-2}")
weights=()
[ -n "${WEIGHTS:-}" ] && weights=(--weights "$WEIGHTS")
mkdir -p "$out"
: > "$out/steps.tsv"

source "$here/bench/steps.sh"  # step NAME CMD...

# reused NAME DIR: records that DIR was reused (RETRAIN=1 trains it again).
reused() { echo "== $1: reusing $2 (RETRAIN=1 trains it again)" >&2; printf '%s\treused\t%s\n' "$1" "$2" >> "$out/steps.tsv"; }

need_sg() {
  [ -e "$sg" ] || { echo "error: $sg is missing (hint: strata pretrain --model kim-cnn --embedding-dim 300 --objective skipgram --data imdb_full/unsup.txt --data imdb_full/train.tsv --out $sg, as bench/README.md says)" >&2; exit 2; }
}

if [ "$set" = mr ]; then
  pretrained=(--init-from "$sg" --multichannel)
  if [ "$scratch" = 1 ]; then pretrained=(); else need_sg; fi
  all=$data/mr/all.tsv
  if [ -e "$out/net-folds/fold-9" ] && [ -s "$out/net-cv.json" ] && [ "${RETRAIN:-0}" != 1 ]; then
    reused net-cv "$out/net-folds"
  else
    step net-cv "${strata[@]}" cv --data "$all" --model kim-cnn "${pretrained[@]}" \
      --folds-out "$out/folds.tsv" --save-models "$out/net-folds" --json
  fi
  step bow-cv "${strata[@]}" cv --data "$all" --model "$bow_model" "${bow_flags[@]}" \
    --folds-out "$out/folds-bow.tsv" --save-models "$out/bow-folds" --json
  cmp -s "$out/folds.tsv" "$out/folds-bow.tsv" || { echo "error: the two cv runs' folds differ" >&2; exit 1; }
  step fasttext "$py" "$here/bench/pretrain/fasttext_folds.py" --data "$all" --folds "$out/folds.tsv"
  # each fold's test part: the lines of all.tsv that folds.tsv puts in it
  python3 - "$all" "$out/folds.tsv" "$out" <<'PY'
import sys
data, folds, out = sys.argv[1:4]
lines = open(data, encoding="utf-8").read().split("\n")
parts = {}
for row in open(folds, encoding="utf-8"):
    line, fold = map(int, row.split("\t"))
    parts.setdefault(fold, []).append(lines[line - 1])
for fold, rows in parts.items():
    open(f"{out}/fold-{fold}.test.tsv", "w", encoding="utf-8").write("\n".join(rows) + "\n")
PY
  k=$(ls -d "$out"/net-folds/fold-* | wc -l)
  for ((f = 0; f < k; f++)); do
    step "ensemble-$f-build" "${strata[@]}" ensemble --member "$out/net-folds/fold-$f" --member "$out/bow-folds/fold-$f" \
      "${weights[@]}" --out "$out/ensemble-folds/fold-$f"
    step "ensemble-$f" "${strata[@]}" test --model "$out/ensemble-folds/fold-$f" --data "$out/fold-$f.test.tsv" --json
  done
else
  if [ "$set" = sst2 ]; then
    train=$data/sst2/train.tsv test=$data/sst2/test.tsv dev=$data/sst2/dev.tsv
    net=${NET_DIR:-$runs/ens-sst2-kim-mc}
    if [ -e "$net" ] && [ "${RETRAIN:-0}" != 1 ]; then
      reused network-train "$net"
    else
      need_sg
      step network-train "${strata[@]}" train --model kim-cnn --init-from "$sg" --multichannel --data "$train" \
        --validation-data "$dev" --out "$net" --overwrite --json
    fi
    step bow-train "${strata[@]}" train --model "$bow_model" "${bow_flags[@]}" --data "$train" --validation-data "$dev" \
      --out "$out/bow" --overwrite --json
    tune=(--tune-weights-on "$dev")
    [ -n "${WEIGHTS:-}" ] && tune=()
  else
    train=$data/imdb_full/train.tsv test=$data/imdb_full/test.tsv
    net=${NET_DIR:-$runs/t-imdb-256$suffix}
    pre256=$runs/pre-imdb-256
    if [ -e "$net" ] && [ "${RETRAIN:-0}" != 1 ]; then
      reused network-train "$net"
    elif [ "$scratch" = 1 ]; then
      step network-train "${strata[@]}" train --model-file "$here/bench/pretrain/lstm256_maxpool.toml" --data "$train" \
        --maxlen 400 --early-stopping 2 --epochs 4 --out "$net" --overwrite --json
    else
      if [ -e "$pre256" ]; then
        reused pretrain "$pre256"
      else
        step pretrain "${strata[@]}" pretrain --units 256 --epochs 1 --data "$data/imdb_full/unsup.txt" --data "$train" --out "$pre256"
      fi
      step network-train "${strata[@]}" train --model-file "$here/bench/pretrain/lstm256_maxpool.toml" --data "$train" \
        --maxlen 400 --init-from "$pre256" --early-stopping 2 --epochs 4 --out "$net" --overwrite --json
    fi
    step bow-train "${strata[@]}" train --model "$bow_model" "${bow_flags[@]}" --data "$train" --validation-split 0 --out "$out/bow" --overwrite --json
    tune=()
  fi
  step ensemble-build "${strata[@]}" ensemble --member "$net" --member "$out/bow" "${weights[@]}" "${tune[@]}" --out "$out/ensemble"
  for row in network bow ensemble; do
    model=$out/$row
    [ $row = network ] && model=$net
    step "$row" "${strata[@]}" test --model "$model" --data "$test" --json --predictions "$out/$row.pred.jsonl"
  done
  step fasttext "$py" "$here/bench/pretrain/fasttext_folds.py" --train "$train" --test "$test" --predictions "$out/fasttext.pred.jsonl"
fi

printf 'pipeline\t%s\t%s\n' "$(awk "BEGIN {print $EPOCHREALTIME - $started}")" "bash bench/pretrain/ensemble.sh $*" >> "$out/steps.tsv"
python3 "$here/bench/pretrain/ensemble_table.py" "$set" "$out" "$bow_model" | tee "$out/table.txt"
