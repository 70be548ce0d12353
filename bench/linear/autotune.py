"""Issue 13's tuning runs: `strata tune` against fastText's `-autotune-validation` for the
linear model, and `strata tune --model kim-cnn` against kim-cnn's hand-made recipe — on MR (a
seeded stratified 90/10 split of all.tsv: train / validation) and SST-2 (train.tsv / dev.tsv;
test.tsv is scored once, after tuning, for the record — never tuned on).

With --same-tokens strata's trials read the text as fastText does (`--filters ''`). The linear
pair runs at the same time, one thread each, with the same budget (fastText's default
5 minutes), so both see the same machine; the score is accuracy on the validation file, which for
one label per text is fastText's autotune metric (micro F1). kim-cnn's recipe trains with
`--validation-data` (its early stopping watches it, as tune's trials are scored on it).

Usage: bash bench/linear/run.sh autotune [--sets mr,sst2] [--budget 300] [--kim-budget 600]
Writes runs/linear-bench/autotune/ (per-run JSON and logs, autotune.md) and prints the table."""
import argparse
import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def mr_split(path, out, seed=1, part=0.1):
    """Seeded stratified split of MR's lines into train and validation TSV files."""
    by_label = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                by_label.setdefault(line.split("\t", 1)[0], []).append(line)
    train, val = [], []
    rng = random.Random(seed)
    for label in sorted(by_label):
        lines = by_label[label]
        rng.shuffle(lines)
        k = round(len(lines) * part)
        val += lines[:k]
        train += lines[k:]
    rng.shuffle(train)
    paths = (os.path.join(out, "mr.train.tsv"), os.path.join(out, "mr.val.tsv"))
    for p, rows in zip(paths, (train, val)):
        with open(p, "w", encoding="utf-8") as f:
            f.writelines(rows)
    return paths


def start(cmd, log):
    f = open(log, "w", encoding="utf-8")
    f.write("$ " + " ".join(cmd) + "\n")
    f.flush()
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=f, text=True), f


def finish(proc_log, what):
    p, f = proc_log
    out, _ = p.communicate()
    f.close()
    if p.returncode != 0:
        sys.exit(f"error: {what} failed ({p.returncode}); see {f.name}")
    return json.loads(out.strip().splitlines()[-1])


def test_accuracy(a, model, path, log):
    return finish(start([a.strata, "test", "--model", model, "--data", path, "--json"], log), "strata test")["accuracy"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default="mr,sst2")
    ap.add_argument("--budget", type=int, default=300)
    ap.add_argument("--kim-budget", type=int, default=600)
    ap.add_argument("--kim-threads", type=int, default=2)
    ap.add_argument("--data", default=os.environ.get("STRATA_DATA", os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--strata", default=os.path.join(ROOT, "target", "release", "strata"))
    ap.add_argument("--py", default=sys.executable, help="the python with fastText (the peers' venv)")
    ap.add_argument("--out", default=os.path.join(ROOT, "runs", "linear-bench", "autotune"))
    ap.add_argument("--skip-kim", action="store_true")
    ap.add_argument("--same-tokens", action="store_true",
                    help="strata tune splits text as fastText does (--filters ''), as compare.py --same-tokens")
    a = ap.parse_args()
    if a.same_tokens:
        a.out += "-same-tokens"
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for name in a.sets.split(","):
        if name == "mr":
            train, val = mr_split(os.path.join(a.data, "mr", "all.tsv"), a.out)
            test = None
        elif name == "sst2":
            train, val, test = (os.path.join(a.data, "sst2", f) for f in ("train.tsv", "dev.tsv", "test.tsv"))
        else:
            sys.exit(f"error: unknown set '{name}' (hint: mr or sst2)")
        o = lambda what: os.path.join(a.out, f"{name}-{what}")  # noqa: E731
        t = time.perf_counter()
        strata = start([a.strata, "--threads", "1", "tune", "--model", "linear", "--data", train, "--validation-data",
                        val, "--budget", str(a.budget), "--out", o("linear"), "--overwrite", "--json"]
                       + (["--filters", ""] if a.same_tokens else []), o("linear.log"))
        ft_cmd = [a.py, os.path.join(HERE, "fasttext_autotune.py"), "--train", train, "--validation", val,
                  "--duration", str(a.budget), "--thread", "1"] + (["--test", test] if test else [])
        fasttext = start(ft_cmd, o("fasttext.log"))
        st, ft = finish(strata, "strata tune"), finish(fasttext, "fastText autotune")
        row = {"set": name, "budget": a.budget, "strata_linear": st, "fasttext": ft, "seconds": time.perf_counter() - t}
        if test:
            row["strata_linear_test"] = test_accuracy(a, o("linear"), test, o("linear-test.log"))
        if not a.skip_kim:
            threads = ["--threads", str(a.kim_threads)]
            recipe = finish(start([a.strata] + threads + ["train", "--model", "kim-cnn", "--data", train,
                                   "--validation-data", val, "--out", o("kim-recipe"), "--overwrite", "--json"],
                                  o("kim-recipe.log")), "kim-cnn recipe")
            tuned = finish(start([a.strata] + threads + ["tune", "--model", "kim-cnn", "--data", train,
                                  "--validation-data", val, "--budget", str(a.kim_budget), "--out", o("kim-tune"),
                                  "--overwrite", "--json"], o("kim-tune.log")), "kim-cnn tune")
            row.update({"kim_recipe": recipe, "kim_tune": tuned, "kim_budget": a.kim_budget})
            if test:
                row["kim_recipe_test"] = test_accuracy(a, o("kim-recipe"), test, o("kim-recipe-test.log"))
                row["kim_tune_test"] = test_accuracy(a, o("kim-tune"), test, o("kim-tune-test.log"))
        with open(o("result.json"), "w", encoding="utf-8") as f:
            json.dump(row, f, indent=1)
        rows.append(row)
    lines = ["| set | model | method | budget | validation accuracy | test accuracy | trials / chosen |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        st, ft = r["strata_linear"], r["fasttext"]
        fmt = lambda v: f"{v:.4f}" if isinstance(v, float) else "–"  # noqa: E731
        lines.append(f"| {r['set']} | linear | fastText -autotune-validation | {r['budget']} s | "
                     f"{ft['validation_accuracy']:.4f} | {fmt(ft.get('test_accuracy'))} | {ft['chosen']} |")
        lines.append(f"| {r['set']} | linear | strata tune | {r['budget']} s | {st['best']['val_accuracy']:.4f} | "
                     f"{fmt(r.get('strata_linear_test'))} | {st['trials']} trials: {st['best']['train_flags']} |")
        if "kim_recipe" in r:
            lines.append(f"| {r['set']} | kim-cnn | recipe | – | {r['kim_recipe']['val_accuracy']:.4f} | "
                         f"{fmt(r.get('kim_recipe_test'))} | – |")
            kt = r["kim_tune"]
            lines.append(f"| {r['set']} | kim-cnn | strata tune | {r['kim_budget']} s | {kt['best']['val_accuracy']:.4f} | "
                         f"{fmt(r.get('kim_tune_test'))} | {kt['trials']} trials: {kt['best']['train_flags']} |")
    text = "\n".join(lines)
    with open(os.path.join(a.out, "autotune.md"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
