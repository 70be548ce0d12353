"""The seed's Keras code, run on real data on exactly strata's splits, timed as a user's script
would be (tokenizing included): the tf-keras side of issue 14's real-data table (point 2).

The seed's code, as README.md's defaults and ../shared/bench/peers/keras_seed.py have it:
Tokenizer(num_words=10000, oov_token="<OOV>") fit on the training texts, texts_to_sequences,
pad_sequences(maxlen=100) (pre-padding, pre-truncating), Embedding(10000, 128) -> LSTM(64) ->
Dense(1, sigmoid), Adam 1e-3, binary cross-entropy, fit(epochs=3, batch_size=32) (shuffled, no
validation), evaluate on the held-out part. tf-keras 2.x (TF_USE_LEGACY_KERAS=1), 2 threads.

Usage: PY keras_seed_cv.py --data mr/all.tsv --folds folds.tsv [--epochs 3]
       PY keras_seed_cv.py --train sst2/train.tsv --test sst2/test.tsv [--maxlen 100]
       [--mask-zero] [--seed S] [--lock /work/briefs/cpu.lock]
--mask-zero builds the Embedding with mask_zero=True (Keras's masking, what strata's
--mask-padding reproduces): not the seed's code, but the reference for what masking itself does
to accuracy.
Prints one JSON line: per-fold accuracies with their mean (or the test accuracy), `seconds` (the
whole run: TF import, tokenizing, training and evaluating; time spent waiting for --lock is not
counted), `others_cores` (cores other processes kept busy meanwhile), and the share of the padded training steps that are real tokens.
--lock FILE holds an exclusive flock on FILE while it computes and lets go of it between epochs,
so that no hold lasts longer than one epoch and runs timed by others do not overlap this one.
Rows are read as strata reads TSV: blank lines skipped, line numbers counted over all lines,
`label<TAB>text`, the label trimmed; labels map to 0/1 in sorted order (binary sets only)."""
import argparse
import fcntl
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pretrain"))
from fasttext_folds import read_folds  # noqa: E402  (strata's --folds-out file, as the fastText scripts read it)


def busy_seconds():
    """CPU seconds the whole machine has spent busy since boot (/proc/stat), as run.sh counts them."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    t = os.times()
    return t.user + t.system


class LockedClock:
    """Wall time of the work done while holding an optional flock, and the CPU seconds other
    processes used meanwhile; waiting for the lock is not counted."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT) if path else None
        self.seconds = self.others_cpu = 0.0
        self.started = None

    def start(self):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        self.busy0, self.own0 = busy_seconds(), own_cpu_seconds()
        self.started = time.perf_counter()

    def stop(self):
        self.seconds += time.perf_counter() - self.started
        self.others_cpu += max(0.0, busy_seconds() - self.busy0 - (own_cpu_seconds() - self.own0))
        self.started = None
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def elapsed(self):
        """Seconds counted so far, the running hold included."""
        return self.seconds + (time.perf_counter() - self.started if self.started is not None else 0.0)

    def breathe(self):
        """Lets go of the lock for a moment so that a waiting timed run can take it."""
        if self.fd is not None:
            self.stop()
            time.sleep(0.2)  # a waiter blocked in flock needs a moment to take it
            self.start()


def read_tsv(path):
    """(line, label, text) of every non-blank line, as strata's TSV reader sees it."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    rows = []
    for i, line in enumerate(raw.split(b"\n"), start=1):
        line = line.removesuffix(b"\r")
        if not line.strip(b" \t\n\r\x0b\x0c"):
            continue
        if b"\t" not in line:
            raise SystemExit(f"error: {path}:{i}: no tab (hint: the file must be label<TAB>text)")
        label, text = line.decode("utf-8").split("\t", 1)
        rows.append((i, label.strip(), text))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="labelled TSV that `strata cv` split")
    ap.add_argument("--folds", help="its `strata cv --folds-out` file")
    ap.add_argument("--train")
    ap.add_argument("--test")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--maxlen", type=int, default=100)
    ap.add_argument("--num-words", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mask-zero", action="store_true", help="Embedding(mask_zero=True): Keras's masking")
    ap.add_argument("--lock", help="flock this file while computing (e.g. /work/briefs/cpu.lock)")
    a = ap.parse_args()
    if bool(a.data) != bool(a.folds) or bool(a.train) != bool(a.test) or bool(a.data) == bool(a.train):
        ap.error("give --data with --folds, or --train with --test")

    clock = LockedClock(a.lock)
    clock.start()
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(a.threads)
    # --- the seed's imports, as written ---
    from tensorflow.keras.preprocessing.text import Tokenizer
    from tensorflow.keras.preprocessing.sequence import pad_sequences
    from tensorflow.keras.models import Sequential
    from tensorflow.keras.layers import Embedding, LSTM, Dense

    import_s = time.perf_counter() - clock.started

    class Breathe(tf.keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            clock.breathe()

    def fit_evaluate(train, test):
        """The seed's code on one split: (test accuracy, real tokens, padded steps of one epoch,
        the training loss of each epoch)."""
        tf.keras.utils.set_random_seed(a.seed)
        labels = sorted({r[1] for r in train} | {r[1] for r in test})
        if len(labels) != 2:
            raise SystemExit(f"error: {len(labels)} labels {labels[:5]} (hint: the seed's model is binary)")
        tokenizer = Tokenizer(num_words=a.num_words, oov_token="<OOV>")
        tokenizer.fit_on_texts([r[2] for r in train])
        x = pad_sequences(tokenizer.texts_to_sequences([r[2] for r in train]), maxlen=a.maxlen)
        y = np.array([labels.index(r[1]) for r in train], dtype=np.float32)
        xt = pad_sequences(tokenizer.texts_to_sequences([r[2] for r in test]), maxlen=a.maxlen)
        yt = np.array([labels.index(r[1]) for r in test], dtype=np.float32)
        model = Sequential()
        model.add(Embedding(a.num_words, 128, input_length=a.maxlen, mask_zero=a.mask_zero))
        model.add(LSTM(64))
        model.add(Dense(1, activation='sigmoid'))
        model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
        history = model.fit(x, y, epochs=a.epochs, batch_size=32, verbose=0, callbacks=[Breathe()])
        _, acc = model.evaluate(xt, yt, batch_size=256, verbose=0)
        losses = [round(float(v), 4) for v in history.history["loss"]]
        return float(acc), int(np.count_nonzero(x)), int(x.size), losses

    settings = {"epochs": a.epochs, "maxlen": a.maxlen, "num_words": a.num_words, "threads": a.threads,
                "seed": a.seed, "mask_zero": a.mask_zero, "tf": tf.__version__}
    out = {"tool": "tf-keras", "settings": settings}
    real = steps = 0
    if a.data:
        rows = read_tsv(a.data)
        folds = read_folds(a.folds, rows, a.data)
        results = []
        for k in range(max(folds) + 1):
            t = clock.elapsed()
            train = [r for r, f in zip(rows, folds) if f != k]
            test = [r for r, f in zip(rows, folds) if f == k]
            acc, r_k, s_k, _ = fit_evaluate(train, test)
            real, steps = real + r_k, steps + s_k
            results.append({"fold": k + 1, "accuracy": round(acc, 4), "n_train": len(train), "n_test": len(test),
                            "seconds": round(clock.elapsed() - t, 2)})
            print(f"fold {k + 1}: accuracy {acc:.4f}", file=sys.stderr)
        accs = [r["accuracy"] for r in results]
        out.update(folds=results, mean_accuracy=round(statistics.fmean(accs), 4),
                   std_accuracy=round(statistics.pstdev(accs), 4))
    else:
        train, test = read_tsv(a.train), read_tsv(a.test)
        acc, real, steps, losses = fit_evaluate(train, test)
        out.update(accuracy=round(acc, 4), n_train=len(train), n_test=len(test), epoch_loss=losses)
    clock.stop()
    out.update(real_tokens=real * a.epochs, computed_steps=steps * a.epochs,
               real_share=round(real / steps, 4), import_seconds=round(import_s, 2),
               seconds=round(clock.seconds, 2), others_cores=round(clock.others_cpu / clock.seconds, 2))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
