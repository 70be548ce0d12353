"""The table of bench/labels/hierarchy.sh: one row per data set, model and decoding, each against
flat with its paired difference (McNemar's discordant counts and exact p on the same test
examples), and on clinc150 the out-of-scope figures at the threshold tuned on dev."""
import json
import math
import sys
from pathlib import Path


def mcnemar(a, b):
    """Exact two-sided binomial p of the discordant counts (a: right only under flat)."""
    n = a + b
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(a, b) + 1)) / 2**n
    return min(1.0, 2 * tail)


def rows_of(run):
    """{line: right?} of a run's test predictions."""
    rows = {}
    for line in (run / "test_predictions.jsonl").read_text().splitlines():
        r = json.loads(line)
        rows[r["line"]] = r["gold"] == r["predicted"]
    return rows


def main(out):
    out = Path(out)
    print("| data | model | decoding | top acc | leaf acc | leaf macro F1 | hF1 | vs flat (leaf acc) | flat-only / other-only, McNemar p | in-scope acc @P | oos recall @P | P |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for set_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        for model_dir in sorted(p for p in set_dir.iterdir() if p.is_dir()):
            flat_run = model_dir / "flat"
            if not (flat_run / "test.json").exists():
                continue
            t = json.loads((flat_run / "test.json").read_text())
            h = t["hierarchy"]
            oos = {}
            if (flat_run / "oos_test.json").exists():
                oos = json.loads((flat_run / "oos_test.json").read_text())["out_of_scope"]

            def row(name, s, diff, counts, o):
                acc = s["level_accuracy"]
                cells = [set_dir.name, model_dir.name, name, f"{acc[0]:.4f}", f"{acc[-1]:.4f}",
                         f"{s['leaf_macro_f1']:.4f}", f"{s['h_f1']:.4f}", diff, counts]
                if o:
                    cells += [f"{o['in_scope_accuracy']:.4f}", f"{o['oos_recall']:.4f}", f"{o['reject_below']:.3f}"]
                else:
                    cells += ["", "", ""]
                print("| " + " | ".join(cells) + " |")

            row("flat", h["flat"], "—", "—", oos if t.get("hierarchy") else {})
            m = h["top_down_vs_flat"]
            row("top-down", h["top_down"], f"{m['difference']:+.4f}", f"{m['only_a']} / {m['only_b']}, p={m['p_value']:.3f}", {})
            pl = model_dir / "per-level"
            if (pl / "test.json").exists():
                tp = json.loads((pl / "test.json").read_text())
                a, b = rows_of(flat_run), rows_of(pl)
                only_flat = sum(1 for k in a if a[k] and not b[k])
                only_pl = sum(1 for k in a if b[k] and not a[k])
                diff = (only_pl - only_flat) / len(a)
                o = json.loads((pl / "oos_test.json").read_text())["out_of_scope"] if (pl / "oos_test.json").exists() else {}
                row("per-level", tp["hierarchy"]["flat"], f"{diff:+.4f}", f"{only_flat} / {only_pl}, p={mcnemar(only_flat, only_pl):.3f}", o)


main(sys.argv[1])
