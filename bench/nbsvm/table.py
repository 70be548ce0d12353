"""Prints bench/nbsvm/run.sh's table for one data set: NBSVM's and fastText's accuracy on the
same splits, the paired difference (per fold with mean ± std and wins/ties/losses for a
cross-validation; per test row with McNemar's discordant pairs and exact p otherwise), and
every step's wall time. Standard library only.

Usage: python3 table.py SET OUT_DIR"""
import json
import math
import os
import statistics
import sys

dataset, out = sys.argv[1:3]
steps = [line.rstrip("\n").split("\t", 2) for line in open(os.path.join(out, "steps.tsv"), encoding="utf-8")]


def load(name):
    with open(os.path.join(out, name + ".json"), encoding="utf-8") as f:
        return json.loads(f.read().strip().splitlines()[-1])


def right(name):
    rows = map(json.loads, open(os.path.join(out, name + ".pred.jsonl"), encoding="utf-8"))
    return {r["line"]: r["gold"] == r["predicted"] for r in rows}


if dataset == "mr":
    a, b = ([f["accuracy"] for f in load(n)["folds"]] for n in ("nbsvm", "fasttext"))
    if len(a) != len(b):
        raise SystemExit("error: the rows have different fold counts (hint: rerun both steps)")
    d = [x - y for x, y in zip(a, b)]
    wtl = f"{sum(x > 1e-12 for x in d)}/{sum(abs(x) <= 1e-12 for x in d)}/{sum(x < -1e-12 for x in d)}"
    print(f"mr: 10-fold CV on strata's folds (paired per fold)")
    print(f"  NBSVM     {statistics.fmean(a):.4f} ± {statistics.pstdev(a):.4f}")
    print(f"  fastText  {statistics.fmean(b):.4f} ± {statistics.pstdev(b):.4f}")
    print(f"  NBSVM − fastText {statistics.fmean(d):+.4f} ± {statistics.pstdev(d):.4f} per fold, W/T/L {wtl}")
else:
    pa, pb = right("nbsvm"), right("fasttext")
    if set(pa) != set(pb):
        raise SystemExit("error: the rows predicted different test rows (hint: rerun both steps)")
    n10 = sum(pa[k] and not pb[k] for k in pa)
    n01 = sum(pb[k] and not pa[k] for k in pa)
    n = n10 + n01
    p = min(1.0, 2 * sum(math.comb(n, i) for i in range(min(n10, n01) + 1)) / 2**n) if n else 1.0
    acc_a, acc_b = load("nbsvm")["accuracy"], load("fasttext")["accuracy"]
    print(f"{dataset}: fixed train/test split (paired per test row)")
    print(f"  NBSVM     {acc_a:.4f}")
    print(f"  fastText  {acc_b:.4f}")
    print(f"  NBSVM − fastText {acc_a - acc_b:+.4f}; McNemar {n10} vs {n01} discordant rows, exact p={p:.3g}")
print("wall time (s):")
for name, secs, cmd in steps:
    print(f"  {name:<12} {float(secs):>8.1f}  {cmd}")
