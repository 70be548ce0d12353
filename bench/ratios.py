"""Summarises bench/speed.sh's JSON lines (one per run): the machine's CPU, each implementation's
medians per model, and one table of strata's ratios against PyTorch and tf-keras with whether
each meets issue 14's bars (train >= 2x PyTorch and >= 4x tf-keras; inference >= 1.5x PyTorch at
batch 256 and at batch 1; peak memory <= 1/8 of PyTorch's). A line from the FMA-peak probe
(crates/strata-nn/examples/fma_peak.rs: isa, gflops_one_core, gflops_all_cores) adds the seed
model's achieved GFLOP/s and its share of the peak.

Usage: python bench/ratios.py RESULTS.jsonl
"""
import json
import statistics
import subprocess
import sys
from collections import defaultdict

MODELS = ("e2e", "stacked", "gru", "bilstm", "kim-cnn", "han")
PEERS = ("strata", "torch", "keras-legacy")
RECIPE_FIELDS = ("vocab", "embedding_dim", "maxlen", "sentences", "batch", "lr", "units")
BUSY_CORES = 0.25  # other processes' CPU during a peer's training beyond which its figures are noise
BARS = {"train_torch": 2.0, "train_keras": 4.0, "infer_torch": 1.5, "memory_torch": 1 / 8}


def cpu_line():
    try:
        info = dict(
            (k.strip(), v.strip())
            for k, v in (line.split(":", 1) for line in subprocess.run(
                ["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines() if ":" in line))
    except (OSError, subprocess.CalledProcessError):
        return "CPU: unknown (lscpu failed)"
    return (f"CPU: {info.get('Model name', '?')}, family {info.get('CPU family', '?')} model "
            f"{info.get('Model', '?')}, {info.get('CPU(s)', '?')} CPUs")


def seed_train_flop(r):
    """FLOP per training sample of an LSTM model like the seed's: each of the T steps multiplies
    [x_t; h] (E + H wide) by the 4 gates' kernels (4H wide) forward (2*(E+H)*4H FLOP, multiply
    and add), and backward costs twice that (the gradients of the input and of the weights).
    The head, the cell's elementwise maths and Adam are left out (< 1%)."""
    e, h, t = r["embedding_dim"], r["units"], r["maxlen"]
    return 3 * t * 2 * (e + h) * 4 * h


def main(path):
    runs, probes = defaultdict(list), []
    for line in open(path):
        r = json.loads(line)
        if "gflops_one_core" in r:
            probes.append(r)
        else:
            runs[(r["peer"], r["model"])].append(r)

    def med(peer, model, key):
        rs = runs.get((peer, model))
        vals = [r[key] for r in rs or [] if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    print(cpu_line())
    if probes:
        p = probes[-1]
        print(f"FMA peak ({p['isa']}, fma_peak): {statistics.median(q['gflops_one_core'] for q in probes):.0f} GFLOP/s "
              f"one core, {statistics.median(q['gflops_all_cores'] for q in probes):.0f} all cores")
    else:
        print("FMA peak: no probe line (crates/strata-nn/examples/fma_peak.rs was not there to run)")
    counts = {len(rs) for rs in runs.values()}
    print(f"runs per row: {'/'.join(map(str, sorted(counts)))} (medians)")

    print()
    print(f"{'model':<8} {'peer':<13} {'train/s':>8} {'infer256/s':>10} {'infer1/s':>9} {'peak MB':>8} "
          f"{'heldout':>7} {'n':>5}")
    for model in MODELS:
        for peer in PEERS:
            if (peer, model) in runs:
                print(f"{model:<8} {peer:<13} {med(peer, model, 'train_samples_per_s'):>8.0f} "
                      f"{med(peer, model, 'infer_samples_per_s'):>10.0f} {med(peer, model, 'infer1_samples_per_s'):>9.0f} "
                      f"{med(peer, model, 'ru_maxrss_mb'):>8.0f} {med(peer, model, 'heldout_acc'):>7.3f} "
                      f"{runs[(peer, model)][0]['n']:>5}")

    def ratio(model, key, peer):
        s, p = med("strata", model, key), med(peer, model, key)
        return s / p if s and p else None

    def fmt(x, bar, above):
        if x is None:
            return f"{'-':>6}  "
        ok = x >= bar if above else x <= bar
        return f"{x:>6.2f}{' ✓' if ok else ' ✗'}"

    print()
    print("strata / peer (✓ meets issue 14's bar: train ≥2 torch ≥4 keras, inference ≥1.5 torch, memory ≤1/8 torch)")
    print(f"{'model':<8} {'train/s':>8} {'×torch':>8} {'×keras':>8} {'inf256 ×torch':>13} {'inf1 ×torch':>11} "
          f"{'inf256 ×keras':>13} {'MB':>6} {'/torch':>8}  all")
    for model in MODELS:
        if ("strata", model) not in runs:
            continue
        tt, tk = ratio(model, "train_samples_per_s", "torch"), ratio(model, "train_samples_per_s", "keras-legacy")
        i256, i1 = ratio(model, "infer_samples_per_s", "torch"), ratio(model, "infer1_samples_per_s", "torch")
        ik = ratio(model, "infer_samples_per_s", "keras-legacy")
        mem = ratio(model, "ru_maxrss_mb", "torch")
        checks = [(tt, BARS["train_torch"], True), (tk, BARS["train_keras"], True), (i256, BARS["infer_torch"], True),
                  (i1, BARS["infer_torch"], True), (mem, BARS["memory_torch"], False)]
        meets = all(x is not None and (x >= b if up else x <= b) for x, b, up in checks)
        print(f"{model:<8} {med('strata', model, 'train_samples_per_s'):>8.0f} {fmt(*checks[0])} {fmt(*checks[1])} "
              f"{fmt(*checks[2]):>13} {fmt(*checks[3]):>11} {(f'{ik:.2f}' if ik else '-'):>13} "
              f"{med('strata', model, 'ru_maxrss_mb'):>6.0f} {fmt(*checks[4])}  {'yes' if meets else 'no'}")

    mismatches = []
    for model in MODELS:
        s = runs.get(("strata", model))
        for peer in PEERS[1:]:
            for r in runs.get((peer, model), []):
                diff = [f for f in RECIPE_FIELDS if s and r.get(f) != s[0].get(f)]
                if diff:
                    mismatches.append(f"{model} {peer}: {', '.join(f'{f} {r.get(f)} vs {s[0].get(f)}' for f in diff)}")
    if mismatches:
        print("\nRECIPE MISMATCH (these rows do not compare like with like):\n  " + "\n  ".join(sorted(set(mismatches))))

    busy = sorted({f"{model} {peer} {med(peer, model, 'train_other_procs_cores'):.1f}"
                   for (peer, model) in runs if (med(peer, model, "train_other_procs_cores") or 0) > BUSY_CORES})
    if busy:
        print(f"\nBUSY MACHINE: other processes used more than {BUSY_CORES} core while these peers trained "
              "(median cores), so their figures and the ratios are not this machine's:\n  " + ", ".join(busy))

    seed = runs.get(("strata", "e2e"))
    if seed:
        flop = seed_train_flop(seed[0])
        gflops = med("strata", "e2e", "train_samples_per_s") * flop / 1e9
        line = (f"\nseed e2e training: {flop / 1e6:.1f} MFLOP/sample (3 x T x 2 x 4H x (E+H)) -> "
                f"{gflops:.0f} GFLOP/s on {seed[0]['threads']} threads")
        if probes:
            peak = statistics.median(q["gflops_all_cores"] for q in probes)
            line += f", {100 * gflops / peak:.0f}% of the measured all-core FMA peak ({peak:.0f})"
        else:
            line += " (share of peak: run with fma_peak present)"
        print(line)


if __name__ == "__main__":
    main(sys.argv[1])
