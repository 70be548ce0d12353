#!/usr/bin/env bash
# Drives the predict page of `strata serve` in headless Chromium (Debian's `chromium`): loads
# /?text=..., which types the sentence into the page and predicts through /v1/explain, then
# checks in the rendered DOM that the label and the shaded words appeared, and saves a
# screenshot. Usage: bash bench/page_check.sh MODEL_DIR [OUT_PNG]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
model=$1
png=${2:-page.png}
strata=${STRATA_BIN:-$here/target/release/strata}
port=$(( 20000 + RANDOM % 20000 ))
"$strata" serve --model "$model" --port "$port" 2>/dev/null &
server=$!
profile=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$profile"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
chrome=$(command -v chromium || command -v chromium-browser)
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$profile" --virtual-time-budget=5000)
url="http://127.0.0.1:$port/?text=a%20gripping%20film%20but%20the%20ending%20is%20dull"
dom=$("$chrome" "${flags[@]}" --dump-dom "$url" 2>/dev/null)
"$chrome" "${flags[@]}" --window-size=900,600 --screenshot="$png" "$url" 2>/dev/null
words=$(grep -o 'class="word"' <<<"$dom" | wc -l)
label=$(grep -o '<span id="label">[^<]*</span>' <<<"$dom" || true)
if [ "$words" -ge 5 ] && [ -n "$label" ] && ! grep -q 'id="result" hidden' <<<"$dom"; then
  echo "ok: $label, $words shaded words; screenshot $png"
else
  echo "page check failed: label='$label' words=$words"; exit 1
fi
