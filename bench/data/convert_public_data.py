#!/usr/bin/env python3
"""Turns the public sources that get_public_data.sh downloads into the layout strata's bench
scripts read (DATA/<set>/{all,train,dev,test}.tsv, one `label<TAB>text` per line), following
each set's PROVENANCE.md step by step, so that the SHA-256 list (SHA256SUMS) checks the result.

Usage: convert_public_data.py SOURCES DATA [SET...]   (sets: see CONVERTERS below; default: every
set whose sources are present). Python 3 standard library only; nothing is downloaded here.
"""
import csv
import hashlib
import io
import json
import os
import re
import sys

# Tab and line-break characters become spaces in every set (the data README's rule).
BREAKS = re.compile("[\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# 20 Newsgroups also loses the other C0/C1 control characters (its PROVENANCE.md, step 3).
CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


def clean(text):
    return BREAKS.sub(" ", text).strip()


def write_rows(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for label, text in rows:
            f.write(f"{label}\t{text}\n" if label is not None else f"{text}\n")
    os.replace(tmp, path)


def first_space_lines(path, encoding):
    """`label<space>text` lines (harvardnlp's files), split on \\n only, each decoded alone."""
    with open(path, "rb") as f:
        raw = f.read()
    for line in raw.split(b"\n"):
        label, _, text = line.decode(encoding).partition(" ")
        text = clean(text)
        if text:
            yield label, text


def harvardnlp(src, out, name):
    h = os.path.join(src, "harvardnlp")
    if name == "mr":
        write_rows(f"{out}/mr/all.tsv", first_space_lines(f"{h}/rt-polarity.all", "cp1252"))
    elif name == "subj":
        write_rows(f"{out}/subj/all.tsv", first_space_lines(f"{h}/subj.all", "cp1252"))
    else:
        kind = "binary" if name == "sst2" else "fine"
        for split in ("train", "dev", "test"):
            write_rows(f"{out}/{name}/{split}.tsv", first_space_lines(f"{h}/stsa.{kind}.{split}", "utf-8"))


def chnsenticorp(src, out, _name):
    for split in ("train", "dev", "test"):
        with open(f"{src}/chnsenticorp/{split}.tsv", encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")[1:]  # drop the header label<TAB>text_a
        rows = []
        for line in lines:
            if line:
                label, text = line.split("\t", 1)
                rows.append((label, clean(text)))
        write_rows(f"{out}/chnsenticorp/{split}.tsv", rows)


def waimai(src, out, _name):
    with open(f"{src}/waimai_10k/waimai_10k.csv", encoding="utf-8", newline="") as f:
        rows = [(r["label"], clean(r["review"])) for r in csv.DictReader(f)]
    write_rows(f"{out}/waimai_10k/all.tsv", rows)


def clinc150(src, out, _name):
    with open(f"{src}/clinc150/data_full.json", encoding="utf-8") as f:
        data = json.load(f)
    with open(f"{src}/clinc150/domains.json", encoding="utf-8") as f:
        domains = json.load(f)
    domain_of = {intent: domain for domain, intents in domains.items() for intent in intents}
    for key, split in (("train", "train"), ("val", "dev"), ("test", "test")):
        write_rows(f"{out}/clinc150/{split}.tsv", [(f"{domain_of[i]}/{i}", clean(t)) for t, i in data[key]])
        write_rows(f"{out}/clinc150/oos_{split}.tsv", [("oos", clean(t)) for t, _ in data[f"oos_{key}"]])
    edges = sorted((d, f"{d}/{i}") for i, d in domain_of.items())
    write_rows(f"{out}/clinc150/taxonomy.tsv", edges)


def sha1(key):
    return hashlib.sha1(key.encode()).hexdigest()


def imdb(src, out, name):
    """aclImdb v1.0: rows sorted by sha1("<split>/<label>/<file>"); `imdb` keeps the first
    2,500 of each folder in that order (imdb/PROVENANCE.md), `imdb_full` all of them."""
    root = f"{src}/aclImdb"
    for split in ("train", "test"):
        rows = []
        for label in ("pos", "neg"):
            keyed = sorted((sha1(f"{split}/{label}/{n}"), label, n) for n in os.listdir(f"{root}/{split}/{label}"))
            rows += keyed[:2500] if name == "imdb" else keyed
        rows.sort()
        texts = []
        for _, label, n in rows:
            with open(f"{root}/{split}/{label}/{n}", "rb") as f:
                texts.append((label, clean(f.read().decode("utf-8"))))
        write_rows(f"{out}/{name}/{split}.tsv", texts)
    if name == "imdb_full":
        unsup = []
        for i in range(50000):
            with open(f"{root}/train/unsup/{i}_0.txt", "rb") as f:
                unsup.append((None, clean(f.read().decode("utf-8"))))
        write_rows(f"{out}/imdb_full/unsup.txt", unsup)


def news20(src, out, _name):
    root = f"{src}/20news-bydate"
    groups = set()
    for split in ("train", "test"):
        rows = []
        base = f"{root}/20news-bydate-{split}"
        for group in os.listdir(base):
            groups.add(group)
            for n in os.listdir(f"{base}/{group}"):
                rows.append((sha1(f"{split}/{group}/{n}"), group, n))
        rows.sort()
        texts = []
        for _, group, n in rows:
            with open(f"{base}/{group}/{n}", "rb") as f:
                text = CONTROLS.sub(" ", BREAKS.sub(" ", f.read().decode("latin-1"))).strip()
            texts.append((f"{group.split('.')[0]}/{group}", text))
        write_rows(f"{out}/20news_bydate/{split}.tsv", texts)
    edges = sorted((g.split(".")[0], f"{g.split('.')[0]}/{g}") for g in groups)
    write_rows(f"{out}/20news_bydate/taxonomy.tsv", edges)


# set -> (converter, a source file whose presence says the set was downloaded)
CONVERTERS = {
    "mr": (harvardnlp, "harvardnlp/rt-polarity.all"),
    "subj": (harvardnlp, "harvardnlp/subj.all"),
    "sst2": (harvardnlp, "harvardnlp/stsa.binary.train"),
    "sst1": (harvardnlp, "harvardnlp/stsa.fine.train"),
    "chnsenticorp": (chnsenticorp, "chnsenticorp/train.tsv"),
    "waimai_10k": (waimai, "waimai_10k/waimai_10k.csv"),
    "clinc150": (clinc150, "clinc150/data_full.json"),
    "imdb": (imdb, "aclImdb/train/pos"),
    "imdb_full": (imdb, "aclImdb/train/unsup"),
    "20news_bydate": (news20, "20news-bydate/20news-bydate-train"),
}


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    src, out, wanted = argv[1], argv[2], argv[3:]
    for name in wanted:
        if name not in CONVERTERS:
            sys.exit(f"error: unknown set '{name}' (hint: one of {', '.join(CONVERTERS)})")
    for name, (convert, marker) in CONVERTERS.items():
        if (wanted and name not in wanted) or (not wanted and not os.path.exists(f"{src}/{marker}")):
            continue
        if not os.path.exists(f"{src}/{marker}"):
            sys.exit(f"error: {src}/{marker}: missing (hint: download it first: get_public_data.sh download)")
        convert(src, out, name)
        print(f"converted {name}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
