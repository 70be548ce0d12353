"""PyTorch peer of `strata pretrain`'s language model (issue 12), for its tokens/s: the same size
and training as strata's default pretraining, on the same token stream, written as a PyTorch
user would write it.

Model: Embedding(20000, 128) -> dropout 0.1 -> LSTM(128, 64) -> dropout 0.25 -> decoder
[20000, 64] + bias, trained with a sampled softmax: 1024 negatives per batch, shared by every
position, drawn log-uniformly over the frequency-ranked ids (TensorFlow's default candidate
sampler), with the log-Q correction (each logit minus log(1024 * Q(id))) and accidental hits
masked. Adam 1e-3, truncated BPTT of 70 steps over 32 parallel streams, state carried across
segments.

Tokens: Keras's Tokenizer (lower-case, Keras's filters, split on spaces, num_words 20000,
oov_token "<OOV>" at id 1, ties in count kept in first-seen order), one text a line in each
--data file (a `label<TAB>text` line gives its text); texts joined into one stream with id 0
between them, as input and as target.

Usage: PY lm_torch.py --data ../shared/data/imdb_full/unsup.txt [--data ...] [--threads 2]
           [--warmup 10] [--batches 60]
Prints one JSON line: tokens_per_s over --batches batches after --warmup, and the losses."""
import argparse
import json
import math
import os
import sys
import time
from collections import Counter

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--data", action="append", required=True)
ap.add_argument("--vocab", type=int, default=20000)
ap.add_argument("--dim", type=int, default=128)
ap.add_argument("--units", type=int, default=64)
ap.add_argument("--samples", type=int, default=1024)
ap.add_argument("--bptt", type=int, default=70)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--lr", type=float, default=1e-3)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--warmup", type=int, default=10)
ap.add_argument("--batches", type=int, default=60)
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()

os.environ["OMP_NUM_THREADS"] = str(args.threads)
import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(args.threads)
torch.manual_seed(args.seed)

KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
SPLIT = str.maketrans({c: " " for c in KERAS_FILTERS})


def texts(paths):
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line.strip():
                    continue
                if p.endswith(".tsv"):
                    line = line.split("\t", 1)[1]
                yield line.lower().translate(SPLIT).split(" ")


t0 = time.perf_counter()
counts = Counter()
for words in texts(args.data):
    counts.update(w for w in words if w)  # a Counter keeps first-seen order: Keras's ties
ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
index = {w: i + 2 for i, (w, _) in enumerate(ranked[: args.vocab - 2])}  # 0 padding, 1 <OOV>
stream = []
for words in texts(args.data):  # a second pass rather than keeping every word in memory
    stream.extend(index.get(w, 1) for w in words if w)
    stream.append(0)
tokenise_s = time.perf_counter() - t0

data = torch.tensor(stream, dtype=torch.long)
per_stream = (len(data) - 1) // args.batch
x_all = data[: per_stream * args.batch].view(args.batch, per_stream)
y_all = data[1: per_stream * args.batch + 1].view(args.batch, per_stream)
need = (args.warmup + args.batches) * args.bptt
if need > per_stream:
    sys.exit(f"error: {need} steps per stream needed, the data gives {per_stream} (hint: fewer --batches)")


class LanguageModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(args.vocab, args.dim)
        self.drop_emb = nn.Dropout(0.1)
        self.lstm = nn.LSTM(args.dim, args.units, batch_first=True)
        self.drop_out = nn.Dropout(0.25)
        self.decoder_weight = nn.Parameter(torch.empty(args.vocab, args.units).uniform_(-0.05, 0.05))
        self.decoder_bias = nn.Parameter(torch.zeros(args.vocab))

    def forward(self, x, state):
        h, state = self.lstm(self.drop_emb(self.emb(x)), state)
        return self.drop_out(h), state


# Log-uniform (Zipfian) proposal over ids ranked by frequency: Q(k) = log((k+2)/(k+1)) / log(V+1).
ids = torch.arange(args.vocab, dtype=torch.float64)
q = ((ids + 2).log() - (ids + 1).log()) / math.log(args.vocab + 1)
log_expected = (q * args.samples).log().float()  # log-Q correction: log of each id's expected count
q = q.float()


def sampled_softmax_loss(model, h, y):
    """Mean sampled-softmax cross-entropy of the targets `y` given the top states `h`."""
    h = h.reshape(-1, args.units)
    y = y.reshape(-1)
    neg = torch.multinomial(q, args.samples, replacement=True)  # shared by the whole batch
    true_logit = (h * model.decoder_weight[y]).sum(1) + model.decoder_bias[y] - log_expected[y]
    neg_logits = h @ model.decoder_weight[neg].t() + model.decoder_bias[neg] - log_expected[neg]
    neg_logits = neg_logits.masked_fill(neg.unsqueeze(0) == y.unsqueeze(1), float("-inf"))  # accidental hits
    logits = torch.cat([true_logit.unsqueeze(1), neg_logits], 1)
    return -torch.log_softmax(logits, 1)[:, 0].mean()


model = LanguageModel()
opt = torch.optim.Adam(model.parameters(), lr=args.lr)
model.train()
state = None
losses = []
for b in range(args.warmup + args.batches):
    if b == args.warmup:
        start, start_cpu = time.perf_counter(), time.process_time()
    s = b * args.bptt
    x, y = x_all[:, s: s + args.bptt], y_all[:, s: s + args.bptt]
    if state is not None:
        state = tuple(t.detach() for t in state)
    opt.zero_grad(set_to_none=True)
    h, state = model(x, state)
    loss = sampled_softmax_loss(model, h, y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
timed_s = time.perf_counter() - start
timed_cpu_s = time.process_time() - start_cpu
tokens = args.batches * args.batch * args.bptt
print(json.dumps({
    "peer": "torch", "torch": torch.__version__, "model": "lm-lstm",
    "vocab": args.vocab, "embedding_dim": args.dim, "units": args.units, "samples": args.samples,
    "bptt": args.bptt, "batch": args.batch, "threads": torch.get_num_threads(),
    "stream_tokens": len(stream), "tokenise_s": round(tokenise_s, 1),
    "warmup_batches": args.warmup, "timed_batches": args.batches, "timed_s": round(timed_s, 2),
    "tokens_per_s": round(tokens / timed_s, 1),
    "cpu_util": round(timed_cpu_s / timed_s, 2),  # below --threads: the machine was shared
    "tokens_per_cpu_s": round(tokens / timed_cpu_s, 1),
    "first_loss": round(losses[0], 4), "last_loss": round(losses[-1], 4),
}))
