"""Prints bench/pretrain/accuracy.sh's table for one data set from the files its steps wrote:
accuracy of the pretrained, from-scratch and fastText rows; paired differences against fastText
and against scratch (per fold for a cross-validation, with mean ± std and wins/ties/losses; on
the same test set otherwise, with McNemar's count of discordant pairs and its exact p); whether
each strata row beats fastText by 2 points and reaches the issue's bar; every step's wall time.
Standard library only.

Usage: python3 table.py SET OUT_DIR PRETRAIN_LOG"""
import os
import re
import statistics
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from paired import load, mcnemar, pm, wtl  # noqa: E402  (bench/paired.py)

BAR = {"mr": 0.800, "sst2": 0.850, "imdb": 0.920}  # issue 12, with IMDB-pretrained levels
MARGIN = 0.02  # a strata row must beat fastText by this much
NAMES = {"pretrained": "pretrained on IMDB", "scratch": "from scratch", "fasttext": "fastText"}

dataset, out, pretrain_log = sys.argv[1:4]
steps = []
for line in open(os.path.join(out, "steps.tsv"), encoding="utf-8"):
    name, secs, cmd = line.rstrip("\n").split("\t", 2)
    steps.append((name, secs, cmd))
ran = {name for name, _, _ in steps}
rows = [r for r in ("pretrained", "scratch", "fasttext") if r in ran]






print(f"\n{dataset}: " + ("10-fold CV on strata's folds (paired per fold)" if dataset == "mr" else "fixed train/test split (paired per test row)"))
acc = {}
if dataset == "mr":
    for r in rows:
        acc[r] = [f["accuracy"] for f in load(out, r)["folds"]]
    sizes = {len(v) for v in acc.values()}
    if len(sizes) != 1:
        raise SystemExit(f"error: the rows have different fold counts {sizes} (hint: rerun all steps)")
    print(f"{'row':<22} {'accuracy (mean ± std)':>22} {'Δ vs fastText':>18} {'W/T/L':>7} {'Δ vs scratch':>18} {'W/T/L':>7}  bar")
    for r in rows:
        m = statistics.fmean(acc[r])
        cols = [f"{m:.4f} ± {statistics.pstdev(acc[r]):.4f}"]
        for other in ("fasttext", "scratch"):
            if other in acc and other != r:
                d = [x - y for x, y in zip(acc[r], acc[other])]
                cols += [pm(d), wtl(d)]
            else:
                cols += ["", ""]
        verdict = ""
        if r != "fasttext" and "fasttext" in acc:
            d = m - statistics.fmean(acc["fasttext"])
            verdict = f"beats fastText by ≥ {MARGIN:.2f}" if d >= MARGIN else f"does NOT beat fastText by {MARGIN:.2f} ({d:+.4f})"
        if r == "pretrained":
            verdict += f"; target {BAR[dataset]:.3f} {'met' if m >= BAR[dataset] else 'NOT met'}"
        print(f"{NAMES[r]:<22} {cols[0]:>22} {cols[1]:>18} {cols[2]:>7} {cols[3]:>18} {cols[4]:>7}  {verdict}")
    for r in rows:
        print(f"  folds {NAMES[r]:<20} " + " ".join(f"{x:.4f}" for x in acc[r]))
else:
    for r in rows:
        acc[r] = load(out, r)["accuracy"]
    print(f"{'row':<22} {'accuracy':>9} {'Δ vs fastText':>14} {'McNemar vs fastText':>24} {'Δ vs scratch':>13} {'McNemar vs scratch':>24}  bar")
    for r in rows:
        cols = [f"{acc[r]:.4f}"]
        for other in ("fasttext", "scratch"):
            if other in acc and other != r:
                cols += [f"{acc[r] - acc[other]:+.4f}", mcnemar(out, r, other)]
            else:
                cols += ["", ""]
        verdict = ""
        if r != "fasttext" and "fasttext" in acc:
            d = acc[r] - acc["fasttext"]
            verdict = f"beats fastText by ≥ {MARGIN:.2f}" if d >= MARGIN else f"does NOT beat fastText by {MARGIN:.2f} ({d:+.4f})"
        if r == "pretrained":
            verdict += f"; target {BAR[dataset]:.3f} {'met' if acc[r] >= BAR[dataset] else 'NOT met'}"
        print(f"{NAMES[r]:<22} {cols[0]:>9} {cols[1]:>14} {cols[2]:>24} {cols[3]:>13} {cols[4]:>24}  {verdict}")
    print("  McNemar: rows the first got right and the second wrong vs the reverse; exact two-sided p")

if "pretrain" in ran and os.path.exists(pretrain_log):
    epochs = [line.strip() for line in open(pretrain_log, encoding="utf-8") if re.match(r"\s*Epoch \d+/\d+", line)]
    if epochs:
        print(f"pretraining, last epoch: {epochs[-1]}")
print("wall time (s):")
for name, secs, cmd in steps:
    shown = secs if secs == "reused" else f"{float(secs):.1f}"
    print(f"  {name:<16} {shown:>8}  {cmd}")
