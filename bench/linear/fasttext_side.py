"""fastText's side of the linear-model benchmark (bench/linear/compare.py): one training run and
its predictions, in a process of its own so that compare.py can read the words/sec/thread that
fastText prints on stderr (verbose 2) and so that each run's memory is returned.

Reads strata's TSV as strata does (bench/pretrain/fasttext_folds.py's reader), lower-cases, and
trains on the training lines in a seeded random order (fastText's SGD reads its file in order;
strata's splits come shuffled). Either --train/--test, or --data with a `strata cv --folds-out`
file and the 0-based --fold to hold out.

Prints one JSON line: accuracy, n_train, n_test, train_seconds (the whole train_supervised
call: reading, dictionary, SGD), tokens (fastText's count: every whitespace token, the label
and the end of line, per line — a pass over the training file), predict_seconds and
texts_per_second (one `predict` call over the test texts repeated --repeat times)."""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pretrain"))
from fasttext_folds import read_folds, read_tsv, train_shuffled  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train")
    ap.add_argument("--test")
    ap.add_argument("--data")
    ap.add_argument("--folds")
    ap.add_argument("--fold", type=int)
    ap.add_argument("--epoch", type=int, default=25)
    ap.add_argument("--lr", type=float, default=1.0)
    ap.add_argument("--ngrams", type=int, default=2)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--bucket", type=int, default=2000000)
    ap.add_argument("--thread", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="time predict over the test texts repeated")
    a = ap.parse_args()
    if a.data:
        rows = read_tsv(a.data)
        folds = read_folds(a.folds, rows, a.data)
        train = [r for r, f in zip(rows, folds) if f != a.fold]
        test = [r for r, f in zip(rows, folds) if f == a.fold]
    else:
        train, test = read_tsv(a.train), read_tsv(a.test)
    m, train_seconds = train_shuffled(train, a, bucket=a.bucket, verbose=2)
    texts = [text for _, _, text in test]
    labels, _ = m.predict(texts)
    t = time.perf_counter()
    m.predict(texts * a.repeat)
    predict_seconds = time.perf_counter() - t
    correct = sum(r[1] == ls[0].removeprefix("__label__") for r, ls in zip(test, labels))
    tokens = sum(len(text.split()) + 2 for _, _, text in train)
    print(json.dumps({"tool": "fasttext", "accuracy": correct / len(test), "n_train": len(train),
                      "n_test": len(test), "train_seconds": train_seconds, "tokens": tokens,
                      "predict_seconds": predict_seconds,
                      "texts_per_second": len(test) * a.repeat / predict_seconds}))


if __name__ == "__main__":
    main()
