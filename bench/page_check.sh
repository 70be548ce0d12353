#!/usr/bin/env bash
# Drives the predict page of `strata serve` in headless Chromium (Debian's `chromium`) with
# playwright-core (npm): types a sentence with capitals and punctuation, clicks Predict, and checks
# (bench/page/check.mjs) the label by name, what the score is, every class's probability, the
# model's name, the legend, the text shown as typed with its words shaded, and WCAG AA contrast
# (4.5:1) of every piece of text as rendered; saves a screenshot. Exits 1 on a failed check.
# Usage: bash bench/page_check.sh MODEL_DIR [OUT_PNG [SERVE_FLAGS...]]   (needs node, npm, chromium)
#   e.g. bash bench/page_check.sh runs/sst2 page.png --label-names 0=neg,1=pos
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
model=$1
png=$(realpath -m "${2:-page.png}")
shift $(( $# < 2 ? $# : 2 ))
strata=${STRATA_BIN:-$here/target/release/strata}
(cd "$here/bench/page" && [ -d node_modules/playwright-core ] || npm install --no-audit --no-fund --silent)
port=$(( 20000 + RANDOM % 20000 ))
"$strata" serve --model "$model" --port "$port" "$@" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
node "$here/bench/page/check.mjs" "http://127.0.0.1:$port/" "$png"
