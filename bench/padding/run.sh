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
# Usage: bash bench/padding/run.sh [--sets mr,sst2,imdb] [--rows keras,unmasked,masked]
#                                  [--epochs 3] [--imdb-epochs N]
#                                  [--seed 0] [--threads 2] [--out DIR]
#   --imdb-epochs   epochs for imdb (default --epochs): its tf-keras run is the long one
#   --rows          which rows to (re)compute, default keras,unmasked,masked; rows already in DIR
#                   from an earlier run with the same flags stay in its table (steps.tsv dates each)
# Environment: STRATA (default ./target/release/strata; the script does not build it), STRATA_DATA
# (../shared/data), STRATA_PEERS_PY (~/.cache/strata-peers/venv/bin/python, with tensorflow and
# tf_keras 2.x: ../shared/bench/peers/setup.sh), CPU_LOCK (default /work/briefs/cpu.lock when it
# exists; every timed run holds an exclusive flock on it, one run per hold, and the tf-keras
# script lets go of it between epochs; CPU_LOCK= times without a lock).
# Writes DIR (default runs/padding-bench)/SET/: each run's JSON, log and seconds, steps.tsv, and
# table.md (also printed); deletes the strata model folders it wrote once they are scored.
#
# Time per part, 2 threads, 3 epochs, measured 2026-11-29 on the shared 2-core AMD EPYC (Zen 5)
# machine while other jobs kept 1.3-1.7 cores busy (so every figure is slower than on an idle one):
#   mr    tf-keras 348 s (about 35 s a fold), strata 112-146 s, strata masked 29-35 s
#   sst2  tf-keras 65 s, strata 7.4 s (train 7 s, test 0.4 s), strata masked 3.6 s
#   imdb  tf-keras 321 s (93 s an epoch, 42 s TF import, tokenizing and scoring 25,000 reviews),
#         strata 133-200 s (38-59 s an epoch, 17-23 s scoring), strata masked 131 s (37 s an
#         epoch, 19 s scoring) in a window where strata unmasked took 200 s
# Waiting for CPU_LOCK comes on top: on a busy machine the tf-keras MR run took 16 minutes.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
bench=$here/bench/padding
data=${STRATA_DATA:-$here/../shared/data}
py=${STRATA_PEERS_PY:-$HOME/.cache/strata-peers/venv/bin/python}
strata_bin=${STRATA:-$here/target/release/strata}
if [ -z "${CPU_LOCK+set}" ] && [ -e /work/briefs/cpu.lock ]; then CPU_LOCK=/work/briefs/cpu.lock; fi
lock=${CPU_LOCK:-}

die() { echo "error: $1" >&2; exit 2; }
sets=mr,sst2,imdb rows=keras,unmasked,masked epochs=3 imdb_epochs='' seed=0 threads=2 out=$here/runs/padding-bench
while [ $# -gt 0 ]; do
  case $1 in
    --sets | --rows | --epochs | --imdb-epochs | --seed | --threads | --out)
      [ $# -ge 2 ] || die "$1 needs a value (hint: bash bench/padding/run.sh --sets mr --epochs 3)"
      case $1 in
        --sets) sets=$2 ;; --rows) rows=$2 ;; --epochs) epochs=$2 ;; --imdb-epochs) imdb_epochs=$2 ;;
        --seed) seed=$2 ;; --threads) threads=$2 ;; --out) out=$2 ;;
      esac
      shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (hint: --sets mr,sst2,imdb --rows keras,unmasked,masked --epochs 3 --imdb-epochs N --seed 0 --threads 2 --out DIR)" ;;
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
strata_version=$("$strata_bin" --version)
masked=(--mask-padding --bucket-by-length)
IFS=, read -r -a row_list <<< "$rows"
keras=0 variants=()
for r in "${row_list[@]}"; do
  case $r in
    keras) keras=1 ;;
    unmasked | masked) variants+=("$r") ;;
    *) die "unknown row '$r' (hint: --rows keras,unmasked,masked)" ;;
  esac
done
if [[ " ${variants[*]} " == *" masked "* ]] && ! "$strata_bin" train --help | grep -q -- --bucket-by-length; then
  echo "warning: $strata_bin has no --mask-padding/--bucket-by-length yet: the masked rows are left out" >&2
  variants=()
  for r in "${row_list[@]}"; do [ "$r" = unmasked ] && variants+=(unmasked); done
fi
# wants ROW: whether this run computes ROW (keras, unmasked or masked).
wants() { [[ " ${variants[*]} " == *" $1 "* ]] || { [ "$1" = keras ] && [ $keras = 1 ]; }; }

# busy_seconds: CPU seconds the whole machine has spent busy since boot (/proc/stat).
busy_seconds() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat; }

# timed [--self-locking] NAME CMD...: runs CMD holding the CPU lock (one run per hold; a
# --self-locking CMD takes it itself), stdout in NAME.json, stderr in NAME.log; writes NAME.seconds
# (wall seconds, the wait for the lock excluded), NAME.others (cores that other processes kept
# busy meanwhile: a disturbed timing shows there) and a line in steps.tsv.
timed() {
  local self_locking=0
  [ "$1" = --self-locking ] && { self_locking=1; shift; }
  local name=$1 base=$dir/$1
  shift
  echo "== $set: $name" >&2
  [ -n "$lock" ] && [ $self_locking = 0 ] && { exec 9>> "$lock"; flock 9; }
  local b0 t0 rc=0
  b0=$(busy_seconds) t0=$EPOCHREALTIME
  /usr/bin/time -f "%U %S" -o "$base.cpu" "$@" > "$base.json" 2> "$base.log" 9>&- || rc=$?
  local t1=$EPOCHREALTIME b1
  b1=$(busy_seconds)
  [ -n "$lock" ] && [ $self_locking = 0 ] && exec 9>&-
  if [ $rc != 0 ]; then
    tail -n 3 "$base.log" >&2
    die "step '$name' of $set failed (hint: its log is $base.log)"
  fi
  awk -v t0="$t0" -v t1="$t1" '{ printf "%.2f\n", t1 - t0 }' "$base.cpu" > "$base.seconds"
  awk -v t0="$t0" -v t1="$t1" -v b0="$b0" -v b1="$b1" \
    '{ o = (b1 - b0 - $1 - $2) / (t1 - t0); printf "%.2f\n", o < 0 ? 0 : o }' "$base.cpu" > "$base.others"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$name" "$(cat "$base.seconds")" "$(cat "$base.others")" \
    "$strata_version" "$*" >> "$dir/steps.tsv"
}

# split_set NAME TRAIN TEST MAXLEN EPOCHS: the three rows on a train -> test split.
split_set() {
  local train=$2 test=$3 maxlen=$4 ep=$5 variant
  if wants keras; then
    timed --self-locking keras "$py" "$bench/keras_seed_cv.py" --train "$train" --test "$test" --maxlen "$maxlen" \
      --epochs "$ep" --seed "$seed" --threads "$threads" ${lock:+--lock "$lock"}
  fi
  for variant in unmasked masked; do
    wants $variant || continue
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
  touch "$dir/steps.tsv"
  settings="epochs=$([ "$set" = imdb ] && echo "$imdb_epochs" || echo "$epochs") seed=$seed threads=$threads"
  if [ "$rows" != keras,unmasked,masked ] && [ -e "$dir/settings" ] && [ "$(cat "$dir/settings")" != "$settings" ]; then
    die "$dir holds rows run with $(cat "$dir/settings"), not $settings (hint: run all rows, or pass the same flags)"
  fi
  echo "$settings" > "$dir/settings"
  case $set in
    mr)
      all=$data/mr/all.tsv
      cv=(cv --data "$all" --folds 10 --epochs "$epochs" --seed "$seed" --no-probes --json)
      if wants unmasked; then
        timed unmasked-cv "${strata[@]}" "${cv[@]}" --folds-out "$dir/folds.tsv"
      fi
      if wants keras; then
        [ -e "$dir/folds.tsv" ] || die "no folds in $dir yet (hint: add the unmasked row, it writes them)"
        timed --self-locking keras "$py" "$bench/keras_seed_cv.py" --data "$all" --folds "$dir/folds.tsv" \
          --epochs "$epochs" --seed "$seed" --threads "$threads" ${lock:+--lock "$lock"}
      fi
      if wants masked; then
        timed masked-cv "${strata[@]}" "${cv[@]}" --folds-out "$dir/folds-masked.tsv" "${masked[@]}"
        if [ -e "$dir/folds.tsv" ] && ! cmp -s "$dir/folds.tsv" "$dir/folds-masked.tsv"; then
          die "the masked cv split MR into other folds than the unmasked one (hint: compare $dir/folds*.tsv)"
        fi
      fi
      ;;
    sst2) split_set sst2 "$data/sst2/train.tsv" "$data/sst2/test.tsv" 100 "$epochs" ;;
    imdb) split_set imdb "$data/imdb_full/train.tsv" "$data/imdb_full/test.tsv" 400 "$imdb_epochs" ;;
  esac
  python3 "$bench/table.py" "$dir" | tee "$dir/table.md"
done
