"""Writes the golden fixtures of strata's masked recurrent layers (--mask-padding) from tf-keras 2.x.

`Embedding(mask_zero=True)` makes Keras's recurrent layers skip the padding (id 0): a masked
step carries the state unchanged, the last state is the state after the last real token, and
with return_sequences a one-direction layer repeats its previous output at a masked step
(zeros before the first real token) while `Bidirectional` outputs zeros there (it sets
zero_output_for_mask=True on both halves). The backward half (go_backwards) reverses the padded
sequence and its mask. These fixtures pin all of that, for pre- and post-padded ids.

Run with the peers' venv (../shared/bench/peers/setup.sh installs tensorflow-cpu + tf-keras):

    TF_USE_LEGACY_KERAS=1 ~/.cache/strata-peers/venv/bin/python \
        tests/reference/masked_fixtures.py tests/fixtures

Outputs (small, committed; CI needs no Python): masked_lstm.json, masked_gru.json,
masked_bilstm.json, masked_bigru.json. Each holds B, T, E, H and, per padding ("pre", "post"):
the ids, the embedding's output (`input`, [B, T, E], padding rows included: they are not zero,
so reading one would show), the mask ([B, T], 1 = real token), and per "seq"/"last"
(return_sequences True/False, same weights) the layer's weights in Keras order and its output.
"""
import json
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402

KERAS_VERSION = "tf_keras " + tf_keras.__version__

out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures"
os.makedirs(out_dir, exist_ok=True)

V, B, T, E, H = 11, 5, 6, 3, 4
# texts of 6, 4, 3, 1 and 0 real tokens: a full row, partial rows, and a row with no token
LENGTHS = [6, 4, 3, 1, 0]


def padded_ids(padding):
    rng = np.random.default_rng(20)
    ids = np.zeros((B, T), dtype=np.int32)
    for r, n in enumerate(LENGTHS):
        tokens = rng.integers(1, V, size=n)
        if n:
            if padding == "pre":
                ids[r, T - n:] = tokens
            else:
                ids[r, :n] = tokens
    return ids


def make(cell, bidirectional, seed):
    tf.keras.utils.set_random_seed(seed)
    rnn = {"lstm": tf.keras.layers.LSTM, "gru": tf.keras.layers.GRU}[cell]
    emb = tf.keras.layers.Embedding(V, E, mask_zero=True,
                                    embeddings_initializer=tf.keras.initializers.RandomNormal(stddev=1.0))
    layers = {}
    weights = None
    for rs in (True, False):
        inner = rnn(H, return_sequences=rs)
        layer = tf.keras.layers.Bidirectional(inner, merge_mode="concat") if bidirectional else inner
        model = tf.keras.Sequential([tf.keras.Input((T,), dtype="int32"), emb, layer])
        if weights is None:
            ws = [w.numpy() for w in layer.weights]
            # non-trivial biases, so that their gate order is tested too
            brng = np.random.default_rng(seed + 1)
            ws = [brng.normal(size=w.shape).astype(np.float32) * 0.5 if "bias" in v.name else w
                  for w, v in zip(ws, layer.weights)]
            weights = ws
        layer.set_weights(weights)
        layers["seq" if rs else "last"] = model
    out = {"keras": KERAS_VERSION, "B": B, "T": T, "E": E, "H": H}
    for padding in ("pre", "post"):
        ids = padded_ids(padding)
        x = emb(ids).numpy()
        mask = (ids != 0).astype(np.int32)
        case = {"ids": ids.tolist(), "input": x.tolist(), "mask": mask.tolist()}
        for name, model in layers.items():
            case[name] = {"weights": [w.tolist() for w in weights], "output": model(ids).numpy().tolist()}
        out[padding] = case
    name = ("bi" if bidirectional else "") + cell
    with open(os.path.join(out_dir, f"masked_{name}.json"), "w") as f:
        json.dump(out, f)


make("lstm", False, 31)
make("gru", False, 32)
make("lstm", True, 33)
make("gru", True, 34)
print("wrote masked fixtures to", out_dir, "with keras", KERAS_VERSION)
