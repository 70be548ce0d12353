#!/usr/bin/env bash
# What `strata serve` does when clients misbehave (issue 11, points 16-20), on loopback with the
# default limits: an explain bomb, a 10^5-input predict, abandoned requests, slow and idle
# clients, 200 connections of load, and SIGTERM with requests in flight and a stalled client.
# Prints, for each, what the server answered and how long the next honest request waited.
# Needs curl, python3 and wrk (Debian's `wrk`).
# Usage: bash bench/abuse.sh MODEL_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
model=$1
strata=${STRATA_BIN:-$here/target/release/strata}
port=$(( 20000 + RANDOM % 20000 ))
url="http://127.0.0.1:$port"
work=$(mktemp -d)
"$strata" --threads 2 serve --model "$model" --port "$port" 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done

rss() { awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$server/status"; }
# POST FILE to PATH: "status, seconds, body (cut)"
post() {
  curl -s -o "$work/out" -w '%{http_code} %{time_total}' -H 'Content-Type: application/json' \
    --data-binary "@$1" "$url$2" > "$work/code" || true
  read -r code secs < "$work/code"
  printf '%s in %.3f s: %s\n' "$code" "$secs" "$(head -c 150 "$work/out")"
}
small() { echo '{"inputs": "a gripping , beautifully acted film"}' > "$work/small.json"; post "$work/small.json" /v1/predict; }
metric() { curl -s "$url/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

echo "server RSS at start: $(rss)"

echo "== 1. explain bomb: 40,000 tokens in one POST to /v1/explain"
python3 -c 'import json; print(json.dumps({"inputs": " ".join(["film"] * 40000)}))' > "$work/bomb.json"
echo "   body $(stat -c %s "$work/bomb.json") bytes -> $(post "$work/bomb.json" /v1/explain)"
python3 -c 'import json; print(json.dumps({"inputs": " ".join(["a", "gripping", "film"] * 3300)}))' > "$work/long.json"
echo "   9,900 tokens (under the cap) -> $(post "$work/long.json" /v1/explain | cut -c1-40)"
echo "   server RSS after: $(rss)"

echo "== 2. 10^5 inputs in one predict request, then a small request"
python3 -c 'import json; print(json.dumps({"inputs": ["ok"] * 100000}))' > "$work/many.json"
echo "   body $(stat -c %s "$work/many.json") bytes -> $(post "$work/many.json" /v1/predict)"
python3 -c 'import json; print(json.dumps({"inputs": ["a fine film"] * 200000}))' > "$work/huge.json"
echo "   the same as 3 MB -> $(post "$work/huge.json" /v1/predict)"
echo "   small request behind it: $(small)"

echo "== 3. 300 requests of 256 inputs each, abandoned by their clients after 20 ms"
python3 -c 'import json; print(json.dumps({"inputs": ["a long , slow and dull film that drags on"] * 256}))' > "$work/batch.json"
clients=()
for _ in $(seq 300); do
  curl -s -o /dev/null --max-time 0.02 -H 'Content-Type: application/json' --data-binary "@$work/batch.json" "$url/v1/predict" &
  clients+=($!)
done
wait "${clients[@]}" 2>/dev/null || true
echo "   small request right after: $(small)"
sleep 1
echo "   strata_abandoned_requests_total $(metric strata_abandoned_requests_total) (dropped before they were computed)"

echo "== 4. slow and idle clients: 300 idle sockets, 20 that send half a header"
python3 - "$port" <<'PY'
import socket, sys, time, urllib.request
port = int(sys.argv[1])
socks = []
for i in range(320):
    s = socket.create_connection(("127.0.0.1", port))
    if i >= 300:
        s.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    s.settimeout(0.01)
    socks.append(s)
t = time.time()
code = urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=30).status
print(f"   /health with 320 sockets held: {code} in {time.time() - t:.3f} s")
start, closed = time.time(), {}
while len(closed) < len(socks) and time.time() - start < 30:
    for i, s in enumerate(socks):
        if i in closed:
            continue
        try:
            if s.recv(1) == b"":
                closed[i] = time.time() - start
        except socket.timeout:
            pass
        except OSError:
            closed[i] = time.time() - start
    time.sleep(0.2)
if closed:
    print(f"   closed by the server: {len(closed)} of {len(socks)}, the last after {max(closed.values()):.1f} s")
else:
    print(f"   closed by the server: none of {len(socks)} within 30 s")
PY
echo "   strata_open_connections $(metric strata_open_connections)"

echo "== 5. 200 connections x 10 s of predict (wrk)"
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs": "a gripping , beautifully acted film , though the ending drags", "top_k": 1}'
done = function(summary, latency, requests)
  io.write(string.format("   requests %d, errors %d (connect %d, read %d, write %d, status %d, timeout %d), p99 %.1f ms\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(99) / 1000))
end
LUA
wrk -t2 -c200 -d10s -s "$work/post.lua" "$url/v1/predict" | tail -n 1

echo "== 6. metrics"
curl -s "$url/metrics" | grep -E '^strata_(requests_total|queue_depth|worker_restarts_total|abandoned_requests_total)' | sed 's/^/   /'

echo "== 7. SIGTERM with 40 predict requests under way and a stalled client"
clients=()
for i in $(seq 40); do
  curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' --data-binary "@$work/batch.json" \
    "$url/v1/predict" > "$work/inflight.$i" &
  clients+=($!)
done
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n' >&3
sleep 0.2
start=$(date +%s.%N)
kill -TERM "$server"
set +e
wait "$server"
status=$?
set -e
end=$(date +%s.%N)
wait "${clients[@]}" 2>/dev/null || true
echo "   server exited with status $status after $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}') s"
echo "   what the 40 clients got (000: the server had not read their request when the signal came): $(cat "$work"/inflight.* | sort | uniq -c | tr '\n' ' ')"
echo "   requests answered after the signal: $(awk '/terminated/ {t = 1; next} t && /answered/ {n++} END {print n + 0}' "$work/server.log")"
echo "   its last words: $(grep -v 'answered' "$work/server.log" | tail -n 2 | tr '\n' ' ')"
