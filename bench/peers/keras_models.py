"""tf-keras peer of every model in strata's speed benchmark (issue 14 point 3): the seed's two
models as the seed wrote them, and gru, bilstm, kim-cnn and han with strata's layers, sizes,
initialisers and recipe (recipes.py), trained on recipes.make_data.

Usage: PY keras_models.py --model e2e|stacked|gru|bilstm|kim-cnn|han [--n 8192] [--epochs 3]
           [--threads 2] [--infer-batch 256] [--infer1 300] [--json]

tf-keras 2.x (TF_USE_LEGACY_KERAS=1), the Keras the seed was written for. Training: model.fit
shuffled, Adam at the recipe's rate, binary cross-entropy on one sigmoid; samples/s over the
epochs after the first (tracing). Inference: model.predict at --infer-batch over the training
set, and model(x, training=False) one text at a time over --infer1 texts, traced once with
tf.function as a served SavedModel is.
"""
import json
import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from recipes import RECIPES, make_data, real_token_share  # noqa: E402
from run_stats import Timer, peak_rss_mb, peer_args, steady_state  # noqa: E402

args = peer_args(__doc__)

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # before TensorFlow is imported
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["OMP_NUM_THREADS"] = str(args.threads)

import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(args.threads)
tf.config.threading.set_inter_op_parallelism_threads(args.threads)
tf.keras.utils.set_random_seed(0)

from tensorflow.keras import layers  # noqa: E402
from tensorflow.keras.models import Model, Sequential  # noqa: E402

r = RECIPES[args.model]


# --- the seed's model code, as written (keras_seed.py) ---
def build_end_to_end():
    model = Sequential()
    model.add(layers.Embedding(10000, 128, input_length=100))
    model.add(layers.LSTM(64))
    model.add(layers.Dense(1, activation='sigmoid'))
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    return model


def build_hierarchical():
    model = Sequential()
    model.add(layers.Embedding(10000, 128, input_length=100))
    model.add(layers.LSTM(64, return_sequences=True))
    model.add(layers.LSTM(64))
    model.add(layers.Dense(1, activation='sigmoid'))
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    return model


# --- strata's other named models (zoo.rs) ---
class Attention(layers.Layer):
    """Yang et al. (2016): u = tanh(x W + b), a = softmax_t(u . c), out = sum_t a_t x_t
    (strata's attention layer: kernel [D, A] and context [A] glorot-uniform, bias zeros)."""

    def __init__(self, dim, **kw):
        super().__init__(**kw)
        self.dim = dim

    def build(self, shape):
        self.w = self.add_weight(name="kernel", shape=(shape[-1], self.dim), initializer="glorot_uniform")
        self.b = self.add_weight(name="bias", shape=(self.dim,), initializer="zeros")
        self.c = self.add_weight(name="context", shape=(self.dim, 1), initializer="glorot_uniform")

    def call(self, x):
        u = tf.tanh(tf.tensordot(x, self.w, axes=1) + self.b)  # [B, T, A]
        a = tf.nn.softmax(tf.tensordot(u, self.c, axes=1), axis=1)  # [B, T, 1]
        return tf.reduce_sum(a * x, axis=1)  # [B, D]


def embedding():
    init = tf.keras.initializers.RandomUniform(-r.embedding_init, r.embedding_init)
    return layers.Embedding(r.vocab, r.embedding_dim, embeddings_initializer=init)


def head(x):
    return layers.Dense(1, activation="sigmoid")(x)


def build_named():
    if args.model == "gru":
        inp = layers.Input((r.maxlen,), dtype="int32")
        out = head(layers.GRU(r.units)(embedding()(inp)))
    elif args.model == "bilstm":
        inp = layers.Input((r.maxlen,), dtype="int32")
        out = head(layers.Bidirectional(layers.LSTM(r.units))(embedding()(inp)))
    elif args.model == "kim-cnn":
        inp = layers.Input((r.maxlen,), dtype="int32")
        e = embedding()(inp)
        pools = [layers.GlobalMaxPooling1D()(layers.Conv1D(r.units, w, activation="relu")(e)) for w in (3, 4, 5)]
        out = head(layers.Dropout(0.5)(layers.Concatenate()(pools)))
    else:  # han: the word level reads each sentence, the sentence level the sentence vectors
        words = layers.Input((r.maxlen,), dtype="int32")
        seq = layers.Bidirectional(layers.GRU(r.units, return_sequences=True))(embedding()(words))
        sentence = Model(words, Attention(2 * r.units)(seq))
        inp = layers.Input((r.sentences, r.maxlen), dtype="int32")
        sents = layers.TimeDistributed(sentence)(inp)  # [B, S, 2U]
        doc = layers.Bidirectional(layers.GRU(r.units, return_sequences=True))(sents)
        out = head(Attention(2 * r.units)(doc))
    model = Model(inp, out)
    model.compile(loss="binary_crossentropy", optimizer=tf.keras.optimizers.Adam(r.lr), metrics=["accuracy"])
    return model


class EpochTimer(tf.keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.timers = []

    def on_epoch_begin(self, epoch, logs=None):
        self.timers.append(Timer().__enter__())

    def on_epoch_end(self, epoch, logs=None):
        self.timers[-1].__exit__()


x, y = make_data(args.model, args.n, seed=0)
xt, yt = make_data(args.model, args.heldout, seed=1)
builders = {"e2e": build_end_to_end, "stacked": build_hierarchical}
model = builders.get(args.model, build_named)()
cb = EpochTimer()
hist = model.fit(x, y, epochs=args.epochs, batch_size=r.batch, shuffle=True, verbose=0, callbacks=[cb])
train = steady_state(cb.timers, args.n)

model.predict(x[: args.infer_batch * 2], batch_size=args.infer_batch, verbose=0)  # trace
with Timer() as ti:
    model.predict(x, batch_size=args.infer_batch, verbose=0)
# one text at a time through a traced call, as a SavedModel is served (eager calls would
# run the recurrent loops step by step in Python and flatter strata)
serve = tf.function(lambda xb: model(xb, training=False))
k = min(args.infer1, args.n)
for i in range(5):  # trace
    serve(x[i:i + 1])
with Timer() as t1:
    for i in range(k):
        serve(x[i:i + 1])
_, heldout_acc = model.evaluate(xt, yt, batch_size=256, verbose=0)

res = {
    "peer": "keras-legacy", "tf": tf.__version__, "model": args.model,
    "n": args.n, "epochs": args.epochs, "threads": args.threads, **r.fields(),
    "real_token_share": round(real_token_share(x), 3),
    "epoch_s": [round(t.wall, 2) for t in cb.timers],
    **train,
    "infer_samples_per_s": round(args.n / ti.wall, 1),
    "infer1_samples_per_s": round(k / t1.wall, 1),
    "final_train_acc": round(float(hist.history["accuracy"][-1]), 4),
    "final_train_loss": round(float(hist.history["loss"][-1]), 4),
    "heldout_acc": round(float(heldout_acc), 4),
    "ru_maxrss_mb": round(peak_rss_mb(), 1),
}
print(json.dumps(res) if args.json else "\n".join(f"{k:24s} {v}" for k, v in res.items()))
