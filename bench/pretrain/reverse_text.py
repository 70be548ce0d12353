#!/usr/bin/env python3
"""Texts -> the same texts with their words in reverse order, as Keras's Tokenizer reads them.

Why: ULMFiT (Howard & Ruder 2018) trains a second, backward language model and classifier and
averages the two classifiers' predictions; a backward reader makes errors unlike the forward
one's. A backward language model is the forward one trained on reversed texts, and its
classifier reads reversed sentences, so this script is all a backward member needs: `strata
pretrain` and `strata train` run unchanged on its output.

Each text goes through Keras's `text_to_word_sequence` with the default filters (lower case,
each filter character a space, split on " ", empty pieces dropped) and the words are written
back reversed, joined by one space. Reading the output again gives the same words (the filters
and lower case are idempotent), so strata's tokenizer sees exactly the reversed word sequence.

Usage: reverse_text.py IN OUT   IN: one text a line (.txt), or label<TAB>text (.tsv: the label
kept, a header line "label<TAB>text" copied). OUT is written atomically (a temporary file
renamed); line N of OUT is line N of IN, so predictions line up with the forward members'.
"""
import sys

from textfiles import keras_words, write_lines


def reversed_words(text: str) -> str:
    return " ".join(reversed(keras_words(text)))


def reversed_lines(src: str):
    """IN's lines with their texts reversed, line for line."""
    tsv = src.endswith(".tsv")
    # lines end at "\n" only (a "\r\n" ending loses its "\r"), as strata splits a file
    with open(src, encoding="utf-8", newline="\n") as f:
        for n, line in enumerate(f, 1):
            line = line.removesuffix("\n").removesuffix("\r")
            if not tsv:
                yield reversed_words(line)
            elif n == 1 and line == "label\ttext":
                yield line
            else:
                label, sep, text = line.partition("\t")
                if not sep:
                    print(f"error: {src}:{n}: no tab (hint: a .tsv line is label<TAB>text)", file=sys.stderr)
                    sys.exit(2)
                yield f"{label}\t{reversed_words(text)}"


def main():
    if len(sys.argv) != 3:
        print("error: reverse_text.py takes IN OUT (hint: reverse_text.py sst2/train.tsv runs/rev/train.tsv)",
              file=sys.stderr)
        sys.exit(2)
    write_lines(sys.argv[2], reversed_lines(sys.argv[1]))


if __name__ == "__main__":
    main()
