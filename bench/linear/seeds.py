"""Issue 13 point 4's fidelity check: one linear-model configuration trained by strata and by
fastText over many seeds, one thread each, on the same tokens (strata with `--filters ''`, as
fastText reads its file), both scored on the same validation file. It says whether a gap
between the two at one configuration is the model or the seed: a search that keeps the best of
noisy validation scores needs the two learners to agree on the mean first.

The default configuration is the one fastText's autotune found on SST-2 (epoch 2, lr 1.434, dim
495, wordNgrams 5, minCount 1, minn 3, maxn 6, bucket 344,591). fastText's file is shuffled
with the seed (the autotune peer shuffles its file once) and trained with that seed; strata
trains with `--seed`. Sets: sst2 (train.tsv / dev.tsv; test.tsv is never read), mr (the
autotune benchmark's seeded 90/10 split of all.tsv).

Usage: bash bench/linear/run.sh seeds [--set sst2] [--seeds 1-16] [--epoch 2 --lr 1.434 ...]
Writes runs/linear-bench/seeds/SET.json (every seed's accuracy) and prints a markdown table:
per tool the mean, standard deviation, lowest and highest over the seeds, and the difference of
the means with its standard error."""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "pretrain"))
from autotune import mr_split  # noqa: E402
from fasttext_folds import read_tsv  # noqa: E402


def seed_list(spec):
    """`1-16` or `1,3,5`."""
    if "-" in spec:
        a, b = spec.split("-", 1)
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in spec.split(",")]


def fasttext_accuracy(train, val, a, seed, tmp):
    import fasttext

    rows = list(train)
    random.Random(seed).shuffle(rows)
    path = os.path.join(tmp, "train.txt")
    with open(path, "w", encoding="utf-8") as f:
        for _, label, text in rows:
            f.write(f"__label__{label} {text}\n")
    m = fasttext.train_supervised(path, epoch=a.epoch, lr=a.lr, dim=a.dim, wordNgrams=a.ngrams,
                                  minCount=a.min_count, minn=a.minn, maxn=a.maxn, bucket=a.bucket,
                                  thread=1, seed=seed, verbose=0)
    labels, _ = m.predict([text for _, _, text in val])
    return sum(r[1] == ls[0].removeprefix("__label__") for r, ls in zip(val, labels)) / len(val)


def strata_accuracy(train_path, val_path, a, seed, tmp):
    out = os.path.join(tmp, f"strata-{seed}")
    cmd = [a.strata, "--threads", "1", "train", "--model", "linear", "--filters", "",
           "--epochs", str(a.epoch), "--lr", str(a.lr), "--dim", str(a.dim),
           "--word-ngrams", str(a.ngrams), "--min-count", str(a.min_count), "--minn", str(a.minn),
           "--maxn", str(a.maxn), "--buckets", str(a.bucket), "--seed", str(seed),
           "--data", train_path, "--validation-data", val_path, "--out", out, "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"error: strata train failed ({p.returncode}): {p.stderr.strip()[-500:]}")
    # the run folder holds the whole weight matrix (hundreds of MB): only its score is kept
    subprocess.run(["rm", "-rf", out], check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])["val_accuracy"]


def summary(xs):
    return {"mean": statistics.mean(xs), "sd": statistics.stdev(xs) if len(xs) > 1 else 0.0,
            "min": min(xs), "max": max(xs)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", default="sst2", choices=["sst2", "mr"])
    ap.add_argument("--seeds", default="1-16")
    ap.add_argument("--epoch", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1.434)
    ap.add_argument("--dim", type=int, default=495)
    ap.add_argument("--ngrams", type=int, default=5)
    ap.add_argument("--min-count", type=int, default=1)
    ap.add_argument("--minn", type=int, default=3)
    ap.add_argument("--maxn", type=int, default=6)
    ap.add_argument("--bucket", type=int, default=344591)
    ap.add_argument("--data", default=os.environ.get("STRATA_DATA", os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--strata", default=os.path.join(ROOT, "target", "release", "strata"))
    ap.add_argument("--py", default=sys.executable, help="the python with fastText (unused: this one has it)")
    ap.add_argument("--out", default=os.path.join(ROOT, "runs", "linear-bench", "seeds"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    seeds = seed_list(a.seeds)
    with tempfile.TemporaryDirectory() as tmp:
        if a.set == "sst2":
            train_path, val_path = (os.path.join(a.data, "sst2", f) for f in ("train.tsv", "dev.tsv"))
        else:
            train_path, val_path = mr_split(os.path.join(a.data, "mr", "all.tsv"), tmp)
        train, val = read_tsv(train_path), read_tsv(val_path)
        acc = {"fasttext": [], "strata": []}
        for s in seeds:
            acc["fasttext"].append(fasttext_accuracy(train, val, a, s, tmp))
            acc["strata"].append(strata_accuracy(train_path, val_path, a, s, tmp))
            print(f"seed {s}: fastText {acc['fasttext'][-1]:.4f}  strata {acc['strata'][-1]:.4f}",
                  file=sys.stderr, flush=True)
    stats = {tool: summary(xs) for tool, xs in acc.items()}
    diff = stats["strata"]["mean"] - stats["fasttext"]["mean"]
    se = (stats["strata"]["sd"] ** 2 / len(seeds) + stats["fasttext"]["sd"] ** 2 / len(seeds)) ** 0.5
    config = {k: getattr(a, k) for k in ("epoch", "lr", "dim", "ngrams", "min_count", "minn", "maxn", "bucket")}
    with open(os.path.join(a.out, f"{a.set}.json"), "w", encoding="utf-8") as f:
        json.dump({"set": a.set, "config": config, "seeds": seeds, "accuracy": acc, "stats": stats,
                   "strata_minus_fasttext": diff, "standard_error": se}, f, indent=1)
    print(f"{a.set}, {len(seeds)} seeds, one thread, validation accuracy: {config}\n")
    print("| tool | mean | sd | min | max |\n|---|---|---|---|---|")
    for tool in ("fasttext", "strata"):
        st = stats[tool]
        print(f"| {tool} | {st['mean']:.4f} | {st['sd']:.4f} | {st['min']:.4f} | {st['max']:.4f} |")
    verdict = "within two standard errors" if abs(diff) <= 2 * se else "beyond two standard errors"
    print(f"\nstrata − fastText: {diff:+.4f} (standard error {se:.4f}: {verdict})")


if __name__ == "__main__":
    main()
