"""Writes a named model's synthetic data (bench/peers/recipes.py, make_data) as text: one example
per line, `label id_1 ... id_T`, so strata trains on exactly the numbers the peers generate. For
han a row is the document's S*W ids, sentence-major, as strata's encoder lays them out.

Usage: python bench/make_synthetic.py OUT_DIR [N] [--model e2e|stacked|gru|bilstm|kim-cnn|han]
           [--heldout 2048]
The default model (e2e) writes ../shared/bench/peers' common.make_data set, as before.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
from recipes import RECIPES, make_data  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("out")
ap.add_argument("n", nargs="?", type=int, default=8192)
ap.add_argument("--model", choices=sorted(RECIPES), default="e2e")
ap.add_argument("--heldout", type=int, default=2048)
args = ap.parse_args()

os.makedirs(args.out, exist_ok=True)
for name, (x, y) in (("train.txt", make_data(args.model, args.n, seed=0)),
                     ("heldout.txt", make_data(args.model, args.heldout, seed=1))):
    with open(os.path.join(args.out, name), "w") as f:
        for row, label in zip(x.reshape(len(x), -1), y):
            f.write(f"{int(label)} " + " ".join(map(str, row.tolist())) + "\n")
print(args.out)
