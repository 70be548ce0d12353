"""Scores soft-voting ensembles on SST-2's dev set from the members' saved dev predictions, so
that many member combinations can be compared on dev without copying members into an ensemble
folder each time (`strata ensemble` copies every member). A vote here is what `strata ensemble`
with equal weights computes for two labels: the mean of the members' probabilities of label 1,
label 1 when it is above 0.5. `sst2_best.sh` checks the chosen combination against `strata
ensemble` itself. Standard library only.

Usage: python3 sst2_votes.py DIR COMBO... where DIR holds NAME.dev.pred.jsonl (`strata test
--predictions`) for each member and a COMBO is member names joined by +, e.g. kim_s0+lstm_s0."""
import json
import os
import sys


def prob_of_one(path):
    """Each dev row's (gold, probability of label 1) from `strata test --predictions` JSONL."""
    rows = {}
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        p = r["probability"] if r["predicted"] == "1" else 1.0 - r["probability"]
        rows[r["line"]] = (r["gold"], p)
    return rows


def vote_accuracy(preds, names):
    lines = preds[names[0]].keys()
    right = 0
    for k in lines:
        mean = sum(preds[n][k][1] for n in names) / len(names)
        right += ("1" if mean > 0.5 else "0") == preds[names[0]][k][0]
    return right / len(lines)


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    folder, combos = sys.argv[1], sys.argv[2:]
    if not combos:
        fail("no COMBO given (hint: python3 sst2_votes.py DIR kim_s0+lstm_s0)")
    preds = {}
    for combo in combos:
        for n in combo.split("+"):
            if n not in preds:
                path = os.path.join(folder, n + ".dev.pred.jsonl")
                if not os.path.exists(path):
                    fail(f"{path} is missing (hint: strata test --model MEMBER --data dev.tsv --predictions {path})")
                preds[n] = prob_of_one(path)
    for combo in combos:
        print(f"{combo}\t{vote_accuracy(preds, combo.split('+')):.4f}")


if __name__ == "__main__":
    main()
