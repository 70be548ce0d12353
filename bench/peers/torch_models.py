"""PyTorch peer of every model in strata's speed benchmark (issue 14 point 3): the seed's e2e and
stacked LSTMs (as torch_seed.py writes them) and gru, bilstm, kim-cnn and han with strata's
layers, sizes and recipe (recipes.py), trained on recipes.make_data.

Usage: PY torch_models.py --model e2e|stacked|gru|bilstm|kim-cnn|han [--n 8192] [--epochs 3]
           [--threads 2] [--infer-batch 256] [--infer1 300] [--json]

Written as a PyTorch user would: nn.LSTM/nn.GRU (batch_first, zero initial state; nn.GRU is
Keras's reset_after=True form), the last hidden state (both directions' for bidirectional:
forward after the last step, backward after the first), Linear -> BCEWithLogits, Adam at the
recipe's rate, shuffled batches. Embeddings start uniform in +-embedding_init as strata's do.
Inference under torch.inference_mode: batches of --infer-batch over the training set, and one
text at a time over --infer1 texts.
"""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from recipes import RECIPES, make_data, real_token_share  # noqa: E402
from run_stats import Timer, peak_rss_mb, peer_args, steady_state  # noqa: E402

args = peer_args(__doc__)

os.environ["OMP_NUM_THREADS"] = str(args.threads)
import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(args.threads)
torch.manual_seed(0)
r = RECIPES[args.model]


def embedding():
    e = nn.Embedding(r.vocab, r.embedding_dim)
    nn.init.uniform_(e.weight, -r.embedding_init, r.embedding_init)
    return e


class Recurrent(nn.Module):
    """e2e, stacked, gru, bilstm: embedding -> recurrent layer(s) -> last state -> logit."""

    def __init__(self, cell, layers=1, bidirectional=False):
        super().__init__()
        self.emb = embedding()
        self.rnn = cell(r.embedding_dim, r.units, num_layers=layers, batch_first=True, bidirectional=bidirectional)
        self.dirs = 2 if bidirectional else 1
        self.out = nn.Linear(self.dirs * r.units, 1)

    def forward(self, x):
        _, h = self.rnn(self.emb(x))
        h = h[0] if isinstance(h, tuple) else h  # LSTM gives (h, c)
        top = torch.cat([h[-2], h[-1]], dim=1) if self.dirs == 2 else h[-1]
        return self.out(top).squeeze(-1)


class KimCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = embedding()
        self.convs = nn.ModuleList(nn.Conv1d(r.embedding_dim, r.units, w) for w in (3, 4, 5))
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(3 * r.units, 1)

    def forward(self, x):
        e = self.emb(x).transpose(1, 2)  # [B, E, T]
        pooled = [torch.relu(c(e)).amax(dim=2) for c in self.convs]
        return self.out(self.drop(torch.cat(pooled, dim=1))).squeeze(-1)


class Attention(nn.Module):
    """u = tanh(x W + b), a = softmax_t(u . c), out = sum_t a_t x_t."""

    def __init__(self, d, a):
        super().__init__()
        self.proj = nn.Linear(d, a)
        self.context = nn.Parameter(torch.empty(a))
        nn.init.uniform_(self.context, -(6 / (a + 1)) ** 0.5, (6 / (a + 1)) ** 0.5)

    def forward(self, x):  # [B, T, D]
        a = torch.softmax(torch.tanh(self.proj(x)) @ self.context, dim=1)  # [B, T]
        return (a.unsqueeze(-1) * x).sum(dim=1)


class Han(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = embedding()
        self.words = nn.GRU(r.embedding_dim, r.units, batch_first=True, bidirectional=True)
        self.word_attention = Attention(2 * r.units, 2 * r.units)
        self.sentences = nn.GRU(2 * r.units, r.units, batch_first=True, bidirectional=True)
        self.sentence_attention = Attention(2 * r.units, 2 * r.units)
        self.out = nn.Linear(2 * r.units, 1)

    def forward(self, x):  # [B, S, W]
        b, s, w = x.shape
        seq, _ = self.words(self.emb(x.reshape(b * s, w)))
        sents = self.word_attention(seq).reshape(b, s, -1)
        seq, _ = self.sentences(sents)
        return self.out(self.sentence_attention(seq)).squeeze(-1)


def build():
    if args.model == "kim-cnn":
        return KimCnn()
    if args.model == "han":
        return Han()
    cell = nn.GRU if args.model == "gru" else nn.LSTM
    return Recurrent(cell, layers=2 if args.model == "stacked" else 1, bidirectional=args.model == "bilstm")


xn, yn = make_data(args.model, args.n, seed=0)
xtn, ytn = make_data(args.model, args.heldout, seed=1)
x, y = torch.from_numpy(xn).long(), torch.from_numpy(yn)
xt, yt = torch.from_numpy(xtn).long(), torch.from_numpy(ytn)

model = build()
opt = torch.optim.Adam(model.parameters(), lr=r.lr)
loss_fn = nn.BCEWithLogitsLoss()
timers, accs, losses = [], [], []
for epoch in range(args.epochs):
    model.train()
    correct, tot_loss = 0, 0.0
    with Timer() as t:
        perm = torch.randperm(args.n)
        for i in range(0, args.n, r.batch):
            idx = perm[i:i + r.batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            tot_loss += loss.item() * len(idx)
            correct += ((logits.detach() > 0).float() == yb).sum().item()
    timers.append(t)
    accs.append(correct / args.n)
    losses.append(tot_loss / args.n)
train = steady_state(timers, args.n)


def predict(xs):
    return torch.cat([torch.sigmoid(model(xs[i:i + args.infer_batch])) for i in range(0, len(xs), args.infer_batch)])


model.eval()
k = min(args.infer1, args.n)
with torch.inference_mode():
    predict(x[: args.infer_batch * 2])  # warm-up
    with Timer() as ti:
        predict(x)
    for i in range(5):
        model(x[i:i + 1])
    with Timer() as t1:
        for i in range(k):
            torch.sigmoid(model(x[i:i + 1]))
    heldout_acc = ((predict(xt) > 0.5).float() == yt).float().mean().item()

res = {
    "peer": "torch", "torch": torch.__version__, "model": args.model,
    "n": args.n, "epochs": args.epochs, "threads": args.threads, **r.fields(),
    "real_token_share": round(real_token_share(xn), 3),
    "epoch_s": [round(t.wall, 2) for t in timers],
    **train,
    "infer_samples_per_s": round(args.n / ti.wall, 1),
    "infer1_samples_per_s": round(k / t1.wall, 1),
    "final_train_acc": round(accs[-1], 4),
    "final_train_loss": round(losses[-1], 4),
    "heldout_acc": round(heldout_acc, 4),
    "ru_maxrss_mb": round(peak_rss_mb(), 1),
}
print(json.dumps(res) if args.json else "\n".join(f"{k:24s} {v}" for k, v in res.items()))
