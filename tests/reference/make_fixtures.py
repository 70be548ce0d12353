"""Writes the golden fixtures that strata's tests compare against (tf-keras 2.x).

Run with the peers' venv (../shared/bench/peers/setup.sh installs tensorflow-cpu + tf-keras):

    py=$(bash ../shared/bench/peers/setup.sh)
    TF_USE_LEGACY_KERAS=1 $py tests/reference/make_fixtures.py tests/fixtures

Outputs (small, committed; CI needs no Python):
  tokenizer.json — 200+ texts, several Tokenizer configs: word_index, texts_to_sequences and
                   pad_sequences results, as produced by tensorflow.keras.preprocessing.
  lstm.json      — a Keras LSTM's weights, input and output (return_sequences true and false).
  gru.json       — the same for a Keras GRU (reset_after=True, bias [2, 3H]).
  bidirectional.json — the same for Bidirectional(LSTM) with merge_mode="concat".
  seed_step.json — the seed model (Embedding → LSTM → Dense sigmoid) at small size: weights, a
                   batch, the BCE loss, and the weights after one Adam step (train_on_batch).
"""
import json
import os
import random
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.keras.preprocessing.text import Tokenizer  # noqa: E402
from tensorflow.keras.preprocessing.sequence import pad_sequences  # noqa: E402
import tf_keras  # noqa: E402

KERAS_VERSION = "tf_keras " + tf_keras.__version__

out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures"
os.makedirs(out_dir, exist_ok=True)


def texts():
    fixed = [
        "", " ", "   ", "\t\n", "Hello, World!", "hello world", "HELLO   world...",
        "The cat sat on the mat.", "the dog sat on the log", "a b c d e f g",
        "it's a dog's life -- isn't it?", "e-mail me@example.com #tag @user",
        "Ünïcödé wörds: café, naïve, Straße, ΣΟΦΟΣ, İstanbul",
        "中文 文本 没有 空格", "中文文本没有空格。", "emoji 😀 😀 👍🏽 ok",
        "tabs\tand\nnewlines\rcarriage", "non\u00a0breaking\u2003space", "zero\u200bwidth",
        "x" * 50, "tied tied also also", "also tied", "numbers 123 4.56 7,890",
        "brackets (round) [square] {curly} <angle>", "quotes \"double\" 'single' `back`",
        "slashes a/b\\c|d", "under_score and-dash", "MiXeD CaSe WoRdS", "ÀÉÎÕÜ àéîõü",
        "<OOV> oov OOV", "~!@#$%^&*()_+", "end.", ".start", "many     spaces    here",
    ]
    rng = random.Random(7)
    words = ["the", "a", "movie", "film", "good", "bad", "great", "awful", "plot", "acting",
             "is", "was", "not", "very", "really", "boring", "fun", "Film", "GOOD", "café",
             "naïve", "über", "日本", "語", "😀", "it's", "don't", "-lrb-", "-rrb-", "x"]
    seps = [" ", "  ", ", ", ". ", "! ", "? ", " - ", "\t", "\n", ";", ":", "/", "'", "\u00a0"]
    gen = []
    for _ in range(200):
        n = rng.randint(0, 25)
        parts = []
        for _ in range(n):
            parts.append(rng.choice(words))
            parts.append(rng.choice(seps))
        gen.append("".join(parts).strip(" ") if rng.random() < 0.8 else "".join(parts))
    return fixed + gen


T = texts()
configs = [
    {"name": "seed", "kwargs": {"num_words": 10000, "oov_token": "<OOV>"}},
    {"name": "default", "kwargs": {}},
    {"name": "cut5_oov", "kwargs": {"num_words": 5, "oov_token": "<OOV>"}},
    {"name": "cut12", "kwargs": {"num_words": 12}},
    {"name": "no_lower", "kwargs": {"lower": False, "oov_token": "[UNK]"}},
    {"name": "custom_filters", "kwargs": {"filters": "aeiou", "oov_token": "oov"}},
    {"name": "split_comma", "kwargs": {"split": ",", "num_words": 30}},
    {"name": "char", "kwargs": {"char_level": True, "oov_token": "\u2047"}},
    {"name": "char_cut", "kwargs": {"char_level": True, "num_words": 20, "lower": False}},
]
pads = [
    {"maxlen": 10, "padding": "pre", "truncating": "pre", "value": 0},
    {"maxlen": 10, "padding": "post", "truncating": "post", "value": 0},
    {"maxlen": 7, "padding": "pre", "truncating": "post", "value": 3},
    {"maxlen": 3, "padding": "post", "truncating": "pre", "value": 0},
    {"maxlen": None, "padding": "pre", "truncating": "pre", "value": 0},
]
fit_texts, apply_texts = T[:150], T
cases = []
for c in configs:
    tok = Tokenizer(**c["kwargs"])
    tok.fit_on_texts(fit_texts)
    seqs = tok.texts_to_sequences(apply_texts)
    padded = []
    for p in pads:
        if p["maxlen"] is None and c["name"] != "seed":
            continue  # keeps the fixture small; one config covers maxlen=None
        arr = pad_sequences(seqs, maxlen=p["maxlen"], padding=p["padding"],
                            truncating=p["truncating"], value=p["value"])
        padded.append({**p, "shape": list(arr.shape), "values": arr.flatten().tolist()})
    cases.append({"name": c["name"], "kwargs": c["kwargs"], "word_index": tok.word_index,
                  "document_count": tok.document_count, "sequences": seqs, "padded": padded})
with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
    json.dump({"keras": KERAS_VERSION, "fit_texts": fit_texts, "apply_texts": apply_texts,
               "cases": cases}, f, ensure_ascii=False)

# --- LSTM forward ---
tf.keras.utils.set_random_seed(3)
B, T_, E, H = 3, 5, 6, 4
x = np.random.default_rng(1).normal(size=(B, T_, E)).astype(np.float32)
res = {}
for rs in (True, False):
    layer = tf.keras.layers.LSTM(H, return_sequences=rs)
    y = layer(x).numpy()
    k, rk, b = [w.numpy() for w in layer.weights]
    # make the bias non-trivial so that its gate order is tested too
    b = np.random.default_rng(2).normal(size=b.shape).astype(np.float32) * 0.5
    layer.set_weights([k, rk, b])
    y = layer(x).numpy()
    res["seq" if rs else "last"] = {"kernel": k.tolist(), "recurrent_kernel": rk.tolist(),
                                    "bias": b.tolist(), "output": y.tolist()}
with open(os.path.join(out_dir, "lstm.json"), "w") as f:
    json.dump({"keras": KERAS_VERSION, "B": B, "T": T_, "E": E, "H": H,
               "input": x.tolist(), **res}, f)

# --- GRU forward (reset_after=True, Keras's default) ---
tf.keras.utils.set_random_seed(6)
B, T_, E, H = 3, 5, 6, 4
xg = np.random.default_rng(7).normal(size=(B, T_, E)).astype(np.float32)
gru_res = {}
for rs in (True, False):
    layer = tf.keras.layers.GRU(H, return_sequences=rs)
    layer(xg)
    k, rk, b = [w.numpy() for w in layer.weights]
    b = np.random.default_rng(8).normal(size=b.shape).astype(np.float32) * 0.5
    layer.set_weights([k, rk, b])
    gru_res["seq" if rs else "last"] = {"kernel": k.tolist(), "recurrent_kernel": rk.tolist(),
                                        "bias": b.tolist(), "output": layer(xg).numpy().tolist()}
with open(os.path.join(out_dir, "gru.json"), "w") as f:
    json.dump({"keras": KERAS_VERSION, "B": B, "T": T_, "E": E, "H": H, "input": xg.tolist(), **gru_res}, f)

# --- Bidirectional(LSTM), merge_mode="concat" ---
tf.keras.utils.set_random_seed(9)
B, T_, E, H = 2, 4, 3, 3
xb = np.random.default_rng(10).normal(size=(B, T_, E)).astype(np.float32)
bi_res = {}
for rs in (True, False):
    layer = tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(H, return_sequences=rs))
    layer(xb)
    ws = [w.numpy() for w in layer.weights]  # forward k, rk, b, backward k, rk, b
    ws[2] = np.random.default_rng(11).normal(size=ws[2].shape).astype(np.float32) * 0.5
    ws[5] = np.random.default_rng(12).normal(size=ws[5].shape).astype(np.float32) * 0.5
    layer.set_weights(ws)
    bi_res["seq" if rs else "last"] = {"weights": [w.tolist() for w in ws], "output": layer(xb).numpy().tolist()}
with open(os.path.join(out_dir, "bidirectional.json"), "w") as f:
    json.dump({"keras": KERAS_VERSION, "B": B, "T": T_, "E": E, "H": H, "input": xb.tolist(), **bi_res}, f)

# --- seed model, one Adam step ---
tf.keras.utils.set_random_seed(5)
V, E, H, T_, B = 20, 8, 6, 7, 4
model = tf.keras.Sequential([tf.keras.layers.Embedding(V, E, input_length=T_),
                             tf.keras.layers.LSTM(H), tf.keras.layers.Dense(1, activation="sigmoid")])
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
ids = np.random.default_rng(4).integers(0, V, size=(B, T_)).astype(np.int32)
yb = np.array([1, 0, 1, 1], dtype=np.float32)
model.build((None, T_))
before = [w.numpy().tolist() for w in model.weights]
names = [w.name for w in model.weights]
prob = model(ids).numpy().reshape(-1).tolist()
loss = float(model.train_on_batch(ids, yb)[0])
after1 = [w.numpy().tolist() for w in model.weights]
loss2 = float(model.train_on_batch(ids, yb)[0])
after2 = [w.numpy().tolist() for w in model.weights]
with open(os.path.join(out_dir, "seed_step.json"), "w") as f:
    json.dump({"keras": KERAS_VERSION, "V": V, "E": E, "H": H, "T": T_, "B": B,
               "names": names, "ids": ids.tolist(), "labels": yb.tolist(), "prob": prob,
               "loss1": loss, "loss2": loss2, "before": before, "after1": after1,
               "after2": after2}, f)
print("wrote fixtures to", out_dir, "with keras", KERAS_VERSION)
