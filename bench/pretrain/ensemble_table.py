"""Prints bench/pretrain/ensemble.sh's table for one data set from the files its steps wrote:
the pretrained network alone, the bag-of-n-grams model alone, their ensemble and fastText on the
same split; each row's paired difference against fastText and the ensemble's against each member
(per fold with mean ± std and wins/ties/losses for MR's cross-validation; McNemar's discordant
pairs and exact p on a fixed test set otherwise — table.py's measures); the issue's target for
the ensemble; every step's wall time. Standard library only.

Usage: python3 ensemble_table.py SET OUT_DIR BOW_MODEL"""
import os
import statistics
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from paired import load, mcnemar, pm, wtl  # noqa: E402  (bench/paired.py)

BAR = {"mr": 0.800, "sst2": 0.850, "imdb": 0.920}  # issue 12
MARGIN = 0.02  # a strata row must beat fastText by this much

dataset, out, bow = sys.argv[1:4]
# ensemble.sh SCRATCH=1 writes to a folder ending in -scratch: its network learned from random weights
network = "network from scratch" if out.rstrip("/").endswith("-scratch") else "pretrained network"
NAMES = {"network": network, "bow": f"{bow} (bag of n-grams)", "ensemble": "ensemble", "fasttext": "fastText"}
steps = [line.rstrip("\n").split("\t", 2) for line in open(os.path.join(out, "steps.tsv"), encoding="utf-8")]






def verdict(r, mean, acc_ft):
    if r == "fasttext":
        return ""
    d = mean - acc_ft
    v = f"beats fastText by ≥ {MARGIN:.2f}" if d >= MARGIN else f"does NOT beat fastText by {MARGIN:.2f} ({d:+.4f})"
    return v + f"; target {BAR[dataset]:.3f} {'met' if mean >= BAR[dataset] else 'NOT met'}"


rows = ["network", "bow", "ensemble", "fasttext"]
pairs = [("network", "fasttext"), ("bow", "fasttext"), ("ensemble", "fasttext"), ("ensemble", "network"), ("ensemble", "bow")]
if dataset == "mr":
    print(f"\nmr: 10-fold CV on strata's folds, bag of n-grams = {bow} (paired per fold)")
    acc = {
        "network": [f["accuracy"] for f in load(out, "net-cv")["folds"]],
        "bow": [f["accuracy"] for f in load(out, "bow-cv")["folds"]],
        "fasttext": [f["accuracy"] for f in load(out, "fasttext")["folds"]],
    }
    acc["ensemble"] = [load(out, f"ensemble-{f}")["accuracy"] for f in range(len(acc["network"]))]
    if len({len(v) for v in acc.values()}) != 1:
        raise SystemExit("error: the rows have different fold counts (hint: rerun all steps)")
    print(f"{'row':<28} {'accuracy (mean ± std)':>22}  bar")
    for r in rows:
        m = statistics.fmean(acc[r])
        print(f"{NAMES[r]:<28} {m:.4f} ± {statistics.pstdev(acc[r]):.4f}       {verdict(r, m, statistics.fmean(acc['fasttext']))}")
    print("paired differences (mean ± std over folds, wins/ties/losses):")
    for a, b in pairs:
        d = [x - y for x, y in zip(acc[a], acc[b])]
        print(f"  {NAMES[a]} − {NAMES[b]}: {pm(d)} ({wtl(d)})")
    for r in rows:
        print(f"  folds {NAMES[r]:<26} " + " ".join(f"{x:.4f}" for x in acc[r]))
else:
    print(f"\n{dataset}: fixed train/test split, bag of n-grams = {bow} (paired per test row)")
    acc = {r: load(out, r)["accuracy"] for r in rows}
    built = open(os.path.join(out, "ensemble-build.json"), encoding="utf-8").read().strip()
    print(f"{'row':<28} {'accuracy':>9}  bar")
    for r in rows:
        print(f"{NAMES[r]:<28} {acc[r]:>9.4f}  {verdict(r, acc[r], acc['fasttext'])}")
    print("paired differences (McNemar: rows the first got right and the second wrong vs the reverse; exact two-sided p):")
    for a, b in pairs:
        print(f"  {NAMES[a]} − {NAMES[b]}: {acc[a] - acc[b]:+.4f} ({mcnemar(out, a, b)})")
    print("ensemble: " + built.replace("\n", "\n          "))
print("wall time (s):")
for name, secs, cmd in steps:
    shown = secs if secs == "reused" else f"{float(secs):.1f}"
    print(f"  {name:<18} {shown:>8}  {cmd}")
