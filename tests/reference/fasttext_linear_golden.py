"""Writes the fixture that proves strata's linear model reads text as fastText does.

Trains two tiny fastText supervised models (dim 4, 1000 buckets, word bigrams; the second with
character n-grams of 2..3) on a few dozen lines of lower-case, punctuation-free words (so that
strata's default Keras tokenizer splits them exactly as fastText's whitespace reader does), and
dumps each model's dictionary (fastText's order), labels, input and output matrices, and the
probabilities fastText's own `predict` gives for some texts, unseen words included. strata's test
(crates/strata-model/tests/linear_golden.rs) loads those matrices into a LinearModel and must
give the same probabilities: only right hashing, n-grams and averaging can.

Note: fastText's `predict` returns exp(log(p + 1e-5)) (its `std_log`), so the stored
probabilities are p + 1e-5; the test adds the same 1e-5 to its own.

Run with the peers' venv (fastText's python module installed there):

    ~/.cache/strata-peers/venv/bin/python tests/reference/fasttext_linear_golden.py \
        crates/strata-model/tests/fixtures/fasttext_linear.json
"""
import json
import os
import sys
import tempfile

import fasttext
import numpy as np

POS = ["good", "great", "fine", "lovely", "superb", "café", "naïve charm"]
NEG = ["bad", "awful", "poor", "boring", "dull", "ennui", "schön nicht"]
FILLER = ["the", "film", "was", "a", "story", "and", "very", "plot", "actors", "really"]


def lines():
    out = []
    for i in range(48):
        words_pos = [POS[i % len(POS)], FILLER[i % len(FILLER)], FILLER[(i * 3 + 1) % len(FILLER)], POS[(i + 2) % len(POS)]]
        words_neg = [FILLER[(i * 7) % len(FILLER)], NEG[i % len(NEG)], FILLER[(i + 4) % len(FILLER)], NEG[(i * 5) % len(NEG)]]
        out.append("__label__pos " + " ".join(words_pos))
        out.append("__label__neg " + " ".join(words_neg))
        if i % 4 == 0:
            out.append("__label__meh " + " ".join(FILLER[i % 5 : i % 5 + 4]))
    return out


TEXTS = [
    "good film",
    "the plot was awful and boring",
    "a very lovely story really",
    "unseenword another newone",
    "good unseenword bad",
    "café naïve ennui schön",
    "",
    "the the the film film",
    "superbly dullness goodish",
]


def dump(variant, **kwargs):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "train.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines()) + "\n")
        # fastText sometimes reports "Encountered NaN" on a file this small (its progress
        # check divides by a token count that can still be 0); one thread and a seed make a
        # retry train the same model
        for attempt in range(20):
            try:
                model = fasttext.train_supervised(
                    path, dim=4, bucket=1000, wordNgrams=2, epoch=20, lr=0.2, thread=1, seed=7, verbose=0, **kwargs
                )
                break
            except RuntimeError:
                if attempt == 19:
                    raise
    labels = [l.replace("__label__", "") for l in model.labels]
    probs = []
    for text in TEXTS:
        got, p = model.predict(text, k=-1)
        by_label = {l.replace("__label__", ""): float(v) for l, v in zip(got, p)}
        probs.append([by_label[l] for l in labels])
    args = {"minn": kwargs.get("minn", 0), "maxn": kwargs.get("maxn", 0)}
    return {
        "variant": variant,
        "dim": 4,
        "buckets": 1000,
        "word_ngrams": 2,
        **args,
        "words": list(model.words),
        "labels": labels,
        "input": [float("%.9g" % x) for x in np.asarray(model.get_input_matrix(), dtype=np.float32).ravel()],
        "output": [float("%.9g" % x) for x in np.asarray(model.get_output_matrix(), dtype=np.float32).ravel()],
        "texts": TEXTS,
        "fasttext_probs": probs,
    }


def main():
    out = sys.argv[1]
    fixture = {
        "fasttext_version": getattr(fasttext, "__version__", "unknown"),
        "models": [dump("words+bigrams"), dump("words+bigrams+char2-3", minn=2, maxn=3)],
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
