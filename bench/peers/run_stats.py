"""What both peers share: their command line, and what they measure the same way: the shared peers' Timer and peak RSS
(../shared/bench/peers/common.py, or $STRATA_PEERS), and the steady-state training rate over the
epochs after the first, as keras_seed.py and torch_seed.py compute it."""
import argparse
import os
import sys

_shared = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "bench", "peers")
sys.path.insert(0, os.environ.get("STRATA_PEERS", _shared))
from common import Timer, peak_rss_mb  # noqa: E402,F401
from recipes import RECIPES  # noqa: E402


def peer_args(doc):
    """The command line both peers take (the docstring's first paragraph as the description)."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--model", choices=sorted(RECIPES), default="e2e")
    ap.add_argument("--n", type=int, default=8192)
    ap.add_argument("--heldout", type=int, default=2048)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--infer-batch", type=int, default=256)
    ap.add_argument("--infer1", type=int, default=300, help="texts timed one at a time")
    ap.add_argument("--json", action="store_true")
    return ap.parse_args()


def steady_state(timers, n):
    """train samples/s, CPU use and other processes' cores over the epochs after the first (all
    of them when there is only one)."""
    steady = timers[1:] or timers[:1]
    wall = sum(t.wall for t in steady)
    return {
        "train_samples_per_s": round(n * len(steady) / wall, 1),
        "train_cpu_util": round(sum(t.cpu for t in steady) / wall, 2),
        "train_other_procs_cores": round(sum(t.other_cpu for t in steady) / wall, 2),
    }
