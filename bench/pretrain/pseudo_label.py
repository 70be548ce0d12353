#!/usr/bin/env python3
"""Self-training's two data steps: IMDB's unlabelled reviews cut into SST-like sentences, and the
sentences a teacher labels most confidently, as a labelled file.

Why: SST-2 has 6,920 training sentences and IMDB 50,000 unlabelled reviews of the same domain.
A teacher trained on SST-2 labels sentences cut from those reviews; the ones it is surest of join
the students' training data (self-training, Yarowsky 1995; Du et al. 2020 on SST-2). Only
unsup.txt is read, never a test split; a sentence identical to one of SST-2's dev or test
sentences is left out (decontamination), and how many were is printed.

  pseudo_label.py sentences OUT UNSUP MAX EXCLUDE...  the first MAX sentences of 5-40 words
      cut from UNSUP's reviews in order (on . ! ? and <br />), written as SST writes them
      (ptb_text.ptb); EXCLUDE: .tsv files whose texts are left out
  pseudo_label.py select OUT SENTENCES PREDICTIONS K  the K sentences the teacher gives the
      highest probability of each of labels 0 and 1 (strata predict --top-k 2 --json lines,
      line N answering sentence N; ties in line order), as label<TAB>text lines in line order

Every OUT is written atomically (a temporary file renamed).
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptb_text import ptb  # noqa: E402
from textfiles import keras_words, write_lines as write  # noqa: E402

BOUNDARY = re.compile(r"(?<=[.!?])\s+|<br\s*/?>", re.IGNORECASE)


def as_read(text: str) -> str:
    """A text as the model reads it (Keras's words joined by one space), so SST's "yuks , not"
    and "yuks, not" are the same sentence."""
    return " ".join(keras_words(text))


def sentences(out: str, unsup: str, limit: int, exclude: list) -> None:
    seen = set()
    for path in exclude:
        with open(path, encoding="utf-8") as f:
            seen.update(as_read(line.rstrip("\n").rsplit("\t", 1)[-1]) for line in f)
    left_out = 0

    def cut():
        nonlocal left_out
        kept = 0
        with open(unsup, encoding="utf-8") as f:
            for review in f:
                for piece in BOUNDARY.split(review.strip()):
                    text = ptb(piece)
                    if not 5 <= len(keras_words(text)) <= 40:
                        continue
                    if as_read(text) in seen:
                        left_out += 1
                        continue
                    yield text
                    kept += 1
                    if kept == limit:
                        return

    n = write(out, cut())
    print(f"{n} sentences to {out}; {left_out} left out as identical to an excluded text")


def probability_of_one(line: str, text: str) -> float:
    row = json.loads(line)
    if row["text"] != text:
        sys.exit(f"error: a prediction answers {row['text']!r}, not {text!r} (hint: predict the sentences file again)")
    scores = {k["label"]: k["score"] for k in row["top_k"]}
    return scores["1"]


def select(out: str, sentence_file: str, predictions: str, k: int) -> None:
    with open(sentence_file, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f]
    with open(predictions, encoding="utf-8") as f:
        lines = f.readlines()
    if len(lines) != len(texts):
        sys.exit(f"error: {predictions}: {len(lines)} predictions for {len(texts)} sentences (hint: predict the whole file)")
    p1 = [probability_of_one(line, text) for line, text in zip(lines, texts)]
    order = range(len(texts))
    ones = sorted(order, key=lambda i: (-p1[i], i))[:k]
    zeros = sorted(order, key=lambda i: (p1[i], i))[:k]
    if set(ones) & set(zeros):
        sys.exit(f"error: K={k} takes some sentences as both labels (hint: a smaller K)")
    label = {i: "1" for i in ones} | {i: "0" for i in zeros}
    n = write(out, (f"{label[i]}\t{texts[i]}" for i in sorted(label)))
    print(f"{n} sentences to {out}; label 1 down to p {p1[ones[-1]]:.4f}, label 0 up to p {p1[zeros[-1]]:.4f}")


def main() -> None:
    args = sys.argv[1:]
    if len(args) >= 4 and args[0] == "sentences":
        sentences(args[1], args[2], int(args[3]), args[4:])
    elif len(args) == 5 and args[0] == "select":
        select(args[1], args[2], args[3], int(args[4]))
    else:
        sys.exit("error: usage: pseudo_label.py sentences OUT UNSUP MAX EXCLUDE... | select OUT SENTENCES PREDICTIONS K")


if __name__ == "__main__":
    main()
