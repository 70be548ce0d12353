"""strata's linear model in multi-label mode against fastText's `-loss ova` on the same
files (fastText's format, e.g. from clinc_pairs.py): both with fastText's settings as strata's
baseline uses them (`-epoch 25 -lr 1.0 -wordNgrams 2 -dim 100 -bucket 2000000`), both scored
by the same figures (strata_model::multi_label::metrics, re-implemented here for fastText's
probabilities) at a threshold of 0.5 for every label and at per-label thresholds tuned on
dev.txt by strata's rule (best F1 per label, ties to the threshold nearest 0.5). strata's
figures are read from `strata test --json`.

`--model NAME` (repeatable; default linear) picks strata's models: a network (seed, kim-cnn,
...) trains with its recipe and `--network-args` (default `--maxlen 40`, CLINC pairs being at
most 39 words), multi-label the same way (one sigmoid per label, BCE, thresholds tuned on
dev.txt); networks are run with tuned thresholds only (a `--threshold 0.5` run would train
them twice). `--no-fasttext` leaves fastText out.

    python bench/multi_label/compare.py --strata target/release/strata --data /tmp/clinc_pairs
    python bench/multi_label/compare.py --strata target/release/strata --data /tmp/clinc_pairs \
        --model seed --model kim-cnn --no-fasttext
"""
import argparse
import json
import os
import subprocess
import time


def read(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split()
            labels = [w[len("__label__"):] for w in words if w.startswith("__label__")]
            rows.append((labels, " ".join(w for w in words if not w.startswith("__label__"))))
    return rows


def tune_one(scored):
    """strata's multi_label::thresholds::tune_one."""
    positives = sum(1 for _, y in scored if y)
    if positives == 0:
        return 0.5

    def pick(lo, hi, closed):
        if lo < 0.5 <= hi:
            return 0.5
        if hi < 0.5 and closed:
            return hi
        if lo == float("-inf"):
            return max(hi, 0.0)
        return lo + (hi - lo) / 2

    s = sorted(scored, key=lambda x: -x[0])
    best = (0.0, pick(s[0][0], max(1.0, s[0][0]), False))
    tp = fp = 0
    i = 0
    while i < len(s):
        v = s[i][0]
        while i < len(s) and s[i][0] == v:
            tp, fp = tp + s[i][1], fp + (not s[i][1])
            i += 1
        lower = s[i][0] if i < len(s) else float("-inf")
        f1 = 2 * tp / (2 * tp + fp + positives - tp)
        t = pick(lower, v, True)
        if f1 > best[0] or (f1 == best[0] and abs(t - 0.5) < abs(best[1] - 0.5)):
            best = (f1, t)
    return best[1]


def metrics(probs, truth, thresholds):
    """strata's multi_label::metrics::evaluate."""
    k = len(thresholds)
    tp, fp, fn = [0] * k, [0] * k, [0] * k
    exact = 0
    for p, t in zip(probs, truth):
        guess = {c for c in range(k) if p[c] >= thresholds[c]}
        for c in range(k):
            if c in guess and c in t:
                tp[c] += 1
            elif c in guess:
                fp[c] += 1
            elif c in t:
                fn[c] += 1
        exact += guess == set(t)

    def f1(a, b, c):
        return 1.0 if a + b + c == 0 else 2 * a / (2 * a + b + c)

    def at(depth):
        hits = sum(len(set(sorted(range(k), key=lambda c: (-p[c], c))[:depth]) & set(t)) for p, t in zip(probs, truth))
        return hits / (len(probs) * depth), hits / sum(len(t) for t in truth)

    (p1, r1), (p3, r3) = at(1), at(3)
    return {"micro_f1": f1(sum(tp), sum(fp), sum(fn)), "macro_f1": sum(f1(*x) for x in zip(tp, fp, fn)) / k,
            "hamming_loss": (sum(fp) + sum(fn)) / (len(probs) * k), "subset_accuracy": exact / len(probs),
            "precision_at_1": p1, "recall_at_1": r1, "precision_at_3": p3, "recall_at_3": r3}


def fasttext_side(a, labels):
    import fasttext
    t = time.perf_counter()
    m = fasttext.train_supervised(os.path.join(a.data, "train.txt"), loss="ova", epoch=25, lr=1.0, wordNgrams=2,
                                  dim=100, bucket=2000000, thread=a.threads, seed=a.seed, verbose=0)
    seconds = time.perf_counter() - t
    index = {l: i for i, l in enumerate(labels)}

    def probs_of(rows):
        out = []
        got, ps = m.predict([text for _, text in rows], k=-1, threshold=0.0)
        for ls, p in zip(got, ps):
            row = [0.0] * len(labels)
            for l, v in zip(ls, p):
                row[index[l[len("__label__"):]]] = float(v)
            out.append(row)
        return out

    dev, test = read(os.path.join(a.data, "dev.txt")), read(os.path.join(a.data, "test.txt"))
    dev_p, test_p = probs_of(dev), probs_of(test)
    truth = lambda rows: [[index[l] for l in ls] for ls, _ in rows]  # noqa: E731
    tuned = [tune_one([(p[c], c in t) for p, t in zip(dev_p, truth(dev))]) for c in range(len(labels))]
    return {"train_seconds": seconds,
            "at_0.5": metrics(test_p, truth(test), [0.5] * len(labels)),
            "tuned_on_dev": metrics(test_p, truth(test), tuned)}


def strata_side(a, threshold, model="linear"):
    run = os.path.join(a.work, f"strata-{model}-" + ("tuned" if threshold is None else str(threshold)))
    cmd = [a.strata, "train", "--data", os.path.join(a.data, "train.txt"), "--validation-data",
           os.path.join(a.data, "dev.txt"), "--multi-label", "--model", model, "--seed", str(a.seed),
           "--threads", str(a.threads), "--out", run, "--overwrite", "-q"]
    if model != "linear":
        cmd += a.network_args.split()
    if threshold is not None:
        cmd += ["--threshold", str(threshold)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t
    out = subprocess.run([a.strata, "test", "--model", run, "--data", os.path.join(a.data, "test.txt"), "--json"],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    return seconds, {k: r[k] for k in ["micro_f1", "macro_f1", "hamming_loss", "subset_accuracy", "precision_at_1",
                                       "recall_at_1", "precision_at_3", "recall_at_3"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--strata", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", default="/tmp/strata-multi-label")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--model", action="append", help="strata's model (repeatable; default linear)")
    ap.add_argument("--network-args", default="--maxlen 40", help="extra train flags for a network")
    ap.add_argument("--no-fasttext", action="store_true")
    a = ap.parse_args()
    train = read(os.path.join(a.data, "train.txt"))
    labels = sorted({l for ls, _ in train for l in ls})
    out = {"labels": len(labels), "n_train": len(train)}
    for model in a.model or ["linear"]:
        name = "strata" if model == "linear" else f"strata {model}"
        seconds_tuned, tuned = strata_side(a, None, model)
        out[name] = {"tuned_on_dev": tuned, "train_seconds": seconds_tuned}
        if model == "linear":
            out[name]["at_0.5"] = strata_side(a, 0.5, model)[1]
    if not a.no_fasttext:
        out["fasttext"] = fasttext_side(a, labels)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
