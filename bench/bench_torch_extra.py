#!/usr/bin/env python3
"""PyTorch (CPU) peer for recur's own workloads W6-W8 (bench/workloads.ts), with the conventions of
../shared/peers/bench_torch.py: time-major, Linear head (D*H)->O on every step, training = zero_grad,
forward, MSE loss, backward, Adam(1e-3) step; one JSON line with the per-repetition times.

The shape comes from bench/run.ts on the command line (one source of shapes: bench/workloads.ts):
  /tmp/torch2/bin/python bench/bench_torch_extra.py --workload W6 --threads 2 --reps 5 \
      --shape '{"cell":"lstm","mode":"train","B":32,"T":100,"I":64,"H":256,"O":64,"layers":2,"bidirectional":true,"dropout":0.2}'

W6, W7: nn.LSTM / nn.GRU with num_layers, bidirectional and dropout. W8 (variational recurrent
dropout): PyTorch has no fused equivalent, so an nn.LSTMCell loop where h_{t-1} is multiplied by one
Bernoulli(1-p)/(1-p) mask per sequence before it enters W_hh (the carried h itself is not masked),
as recur's variational.hidden.
"""
import argparse, json, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F


def time_reps(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return ts


class Net(nn.Module):
    def __init__(self, s):
        super().__init__()
        rnn = nn.LSTM if s["cell"] == "lstm" else nn.GRU
        D = 2 if s.get("bidirectional") else 1
        self.rnn = rnn(s["I"], s["H"], num_layers=s.get("layers", 1), bidirectional=D == 2, dropout=s.get("dropout", 0.0))
        self.head = nn.Linear(D * s["H"], s["O"])

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


class CellLoop(nn.Module):
    """LSTMCell over time with a time-locked dropout mask on h_{t-1} where it enters W_hh."""

    def __init__(self, s):
        super().__init__()
        self.cell = nn.LSTMCell(s["I"], s["H"])
        self.head = nn.Linear(s["H"], s["O"])
        self.p = s["recurrentDropout"]

    def forward(self, x):
        T, B, _ = x.shape
        H = self.cell.hidden_size
        h = x.new_zeros(B, H)
        c = x.new_zeros(B, H)
        mask = torch.bernoulli(x.new_full((B, H), 1 - self.p)) / (1 - self.p)
        ys = []
        for t in range(T):
            h, c = self.cell(x[t], (h * mask, c))
            ys.append(h)
        return self.head(torch.stack(ys))


def bench_train(s, warmup, reps):
    net = CellLoop(s) if s.get("recurrentDropout") else Net(s)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(s["T"], s["B"], s["I"])
    tgt = torch.randn(s["T"], s["B"], s["O"])

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(net(x), tgt)
        loss.backward()
        opt.step()

    return time_reps(step, warmup, reps)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", required=True)
    ap.add_argument("--shape", required=True, help="the workload's shape as JSON (bench/workloads.ts SHAPES)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--label", default="torch")
    a = ap.parse_args()
    s = json.loads(a.shape)
    if s["mode"] != "train":
        sys.exit(f"bench_torch_extra: {a.workload}: only training workloads, got mode {s['mode']}")
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    ts = bench_train(s, a.warmup, a.reps)
    rec = {"peer": a.label, "workload": a.workload, "variant": "lstmcell+masks" if s.get("recurrentDropout") else "nn",
           "threads": a.threads, "times_s": ts, "seqs_per_rep": s["B"], "info": {"torch": torch.__version__}}
    print(json.dumps(rec))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
