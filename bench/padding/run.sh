#!/usr/bin/env bash
# Issue 14, point 2: the seed model on real data, tf-keras running the seed's code against strata
# with and without `--mask-padding --bucket-by-length`, on the same splits, in one run.
#
#   mr    10-fold CV of mr/all.tsv (maxlen 100); tf-keras trains on the folds strata's
#         unmasked `cv --folds-out` wrote; the masked cv must write the same folds
#   sst2  sst2/train.tsv -> sst2/test.tsv (maxlen 100)
#   imdb  imdb_full/train.tsv -> imdb_full/test.tsv (maxlen 400)
# Per set, three rows: tf-keras (bench/padding/keras_seed_cv.py: Tokenizer(10000, "<OOV>"),
# pad_sequences, Embedding(10000,128) -> LSTM(64) -> Dense(1), Adam 1e-3, batch 32, tokenizing
# included in its time), strata unmasked (`cv`, or `train --validation-split 0` + `test`, whose
# times are added) and strata masked (the same with --mask-padding --bucket-by-length). No row
# holds out validation data, as the seed's fit() did not. Then a table (table.py): wall time,
# accuracy, tf-keras time / row time, accuracy difference vs strata unmasked, share of the
# computed steps that are real tokens (strata's `padding:` note; tf-keras's own count, which is
# also the unmasked row's: both pad every text to maxlen).
#
# Usage: bash bench/padding/run.sh [--sets mr,sst2,imdb] [--epochs 3] [--imdb-epochs N]
#                                  [--seed 0] [--threads 2] [--out DIR]
#   --imdb-epochs   epochs for imdb (default --epochs): its tf-keras run is the long one
# Environment: STRATA (default ./target/release/strata; the script does not build it), STRATA_DATA
# (../shared/data), STRATA_PEERS_PY (~/.cache/strata-peers/venv/bin/python, with tensorflow and
# tf_keras 2.x: ../shared/bench/peers/setup.sh), CPU_LOCK (default /work/briefs/cpu.lock when it
# exists; every timed run holds an exclusive flock on it, one run per hold, and the tf-keras
# script lets go of it between epochs; CPU_LOCK= times without a lock).
# Writes DIR (default runs/padding-bench)/SET/: each run's JSON, log and seconds, steps.tsv, and
# table.md (also printed); deletes the strata model folders it wrote once they are scored.
#
# Time per part, 2 threads on the 2-core AMD EPYC (Zen 5) machine, 3 epochs (measured 2026-11-29):
#   mr    tf-keras ~ TODO s, strata unmasked ~ TODO s, masked ~ TODO s
#   sst2  tf-keras ~ TODO s, strata unmasked ~ TODO s, masked ~ TODO s
#   imdb  tf-keras ~ TODO s per epoch (+ ~ TODO s tokenizing and scoring), strata unmasked ~ TODO s
#         per epoch, masked ~ TODO s per epoch
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
bench=$here/bench/padding
data=${STRATA_DATA:-$here/../shared/data}
py=${STRATA_PEERS_PY:-$HOME/.cache/strata-peers/venv/bin/python}
strata_bin=${STRATA:-$here/target/release/strata}
if [ -z "${CPU_LOCK+set}" ] && [ -e /work/briefs/cpu.lock ]; then CPU_LOCK=/work/briefs/cpu.lock; fi
lock=${CPU_LOCK:-}

die() { echo "error: $1" >&2; exit 2; }
sets=mr,sst2,imdb epochs=3 imdb_epochs='' seed=0 threads=2 out=$here/runs/padding-bench
while [ $# -gt 0 ]; do
  case $1 in
    --sets | --epochs | --imdb-epochs | --seed | --threads | --out)
      [ $# -ge 2 ] || die "$1 needs a value (hint: bash bench/padding/run.sh --sets mr --epochs 3)"
      case $1 in
        --sets) sets=$2 ;; --epochs) epochs=$2 ;; --imdb-epochs) imdb_epochs=$2 ;;
        --seed) seed=$2 ;; --threads) threads=$2 ;; --out) out=$2 ;;
      esac
      shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (hint: --sets mr,sst2,imdb --epochs 3 --imdb-epochs N --seed 0 --threads 2 --out DIR)" ;;
  esac
done
for n in "$epochs" "${imdb_epochs:-1}" "$seed" "$threads"; do
  [[ $n =~ ^[0-9]+$ ]] || die "'$n' is not a whole number (hint: --epochs 3 --threads 2)"
done
[ "$epochs" -ge 1 ] && [ "$threads" -ge 1 ] && [ "${imdb_epochs:-1}" -ge 1 ] ||
  die "--epochs, --imdb-epochs and --threads must be at least 1 (hint: --epochs 3)"
imdb_epochs=${imdb_epochs:-$epochs}
IFS=, read -r -a set_list <<< "$sets"
for s in "${set_list[@]}"; do
  case $s in mr | sst2 | imdb) ;; *) die "unknown set '$s' (hint: --sets mr,sst2,imdb)" ;; esac
done
[ -x "$strata_bin" ] || die "no strata binary at $strata_bin (hint: cargo build --release, or set STRATA)"
"$py" -c 'import tensorflow, tf_keras' 2> /dev/null ||
  die "$py has no tensorflow/tf_keras (hint: bash ../shared/bench/peers/setup.sh, or set STRATA_PEERS_PY)"
strata=("$strata_bin" --threads "$threads")
masked=(--mask-padding --bucket-by-length)
variants=(unmasked masked)
if ! "$strata_bin" train --help | grep -q -- --bucket-by-length; then
  echo "warning: $strata_bin has no --mask-padding/--bucket-by-length yet: the masked rows are left out" >&2
  variants=(unmasked)
fi

# timed NAME CMD...: runs CMD holding the CPU lock (one run per hold), stdout in NAME.json, stderr
# in NAME.log, its wall seconds (the lock's wait excluded) in NAME.seconds, a line in steps.tsv.
timed() {
  local name=$1
  shift
  echo "== $set: $name" >&2
  local runner=(bash -c 't0=$EPOCHREALTIME; "${@:2}" > "$1.json" 2> "$1.log"; rc=$?
    echo "$t0 $EPOCHREALTIME" | awk "{ printf \"%.2f\n\", \$2 - \$1 }" > "$1.seconds"; exit $rc' _ "$dir/$name" "$@")
  if ! { if [ -n "$lock" ]; then flock "$lock" "${runner[@]}"; else "${runner[@]}"; fi; }; then
    tail -n 3 "$dir/$name.log" >&2
    die "step '$name' of $set failed (hint: its log is $dir/$name.log)"
  fi
  printf '%s\t%s\t%s\n' "$name" "$(cat "$dir/$name.seconds")" "$*" >> "$dir/steps.tsv"
}

# split_set NAME TRAIN TEST MAXLEN EPOCHS: the three rows on a train -> test split.
split_set() {
  local train=$2 test=$3 maxlen=$4 ep=$5 variant
  timed keras "$py" "$bench/keras_seed_cv.py" --train "$train" --test "$test" --maxlen "$maxlen" \
    --epochs "$ep" --seed "$seed" --threads "$threads" ${lock:+--lock "$lock"}
  for variant in "${variants[@]}"; do
    local flags=()
    [ $variant = masked ] && flags=("${masked[@]}")
    rm -rf "$dir/$variant-model"
    timed "$variant-train" "${strata[@]}" train --data "$train" --validation-split 0 --epochs "$ep" \
      --maxlen "$maxlen" --seed "$seed" --no-probes --json -o "$dir/$variant-model" ${flags[@]+"${flags[@]}"}
    timed "$variant-test" "${strata[@]}" test --model "$dir/$variant-model" --data "$test" --json
    rm -rf "$dir/$variant-model"
  done
}

for set in "${set_list[@]}"; do
  dir=$out/$set
  mkdir -p "$dir"
  : > "$dir/steps.tsv"
  case $set in
    mr)
      all=$data/mr/all.tsv
      cv=(cv --data "$all" --folds 10 --epochs "$epochs" --seed "$seed" --no-probes --json)
      timed unmasked-cv "${strata[@]}" "${cv[@]}" --folds-out "$dir/folds.tsv"
      timed keras "$py" "$bench/keras_seed_cv.py" --data "$all" --folds "$dir/folds.tsv" \
        --epochs "$epochs" --seed "$seed" --threads "$threads" ${lock:+--lock "$lock"}
      if [ ${#variants[@]} = 2 ]; then
        timed masked-cv "${strata[@]}" "${cv[@]}" --folds-out "$dir/folds-masked.tsv" "${masked[@]}"
        cmp -s "$dir/folds.tsv" "$dir/folds-masked.tsv" ||
          die "the masked cv split MR into other folds than the unmasked one (hint: compare $dir/folds*.tsv)"
      fi
      ;;
    sst2) split_set sst2 "$data/sst2/train.tsv" "$data/sst2/test.tsv" 100 "$epochs" ;;
    imdb) split_set imdb "$data/imdb_full/train.tsv" "$data/imdb_full/test.tsv" 400 "$imdb_epochs" ;;
  esac
  python3 "$bench/table.py" "$dir" | tee "$dir/table.md"
done
