"""A multi-label set built from CLINC150 (no multi-label set is in ../shared/data): each text
is one in-scope query, or (two times in three) that query followed by a second one of another
intent drawn at random from the same split, labelled with both intents (`domain/intent`).
Seeded; writes train.txt, dev.txt and test.txt in fastText's format (`__label__a __label__b
text`) into --out. Queries of the test split only ever meet test queries, so no query is in
two splits.

    python bench/multi_label/clinc_pairs.py --data ../shared/data/clinc150 --out /tmp/clinc_pairs
"""
import argparse
import os
import random


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        return [tuple(line.rstrip("\n").split("\t", 1)) for line in f if line.strip()]


def pairs(rows, rng, share=2 / 3):
    out = []
    for label, text in rows:
        labels = [label]
        if rng.random() < share:
            while True:
                other_label, other_text = rows[rng.randrange(len(rows))]
                if other_label != label:
                    break
            labels.append(other_label)
            text = f"{text} {other_text}"
        out.append((labels, text))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    for split in ["train", "dev", "test"]:
        rows = read_tsv(os.path.join(a.data, f"{split}.tsv"))
        rng.shuffle(rows)
        with open(os.path.join(a.out, f"{split}.txt"), "w", encoding="utf-8") as f:
            for labels, text in pairs(rows, rng):
                f.write(" ".join(f"__label__{l}" for l in labels) + f" {text}\n")


if __name__ == "__main__":
    main()
