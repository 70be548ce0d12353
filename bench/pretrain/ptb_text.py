#!/usr/bin/env python3
"""Raw review text -> the Penn Treebank tokenization SST's sentences come in.

Why: SST-2's sentences were tokenized by Stanford's PTBTokenizer ("does n't", "it 's", "ca n't",
"-lrb-", closing quotes as ''), while IMDB's reviews are raw ("doesn't", "it's"). Keras's
Tokenizer keeps the apostrophe, so a vocabulary learned from raw IMDB text has "doesn't" and no
"n't": SST-2's most frequent out-of-vocabulary token, in 7.4% of its training sentences, is the
negation. Pretraining on IMDB text written the way SST writes it gives "n't", "'s", "'re" ...
vectors and language-model contexts of their own. Only characters Keras's default filters keep
matter (the apostrophe above all); the rest become spaces either way.

Usage: ptb_text.py OUT FILE...   FILE: one text a line (.txt) or a .tsv whose last column is
the text (a header line "label<TAB>text" is skipped). OUT gets one text a line, written
atomically (a temporary file renamed).
"""
import re
import sys

from textfiles import write_lines

BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
CURLY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00b4": "'"})
# PTB's special words, split as PTBTokenizer splits them
SPECIAL = [(re.compile(r"\b(can)(not)\b", re.I), r"\1 \2"),
           (re.compile(r"\b(gon|wan|got)(na|ta)\b", re.I), r"\1 \2")]
NEGATION = re.compile(r"(\w)(n't)\b", re.I)                  # do|n't, ca|n't, wo|n't
CLITIC = re.compile(r"(\w)('s|'re|'ve|'ll|'d|'m)\b", re.I)   # it|'s, they|'re
OPEN_DOUBLE = re.compile(r'(^|[\s(\[{<])"')                  # "word -> `` word
BRACKETS = {"(": " -lrb- ", ")": " -rrb- ", "[": " -lsb- ", "]": " -rsb- ", "{": " -lcb- ", "}": " -rcb- "}


def ptb(text: str) -> str:
    text = BREAK.sub(" ", text).translate(CURLY)
    text = OPEN_DOUBLE.sub(r"\1 `` ", text)
    text = text.replace('"', " '' ")                           # the rest close a quote
    for bracket, word in BRACKETS.items():
        text = text.replace(bracket, word)
    for pattern, repl in SPECIAL:
        text = pattern.sub(repl, text)
    text = NEGATION.sub(r"\1 \2", text)
    text = CLITIC.sub(r"\1 \2", text)
    words = []
    for word in text.split():
        if word == "''":
            words.append(word)
            continue
        # a single quote opening a word is PTB's ` (filtered by Keras); one closing it, '
        # (plural possessives "actors'" too), a token of its own
        if word.startswith("'") and not re.match(r"'(s|re|ve|ll|d|m)$", word, re.I) and len(word) > 1:
            words.append("`")
            word = word[1:]
        if word.endswith("'") and len(word) > 1 and not word.endswith("''"):
            words.extend([word[:-1], "'"])
        else:
            words.append(word)
    return " ".join(words).lower()


def texts(path: str):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            line = line.rstrip("\n")
            if path.endswith(".tsv"):
                if n == 0 and line.lower().startswith("label\t"):
                    continue
                line = line.rsplit("\t", 1)[-1]
            yield line


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit("error: usage: ptb_text.py OUT FILE... (hint: OUT is written, each FILE read)")
    write_lines(sys.argv[1], (ptb(text) for path in sys.argv[2:] for text in texts(path)))


if __name__ == "__main__":
    main()
