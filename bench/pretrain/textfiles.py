"""What the text scripts under bench/pretrain share: the words of a text as Keras's tokenizer
reads them, and a file written atomically. Standard library only.

`keras_words` is Keras's `text_to_word_sequence` with its default filters (the rules strata's
tokenizer follows): lower case, each filter character a space, split on " ", empty pieces
dropped. `write_lines` writes OUT through a temporary file renamed over it, so a run that fails
part way (an error, Ctrl-C) leaves OUT as it was and no temporary file behind.
"""
import os

KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_AS_SPACES = str.maketrans({c: " " for c in KERAS_FILTERS})


def keras_words(text: str) -> list:
    return [w for w in text.lower().translate(_AS_SPACES).split(" ") if w]


def write_lines(out: str, lines) -> int:
    """Writes each of `lines` and a "\\n" to OUT atomically; returns how many."""
    tmp = f"{out}.tmp{os.getpid()}"
    n = 0
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            for line in lines:
                f.write(line + "\n")
                n += 1
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return n
