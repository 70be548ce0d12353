"""Prints bench/pretrain/sst2_best.sh's table from the files its steps wrote: stage 1's dev
accuracy of each member and of their ensemble (the figures the configuration was chosen by),
the epochs stage 2 retrained each member for, then the test accuracy of the chosen ensemble
(members retrained on train+dev), of the single network and of fastText (on train, as the
earlier tables, and on train+dev, the ensemble's own training texts), with McNemar's paired
differences, issue 12's SST-2 target and every step's wall time. A from-scratch run
(sst2_best.sh SCRATCH=1) names its members so, and when PRETRAINED_DIR is given and holds the
pretrained run's test predictions, prints the pretrained vote beside it, paired on the same rows.
Standard library only.

Usage: python3 sst2_best_table.py OUT_DIR [PRETRAINED_DIR]"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from paired import load, mcnemar  # noqa: E402  (bench/paired.py)

BAR = 0.850  # issue 12, SST-2 test
MARGIN = 0.02  # a strata row must beat fastText by this much

out = sys.argv[1]
pretrained_dir = sys.argv[2] if len(sys.argv) > 2 else None
scratch_file = os.path.join(out, "scratch.txt")  # sst2_best.sh's SCRATCH
scratch = os.path.exists(scratch_file) and open(scratch_file, encoding="utf-8").read().strip() == "1"
families = {
    "kim": "kim-cnn multichannel (sg300)",
    "lstm": "LSTM-256 + max-pool (LM 256)",
    "lstmm": "LSTM-256 + max-pool (LM 256), masked",
    "lstmf": "the same, LM fine-tuned on SST-2's texts",
    "lstmu": "the same, LM fine-tuned with ULMFiT's rates",
    "lstmb": "the same, backward (backward LM 256)",
    "bil": "BiLSTM-max 2x150 multichannel (sg300)",
}


def family(fam):
    """What a MEMBERS family of sst2_best.sh is, e.g. kimw345_d03: kim-cnn, widths 3-5, dropout 0.3;
    akimw2345: kim-cnn, widths 2-5, trained adversarially (the a-families, --adversarial); from
    scratch (SCRATCH=1) the same without the pretrained folder and its second channel."""
    adversarial = fam.startswith("a") and (fam[1:] in families or fam[1:].startswith("kimw"))
    base = fam[1:] if adversarial else fam
    if base in families:
        shown = families[base]
    else:
        widths, _, dropout = base.removeprefix("kimw").partition("_d")
        shown = f"kim-cnn mc, widths {','.join(widths)}" + (f", dropout 0.{dropout[1:]}" if dropout else "")
    if scratch:
        shown = re.sub(r" \([^)]*\)", "", shown).replace(" multichannel", "").replace(" mc,", ",")
    return shown + (", adversarial" if adversarial else "") + (", from scratch" if scratch else "")


names = open(os.path.join(out, "members.txt"), encoding="utf-8").read().split()
steps = [line.rstrip("\n").split("\t", 2) for line in open(os.path.join(out, "steps.tsv"), encoding="utf-8")]

print("\nsst2: stage 1, trained on train.tsv, scored on dev.tsv (what the configuration was chosen by)")
for m in names:
    fam, seed = m.rsplit("_s", 1)
    epochs = open(os.path.join(out, f"final-{m}.epochs"), encoding="utf-8").read().strip()
    name = f"{family(fam)}, seed {seed}"
    print(f"  {name:<42} dev {load(out, f'dev-{m}')['val_accuracy']:.4f}  best epoch {epochs}")
weights_file = os.path.join(out, "weights.txt")  # sst2_best.sh's WEIGHTS, one a member
weights = open(weights_file, encoding="utf-8").read().split() if os.path.exists(weights_file) else []
shown = ":".join(weights) if len(set(weights)) > 1 else ""
vote = f"ensemble of the {len(names)}, " + (f"weights {shown}" if shown else "equal weights")
print(f"  {vote:<42} dev {load(out, 'dev-ensemble')['accuracy']:.4f}")
recomputed = open(os.path.join(out, "dev-votes.tsv"), encoding="utf-8").read().split()[1]
print(f"  {'the same vote from the dev predictions':<42} dev {recomputed}  (sst2_votes.py)")

# sst2_best.sh writes extra.txt when EXTRA_TRAIN added labelled sentences to every member's data
extra = " + EXTRA_TRAIN" if os.path.exists(os.path.join(out, "extra.txt")) else ""
rows = {
    "ensemble": f"ensemble, members on train+dev{extra} (chosen)",
    "network": f"{names[0]} alone (train{extra})",
    "fasttext": "fastText (train)",
    "fasttext-train+dev": "fastText (train+dev)",
}
acc = {r: load(out, r)["accuracy"] for r in rows}
print("\ntest.tsv (1,821 sentences), each row scored once")
for r, name in rows.items():
    bar = ""
    if not r.startswith("fasttext"):
        d = acc[r] - acc["fasttext-train+dev" if r == "ensemble" else "fasttext"]
        bar = f"beats fastText by ≥ {MARGIN:.2f}" if d >= MARGIN else f"does NOT beat fastText by {MARGIN:.2f} ({d:+.4f})"
        bar += f"; target {BAR:.3f} {'met' if acc[r] >= BAR else 'NOT met'}"
    print(f"  {name:<42} {acc[r]:.4f}  {bar}")
print("paired differences (McNemar: rows the first got right and the second wrong vs the reverse; exact two-sided p):")
for a, b in [("ensemble", "fasttext-train+dev"), ("ensemble", "fasttext"), ("ensemble", "network"), ("network", "fasttext")]:
    print(f"  {rows[a]} − {rows[b]}: {acc[a] - acc[b]:+.4f} ({mcnemar(out, a, b)})")
if scratch and pretrained_dir:
    # the twin the table is for: the vote from pretrained levels, paired on the same test rows
    if not os.path.exists(os.path.join(pretrained_dir, "ensemble.pred.jsonl")):
        print(f"no pretrained vote to pair with: {pretrained_dir} has no ensemble.pred.jsonl (PRETRAINED_RUN)")
    else:
        pre = load(pretrained_dir, "ensemble")["accuracy"]

        def listed(name):  # members.txt or weights.txt of the pretrained run, [] when it has none
            path = os.path.join(pretrained_dir, name)
            return open(path, encoding="utf-8").read().split() if os.path.exists(path) else []

        theirs = listed("members.txt")
        same_weights = (listed("weights.txt") or ["1"] * len(theirs)) == (weights or ["1"] * len(names))
        same = "the same vote" if theirs == names and same_weights else "a vote of other members or weights (" + " ".join(theirs) + ")"
        print(f"{same} from pretrained levels, {pretrained_dir}: {pre:.4f}")
        print(f"  pretrained − from scratch: {pre - acc['ensemble']:+.4f} "
              f"({mcnemar(pretrained_dir, 'ensemble', 'ensemble', out)})")
print("wall time (s):")
for name, secs, cmd in steps:
    shown = secs if secs == "reused" else f"{float(secs):.1f}"
    print(f"  {name:<20} {shown:>8}  {cmd}")
