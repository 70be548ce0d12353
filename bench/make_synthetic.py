"""Writes the peers' synthetic data (../shared/bench/peers/common.py, make_data) as text:
one example per line, `label id_1 ... id_100`, so strata trains on exactly the same numbers.

Usage: python bench/make_synthetic.py OUT_DIR [N]
"""
import os
import sys

peers = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench", "peers")
sys.path.insert(0, os.environ.get("STRATA_PEERS", peers))
from common import make_data  # noqa: E402

out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8192
os.makedirs(out, exist_ok=True)
for name, (x, y) in (("train.txt", make_data(n, seed=0)), ("heldout.txt", make_data(2048, seed=1))):
    with open(os.path.join(out, name), "w") as f:
        for row, label in zip(x, y):
            f.write(f"{int(label)} " + " ".join(map(str, row.tolist())) + "\n")
print(out)
