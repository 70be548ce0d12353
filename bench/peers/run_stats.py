"""What both peers measure the same way: the shared peers' Timer and peak RSS
(../shared/bench/peers/common.py, or $STRATA_PEERS), and the steady-state training rate over the
epochs after the first, as keras_seed.py and torch_seed.py compute it."""
import os
import sys

_shared = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "bench", "peers")
sys.path.insert(0, os.environ.get("STRATA_PEERS", _shared))
from common import Timer, peak_rss_mb  # noqa: E402,F401


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
