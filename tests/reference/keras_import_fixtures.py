"""Writes the golden fixtures of `strata import-keras` (crates/strata-cli/tests/import_keras.rs).

Small Keras text classifiers of the seed family, saved the ways Keras users have them, with the
tokenizer's `to_json()` and what Keras itself predicts, so that the Rust test can import each one
and compare — CI never needs Python. Run with the peers' venv:

    ~/.cache/strata-peers/venv/bin/python tests/reference/keras_import_fixtures.py \
        tests/fixtures/keras_import

Outputs (KBs, committed):
  tokenizer.json      — tf_keras Tokenizer(num_words=50, oov_token="<OOV>").to_json()
  lstm.h5             — tf-keras 2.x legacy HDF5: Embedding(50, 8) → LSTM(6) → Dense(1, sigmoid)
  lstm.keras          — the same model saved by tf-keras in the zip format (.keras)
  stacked.keras       — Keras 3: Embedding(50, 8, mask_zero) → GRU(6, return_sequences) →
                        Bidirectional(LSTM(4)) → Dense(3, softmax)
  bigru.h5            — Keras 3 legacy HDF5: Embedding(50, 8) → Bidirectional(GRU(5)) →
                        Dropout → Dense(2, softmax)
  functional.h5       — tf-keras functional, input of any length (so --maxlen), post-padded:
                        Embedding → Bidirectional(GRU(4), sequences) → LSTM(5) → Dense(6, relu) →
                        Dense(4, softmax)
  functional3.keras   — Keras 3 functional, post-padded and masked: Embedding(mask_zero) →
                        GRU(5) → Dense(1, sigmoid)
  conv1d.keras        — Keras 3: Embedding → Conv1D → GlobalMaxPooling1D → Dense (refused)
  two_inputs.h5       — tf-keras functional with two text inputs (refused)
  expected.json       — the texts, Keras's ids and padded rows, and each model's predictions
"""
import json
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
import keras  # noqa: E402  (Keras 3, beside tf_keras)
from tf_keras.preprocessing.text import Tokenizer  # noqa: E402
from tf_keras.preprocessing.sequence import pad_sequences  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/keras_import"
os.makedirs(out, exist_ok=True)
V, E, MAXLEN = 50, 8, 12

fit_texts = [
    "the movie was good", "the film was bad", "a great plot and great acting",
    "awful acting, boring plot!", "I really liked it", "I did not like it at all",
    "what a fun film", "very very boring", "the best movie of the year",
    "the worst movie of the year", "not good, not bad", "Café au lait: naïve über film",
    "It's a dog's life -- isn't it?", "e-mail me@example.com #tag @user",
    "one two three four five six seven eight nine ten eleven twelve thirteen",
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi",
    "omicron pi rho sigma tau upsilon phi chi psi omega",
]
texts = fit_texts + [
    "", "unseen words only here", "GOOD MOVIE", "the the the the",
    "a very long text that goes on and on beyond the twelve steps of the model maxlen",
    "omega psi chi phi", "naïve café", "good\tbad\nfilm",
]

tok = Tokenizer(num_words=V, oov_token="<OOV>")
tok.fit_on_texts(fit_texts)
with open(os.path.join(out, "tokenizer.json"), "w") as f:
    f.write(tok.to_json())
ids = tok.texts_to_sequences(texts)
x = pad_sequences(ids, maxlen=MAXLEN)  # padding and truncating 'pre', Keras's default
rng = np.random.default_rng(15)


def randomise(model):
    """Weights large enough that predictions spread over (0, 1) without training."""
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])


expected = {"tf_keras": tf_keras.__version__, "keras": keras.__version__, "maxlen": MAXLEN,
            "texts": texts, "ids": ids, "padded": x.tolist(), "predictions": {}}

# tf-keras 2.x: the legacy .h5 most Keras text classifiers were saved as, and its .keras.
m = tf_keras.Sequential([
    tf_keras.layers.Embedding(V, E, input_length=MAXLEN),
    tf_keras.layers.LSTM(6),
    tf_keras.layers.Dense(1, activation="sigmoid"),
])
m.build((None, MAXLEN))
randomise(m)
m.save(os.path.join(out, "lstm.h5"))
m.save(os.path.join(out, "lstm.keras"))
p = m.predict(x, verbose=0)
expected["predictions"]["lstm.h5"] = p.tolist()
expected["predictions"]["lstm.keras"] = p.tolist()

# Keras 3: stacked, masked, bidirectional, softmax.
m3 = keras.Sequential([
    keras.Input(shape=(MAXLEN,), dtype="int32"),
    keras.layers.Embedding(V, E, mask_zero=True),
    keras.layers.GRU(6, return_sequences=True),
    keras.layers.Bidirectional(keras.layers.LSTM(4)),
    keras.layers.Dense(3, activation="softmax"),
])
randomise(m3)
m3.save(os.path.join(out, "stacked.keras"))
expected["predictions"]["stacked.keras"] = np.asarray(m3.predict(x, verbose=0)).tolist()

# Keras 3's legacy .h5: a bidirectional GRU, a dropout (identity at inference), two-way softmax.
m4 = keras.Sequential([
    keras.Input(shape=(MAXLEN,), dtype="int32"),
    keras.layers.Embedding(V, E),
    keras.layers.Bidirectional(keras.layers.GRU(5)),
    keras.layers.Dropout(0.3),
    keras.layers.Dense(2, activation="softmax"),
])
randomise(m4)
m4.save(os.path.join(out, "bigru.h5"))
expected["predictions"]["bigru.h5"] = np.asarray(m4.predict(x, verbose=0)).tolist()

# tf-keras functional: no fixed input length, texts padded and cut at the end.
xp = pad_sequences(ids, maxlen=MAXLEN, padding="post", truncating="post")
expected["padded_post"] = xp.tolist()
inp = tf_keras.Input(shape=(None,), dtype="int32")
h = tf_keras.layers.Embedding(V, E)(inp)
h = tf_keras.layers.Bidirectional(tf_keras.layers.GRU(4, return_sequences=True))(h)
h = tf_keras.layers.LSTM(5)(h)
h = tf_keras.layers.Dense(6, activation="relu")(h)
f = tf_keras.Model(inp, tf_keras.layers.Dense(4, activation="softmax")(h))
randomise(f)
f.save(os.path.join(out, "functional.h5"))
expected["predictions"]["functional.h5"] = f.predict(xp, verbose=0).tolist()

# Keras 3 functional: masked, so the post-padding is skipped and the state is the last word's.
i3 = keras.Input(shape=(MAXLEN,), dtype="int32")
h = keras.layers.Embedding(V, E, mask_zero=True)(i3)
h = keras.layers.GRU(5)(h)
f3 = keras.Model(i3, keras.layers.Dense(1, activation="sigmoid")(h))
randomise(f3)
f3.save(os.path.join(out, "functional3.keras"))
expected["predictions"]["functional3.keras"] = np.asarray(f3.predict(xp, verbose=0)).tolist()

# Two inputs, which the import refuses.
a, b = tf_keras.Input(shape=(MAXLEN,)), tf_keras.Input(shape=(MAXLEN,))
ea, eb = tf_keras.layers.Embedding(V, 2)(a), tf_keras.layers.Embedding(V, 2)(b)
h = tf_keras.layers.LSTM(2)(tf_keras.layers.Concatenate()([ea, eb]))
tf_keras.Model([a, b], tf_keras.layers.Dense(1, activation="sigmoid")(h)).save(os.path.join(out, "two_inputs.h5"))

# Another architecture, which the import refuses by name.
c = keras.Sequential([
    keras.Input(shape=(MAXLEN,), dtype="int32"),
    keras.layers.Embedding(V, 4),
    keras.layers.Conv1D(3, 2),
    keras.layers.GlobalMaxPooling1D(),
    keras.layers.Dense(1, activation="sigmoid"),
])
c.save(os.path.join(out, "conv1d.keras"))

with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, ensure_ascii=False)
print("wrote", sorted(os.listdir(out)))
