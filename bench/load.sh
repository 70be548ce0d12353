#!/usr/bin/env bash
# Load test of `strata serve` on loopback: wrk (Debian's `wrk`), 8 connections, 2 threads,
# POST /v1/predict with one sentence, for DURATION seconds (default 60). Prints requests/s,
# latency percentiles, errors, and the server's resident memory before and after.
# Usage: bash bench/load.sh MODEL_DIR [DURATION]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
model=$1
duration=${2:-60}
strata=${STRATA_BIN:-$here/target/release/strata}
port=$(( 20000 + RANDOM % 20000 ))
"$strata" --threads 2 serve --model "$model" --port "$port" 2>/dev/null &
server=$!
work=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs": "a gripping , beautifully acted film , though the ending drags", "top_k": 1}'
done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors %d (connect %d, read %d, write %d, status %d, timeout %d)\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, requests/s %.0f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6)))
end
LUA
rss() { awk '/VmRSS/ {print $2/1024 " MB"}' "/proc/$server/status"; }
wrk -t2 -c8 -d5s -s "$work/post.lua" "http://127.0.0.1:$port/v1/predict" >/dev/null   # warm-up
echo "server RSS before: $(rss)"
wrk -t2 -c8 -d"${duration}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/v1/predict" | tail -n 2
echo "server RSS after:  $(rss)"
