#!/usr/bin/env python3
"""Share of each class's training tokens that become <OOV>, fitting the vocabulary on the first
90% of a labelled TSV in file order and in a shuffled order (the split-order bug of README's
"Deliberate differences"). Keras's Tokenizer keeps the num_words-1 most frequent words and
breaks ties by first occurrence; index 1 is <OOV>. The data must already be lower-cased and
tokenized (MR, Subj, SST are), so a whitespace split equals Keras's.

Usage: python3 bench/oov_by_class.py ../shared/data/subj/all.tsv 20000
"""
import collections
import random
import sys


def kept_words(texts, num_words):
    counts = {}
    for t in texts:
        for w in t.split():
            counts[w] = counts.get(w, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])  # stable: ties keep first occurrence
    return {w for i, (w, _) in enumerate(ranked) if i + 2 < num_words}


def main(path, num_words):
    rows = [line.rstrip("\n").split("\t", 1) for line in open(path, encoding="utf-8")]
    for name, order in [("file order", rows), ("shuffled", random.Random(1).sample(rows, len(rows)))]:
        train = order[: int(0.9 * len(order))]
        kept = kept_words([t for _, t in train], num_words)
        oov, total = collections.Counter(), collections.Counter()
        for label, text in train:
            words = text.split()
            oov[label] += sum(w not in kept for w in words)
            total[label] += len(words)
        shares = ", ".join(f"class {c}: {100 * oov[c] / total[c]:.2f}%" for c in sorted(total))
        print(f"{name:10s} <OOV> share of training tokens — {shares}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
