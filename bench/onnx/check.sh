#!/usr/bin/env bash
# `strata export --onnx` against strata itself, through onnxruntime (issue 15, point 7).
# Trains each exportable model for one epoch on a fifth of MR (and three on SST-1, for softmax
# heads, the multichannel embedding and one-vs-all), exports it, writes the ids of 1,000 texts
# no model trained on (`strata export --ids`), and asserts that onnxruntime's probabilities
# equal `strata predict --json --top-k K`'s to 1e-5 (check.py).
# Usage: bash bench/onnx/check.sh [WORK_DIR]     (default: a temporary folder, removed after)
# Installs onnx and onnxruntime from PyPI into the peers' venv (bench/peers) if missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
python=${STRATA_PEERS_PYTHON:-$HOME/.cache/strata-peers/venv/bin/python}
work=${1:-$(mktemp -d)}
[ -n "${1:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
"$python" -c "import onnx, onnxruntime" 2>/dev/null || "$python" -m pip install --quiet onnx onnxruntime
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
strata="$here/target/release/strata"
"$python" -c "import onnx, onnxruntime; print('onnx', onnx.__version__, 'onnxruntime', onnxruntime.__version__)"

# every fifth line trains, 1,000 of the next fifth are the texts checked
for set in mr sst1; do
    src="$data/$set/all.tsv"; [ -f "$src" ] || src="$data/$set/train.tsv"
    awk 'NR % 5 == 0' "$src" > "$work/$set.train.tsv"
    awk -F'\t' 'NR % 5 == 1 && ++n <= 1000 { print $2 }' "$src" > "$work/$set.texts.txt"
done

# GloVe-style vectors for --multichannel's static copy: 50 seeded random numbers per word
"$python" - "$work/sst1.train.tsv" "$work/vectors.txt" <<'PY'
import random, re, sys
random.seed(1)
words = sorted({w for line in open(sys.argv[1], encoding="utf-8") for w in re.findall(r"[a-z']+", line.split("\t", 1)[1].lower())})
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for w in words:
        out.write(w + " " + " ".join(f"{random.uniform(-0.25, 0.25):.5f}" for _ in range(50)) + "\n")
PY

# a model file of every other layer the exporter writes: an LSTM giving its sequence to a
# bidirectional GRU, dropout, and dense layers (tanh, relu)
cat > "$work/stack.toml" <<'TOML'
embedding_dim = 32
[[layer]]
type = "lstm"
units = 16
[[layer]]
type = "gru"
units = 16
bidirectional = true
[[layer]]
type = "dropout"
rate = 0.3
[[layer]]
type = "dense"
units = 16
activation = "tanh"
[[layer]]
type = "dense"
units = 8
TOML

failed=0
check() {  # NAME SET TRAIN-FLAGS...
    local name=$1 set=$2; shift 2
    local run="$work/$name"
    "$strata" -q --threads 2 train --data "$work/$set.train.tsv" --out "$run" --epochs 1 --seed 1 --no-probes "$@" >/dev/null
    "$strata" -q export --onnx --model "$run" --out "$run.onnx" 2>/dev/null
    "$strata" export --ids --model "$run" --input "$work/$set.texts.txt" --out "$run.ids"
    local k; k=$("$python" -c "import json,sys; print(len(json.load(open(sys.argv[1]))['id2label']))" "$run/model/config.json")
    "$strata" predict --model "$run" "$work/$set.texts.txt" --json --top-k "$k" > "$run.jsonl"
    printf '%-28s ' "$name ($set)"
    "$python" "$here/bench/onnx/check.py" --onnx "$run.onnx" --ids "$run.ids" --predictions "$run.jsonl" || failed=1
}

check seed mr --model seed
check seed-stacked mr --model seed-stacked
check gru mr --model gru
check bilstm mr --model bilstm
check kim-cnn mr --model kim-cnn
check linear mr --model linear --buckets 200000
check bilstm-5 sst1 --model bilstm
check kim-cnn-multichannel-5 sst1 --model kim-cnn --multichannel --embeddings "$work/vectors.txt" --embedding-dim 50
check model-file-5 sst1 --model-file "$work/stack.toml"
check linear-ova-5 sst1 --model linear --buckets 200000 --loss ova
[ "$failed" = 0 ] && echo "all equal to 1e-5" || { echo "FAILED: some model differs by more than 1e-5"; exit 1; }
