#!/usr/bin/env bash
# Renders an experiment's report/index.html in headless Chromium (Debian's `chromium`
# package: apt-get install chromium), saves a screenshot beside it, and checks from the
# rendered DOM that the tables and the SVG plots are there.
# Usage: bash bench/render_report.sh RUN_DIR      (RUN_DIR holds report/index.html)
set -euo pipefail
dir=$1
page=$(cd "$dir/report" && pwd)/index.html
chrome=$(command -v chromium || command -v chromium-browser)
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$profile")
"$chrome" "${flags[@]}" --window-size=1200,2600 --screenshot="$dir/report/screenshot.png" "file://$page" 2>/dev/null
dom=$("$chrome" "${flags[@]}" --dump-dom "file://$page" 2>/dev/null)
fail=0
for id in summary paired-table time-table probe-table config; do
  grep -q "id=\"$id\"" <<<"$dom" || { echo "missing table #$id"; fail=1; }
done
charts=$(grep -o '<svg class="chart"' <<<"$dom" | wc -l)
[ "$charts" -ge 3 ] || { echo "expected 3 SVG charts (accuracy, curves, probes), found $charts"; fail=1; }
grep -q '<polyline' <<<"$dom" || { echo "no learning curve drawn"; fail=1; }
if grep -Eo '(src|href)="https?://' <<<"$dom" | grep -q .; then echo "the page loads something from outside"; fail=1; fi
[ -s "$dir/report/screenshot.png" ] || { echo "no screenshot"; fail=1; }
[ $fail -eq 0 ] && echo "ok: 5 tables, $charts charts; screenshot $dir/report/screenshot.png"
exit $fail
