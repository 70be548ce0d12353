#!/usr/bin/env bash
# NBSVM's defaults chosen on dev parts only (never a test split): SST-2 trained on train.tsv and
# scored on dev.tsv; IMDB trained on 80% of imdb_full/train.tsv and scored on the other 20%
# (--validation-split 0.2, seeded). One line per setting: set, flags, validation accuracy.
#
# Usage: bash bench/nbsvm/dev.sh [sst2|imdb ...]   (default both)
# Environment: STRATA_DATA (../shared/data), THREADS (2), OUT (runs/nbsvm-dev).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
out=${OUT:-$here/runs/nbsvm-dev}
strata=("$here/target/release/strata" --threads "${THREADS:-2}")
mkdir -p "$out"
sets=("$@")
[ ${#sets[@]} = 0 ] && sets=(sst2 imdb)
# first round from Wang & Manning's β = 0.25 (strata's default is now the round's winner, 1)
grid=(
  "--word-ngrams 1 --nb-beta 0.25"
  "--word-ngrams 2 --nb-beta 0.25"
  "--word-ngrams 3 --nb-beta 0.25"
  "--word-ngrams 3 --nb-beta 1"
  "--word-ngrams 3 --nb-beta 0.25 --nb-punctuation !?"
  "--word-ngrams 3 --nb-beta 0.25 --nb-c 0.1"
  "--word-ngrams 3 --nb-beta 0.25 --nb-c 10"
  "--word-ngrams 2 --nb-beta 1"
  # second round, from β = 1 (the first round's best on IMDB, and the lowest val_loss on both)
  "--word-ngrams 1 --nb-beta 1"
  "--word-ngrams 3 --nb-beta 1 --nb-punctuation !?"
  "--word-ngrams 2 --nb-beta 1 --nb-punctuation !?"
  "--word-ngrams 3 --nb-beta 1 --nb-c 0.1"
  "--word-ngrams 3 --nb-beta 1 --nb-c 10"
)
# GRID=2 runs only the second round
[ "${GRID:-}" = 2 ] && grid=("${grid[@]:8}")
for set in "${sets[@]}"; do
  for flags in "${grid[@]}"; do
    read -r -a f <<< "$flags"
    name=$set-$(echo "$flags" | tr -c 'a-z0-9\n' '-' | tr -s '-' | sed 's/^-//; s/-$//')
    if [ "$set" = sst2 ]; then
      where=(--data "$data/sst2/train.tsv" --validation-data "$data/sst2/dev.tsv")
    else
      where=(--data "$data/imdb_full/train.tsv" --validation-split 0.2)
    fi
    "${strata[@]}" train --model nbsvm "${where[@]}" "${f[@]}" --out "$out/$name" --overwrite -q > /dev/null 2> "$out/$name.log"
    python3 -c 'import json, sys; m = json.load(open(sys.argv[1]))
print("%s\t%s\tval_accuracy %.4f\tval_loss %.4f" % (sys.argv[2], sys.argv[3], m["val_accuracy"], m["val_loss"]))' \
      "$out/$name/metrics.json" "$set" "$flags" | tee -a "$out/dev.tsv"
    rm -rf "$out/$name/model"
  done
done
