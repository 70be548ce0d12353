#!/usr/bin/env bash
# Issue 12 point 4, SST-2 by self-training on IMDB's unlabelled reviews: the teacher (sst2_best.sh's
# configuration at SEED, its stage-1 members, trained on train.tsv) labels sentences cut from
# unsup.txt; the K it is surest of for each label join train.tsv (and train + dev in stage 2)
# as the students' extra training data; the students are the same members at the same seed,
# trained by sst2_best.sh with EXTRA_TRAIN. Never a test split: the sentences come from unsup.txt
# alone, and one identical to an SST-2 dev or test sentence is left out.
#
# Usage: bash bench/pretrain/sst2_selftrain.sh [SEED]   (default 0)
# Environment: as sst2_best.sh (STRATA_DATA, STRATA_RUNS, THREADS, MEMBERS, STAGE1_ONLY, ...);
# TEACHER_OUT (the teacher's stage-1 run: an sst2_best.sh run folder holding dev-MEMBER
# folders; default SELFTRAIN_OUT/teacher-stage1, trained there by sst2_best.sh STAGE1_ONLY=1
# when it lacks a member, never into another run's folder), SENTENCES (100000: sentences cut),
# K (10000: pseudo-labelled sentences per label), SELFTRAIN_OUT (runs/sst2-self-sSEED).
# Writes SELFTRAIN_OUT: sentences.txt, the teacher's predictions (both reused when present), pseudo.tsv, and sst2_best.sh's
# files for the students.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
runs=${STRATA_RUNS:-$here/runs}
seed=${1:-0}
[[ $seed =~ ^[0-9]+$ ]] || { echo "error: SEED '$seed' is not a number (hint: 0 or 1)" >&2; exit 2; }
out=${SELFTRAIN_OUT:-$runs/sst2-self-s$seed}
teacher=${TEACHER_OUT:-$out/teacher-stage1}
read -r -a members <<< "${MEMBERS:-kimw2345:$seed kimw34567:$seed lstmm:$seed}"
mkdir -p "$out"
strata=("${CARGO_TARGET_DIR:-$here/target}/release/strata" --threads "${THREADS:-1}")

# the teacher: the members' stage-1 runs (trained now when absent), one vote
names=()
for spec in "${members[@]}"; do names+=("${spec%%:*}_s${spec#*:}"); done
for n in "${names[@]}"; do
  if [ ! -e "$teacher/dev-$n/model" ]; then
    MEMBERS="${members[*]}" STAGE1_ONLY=1 REUSE_STAGE1=1 EXTRA_TRAIN= SST2_OUT=$teacher bash "$here/bench/pretrain/sst2_best.sh"
    break
  fi
done
cargo build --release --quiet --manifest-path "$here/Cargo.toml" -p strata-cli
[ -s "$out/sentences.txt" ] || python3 "$here/bench/pretrain/pseudo_label.py" sentences "$out/sentences.txt" \
  "$data/imdb_full/unsup.txt" "${SENTENCES:-100000}" "$data/sst2/dev.tsv" "$data/sst2/test.tsv"
# the teacher's predictions are kept for the same teacher and sentences (select checks each
# prediction's text against its sentence)
printf '%s\n' "$teacher" "${names[@]}" > "$out/teacher.new"
if ! cmp -s "$out/teacher.new" "$out/teacher.txt" 2>/dev/null; then rm -f "$out/teacher.pred.jsonl"; fi
mv "$out/teacher.new" "$out/teacher.txt"
if [ ! -s "$out/teacher.pred.jsonl" ]; then
  rm -rf "$out/teacher"
  "${strata[@]}" ensemble "${names[@]/#/--member=$teacher/dev-}" --out "$out/teacher"
  "${strata[@]}" predict --model "$out/teacher" --top-k 2 --json --output "$out/teacher.pred.jsonl" "$out/sentences.txt"
  rm -rf "$out/teacher"  # a copy of the members; its predictions are kept
fi
python3 "$here/bench/pretrain/pseudo_label.py" select "$out/pseudo.tsv" "$out/sentences.txt" \
  "$out/teacher.pred.jsonl" "${K:-10000}"

# the students: the same members and seed, with the pseudo-labelled sentences added
MEMBERS="${members[*]}" EXTRA_TRAIN=$out/pseudo.tsv SST2_OUT=$out bash "$here/bench/pretrain/sst2_best.sh"
