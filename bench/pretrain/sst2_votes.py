"""Scores soft-voting ensembles on SST-2's dev set from the members' saved dev predictions, so
that many member combinations can be compared on dev without copying members into an ensemble
folder each time (`strata ensemble` copies every member). A vote here is what `strata ensemble`
with equal weights computes for two labels: the mean of the members' probabilities of label 1,
label 1 when it is above 0.5. `sst2_best.sh` checks the chosen combination against `strata
ensemble` itself. Standard library only.

A name given twice counts twice: kimw2345_s0+kimw2345_s0+lstmm_s0+lstmb_s0 is the vote with
weights 2:1:1 over three distinct members (`strata ensemble --weights 2,1,1`).

Usage: python3 sst2_votes.py [--suffix .dev.pred.jsonl] [--write FILE] DIR COMBO...
where DIR holds NAME+SUFFIX (`strata test --predictions`) for each member and a COMBO is member
names joined by +, e.g. kim_s0+lstm_s0. --write FILE (one COMBO): the vote's own predictions in
`strata test --predictions`'s format (each row's text the first member's), and its accuracy as
the JSON line `strata test --json` ends with, instead of the table line. That is how
sst2_best.sh scores an ensemble whose members read different files (a backward member reads
reversed sentences), which `strata ensemble` cannot."""
import json
import os
import sys

from textfiles import write_lines


def prob_of_one(path):
    """Each row's (gold, probability of label 1, text) from `strata test --predictions` JSONL."""
    rows = {}
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        p = r["probability"] if r["predicted"] == "1" else 1.0 - r["probability"]
        rows[r["line"]] = (r["gold"], p, r["text"])
    return rows


def votes(preds, names):
    """Each row's (line, gold, voted label, the vote's probability of that label)."""
    first = preds[names[0]]
    for n in names[1:]:
        if preds[n].keys() != first.keys() or any(preds[n][k][0] != first[k][0] for k in first):
            fail(f"{names[0]} and {n} predicted different rows or golds (hint: the same split, line for line)")
    for k in first:
        mean = sum(preds[n][k][1] for n in names) / len(names)
        label = "1" if mean > 0.5 else "0"
        yield k, first[k][0], label, mean if label == "1" else 1.0 - mean


def vote_accuracy(preds, names):
    rows = list(votes(preds, names))
    return sum(gold == label for _, gold, label, _ in rows) / len(rows)


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    args = sys.argv[1:]
    suffix, write = ".dev.pred.jsonl", None
    while args and args[0] in ("--suffix", "--write"):
        if len(args) < 2:
            fail(f"{args[0]} needs a value (hint: --suffix .test.pred.jsonl, --write FILE)")
        if args[0] == "--suffix":
            suffix = args[1]
        else:
            write = args[1]
        args = args[2:]
    if len(args) < 2:
        fail("no DIR and COMBO given (hint: python3 sst2_votes.py DIR kim_s0+lstm_s0)")
    folder, combos = args[0], args[1:]
    if write and len(combos) != 1:
        fail(f"--write takes one COMBO, not {len(combos)} (hint: run once per vote)")
    preds = {}
    for combo in combos:
        for n in combo.split("+"):
            if n not in preds:
                path = os.path.join(folder, n + suffix)
                if not os.path.exists(path):
                    fail(f"{path} is missing (hint: strata test --model MEMBER --data FILE --predictions {path})")
                preds[n] = prob_of_one(path)
    if write:
        names = combos[0].split("+")
        first = preds[names[0]]
        rows = list(votes(preds, names))
        write_lines(write, (json.dumps({"line": k, "text": first[k][2], "gold": gold, "predicted": label, "probability": p},
                                       ensure_ascii=False, separators=(",", ":")) for k, gold, label, p in rows))
        right = sum(gold == label for _, gold, label, _ in rows)
        print(json.dumps({"accuracy": right / len(rows), "correct": right, "rows": len(rows), "vote": combos[0]}))
        return
    for combo in combos:
        print(f"{combo}\t{vote_accuracy(preds, combo.split('+')):.4f}")


if __name__ == "__main__":
    main()
