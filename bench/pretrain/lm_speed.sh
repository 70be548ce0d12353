#!/usr/bin/env bash
# The language model's training throughput (tokens/s) beside a PyTorch LSTM language model of the
# same size on the same text and CPU, measured in one run: rounds alternate strata and PyTorch,
# and the medians give the ratio. Both run the default pretraining model (Embedding 20000x128 ->
# LSTM 64 -> sampled softmax with 1024 negatives per batch, Adam 1e-3, bptt 70, 32 streams,
# dropout 0.1/0.25) on the first DOCS reviews of imdb_full/unsup.txt.
#   strata: `strata pretrain --objective lm --epochs 1` (its epoch line's tokens/s: training only,
#           not the held-out perplexity);
#   PyTorch: bench/peers/lm_torch.py (tokens/s over 60 batches after 10 of warm-up).
# Usage: bash bench/pretrain/lm_speed.sh [ROUNDS]   (env: THREADS=2, DOCS=10000)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
peers=${STRATA_PEERS:-$here/../shared/bench/peers}
rounds=${1:-3}
threads=${THREADS:-2}
py=${STRATA_PEERS_PY:-$HOME/.cache/strata-peers/venv/bin/python}
"$py" -c 'import torch' 2>/dev/null || py=$(bash "$peers/setup.sh" 2>/dev/null | tail -n 1)
cargo build --release --quiet --manifest-path "$here/Cargo.toml" -p strata-cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -n "${DOCS:-10000}" "$data/imdb_full/unsup.txt" > "$work/text.txt"
strata_runs=() torch_runs=()
for r in $(seq "$rounds"); do
  "$here/target/release/strata" --threads "$threads" pretrain --objective lm --epochs 1 --data "$work/text.txt" \
    --out "$work/run" --overwrite 2> "$work/strata.log" > /dev/null
  s=$(grep -o '[0-9,]* tokens/s' "$work/strata.log" | tail -n 1 | tr -d ', tokens/')
  t=$("$py" "$here/bench/peers/lm_torch.py" --data "$work/text.txt" --threads "$threads" |
    "$py" -c 'import json, sys; print(json.load(sys.stdin)["tokens_per_s"])')
  echo "round $r: strata $s tokens/s, torch $t tokens/s" >&2
  strata_runs+=("$s") torch_runs+=("$t")
done
python3 - "${strata_runs[*]}" "${torch_runs[*]}" "$threads" <<'PY'
import statistics, sys
s = [float(v) for v in sys.argv[1].split()]
t = [float(v) for v in sys.argv[2].split()]
ms, mt = statistics.median(s), statistics.median(t)
print(f"| language model (E 128, LSTM 64, V 20000, 1024 samples), {sys.argv[3]} threads | strata {ms:,.0f} tokens/s "
      f"| PyTorch {mt:,.0f} tokens/s | x{ms / mt:.2f} |")
PY
