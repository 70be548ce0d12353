"""The named models of the speed benchmark as strata builds them (crates/strata-model/src/zoo.rs:
`named_layers` for the layers, `recipe` for the training defaults of `strata train --model X`),
and the synthetic data each one trains on.

The peers (keras_models.py, torch_models.py) build their models from these numbers and generate
their data here; bench/make_synthetic.py writes the same arrays as text for strata's
model_speed example, so all three read identical ids. Every peer prints the recipe fields it
used, and bench/ratios.py refuses to compare rows whose fields differ from strata's.

Data: ids uniform in [1, vocab), label 1 when more than half of a text's real ids are below
vocab/2 (so a model can beat 50%). For e2e/stacked this is exactly ../shared/bench/peers'
common.make_data (same generator, same call), so older figures stay comparable. han reads
documents `[N, S, W]`: each has 1..S sentences of 3..W words, laid out as strata's encode.rs
lays them out (the last sentences kept, sentence slots and words padded with 0 at the front,
sentence-major), which is what strata's `[N, S*W]` rows are.
"""
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Recipe:
    model: str  # strata's --model name
    vocab: int  # --num-words
    embedding_dim: int
    embedding_init: float  # embeddings start uniform in +-this
    maxlen: int  # words per text (per sentence for han)
    sentences: int  # sentences per document; 0 for a flat model
    batch: int
    lr: float  # Adam
    units: int  # recurrent units per direction; feature maps per width for kim-cnn

    def steps(self):
        """Ids per text as strata reads them."""
        return self.maxlen * max(self.sentences, 1)

    def fields(self):
        """The JSON fields every implementation prints, so ratios.py can check they agree."""
        d = asdict(self)
        return {k: d[k] for k in ("vocab", "embedding_dim", "maxlen", "sentences", "batch", "lr", "units")}


# key = the benchmark's model name (e2e/stacked are the seed's names for seed/seed-stacked)
RECIPES = {
    # the seed's Keras code: Embedding(10000, 128) -> LSTM(64) [-> LSTM(64)] -> Dense(1, sigmoid)
    "e2e": Recipe("seed", 10000, 128, 0.05, 100, 0, 32, 1e-3, 64),
    "stacked": Recipe("seed-stacked", 10000, 128, 0.05, 100, 0, 32, 1e-3, 64),
    # GRU(64, reset_after=True) on the seed's recipe
    "gru": Recipe("gru", 10000, 128, 0.05, 100, 0, 32, 1e-3, 64),
    # Bidirectional(LSTM(64)), concatenated final states; bench/README.md's SST-2 recipe
    "bilstm": Recipe("bilstm", 20000, 300, 0.05, 60, 0, 32, 3e-4, 64),
    # Kim 2014 CNN-rand: Conv1D(100, w, relu) + max over time for w in 3, 4, 5, dropout 0.5
    "kim-cnn": Recipe("kim-cnn", 20000, 300, 0.25, 60, 0, 50, 3e-4, 100),
    # Yang 2016: BiGRU(50) + attention(100) per sentence, then over the 15 sentence vectors
    "han": Recipe("han", 10000, 128, 0.05, 30, 15, 32, 1e-3, 50),
}


def make_data(key, n, seed=0):
    """(ids, labels): ids int32 `[n, maxlen]`, or `[n, S, W]` for han; labels float32 `[n]`."""
    r = RECIPES[key]
    rng = np.random.default_rng(seed)
    if not r.sentences:
        x = rng.integers(1, r.vocab, size=(n, r.maxlen), dtype=np.int32)
        y = ((x < r.vocab // 2).sum(axis=1) > r.maxlen // 2).astype(np.float32)
        return x, y
    s, w = r.sentences, r.maxlen
    x = rng.integers(1, r.vocab, size=(n, s, w), dtype=np.int32)
    kept_sentences = rng.integers(1, s + 1, size=(n, 1, 1))
    words = rng.integers(3, w + 1, size=(n, s, 1))
    real = (np.arange(s)[None, :, None] >= s - kept_sentences) & (np.arange(w)[None, None, :] >= w - words)
    x = np.where(real, x, 0).astype(np.int32)
    low = ((x > 0) & (x < r.vocab // 2)).sum(axis=(1, 2))
    y = (2 * low > real.sum(axis=(1, 2))).astype(np.float32)
    return x, y


def real_token_share(x):
    """Share of the ids that are not padding (1.0 for the flat sets)."""
    return float((x > 0).mean())
