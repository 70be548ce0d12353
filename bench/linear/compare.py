"""Issue 13's side-by-side run: strata's `--model linear` and fastText, on the same splits with
the same hyperparameters, in one run — accuracy, training speed and prediction throughput.

For each data set both tools train on exactly the same texts (strata's own folds for the sets
without a split: `strata cv --folds-out` writes them and fastText reads them) with the same
-dim/-wordNgrams/-bucket/-epoch/-lr, one thread each by default (fastText is deterministic with
one thread; strata with any count). Each tool splits words its own way: fastText on whitespace
of the lower-cased text, strata with its default Keras tokenizer (lower-cased, punctuation
dropped).

Speed is compared on the same unit: one pass over the same training texts counted in
fastText's tokens (whitespace tokens + label + end of line, per line). fastText's words/sec/thread
is the figure it prints itself; strata's is that token count × epochs / strata's SGD seconds
(its own note line) / threads. Prediction throughput is texts per second over the whole test
part: fastText's `predict` on a list, `strata test --json`'s `texts_per_second`; neither counts
loading the model.

Usage: bash bench/linear/run.sh compare [--sets mr,subj,sst2,imdb,20news,clinc150] [--threads 1]
Writes runs/linear-bench/{SET.json,table.md} and prints the table."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "pretrain"))
from fasttext_folds import read_folds, read_tsv  # noqa: E402

# set: (files, epochs, lr); files are (all.tsv,) for 10-fold CV or (train.tsv, test.tsv)
SETS = {
    "mr": (("mr/all.tsv",), 25, 1.0),
    "subj": (("subj/all.tsv",), 25, 1.0),
    "sst2": (("sst2/train.tsv", "sst2/test.tsv"), 25, 1.0),
    "imdb": (("imdb_full/train.tsv", "imdb_full/test.tsv"), 10, 0.5),
    "20news": (("20news_bydate/train.tsv", "20news_bydate/test.tsv"), 25, 1.0),
    "clinc150": (("clinc150/train.tsv", "clinc150/test.tsv"), 25, 1.0),
}
DIM, NGRAMS, BUCKET, SEED = 100, 2, 2000000, 1


def run(cmd, log):
    """Runs `cmd`, appends its stderr to `log`, returns (stdout, stderr, seconds); exits on failure."""
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t
    with open(log, "a", encoding="utf-8") as f:
        f.write("$ " + " ".join(cmd) + "\n" + p.stderr + "\n")
    if p.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed ({p.returncode}); see {log}\n{p.stderr[-2000:]}")
    return p.stdout, p.stderr, secs


def fasttext_wps(stderr):
    found = re.findall(r"words/sec/thread:\s*(\d+)", stderr)
    return float(found[-1]) if found else float("nan")


def strata_sgd_seconds(stderr):
    """Seconds of SGD from each of strata's linear note lines (one per model trained)."""
    return [float(s) for s in re.findall(r"in ([\d.]+) s of SGD", stderr)]


def tokens(rows):
    return sum(len(text.split()) + 2 for _, _, text in rows)


def fasttext_cmd(py, epochs, lr, threads):
    return [py, os.path.join(HERE, "fasttext_side.py"), "--epoch", str(epochs), "--lr", str(lr), "--ngrams",
            str(NGRAMS), "--dim", str(DIM), "--bucket", str(BUCKET), "--thread", str(threads), "--seed", str(SEED)]


def strata_flags(epochs, lr):
    return ["--model", "linear", "--epochs", str(epochs), "--lr", str(lr), "--dim", str(DIM), "--word-ngrams",
            str(NGRAMS), "--buckets", str(BUCKET), "--seed", str(SEED), "--validation-split", "0"]


def bench_folds(name, path, epochs, lr, a, out, log):
    folds_file = os.path.join(out, f"{name}.folds.tsv")
    stdout, stderr, strata_wall = run([a.strata, "--threads", str(a.threads), "cv", "--data", path, "--folds", "10",
                                       "--folds-out", folds_file, "--json"] + strata_flags(epochs, lr), log)
    cv = json.loads(stdout)
    sgd = strata_sgd_seconds(stderr)
    rows = read_tsv(path)
    folds = read_folds(folds_file, rows, path)
    ft, ft_wps, ft_train = [], [], 0.0
    for k in range(10):
        o, e, _ = run(fasttext_cmd(a.py, epochs, lr, a.threads) + ["--data", path, "--folds", folds_file, "--fold", str(k)], log)
        r = json.loads(o)
        ft.append(r["accuracy"])
        ft_wps.append(fasttext_wps(e))
        ft_train += r["train_seconds"]
    train_tokens = [tokens([r for r, f in zip(rows, folds) if f != k]) for k in range(10)]
    strata_wps = [t * epochs / s / a.threads for t, s in zip(train_tokens, sgd)] if len(sgd) == 10 else [float("nan")]
    s_acc = [f["accuracy"] for f in cv["folds"]]
    return {
        "set": name, "protocol": "10-fold CV", "epochs": epochs, "lr": lr,
        "fasttext": {"accuracy": statistics.fmean(ft), "std": statistics.pstdev(ft), "folds": ft,
                     "words_per_second_per_thread": statistics.fmean(ft_wps), "train_seconds": ft_train},
        "strata": {"accuracy": cv["mean_accuracy"], "std": cv["std_accuracy"], "folds": s_acc,
                   "words_per_second_per_thread": statistics.fmean(strata_wps), "sgd_seconds": sum(sgd),
                   "wall_seconds": strata_wall},
        "paired_difference": statistics.fmean(s - f for s, f in zip(s_acc, ft)),
    }


def bench_split(name, train, test, epochs, lr, a, out, log):
    model = os.path.join(out, f"{name}.strata")
    _, stderr, strata_wall = run([a.strata, "--threads", str(a.threads), "train", "--data", train, "--out", model,
                                  "--overwrite"] + strata_flags(epochs, lr), log)
    sgd = strata_sgd_seconds(stderr)
    stdout, _, _ = run([a.strata, "--threads", str(a.threads), "test", "--model", model, "--data", test, "--json"], log)
    st = json.loads(stdout)
    o, e, _ = run(fasttext_cmd(a.py, epochs, lr, a.threads) + ["--train", train, "--test", test], log)
    ft = json.loads(o)
    strata_wps = ft["tokens"] * epochs / sgd[0] / a.threads if sgd else float("nan")
    return {
        "set": name, "protocol": "train/test", "epochs": epochs, "lr": lr,
        "fasttext": {"accuracy": ft["accuracy"], "words_per_second_per_thread": fasttext_wps(e),
                     "train_seconds": ft["train_seconds"], "texts_per_second": ft["texts_per_second"]},
        "strata": {"accuracy": st["accuracy"], "words_per_second_per_thread": strata_wps,
                   "sgd_seconds": sgd[0] if sgd else None, "wall_seconds": strata_wall,
                   "texts_per_second": st.get("texts_per_second")},
        "paired_difference": st["accuracy"] - ft["accuracy"],
    }


def table(results, threads):
    lines = [f"| set | protocol | epochs, lr | fastText | strata | strata − fastText | words/s/thread fastText | "
             f"strata | ratio | predict texts/s fastText | strata | ratio |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        f, s = r["fasttext"], r["strata"]
        ratio = s["words_per_second_per_thread"] / f["words_per_second_per_thread"]
        fp, sp = f.get("texts_per_second"), s.get("texts_per_second")
        pred = f"{fp:,.0f} | {sp:,.0f} | ×{sp / fp:.2f}" if fp and sp else "– | – | –"
        lines.append(f"| {r['set']} | {r['protocol']} | {r['epochs']}, {r['lr']} | {f['accuracy']:.4f} | "
                     f"{s['accuracy']:.4f} | {r['paired_difference']:+.4f} | {f['words_per_second_per_thread']:,.0f} | "
                     f"{s['words_per_second_per_thread']:,.0f} | ×{ratio:.2f} | {pred} |")
    lines.append(f"\n{threads} thread(s) each; dim {DIM}, wordNgrams {NGRAMS}, bucket {BUCKET}, seed {SEED}.")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data", default=os.environ.get("STRATA_DATA", os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--strata", default=os.path.join(ROOT, "target", "release", "strata"))
    ap.add_argument("--py", default=sys.executable, help="the python with fastText (the peers' venv)")
    ap.add_argument("--out", default=os.path.join(ROOT, "runs", "linear-bench"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    log = os.path.join(a.out, "log.txt")
    results = []
    for name in a.sets.split(","):
        if name not in SETS:
            sys.exit(f"error: unknown set '{name}' (hint: one of {', '.join(SETS)})")
        files, epochs, lr = SETS[name]
        paths = [os.path.join(a.data, f) for f in files]
        t = time.perf_counter()
        r = (bench_folds(name, paths[0], epochs, lr, a, a.out, log) if len(paths) == 1
             else bench_split(name, paths[0], paths[1], epochs, lr, a, a.out, log))
        r["seconds"] = time.perf_counter() - t
        with open(os.path.join(a.out, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(r, f, indent=1)
        print(f"{name}: fastText {r['fasttext']['accuracy']:.4f}, strata {r['strata']['accuracy']:.4f} "
              f"({r['seconds']:.0f} s)", file=sys.stderr, flush=True)
        results.append(r)
    text = table(results, a.threads)
    with open(os.path.join(a.out, "table.md"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
