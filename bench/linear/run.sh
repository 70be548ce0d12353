#!/usr/bin/env bash
# Issue 13's benchmarks of the linear model, each beside fastText in the same run:
#   compare   strata's --model linear and fastText on MR, Subj (10-fold), SST-2, IMDB full,
#             20news_bydate and clinc150: same splits and hyperparameters; accuracy, training
#             words/s per thread, prediction throughput (compare.py)
#   autotune  strata tune against fastText's -autotune-validation (linear, same budget, run side
#             by side) and kim-cnn's tune against its recipe, on MR and SST-2 (autotune.py)
#   seeds     one configuration (default: fastText autotune's SST-2 pick) trained by both over
#             many seeds, same tokens, one thread: is a gap the model or the seed? (seeds.py)
# Installs fastText from PyPI into the peers' venv when it is missing (no other peer needed).
#
# Usage: bash bench/linear/run.sh compare [--sets mr,sst2] [--threads 1]
#        bash bench/linear/run.sh autotune [--sets mr,sst2] [--budget 300] [--kim-budget 600]
#        bash bench/linear/run.sh seeds [--set sst2|mr] [--seeds 1-16] [--epoch 2 --lr 1.434 ...]
# Environment: STRATA_DATA (../shared/data), STRATA_PEERS_VENV (~/.cache/strata-peers/venv).
# Writes runs/linear-bench/ and prints a markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
what=${1:?usage: run.sh compare|autotune|seeds [flags]}
shift
case $what in compare | autotune | seeds) ;; *) echo "error: unknown benchmark '$what' (hint: compare, autotune or seeds)" >&2; exit 2 ;; esac
venv=${STRATA_PEERS_VENV:-$HOME/.cache/strata-peers/venv}
if ! "$venv/bin/python" -c 'import fasttext' 2>/dev/null; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  # fastText 0.9 with numpy-2-compatible bindings (the upstream wheel does not build here)
  "$venv/bin/pip" install -q "fasttext-numpy2==0.10.4"
fi
(cd "$here" && cargo build --release -q)
exec "$venv/bin/python" "$here/bench/linear/$what.py" --py "$venv/bin/python" "$@"
