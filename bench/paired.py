"""The paired measures the accuracy tables of bench/pretrain and bench/nbsvm print, in one place:
a step's JSON result, mean ± std and wins/ties/losses of per-fold differences, and McNemar's
discordant pairs with the exact two-sided binomial p over the test rows two steps predicted.
Standard library only; the table scripts put this folder on sys.path."""
import json
import math
import os
import statistics


def load(out, name):
    """The last JSON line of a step's stdout (`OUT/NAME.json`)."""
    with open(os.path.join(out, name + ".json"), encoding="utf-8") as f:
        return json.loads(f.read().strip().splitlines()[-1])


def pm(xs):
    return f"{statistics.fmean(xs):+.4f} ± {statistics.pstdev(xs):.4f}"


def wtl(diffs):
    return f"{sum(d > 1e-12 for d in diffs)}/{sum(abs(d) <= 1e-12 for d in diffs)}/{sum(d < -1e-12 for d in diffs)}"


def right(out, name):
    """Whether each test row (by line) of `OUT/NAME.pred.jsonl` was predicted right."""
    rows = map(json.loads, open(os.path.join(out, name + ".pred.jsonl"), encoding="utf-8"))
    return {r["line"]: r["gold"] == r["predicted"] for r in rows}


def mcnemar_counts(out, a, b, out_b=None):
    """(a right and b wrong, a wrong and b right, exact two-sided p) over the rows both predicted;
    b's predictions are read from out_b when given (another run's folder, the same test rows)."""
    pa, pb = right(out, a), right(out_b or out, b)
    if set(pa) != set(pb):
        raise SystemExit(f"error: {a} and {b} predicted different test rows (hint: rerun both steps)")
    n10 = sum(pa[k] and not pb[k] for k in pa)
    n01 = sum(pb[k] and not pa[k] for k in pa)
    n = n10 + n01
    p = min(1.0, 2 * sum(math.comb(n, i) for i in range(min(n10, n01) + 1)) / 2**n) if n else 1.0
    return n10, n01, p


def mcnemar(out, a, b, out_b=None):
    n10, n01, p = mcnemar_counts(out, a, b, out_b)
    return f"{n10} vs {n01}, p={p:.3g}"
