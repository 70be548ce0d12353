"""Prints bench/nbsvm/run.sh's table for one data set: NBSVM's and fastText's accuracy on the
same splits, the paired difference (per fold with mean ± std and wins/ties/losses for a
cross-validation; per test row with McNemar's discordant pairs and exact p otherwise), and
every step's wall time. Standard library only.

Usage: python3 table.py SET OUT_DIR"""
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from paired import load, mcnemar_counts, wtl  # noqa: E402  (bench/paired.py)

dataset, out = sys.argv[1:3]
steps = [line.rstrip("\n").split("\t", 2) for line in open(os.path.join(out, "steps.tsv"), encoding="utf-8")]

if dataset == "mr":
    a, b = ([f["accuracy"] for f in load(out, n)["folds"]] for n in ("nbsvm", "fasttext"))
    if len(a) != len(b):
        raise SystemExit("error: the rows have different fold counts (hint: rerun both steps)")
    d = [x - y for x, y in zip(a, b)]
    print(f"mr: 10-fold CV on strata's folds (paired per fold)")
    print(f"  NBSVM     {statistics.fmean(a):.4f} ± {statistics.pstdev(a):.4f}")
    print(f"  fastText  {statistics.fmean(b):.4f} ± {statistics.pstdev(b):.4f}")
    print(f"  NBSVM − fastText {statistics.fmean(d):+.4f} ± {statistics.pstdev(d):.4f} per fold, W/T/L {wtl(d)}")
else:
    n10, n01, p = mcnemar_counts(out, "nbsvm", "fasttext")
    acc_a, acc_b = load(out, "nbsvm")["accuracy"], load(out, "fasttext")["accuracy"]
    print(f"{dataset}: fixed train/test split (paired per test row)")
    print(f"  NBSVM     {acc_a:.4f}")
    print(f"  fastText  {acc_b:.4f}")
    print(f"  NBSVM − fastText {acc_a - acc_b:+.4f}; McNemar {n10} vs {n01} discordant rows, exact p={p:.3g}")
print("wall time (s):")
for name, secs, cmd in steps:
    print(f"  {name:<12} {float(secs):>8.1f}  {cmd}")
