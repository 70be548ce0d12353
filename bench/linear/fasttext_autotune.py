"""fastText's `-autotune-validation` on strata's TSV files (bench/linear/autotune.py's peer):
trains with autotune for --duration seconds on --train, scored on --validation (fastText's own
autotune metric for one label per text, micro F1, equals accuracy), and optionally on --test.
Lower-cases as fasttext_side.py does. Prints one JSON line: validation and test accuracy, the
chosen arguments, seconds."""
import argparse
import json
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pretrain"))
import fasttext  # noqa: E402
from fasttext_folds import read_tsv  # noqa: E402


def write(rows, path, seed=None):
    rows = list(rows)
    if seed is not None:
        random.Random(seed).shuffle(rows)
    with open(path, "w", encoding="utf-8") as f:
        for _, label, text in rows:
            f.write(f"__label__{label} {text}\n")


def accuracy(m, rows):
    labels, _ = m.predict([text for _, _, text in rows])
    return sum(r[1] == ls[0].removeprefix("__label__") for r, ls in zip(rows, labels)) / len(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--validation", required=True)
    ap.add_argument("--test")
    ap.add_argument("--duration", type=int, default=300)
    ap.add_argument("--thread", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    train, val = read_tsv(a.train), read_tsv(a.validation)
    with tempfile.TemporaryDirectory() as d:
        tp, vp = os.path.join(d, "train.txt"), os.path.join(d, "val.txt")
        write(train, tp, a.seed)
        write(val, vp)
        t = time.perf_counter()
        m = fasttext.train_supervised(tp, autotuneValidationFile=vp, autotuneDuration=a.duration,
                                      thread=a.thread, seed=a.seed, verbose=2)
        secs = time.perf_counter() - t
    args = m.f.getArgs()
    chosen = {k: getattr(args, k) for k in ("epoch", "lr", "dim", "wordNgrams", "minCount", "minn", "maxn",
                                            "bucket", "dsub") if hasattr(args, k)}
    out = {"tool": "fasttext-autotune", "validation_accuracy": accuracy(m, val), "chosen": chosen,
           "seconds": secs, "duration": a.duration}
    if a.test:
        out["test_accuracy"] = accuracy(m, read_tsv(a.test))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
