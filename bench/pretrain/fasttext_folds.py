"""fastText, the linear baseline of issue 12, scored on exactly strata's splits: the folds that
`strata cv --folds-out FOLDS` wrote (`line<TAB>fold`, 1-based line in --data, 0-based fold), or
a fixed --train/--test pair. Issue 12's settings by default: `-wordNgrams 2 -epoch 25 -lr 1.0
-dim 100 -thread 1`, seed 1, lower-cased text, training lines in a seeded random order (one
thread is deterministic; two move ±1.5 points).
Lines are read as strata reads TSV: blank lines skipped, line numbers counted over all lines,
`label<TAB>text`, the label trimmed.

Usage: PY fasttext_folds.py --data mr/all.tsv --folds folds.tsv
       PY fasttext_folds.py --train sst2/train.tsv --test sst2/test.tsv [--predictions OUT.jsonl]
Prints one JSON line: per-fold accuracies with mean and std (population, as strata cv's), or the
test accuracy; --predictions writes {"line", "gold", "predicted"} per test row (as `strata test
--predictions` does) for paired tests."""
import argparse
import json
import os
import random
import statistics
import tempfile
import time

import fasttext


def read_tsv(path):
    """(line, label, lower-cased text) of every non-blank line, as strata's TSV reader sees it."""
    rows = []
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for i, line in enumerate(raw.split(b"\n"), start=1):
        line = line.removesuffix(b"\r")
        if not line.strip(b" \t\n\r\x0b\x0c"):
            continue
        label, text = line.decode("utf-8").split("\t", 1)
        rows.append((i, label.strip(), " ".join(text.lower().split())))
    return rows


def read_folds(path, rows, data):
    """fold of each row of `rows`, from a `strata cv --folds-out` file; every row once."""
    fold_of = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            a, b = line.rstrip("\n").split("\t")
            if int(a) in fold_of:
                raise SystemExit(f"error: {path}:{n}: line {a} appears twice (hint: write it with strata cv --folds-out)")
            fold_of[int(a)] = int(b)
    lines = {r[0] for r in rows}
    if set(fold_of) != lines:
        raise SystemExit(f"error: {path}: its lines are not the examples of {data} (hint: pass the --data that cv read)")
    return [fold_of[r[0]] for r in rows]


def train_shuffled(train, a, **extra):
    """Trains fastText on the rows of `train` in a seeded random order with `a`'s settings (and
    `extra` train_supervised arguments); returns (model, seconds of train_supervised).
    fastText's SGD reads its file in order: on a file sorted by label (MR's all.tsv) the last
    label's lines come last, and it scores ~0.51."""
    train = list(train)
    random.Random(a.seed).shuffle(train)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "train.txt")
        with open(p, "w", encoding="utf-8") as f:
            for _, label, text in train:
                f.write(f"__label__{label} {text}\n")
        t = time.perf_counter()
        m = fasttext.train_supervised(p, epoch=a.epoch, lr=a.lr, wordNgrams=a.ngrams, dim=a.dim,
                                      thread=a.thread, seed=a.seed, **extra)
        return m, time.perf_counter() - t


def fit_predict(train, test, a):
    """Trains on `train` in a seeded random order, returns (predicted labels of `test`, training
    seconds)."""
    m, secs = train_shuffled(train, a, verbose=0)
    labels, _ = m.predict([text for _, _, text in test])
    return [ls[0].removeprefix("__label__") for ls in labels], secs


def accuracy(test, pred):
    return sum(r[1] == p for r, p in zip(test, pred)) / len(test)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="labelled TSV that `strata cv` split")
    ap.add_argument("--folds", help="its `strata cv --folds-out` file")
    ap.add_argument("--train")
    ap.add_argument("--test")
    ap.add_argument("--predictions", help="--train/--test: write per-row predictions (JSONL) here")
    ap.add_argument("--epoch", type=int, default=25)
    ap.add_argument("--lr", type=float, default=1.0)
    ap.add_argument("--ngrams", type=int, default=2)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--thread", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if bool(a.data) != bool(a.folds) or bool(a.train) != bool(a.test) or bool(a.data) == bool(a.train):
        ap.error("give --data with --folds, or --train with --test")

    settings = {"epoch": a.epoch, "lr": a.lr, "wordNgrams": a.ngrams, "dim": a.dim, "thread": a.thread, "seed": a.seed}
    start = time.perf_counter()
    if a.data:
        rows = read_tsv(a.data)
        folds = read_folds(a.folds, rows, a.data)
        results = []
        for k in range(max(folds) + 1):
            train = [r for r, f in zip(rows, folds) if f != k]
            test = [r for r, f in zip(rows, folds) if f == k]
            pred, secs = fit_predict(train, test, a)
            results.append({"fold": k + 1, "accuracy": round(accuracy(test, pred), 4), "n_train": len(train),
                            "n_test": len(test), "seconds": round(secs, 2)})
        accs = [r["accuracy"] for r in results]
        print(json.dumps({"tool": "fasttext", "settings": settings, "folds": results,
                          "mean_accuracy": round(statistics.fmean(accs), 4), "std_accuracy": round(statistics.pstdev(accs), 4),
                          "seconds": round(time.perf_counter() - start, 2)}))
    else:
        train, test = read_tsv(a.train), read_tsv(a.test)
        pred, secs = fit_predict(train, test, a)
        if a.predictions:
            with open(a.predictions, "w", encoding="utf-8") as f:
                for r, p in zip(test, pred):
                    f.write(json.dumps({"line": r[0], "gold": r[1], "predicted": p}) + "\n")
        print(json.dumps({"tool": "fasttext", "settings": settings, "accuracy": round(accuracy(test, pred), 4),
                          "n_train": len(train), "n_test": len(test), "train_seconds": round(secs, 2),
                          "seconds": round(time.perf_counter() - start, 2)}))


if __name__ == "__main__":
    main()
