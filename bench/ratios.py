"""Summarises bench/speed.sh's JSON lines: medians per peer and model, and strata's ratios."""
import json
import statistics
import sys
from collections import defaultdict

runs = defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs[(r["peer"], r["model"])].append(r)

def med(key, rs):
    return statistics.median(r[key] for r in rs)

print()
print(f"{'peer':<14} {'model':<8} {'train/s':>9} {'infer/s':>9} {'peak MB':>8} {'heldout':>8}  runs")
for (peer, model), rs in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print(f"{peer:<14} {model:<8} {med('train_samples_per_s', rs):>9.0f} {med('infer_samples_per_s', rs):>9.0f} "
          f"{med('ru_maxrss_mb', rs):>8.0f} {med('heldout_acc', rs):>8.3f}  {len(rs)}")
print()
for model in ("e2e", "stacked"):
    s = runs.get(("strata", model))
    if not s:
        continue
    for peer in ("keras-legacy", "torch"):
        p = runs.get((peer, model))
        if p:
            print(f"{model:<8} strata / {peer:<13} train x{med('train_samples_per_s', s) / med('train_samples_per_s', p):.2f}"
                  f"   inference x{med('infer_samples_per_s', s) / med('infer_samples_per_s', p):.2f}")
